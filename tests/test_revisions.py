"""Revisions: editors draft, a second person reviews and publishes, clinicians see only the
published revision, and each encounter records the revision it was evaluated on."""

import pytest
from django.contrib.auth.models import Group
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import reverse

from guidance.content.checks import statement_codes_present
from guidance.content.revisions import (
    RevisionError,
    diff,
    publish,
    return_to_editor,
    start_draft,
    submit_for_review,
)
from guidance.models import Citation, Encounter, Revision, Statement
from tests.pages import shown_fingerprint
from tests.paths import as_shown
from tests.test_textdiff import visible

NEW_TEXT = "Reworded in revision 2: bridge with IVIG or plasma exchange while waiting."
SUMMARY = "Reworded the bridging statement."


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def status_of(revision):
    return Revision.objects.get(pk=revision.pk).status


def reword_bridge(draft):
    draft.statements.filter(code="ivig-when-bridge").update(text=NEW_TEXT)


@pytest.fixture
def ivig_encounter(make_encounter, ivig_answers):
    return make_encounter(answers=ivig_answers, status="complete")


def summary_text(client, encounter):
    return client.get(reverse("summary", args=[encounter.pk])).content.decode()


# --- what clinicians see ------------------------------------------------------------------


def test_a_draft_change_is_invisible_to_clinicians_until_published(
    clinician_client, ivig_encounter, draft, editor, reviewer
):
    old_text = Statement.objects.get(code="ivig-when-bridge", revision__number=1).text
    reword_bridge(draft)

    for page in (
        summary_text(clinician_client, ivig_encounter),
        clinician_client.get(reverse("guideline")).content.decode(),
        clinician_client.get(reverse("print", args=[ivig_encounter.pk])).content.decode(),
    ):
        assert old_text in page
        assert NEW_TEXT not in page

    submit_for_review(draft, editor, SUMMARY)
    assert NEW_TEXT not in summary_text(clinician_client, ivig_encounter)

    publish(draft, reviewer)
    assert NEW_TEXT in summary_text(clinician_client, ivig_encounter)
    guideline_page = clinician_client.get(reverse("guideline")).content.decode()
    assert NEW_TEXT in guideline_page
    assert old_text not in guideline_page


def test_the_guideline_page_shows_the_revision_its_date_and_whats_new(
    clinician_client, draft, editor, reviewer
):
    first = clinician_client.get(reverse("guideline")).content.decode()
    assert "1 (25 Nov 2026)" in first
    assert "First revision, as loaded from the source text." in first

    reword_bridge(draft)
    publish(submit_for_review(draft, editor, "Clearer <bridging> wording."), reviewer)
    page = clinician_client.get(reverse("guideline")).content.decode()
    revision = Revision.objects.get(pk=draft.pk)
    assert f"2 ({revision.published_on:%-d %b %Y})" in page
    assert "What's new in revision 2" in page
    assert "Clearer &lt;bridging&gt; wording." in page


def test_the_revisions_page_lists_each_revision_with_its_changes(
    clinician_client, draft, editor, reviewer
):
    old_text = Statement.objects.get(code="ivig-when-bridge", revision__number=1).text
    reword_bridge(draft)
    publish(submit_for_review(draft, editor, SUMMARY), reviewer)

    page = clinician_client.get(reverse("guideline_revisions")).content.decode()
    assert "Revision 2 (current)" in page
    assert "Revision 1 (retired)" in page
    assert SUMMARY in page
    assert "Changes since revision 1" in page
    # The texts are there whole once the word marks are taken out, and words are marked.
    assert old_text in visible(page) and NEW_TEXT in visible(page)
    assert '<del class="word-removed">' in page and '<ins class="word-added">' in page
    # The text, and its wording now other than the source's (DESIGN §3 "Edited locally").
    assert page.count('class="diff-changed"') == 2
    assert "Edited locally: differs from the source text" in visible(page)


def test_a_reviewer_reads_but_never_starts_a_draft_or_edits(reviewer, guideline):
    client = signed_in(reviewer)
    assert client.get(reverse("admin:guidance_statement_changelist")).status_code == 200
    response = client.post(reverse("admin:guidance_revision_start"))
    assert response.status_code == 403
    assert Revision.objects.count() == 1


# --- the workflow ---------------------------------------------------------------------------


