"""The admin's starting point for editors and reviewers (DESIGN §3 "what needs me"), and
"Edited locally" with the verification reset when a guideline statement's text changes."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from guidance.content.revisions import publish, submit_for_review
from guidance.content.source_text import source_texts
from guidance.models import Revision, Statement
from tests.test_admin import change_url, statement_form
from tests.test_revisions import SUMMARY, signed_in, summary_text
from tests.test_textdiff import visible

INDEX = reverse("admin:index")
REWORDED = "IVIG should be reserved for severe weakness that 3,4-DAP does not control."


def needs_me(client):
    """The "What needs me" block of the admin index, as text."""
    page = visible(client.get(INDEX).content.decode())
    assert "What needs me" in page
    return page.split("What needs me", 1)[1].split("Last publications", 1)[0]


def test_an_editor_without_a_draft_is_told_how_to_start_one(editor_client, guideline):
    block = needs_me(editor_client)
    assert "No draft is open" in block
    assert "copies the published revision (1)" in block
    page = editor_client.get(INDEX).content.decode()
    assert reverse("admin:guidance_revision_start") in page


def test_an_editor_sees_the_open_draft_and_what_changed_so_far(editor_client, draft):
    assert "Nothing changed yet" in needs_me(editor_client)
    draft.statements.filter(code="ivig-when-bridge").update(text="Reworded.")
    block = needs_me(editor_client)
    assert "Open draft: revision 2" in block
    assert "statements: 1 changed (ivig-when-bridge)" in block
    assert "Submit for review" in block
    assert "No draft is open" not in block


def test_a_reviewer_sees_what_waits_for_their_review(draft, editor_client, reviewer):
    draft.statements.filter(code="ivig-when-bridge").update(text="Reworded.")
    editor_client.post(
        reverse("admin:guidance_revision_submit", args=[draft.pk]), {"change_summary": SUMMARY}
    )
    block = needs_me(signed_in(reviewer))
    assert "Waiting for your review: revision 2" in block
    assert "Submitted by ed_editor on" in block
    assert SUMMARY in block
    assert reverse("admin:guidance_revision_review", args=[draft.pk]) in (
        signed_in(reviewer).get(INDEX).content.decode()
    )


def test_whoever_drafted_it_is_not_asked_to_review_it(draft, editor):
    editor.groups.add(Group.objects.get(name="Reviewers"))
    submit_for_review(draft, editor, SUMMARY)
    block = needs_me(signed_in(editor))
    assert "Revision 2 is in review" in block
    assert "Waiting for your review" not in block
    assert "someone else must" in block


def test_the_last_publications_are_listed_with_who_reviewed_them(draft, editor, reviewer):
    submit_for_review(draft, editor, SUMMARY)
    publish(draft, reviewer)
    page = visible(signed_in(reviewer).get(INDEX).content.decode())
    publications = page.split("Last publications", 1)[1]
    assert publications.index("Revision 2 (published)") < publications.index("Revision 1 (retired)")
    assert "rev_reviewer" in publications
    assert "Nothing waits for you" in page


def test_clinicians_never_reach_the_admin_index(clinician_client):
    assert clinician_client.get(INDEX).status_code == 302


# --- Edited locally -------------------------------------------------------------------------


def test_every_guideline_statement_has_its_source_wording(guideline):
    codes = set(
        Statement.objects.filter(revision__status="published", origin="guideline").values_list(
            "code", flat=True
        )
    )
    assert codes == set(source_texts())
    assert len(codes) == 27


@pytest.fixture
def reserved(draft):
    return draft.statements.get(code="ivig-reserved")


def test_changing_a_guideline_text_resets_its_verification(editor_client, reserved):
    assert reserved.verification == "partly"
    response = editor_client.post(
        change_url("statement", reserved.pk), statement_form(reserved, text=REWORDED), follow=True
    )
    reserved.refresh_from_db()
    assert (reserved.text, reserved.verification) == (REWORDED, "not_confirmed")
    assert "verification is now" in response.content.decode()


def test_an_editor_may_reverify_a_changed_text_with_a_new_note(editor_client, reserved):
    form = statement_form(
        reserved, text=REWORDED, verification="verified", verification_note="Re-read: confirmed."
    )
    editor_client.post(change_url("statement", reserved.pk), form)
    reserved.refresh_from_db()
    assert (reserved.text, reserved.verification) == (REWORDED, "verified")


def test_a_new_verification_without_a_new_note_does_not_stick(editor_client, reserved):
    form = statement_form(reserved, text=REWORDED, verification="verified")
    editor_client.post(change_url("statement", reserved.pk), form)
    reserved.refresh_from_db()
    assert reserved.verification == "not_confirmed"


def test_an_unchanged_text_keeps_its_verification(editor_client, reserved):
    editor_client.post(change_url("statement", reserved.pk), statement_form(reserved, order=9))
    reserved.refresh_from_db()
    assert reserved.verification == "partly"


def test_edited_locally_shows_in_the_reviewers_diff_and_to_clinicians(
    editor_client, reserved, editor, reviewer, clinician_client, make_encounter, ivig_answers
):
    editor_client.post(
        change_url("statement", reserved.pk), statement_form(reserved, text=REWORDED)
    )
    draft = reserved.revision
    submit_for_review(draft, editor, SUMMARY)
    review = visible(
        signed_in(reviewer)
        .get(reverse("admin:guidance_revision_review", args=[draft.pk]))
        .content.decode()
    )
    assert "Edited locally: differs from the source text" in review
    assert "Not confirmed" in review and "Partly confirmed" in review

    encounter = make_encounter(answers=ivig_answers, status="complete")
    assert "Edited locally" not in summary_text(clinician_client, encounter)
    publish(Revision.objects.get(pk=draft.pk), reviewer)
    summary = summary_text(clinician_client, encounter)
    assert summary.count('class="marker marker-edited"') == 1
    printed = visible(clinician_client.get(reverse("print", args=[encounter.pk])).content.decode())
    assert "Edited locally: the wording differs from the guideline's source text" in printed
