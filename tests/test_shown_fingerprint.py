"""What was shown is what is stored (DESIGN §5, last subsection), as the people who found it
met it: a clinician with two tabs open (the weight changed in one, finalize pressed in the
other), a clinician recording a course review twice, and a second reviewer publishing from
a page opened before the revision was returned, changed and resubmitted.

Each request carries the fingerprint of what its page showed; a mismatch is refused with a
message and the fresh page, and everything typed is still in the form.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guidance.content.revisions import (
    RevisionChanged,
    publish,
    return_to_editor,
    review_fingerprint,
    submit_for_review,
)
from guidance.encounters import workflow as encounters
from guidance.models import AccessLog, Encounter, Review, Revision, Statement
from tests.conftest import group
from tests.pages import error_next_to, shown_fingerprint, text_of
from tests.paths import STEP_POSTS
from tests.test_textdiff import visible

ANSWERS_CHANGED = "The answers changed in another tab or window after this summary was shown"
TODAY = timezone.localdate().isoformat()
COURSE = {
    "ivig_g_per_kg": "1.5",
    "ivig_days": "4",
    "course_start_date": TODAY,
    "baseline_scale": "qmg",
    "baseline_score": "18",
}
NOTE = "Typed in tab 1: discussed IVIG with the patient."


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ivig_encounter(make_encounter, ivig_answers):
    return make_encounter(answers=ivig_answers, status="complete", patient_reference="MRN-0042")


def summary_url(encounter):
    return reverse("summary", args=[encounter.pk])


def finalize_url(encounter):
    return reverse("finalize", args=[encounter.pk])


def open_summary(client, encounter):
    """Tab 1: the summary as shown, and what its decision form posts with the decision."""
    page = client.get(summary_url(encounter)).content.decode()
    return page, {"revision_shown": "1", "shown_fingerprint": shown_fingerprint(page)}


def change_in_another_tab(client, encounter, step, **answers):
    posted = {**STEP_POSTS[step], **answers}
    response = client.post(reverse("step", args=[encounter.pk, step]), posted)
    assert response.status_code == 302


def assert_nothing_stored(encounter):
    encounter = Encounter.objects.get(pk=encounter.pk)
    assert encounter.status == "complete"
    assert encounter.snapshot is None and encounter.decision == ""
    assert encounter.course_start_date is None and encounter.finalized_at is None
    assert not AccessLog.objects.filter(action=AccessLog.Action.FINALIZED).exists()


def checked(page, name, value):
    return f'name="{name}" value="{value}"' in page and any(
        f'value="{value}"' in tag and "checked" in tag
        for tag in page.split("<input")
        if f'name="{name}"' in tag
    )


# --- the fingerprint itself -----------------------------------------------------------------


def test_the_fingerprint_follows_the_answers_the_revision_and_the_patient_only(
    ivig_answers, guideline
):
    revision = Revision.objects.get(number=1)
    shown = encounters.shown_fingerprint(ivig_answers, revision, "MRN-0042")
    reordered = dict(reversed(list(ivig_answers.items())))
    assert encounters.shown_fingerprint(reordered, revision, "MRN-0042") == shown
    assert len(shown) == 64
    heavier = {**ivig_answers, "weight_kg": 80.0}
    assert encounters.shown_fingerprint(heavier, revision, "MRN-0042") != shown
    assert encounters.shown_fingerprint(ivig_answers, revision, "MRN-0043") != shown
    other = Revision(pk=revision.pk + 1000, number=2)
    assert encounters.shown_fingerprint(ivig_answers, other, "MRN-0042") != shown


# --- finalize: two tabs -----------------------------------------------------------------------


def test_a_weight_changed_in_another_tab_refuses_the_finalize_and_keeps_all_that_was_typed(
    clinician_client, ivig_encounter
):
    page, shown = open_summary(clinician_client, ivig_encounter)
    assert "70 kg × 1-2 g/kg = 70-140 g" in text_of(page)
    # 68 kg, below the ideal weight of a 175 cm man: still dosed on the actual weight.
    change_in_another_tab(clinician_client, ivig_encounter, "patient", weight_kg="68")

    decided = {**shown, "decision": "partly", "decision_reason": "clinical_judgment"}
    response = clinician_client.post(
        finalize_url(ivig_encounter), {**decided, "decision_note": NOTE, **COURSE}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert ANSWERS_CHANGED in text_of(page)
    assert "68 kg × 1-2 g/kg = 68-136 g" in text_of(page)  # the summary is the fresh one
    assert "70-140 g" not in text_of(page)
    assert NOTE in page
    assert checked(page, "decision", "partly")
    assert checked(page, "decision_reason", "clinical_judgment")
    assert checked(page, "baseline_scale", "qmg")
    for field in ("ivig_g_per_kg", "ivig_days", "course_start_date", "baseline_score"):
        assert f'name="{field}" value="{COURSE[field]}"' in page, field
    assert_nothing_stored(ivig_encounter)

    # Having read the new doses, the clinician finalizes what the page now shows.
    again = clinician_client.post(
        finalize_url(ivig_encounter),
        {
            **decided,
            "shown_fingerprint": shown_fingerprint(page),
            "decision_note": NOTE,
            **COURSE,
        },
    )
    assert again.status_code == 302
    stored = Encounter.objects.get(pk=ivig_encounter.pk)
    assert stored.is_finalized and stored.answers["weight_kg"] == 68.0
    assert stored.snapshot["course"]["sentence"].startswith("IVIG 1.5 g/kg × 68 kg = 102 g")
    assert (stored.decision_note, stored.baseline_score) == (NOTE, 18)


def test_a_refusal_of_the_whole_form_alone_asks_no_answer_to_be_corrected(
    clinician_client, ivig_encounter
):
    _, shown = open_summary(clinician_client, ivig_encounter)
    change_in_another_tab(clinician_client, ivig_encounter, "patient", weight_kg="80")

    response = clinician_client.post(
        finalize_url(ivig_encounter), {**shown, "decision": "followed", "dose_basis": "actual"}
    )

    page = text_of(response.content.decode())
    assert ANSWERS_CHANGED in page
    assert "Please correct" not in page


def test_an_adjusted_weight_offered_in_another_tab_is_asked_for_and_the_course_kept(
    clinician_client, ivig_encounter
):
    _, shown = open_summary(clinician_client, ivig_encounter)
    change_in_another_tab(
        clinician_client, ivig_encounter, "patient", weight_kg="100", height_cm="175", sex="male"
    )
    response = clinician_client.post(
        finalize_url(ivig_encounter), {**shown, "decision": "followed", **COURSE}
    )
    page = response.content.decode()
    assert ANSWERS_CHANGED in text_of(page)
    assert error_next_to(page, "dose_basis") == "Choose which weight the IVIG dose is based on."
    assert 'name="ivig_g_per_kg" value="1.5"' in page
    assert_nothing_stored(ivig_encounter)


def test_a_patient_reference_changed_in_another_tab_refuses_the_finalize(
    clinician_client, ivig_encounter
):
    _, shown = open_summary(clinician_client, ivig_encounter)
    change_in_another_tab(clinician_client, ivig_encounter, "patient", patient_reference="MRN-9")
    response = clinician_client.post(
        finalize_url(ivig_encounter), {**shown, "decision": "followed"}
    )
    assert ANSWERS_CHANGED in text_of(response.content.decode())
    assert "Summary: MRN-9" in response.content.decode()
    assert_nothing_stored(ivig_encounter)


def test_a_step_saved_again_unchanged_in_another_tab_refuses_nothing(
    clinician_client, ivig_encounter
):
    _, shown = open_summary(clinician_client, ivig_encounter)
    change_in_another_tab(clinician_client, ivig_encounter, "patient")  # the same answers
    response = clinician_client.post(
        finalize_url(ivig_encounter), {**shown, "decision": "followed", **COURSE}
    )
    assert response.status_code == 302
    assert Encounter.objects.get(pk=ivig_encounter.pk).course_start_date.isoformat() == TODAY


@pytest.mark.parametrize("posted", [None, "", "0" * 64, "not a fingerprint", ["a", "b"]])
def test_a_finalize_without_the_fingerprint_of_the_summary_is_refused(
    clinician_client, ivig_encounter, posted
):
    decided = {"revision_shown": "1", "decision": "followed", "decision_note": NOTE}
    if posted is not None:
        decided["shown_fingerprint"] = posted
    response = clinician_client.post(finalize_url(ivig_encounter), decided)
    assert response.status_code == 200
    assert ANSWERS_CHANGED in text_of(response.content.decode())
    assert_nothing_stored(ivig_encounter)


def test_the_fingerprint_of_another_encounter_is_refused(
    clinician_client, ivig_encounter, make_encounter, ivig_answers
):
    other = make_encounter(answers={**ivig_answers, "weight_kg": 90.0}, status="complete")
    _, shown_for_other = open_summary(clinician_client, other)
    response = clinician_client.post(
        finalize_url(ivig_encounter), {**shown_for_other, "decision": "followed"}
    )
    assert ANSWERS_CHANGED in text_of(response.content.decode())
    assert_nothing_stored(ivig_encounter)


def test_a_course_typed_before_ivig_stopped_applying_is_named_not_silently_dropped(
    clinician_client, ivig_encounter
):
    page, shown = open_summary(clinician_client, ivig_encounter)
    assert 'name="ivig_g_per_kg"' in page  # tab 1 offers the course
    change_in_another_tab(clinician_client, ivig_encounter, "symptomatic", dap_status="adequate")

    response = clinician_client.post(
        finalize_url(ivig_encounter),
        {**shown, "decision": "followed", "decision_note": NOTE, **COURSE},
    )

    page = response.content.decode()
    text = text_of(page)
    assert ANSWERS_CHANGED in text
    assert (
        "IVIG no longer applies with the answers as they stand, so the IVIG course typed "
        f"(1.5 g/kg over 4 days from {TODAY}, baseline qmg 18) cannot be recorded" in text
    )
    assert 'name="ivig_g_per_kg"' not in page  # the fresh summary offers no course
    assert NOTE in page
    assert_nothing_stored(ivig_encounter)

    again = clinician_client.post(
        finalize_url(ivig_encounter),
        {**shown, "shown_fingerprint": shown_fingerprint(page), "decision": "followed"},
    )
    assert again.status_code == 302
    assert Encounter.objects.get(pk=ivig_encounter.pk).course_start_date is None


def test_the_htmx_summary_after_the_last_step_carries_the_fingerprint(
    clinician_client, ivig_encounter
):
    response = clinician_client.post(
        reverse("step", args=[ivig_encounter.pk, "ivig"]),
        STEP_POSTS["ivig"],
        headers={"HX-Request": "true"},
    )
    stored = Encounter.objects.get(pk=ivig_encounter.pk)
    revision = Revision.objects.published().get()
    expected = encounters.summary_fingerprint(stored, revision)
    assert shown_fingerprint(response.content.decode()) == expected


# --- the course review --------------------------------------------------------------------


@pytest.fixture
def course(clinician_client, ivig_encounter):
    _, shown = open_summary(clinician_client, ivig_encounter)
    response = clinician_client.post(
        finalize_url(ivig_encounter), {**shown, "decision": "followed", **COURSE}
    )
    assert response.status_code == 302
    Encounter.objects.filter(pk=ivig_encounter.pk).update(
        course_start_date=timezone.localdate() - datetime.timedelta(days=20)
    )
    return Encounter.objects.get(pk=ivig_encounter.pk)


def review_url(encounter):
    return reverse("review", args=[encounter.pk])


def a_review(shown, **changes):
    return {
        "shown_fingerprint": shown,
        "review_date": TODAY,
        "score": "12",
        "response": "improved",
        "plan": "stop",
        "note": "",
        **changes,
    }


def test_a_review_written_before_another_was_recorded_is_refused_and_kept(clinician_client, course):
    tab_1 = shown_fingerprint(clinician_client.get(review_url(course)).content.decode())
    tab_2 = shown_fingerprint(clinician_client.get(review_url(course)).content.decode())
    first = clinician_client.post(review_url(course), a_review(tab_2, note="From tab 2."))
    assert first.status_code == 302

    response = clinician_client.post(
        review_url(course), a_review(tab_1, score="14", note="Typed in tab 1.")
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Another review of this course was recorded after this page was shown" in text_of(page)
    assert "Reviews recorded so far" in page and "QMG 18 → 12" in page  # the one from tab 2
    assert "Typed in tab 1." in page and 'name="score" value="14"' in page
    assert [review.note for review in Review.objects.filter(encounter=course)] == ["From tab 2."]
    assert len(Encounter.objects.get(pk=course.pk).snapshot["reviews"]) == 1

    again = clinician_client.post(
        review_url(course), a_review(shown_fingerprint(page), score="14", note="Typed in tab 1.")
    )
    assert again.status_code == 302
    assert len(Encounter.objects.get(pk=course.pk).snapshot["reviews"]) == 2


def test_a_review_without_the_fingerprint_of_its_page_is_refused(clinician_client, course):
    posted = a_review("")
    del posted["shown_fingerprint"]
    response = clinician_client.post(review_url(course), posted)
    assert response.status_code == 200
    assert "Another review of this course was recorded" in response.content.decode()
    assert not Review.objects.filter(encounter=course).exists()


# --- publish: the second reviewer -----------------------------------------------------------

CHANGED_TEXT = "Changed by the editor after the first review: text nobody has reviewed yet."


@pytest.fixture
def second_reviewer(db):
    from django.contrib.auth.models import User

    user = User.objects.create_user("rev_second", password="pw-for-tests-only", is_staff=True)
    user.groups.add(group("Reviewers"))
    return user


def admin_review_url(revision):
    return reverse("admin:guidance_revision_review", args=[revision.pk])


def returned_changed_and_resubmitted(draft, editor, reviewer):
    """Reviewer B returns the draft; the editor changes a statement and resubmits."""
    return_to_editor(draft, reviewer, "Cite the trial.")
    Statement.objects.filter(revision=draft, code="ivig-when-bridge").update(text=CHANGED_TEXT)
    submit_for_review(draft, editor, "Reworded the bridging statement.")


def test_publish_from_a_page_read_before_the_revision_changed_is_refused(
    draft, editor, reviewer, second_reviewer
):
    submit_for_review(draft, editor, "Reworded the bridging statement.")
    reviewer_a = signed_in(second_reviewer)
    read = reviewer_a.get(admin_review_url(draft)).content.decode()
    assert CHANGED_TEXT not in visible(read)
    returned_changed_and_resubmitted(draft, editor, reviewer)

    response = reviewer_a.post(
        admin_review_url(draft),
        {
            "_publish": "Publish",
            "shown_fingerprint": shown_fingerprint(read),
            "review_comment": "Typed before pressing Publish.",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Revision 2 changed after this page was shown" in page
    assert "nothing was published" in page
    assert CHANGED_TEXT in visible(page)  # the fresh page, with the text nobody reviewed
    assert "Typed before pressing Publish." in page
    assert Revision.objects.get(pk=draft.pk).status == "in_review"
    assert Revision.objects.published().get().number == 1

    # Having read it, reviewer A publishes what the page now shows.
    again = reviewer_a.post(
        admin_review_url(draft),
        {"_publish": "Publish", "shown_fingerprint": shown_fingerprint(page)},
    )
    assert again.status_code == 302
    assert Revision.objects.published().get().number == 2
    published = Statement.objects.get(revision__number=2, code="ivig-when-bridge")
    assert published.text == CHANGED_TEXT


@pytest.mark.parametrize("posted", [None, "", "0" * 64])
def test_publish_without_the_fingerprint_of_the_page_is_refused(
    draft, editor, second_reviewer, posted
):
    submit_for_review(draft, editor, "Reworded the bridging statement.")
    decided = {"_publish": "Publish"}
    if posted is not None:
        decided["shown_fingerprint"] = posted
    response = signed_in(second_reviewer).post(admin_review_url(draft), decided)
    assert "changed after this page was shown" in response.content.decode()
    assert Revision.objects.get(pk=draft.pk).status == "in_review"


def test_a_return_and_resubmission_alone_changes_what_the_reviewer_must_read(
    draft, editor, reviewer
):
    for _ in range(2):  # returned once already, then read by the second reviewer
        submit_for_review(draft, editor, "Reworded the bridging statement.")
        before = review_fingerprint(Revision.objects.get(pk=draft.pk))
        assert review_fingerprint(Revision.objects.get(pk=draft.pk)) == before  # read twice
        return_to_editor(draft, reviewer, "Cite the trial.")  # the same comment again
    submit_for_review(draft, editor, "Reworded the bridging statement.")
    assert review_fingerprint(Revision.objects.get(pk=draft.pk)) != before


def test_the_workflow_refuses_a_stale_fingerprint_whoever_calls_it(
    draft, editor, reviewer, second_reviewer
):
    submit_for_review(draft, editor, "Reworded the bridging statement.")
    read = review_fingerprint(draft)
    returned_changed_and_resubmitted(draft, editor, reviewer)
    with pytest.raises(RevisionChanged, match="nothing was published"):
        publish(draft, second_reviewer, content_fingerprint=read)
    assert Revision.objects.get(pk=draft.pk).status == "in_review"
    draft.refresh_from_db()
    publish(draft, second_reviewer, content_fingerprint=review_fingerprint(draft))
    assert Revision.objects.get(pk=draft.pk).status == "published"