def test_nobody_publishes_or_returns_their_own_draft(draft, editor, reviewer):
    submit_for_review(draft, editor, SUMMARY)

    with pytest.raises(RevisionError, match="someone else must review it"):
        publish(draft, editor)
    with pytest.raises(RevisionError, match="someone else must review it"):
        return_to_editor(draft, editor, "Looks fine to me.")
    assert status_of(draft) == "in_review"
    assert Revision.objects.get(number=1).status == "published"


def test_the_diff_lists_exactly_the_changes(draft):
    published = Revision.objects.get(number=1)
    old_text = draft.statements.get(code="ivig-dose").text
    draft.statements.filter(code="ivig-dose").update(text="New dose wording.")
    Citation.objects.create(revision=draft, number=19, authors="Doe J", title="A new trial")
    draft.statements.get(code="dap-unavailable").delete()

    changes = diff(published, draft)

    assert changes["statements"]["changed"] == [
        {
            "key": "ivig-dose",
            "fields": [
                {
                    "field": "text",
                    "label": "Text",
                    "before": old_text,
                    "after": "New dose wording.",
                },
                {
                    "field": "wording",
                    "label": "Wording",
                    "before": "The source text",
                    "after": "Edited locally: differs from the source text",
                },
            ],
        }
    ]
    assert [item["key"] for item in changes["statements"]["added"]] == []
    assert [item["key"] for item in changes["statements"]["removed"]] == ["dap-unavailable"]
    assert changes["citations"]["changed"] == []
    assert [item["key"] for item in changes["citations"]["added"]] == [19]
    assert changes["citations"]["removed"] == []


def test_a_draft_is_a_copy_of_the_published_content(draft):
    published = Revision.objects.get(number=1)
    assert draft.statements.count() == published.statements.count() == 38
    assert draft.citations.count() == published.citations.count() == 18
    assert draft.sections.count() == published.sections.count()
    copy = draft.statements.get(code="ivig-reserved")
    assert [c.number for c in copy.ordered_citations] == [1, 2]
    assert {c.revision_id for c in copy.ordered_citations} == {draft.pk}
    assert copy.section.revision_id == draft.pk
    assert diff(published, draft)["statements"]["changed"] == []


def test_publish_is_atomic(draft, editor, reviewer, monkeypatch):
    submit_for_review(draft, editor, SUMMARY)
    original_save = Revision.save
    saves = []

    def save_then_fail_the_second(self, *args, **kwargs):
        saves.append(self.number)
        if len(saves) == 2:
            raise RuntimeError("the database went away")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Revision, "save", save_then_fail_the_second)
    with pytest.raises(RuntimeError):
        publish(draft, reviewer)
    monkeypatch.undo()

    assert saves == [1, 2]  # the old one was retired, then publishing the new one failed
    assert Revision.objects.get(number=1).status == "published"
    assert Revision.objects.get(number=2).status == "in_review"
    assert Revision.objects.get(number=2).published_at is None


def test_publishing_retires_the_old_revision_which_stays_readable(draft, editor, reviewer):
    publish(submit_for_review(draft, editor, SUMMARY), reviewer)
    old = Revision.objects.get(number=1)
    new = Revision.objects.get(number=2)
    assert (old.status, new.status) == ("retired", "published")
    assert new.reviewed_by == reviewer
    assert new.published_at is not None
    assert old.statements.count() == 38


def test_a_returned_draft_keeps_the_reviewers_comment(draft, editor, reviewer):
    submit_for_review(draft, editor, SUMMARY)
    return_to_editor(draft, reviewer, "Cite the randomised trial for this wording.")
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert draft.review_comment == "Cite the randomised trial for this wording."
    assert draft.reviewed_by == reviewer
    page = signed_in(editor).get(reverse("admin:guidance_revision_change", args=[draft.pk]))
    assert "Returned by the reviewer: Cite the randomised trial" in page.content.decode()


def test_submitting_without_a_change_summary_is_refused_and_changes_nothing(draft, editor):
    with pytest.raises(RevisionError, match="Write a change summary"):
        submit_for_review(draft, editor, "   ")
    draft.refresh_from_db()
    assert (draft.status, draft.change_summary) == ("draft", "")


def test_a_draft_missing_a_code_the_pathway_needs_cannot_be_submitted(draft, editor):
    draft.statements.get(code="pitfall-plex-equal").delete()
    with pytest.raises(RevisionError, match="lacks statements the pathway needs: pitfall-plex"):
        submit_for_review(draft, editor, SUMMARY)
    assert status_of(draft) == "draft"


