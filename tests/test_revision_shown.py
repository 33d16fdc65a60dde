"""An open encounter across a publish: its summary says the guideline changed since its
answers were given, and finalize records the revision the clinician was shown, refusing
one published in between (the summary is shown again, now on the new revision)."""

import pytest
from django.urls import reverse

from guidance.content.revisions import publish, submit_for_review
from guidance.models import AccessLog, Encounter, Revision
from tests.pages import shown_fingerprint
from tests.paths import STEP_POSTS, as_shown
from tests.test_revisions import NEW_TEXT, SUMMARY, reword_bridge

CHANGED = "The guideline changed since these answers were given"
DECISION = {"decision": "followed", "dose_basis": "actual", "decision_note": "Discussed with"}


@pytest.fixture
def answered_on_revision_1(clinician_client, make_encounter):
    """An encounter whose last step was saved while revision 1 was published."""
    encounter = make_encounter()
    for step, posted in STEP_POSTS.items():
        clinician_client.post(reverse("step", args=[encounter.pk, step]), posted)
    encounter.refresh_from_db()
    assert encounter.status == "complete" and encounter.revision.number == 1
    return encounter


def publish_revision_2(draft, editor, reviewer):
    reword_bridge(draft)
    publish(submit_for_review(draft, editor, SUMMARY), reviewer)


def summary_page(client, encounter):
    response = client.get(reverse("summary", args=[encounter.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_summary_says_nothing_changed_while_the_revision_is_the_same(
    clinician_client, answered_on_revision_1
):
    page = summary_page(clinician_client, answered_on_revision_1)
    assert CHANGED not in page
    assert 'name="revision_shown" value="1"' in page


def test_after_a_publish_the_open_summary_says_the_guideline_changed_and_links_whats_new(
    clinician_client, answered_on_revision_1, draft, editor, reviewer
):
    publish_revision_2(draft, editor, reviewer)

    page = summary_page(clinician_client, answered_on_revision_1)

    assert CHANGED in page
    assert f'href="{reverse("guideline_revisions")}#revision-2"' in page
    assert NEW_TEXT in page
    assert 'name="revision_shown" value="2"' in page


def test_saving_a_step_again_after_the_publish_clears_the_notice(
    clinician_client, answered_on_revision_1, draft, editor, reviewer
):
    publish_revision_2(draft, editor, reviewer)
    url = reverse("step", args=[answered_on_revision_1.pk, "ivig"])
    clinician_client.post(url, STEP_POSTS["ivig"])
    assert CHANGED not in summary_page(clinician_client, answered_on_revision_1)


def test_the_notice_also_follows_an_htmx_save_of_the_last_step(
    clinician_client, answered_on_revision_1, draft, editor, reviewer
):
    # The last step's htmx save answers with the summary, evaluated on the new revision.
    publish_revision_2(draft, editor, reviewer)
    url = reverse("step", args=[answered_on_revision_1.pk, "ivig"])
    response = clinician_client.post(url, STEP_POSTS["ivig"], headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert NEW_TEXT in response.content.decode()
    assert CHANGED not in response.content.decode()


def test_a_finalized_summary_never_says_the_guideline_changed(
    clinician_client, answered_on_revision_1, draft, editor, reviewer
):
    finalize = reverse("finalize", args=[answered_on_revision_1.pk])
    assert (
        clinician_client.post(finalize, as_shown(DECISION, answered_on_revision_1)).status_code
        == 302
    )
    publish_revision_2(draft, editor, reviewer)
    page = summary_page(clinician_client, answered_on_revision_1)
    assert CHANGED not in page
    assert NEW_TEXT not in page


def test_finalize_records_the_revision_shown_after_a_publish(
    clinician_client, answered_on_revision_1, draft, editor, reviewer
):
    publish_revision_2(draft, editor, reviewer)
    summary_page(clinician_client, answered_on_revision_1)  # shows revision 2

    response = clinician_client.post(
        reverse("finalize", args=[answered_on_revision_1.pk]),
        as_shown(DECISION, answered_on_revision_1),
    )

    assert response.status_code == 302
    encounter = Encounter.objects.get(pk=answered_on_revision_1.pk)
    assert encounter.is_finalized
    assert encounter.revision.number == 2
    assert encounter.snapshot["guideline"]["revision"] == 2
    assert NEW_TEXT in str(encounter.snapshot)


@pytest.mark.parametrize("posted_revision", ["1", None, "", "2x"])
def test_finalize_refuses_a_revision_other_than_the_published_one_and_shows_the_new_summary(
    clinician_client, answered_on_revision_1, draft, editor, reviewer, posted_revision
):
    shown = summary_page(clinician_client, answered_on_revision_1)
    assert 'name="revision_shown" value="1"' in shown
    publish_revision_2(draft, editor, reviewer)  # while the clinician reads the summary
    posted = {**DECISION, "shown_fingerprint": shown_fingerprint(shown)}
    if posted_revision is not None:
        posted["revision_shown"] = posted_revision

    response = clinician_client.post(reverse("finalize", args=[answered_on_revision_1.pk]), posted)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Revision 2 of the guideline was published after this summary was shown" in page
    assert NEW_TEXT in page  # the summary shown again is the new one
    assert 'name="revision_shown" value="2"' in page
    assert "Discussed with" in page  # nothing typed is lost
    encounter = Encounter.objects.get(pk=answered_on_revision_1.pk)
    assert encounter.status == "complete" and encounter.snapshot is None
    assert encounter.revision.number == 1
    assert not AccessLog.objects.filter(action="finalized").exists()

    # Having read the new summary, the clinician finalizes it.
    again = clinician_client.post(
        reverse("finalize", args=[answered_on_revision_1.pk]),
        {**DECISION, "revision_shown": "2", "shown_fingerprint": shown_fingerprint(page)},
    )
    assert again.status_code == 302
    assert Encounter.objects.get(pk=answered_on_revision_1.pk).revision.number == 2


def test_the_htmx_finalize_refused_for_a_new_revision_answers_in_place(
    clinician_client, answered_on_revision_1, draft, editor, reviewer
):
    publish_revision_2(draft, editor, reviewer)
    response = clinician_client.post(
        reverse("finalize", args=[answered_on_revision_1.pk]),
        {**DECISION, "revision_shown": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "published after this summary was shown" in response.content.decode()
    assert Revision.objects.published().get().number == 2
    assert not Encounter.objects.get(pk=answered_on_revision_1.pk).is_finalized