def test_a_draft_missing_a_code_the_pathway_needs_cannot_be_published(draft, editor, reviewer):
    submit_for_review(draft, editor, SUMMARY)
    draft.statements.get(code="pitfall-plex-equal").delete()
    with pytest.raises(RevisionError, match="cannot be published.*pitfall-plex-equal"):
        publish(draft, reviewer)
    assert status_of(draft) == "in_review"
    assert Revision.objects.get(number=1).status == "published"


def test_only_a_revision_in_review_is_published(draft, reviewer):
    with pytest.raises(RevisionError, match="only a revision that is in review"):
        publish(draft, reviewer)
    assert status_of(draft) == "draft"


def test_only_one_draft_is_open_at_a_time(draft, guideline, editor):
    with pytest.raises(RevisionError, match="Revision 2 is already open"):
        start_draft(guideline, editor)
    assert Revision.objects.count() == 2


def test_the_system_check_warns_about_the_open_draft_and_fails_on_the_published(draft):
    assert statement_codes_present(None) == []
    draft.statements.get(code="ivig-dose").delete()
    [warning] = statement_codes_present(None)
    assert (warning.id, warning.level) == ("guidance.W002", checks.WARNING)
    assert "Revision 2 (draft) lacks: ivig-dose" in warning.msg
    call_command("check")  # a warning does not stop the server or `migrate`
    Statement.objects.get(code="ivig-dose", revision__number=1).delete()
    with pytest.raises(SystemCheckError, match=r"Revision 1 \(published\) lacks: ivig-dose"):
        call_command("check")


def test_the_loader_never_restores_a_statement_a_revision_removed(draft):
    Statement.objects.filter(code="ivig-duration").delete()
    call_command("load_guideline", verbosity=0)
    assert not Statement.objects.filter(code="ivig-duration").exists()


# --- encounters across a publish -----------------------------------------------------------


def test_encounters_across_a_publish(
    clinician_client, make_encounter, ivig_answers, draft, editor, reviewer
):
    old_text = Statement.objects.get(code="ivig-when-bridge", revision__number=1).text
    in_progress = make_encounter(answers=ivig_answers, status="complete")
    finalized = make_encounter(answers=ivig_answers, status="complete")
    clinician_client.post(
        reverse("finalize", args=[finalized.pk]),
        as_shown({"decision": "followed", "dose_basis": "actual"}, finalized),
    )
    finalized.refresh_from_db()
    assert finalized.is_finalized
    assert finalized.revision.number == 1

    reword_bridge(draft)
    publish(submit_for_review(draft, editor, SUMMARY), reviewer)

    fresh = summary_text(clinician_client, in_progress)
    assert NEW_TEXT in fresh and old_text not in fresh
    assert "revision 2" in fresh
    kept = summary_text(clinician_client, finalized)
    assert old_text in kept and NEW_TEXT not in kept
    assert "revision 1" in kept
    finalized.refresh_from_db()
    assert finalized.snapshot["guideline"]["revision"] == 1
    assert finalized.revision.number == 1


def test_saving_a_step_records_the_published_revision(
    clinician_client, make_encounter, draft, editor, reviewer
):
    encounter = make_encounter()
    url = reverse("step", args=[encounter.pk, "patient"])
    clinician_client.post(url, {"weight_kg": "70", "diagnosis_confirmed": "yes"})
    assert Encounter.objects.get(pk=encounter.pk).revision.number == 1

    publish(submit_for_review(draft, editor, SUMMARY), reviewer)
    clinician_client.post(url, {"weight_kg": "71", "diagnosis_confirmed": "yes"})
    assert Encounter.objects.get(pk=encounter.pk).revision.number == 2


# --- the admin's buttons --------------------------------------------------------------------


def test_the_admin_buttons_take_a_change_from_draft_to_published(
    editor_client, reviewer, clinician_client, ivig_encounter
):
    started = editor_client.post(reverse("admin:guidance_revision_start"))
    draft = Revision.objects.get(status="draft")
    assert started["Location"] == reverse("admin:guidance_revision_change", args=[draft.pk])
    reword_bridge(draft)

    editor_client.post(
        reverse("admin:guidance_revision_submit", args=[draft.pk]),
        {"change_summary": SUMMARY},
    )
    assert status_of(draft) == "in_review"

    reviewer_client = signed_in(reviewer)
    review_url = reverse("admin:guidance_revision_review", args=[draft.pk])
    review = reviewer_client.get(review_url).content.decode()
    assert NEW_TEXT in visible(review)
    assert 'name="_publish"' in review and 'name="_return"' in review
    published = {"_publish": "Publish", "shown_fingerprint": shown_fingerprint(review)}
    assert reviewer_client.post(review_url, published).status_code == 302
    assert status_of(draft) == "published"
    assert NEW_TEXT in summary_text(clinician_client, ivig_encounter)


def test_the_admin_return_button_sends_the_draft_back_with_the_comment(draft, editor, reviewer):
    submit_for_review(draft, editor, SUMMARY)
    review_url = reverse("admin:guidance_revision_review", args=[draft.pk])
    signed_in(reviewer).post(review_url, {"_return": "Return", "review_comment": "Cite it."})
    draft.refresh_from_db()
    assert (draft.status, draft.review_comment) == ("draft", "Cite it.")


def test_admin_errors_are_shown_as_messages_and_change_nothing(editor_client, draft):
    response = editor_client.post(
        reverse("admin:guidance_revision_submit", args=[draft.pk]),
        {"change_summary": ""},
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert any("Write a change summary" in message for message in messages)
    assert status_of(draft) == "draft"


def test_an_editor_who_is_also_a_reviewer_cannot_publish_their_own_draft(draft, editor):
    editor.groups.add(Group.objects.get(name="Reviewers"))
    submit_for_review(draft, editor, SUMMARY)
    response = signed_in(editor).post(
        reverse("admin:guidance_revision_review", args=[draft.pk]),
        {"_publish": "Publish"},
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert any("someone else must review it" in message for message in messages)
    assert status_of(draft) == "in_review"


def test_an_editor_cannot_publish(draft, editor, editor_client):
    submit_for_review(draft, editor, SUMMARY)
    response = editor_client.post(
        reverse("admin:guidance_revision_review", args=[draft.pk]), {"_publish": "Publish"}
    )
    assert response.status_code == 403
    assert status_of(draft) == "in_review"


def test_editors_cannot_edit_published_content(editor_client):
    statement = Statement.objects.get(code="ivig-dose", revision__number=1)
    url = reverse("admin:guidance_statement_change", args=[statement.pk])
    page = editor_client.get(url).content.decode()
    assert 'name="text"' not in page
    response = editor_client.post(url, {"text": "Changed behind the reviewers' backs."})
    assert response.status_code == 403
    statement.refresh_from_db()
    assert statement.text != "Changed behind the reviewers' backs."


def test_content_of_a_revision_in_review_is_read_only(draft, editor, editor_client):
    submit_for_review(draft, editor, SUMMARY)
    statement = draft.statements.get(code="ivig-dose")
    url = reverse("admin:guidance_statement_change", args=[statement.pk])
    assert editor_client.post(url, {"text": "Late change."}).status_code == 403


def test_the_content_list_shows_the_open_draft_by_default(editor_client, draft):
    changelist = editor_client.get(reverse("admin:guidance_statement_changelist"))
    shown = list(changelist.context["cl"].result_list)
    assert {statement.revision_id for statement in shown} == {draft.pk}
    published = Revision.objects.get(number=1)
    older = editor_client.get(
        reverse("admin:guidance_statement_changelist"), {"revision": published.pk}
    )
    assert {s.revision_id for s in older.context["cl"].result_list} == {published.pk}


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_markup_in_a_revision_never_reaches_the_revisions_or_review_page_raw(
    clinician_client, draft, editor, reviewer
):
    draft.statements.filter(code="ivig-reserved").update(text=HOSTILE)
    Citation.objects.create(revision=draft, number=19, authors=HOSTILE, title="T")
    submit_for_review(draft, editor, HOSTILE)
    review = signed_in(reviewer).get(reverse("admin:guidance_revision_review", args=[draft.pk]))
    publish(draft, reviewer)
    pages = [
        review.content.decode(),
        clinician_client.get(reverse("guideline_revisions")).content.decode(),
        clinician_client.get(reverse("guideline")).content.decode(),
    ]
    for page in pages:
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
        assert "<script>alert" not in page
        assert "<img src=x onerror" not in page
