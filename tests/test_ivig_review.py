"""The IVIG course review over HTTP (DESIGN §5 "The IVIG course review"): who may record
one, when, what it takes, what the summary, print and PDF then show, the reviews due on
the home page and in the navigation, and the encounter list's filter."""

import datetime
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from guidance.encounters import summary
from guidance.engine import fingerprints, pathway
from guidance.models import AccessLog, Encounter, Review
from tests.pages import shown_to
from tests.paths import as_shown
from tests.test_summary import error_next_to, print_page, summary_page, text_of

HTMX = {"HTTP_HX_REQUEST": "true"}
LONG_TERM = "pitfall-ivig-long-term"
RISKS = "pitfall-ivig-risks"


def today():
    return timezone.localdate()


def days_ago(days):
    return today() - datetime.timedelta(days=days)


@pytest.fixture
def prescribe(clinician_client, make_encounter, ivig_answers):
    """Finalizes an IVIG case with a course (QMG 18 by default), then moves the course's
    start back `started_days_ago` days, as if it had been prescribed then."""

    def prescribe(
        started_days_ago=20,
        baseline=(("baseline_scale", "qmg"), ("baseline_score", "18")),
        client=None,
        reference="MRN-0042",
        **answers,
    ):
        encounter = make_encounter(
            answers={**ivig_answers, **answers}, status="complete", patient_reference=reference
        )
        if client is not None:
            encounter.owner = client.user
            encounter.save()
        posted = {
            "decision": "followed",
            "dose_basis": "actual",
            "ivig_g_per_kg": "2.0",
            "ivig_days": "5",
            "course_start_date": today().isoformat(),
            **dict(baseline),
        }
        response = (client or clinician_client).post(
            reverse("finalize", args=[encounter.pk]), as_shown(posted, encounter)
        )
        assert response.status_code == 302
        encounter.refresh_from_db()
        encounter.course_start_date = days_ago(started_days_ago)
        encounter.snapshot["course"] = summary.course_lines(
            encounter, pathway.assess(encounter.answers)
        )
        encounter.save()
        return encounter

    return prescribe


def review_url(encounter):
    return reverse("review", args=[encounter.pk])


def reviews_shown(encounter):
    """The fingerprint the review page of `encounter` posts now: of the reviews recorded."""
    snapshot = Encounter.objects.get(pk=encounter.pk).snapshot or {}
    return fingerprints.of(snapshot.get("reviews", []))


def a_review(encounter, **changes):
    """A review as the review page of `encounter` posts it now."""
    return {
        "review_date": today().isoformat(),
        "score": "12",
        "response": "improved",
        "plan": "stop",
        "note": "",
        "shown_fingerprint": reviews_shown(encounter),
        **changes,
    }


def post_review(client, encounter, **changes):
    return client.post(review_url(encounter), a_review(encounter, **changes))


def assert_no_review(encounter):
    assert not Review.objects.filter(encounter=encounter).exists()
    encounter.refresh_from_db()
    assert encounter.snapshot is None or encounter.snapshot.get("reviews", []) == []


# --- recording a review ------------------------------------------------------------------


def test_the_review_form_asks_the_score_on_the_baseline_scale(clinician_client, prescribe):
    encounter = prescribe()
    response = clinician_client.get(review_url(encounter))
    assert response.status_code == 200
    page = text_of(response.content.decode())
    assert "QMG score at the review (0-39, lower is better)" in page
    assert "The baseline was QMG 18." in page
    assert "IVIG 2.0 g/kg × 70 kg = 140 g" in page


def test_a_review_is_recorded_logged_and_shown_with_its_change(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=20)
    response = post_review(clinician_client, encounter, note="Walks further.")
    assert response.status_code == 302
    assert response["Location"] == reverse("summary", args=[encounter.pk])
    review = Review.objects.get(encounter=encounter)
    assert (review.score, review.response, review.plan) == (12, "improved", "stop")
    assert AccessLog.objects.filter(
        encounter=encounter, user=encounter.owner, action=AccessLog.Action.REVIEWED
    ).exists()
    encounter.refresh_from_db()
    [shown] = encounter.snapshot["reviews"]
    assert shown["day"] == 20
    assert shown["score_change"] == "QMG 18 → 12: 6 points better; lower is better"
    pages = (summary_page(clinician_client, encounter), print_page(clinician_client, encounter))
    for page in pages:
        text = text_of(page)
        assert f"Review on {today().isoformat()}, day 20 after the course start" in text
        assert "QMG 18 → 12: 6 points better; lower is better" in text
        assert "Adverse events None Response Improved Plan Stop IVIG Note Walks further." in text


def test_an_mrc_sum_review_reads_higher_is_better(clinician_client, prescribe):
    encounter = prescribe(baseline=(("baseline_scale", "mrc_sum"), ("baseline_score", "40")))
    post_review(clinician_client, encounter, score="46")
    encounter.refresh_from_db()
    assert encounter.snapshot["reviews"][0]["score_change"] == (
        "MRC sum 40 → 46: 6 points better; higher is better"
    )


def test_an_htmx_review_swaps_in_the_summary_and_pushes_its_address(clinician_client, prescribe):
    encounter = prescribe()
    response = clinician_client.post(review_url(encounter), a_review(encounter), **HTMX)
    assert response.status_code == 200
    assert response["HX-Push-Url"] == reverse("summary", args=[encounter.pk])
    page = response.content.decode()
    assert "<html" not in page  # the main content only
    assert "QMG 18 → 12: 6 points better" in text_of(page)


def test_a_refused_htmx_review_is_shown_again_in_place_with_what_was_typed(
    clinician_client, prescribe
):
    encounter = prescribe()
    response = clinician_client.post(
        review_url(encounter), a_review(encounter, score="", note="Typed note"), **HTMX
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert "HX-Push-Url" not in response
    assert error_next_to(page, "score").startswith("Enter the QMG score")
    assert "Typed note</textarea>" in page
    assert_no_review(encounter)


def test_without_a_baseline_no_score_is_asked_and_a_posted_one_is_ignored(
    clinician_client, prescribe
):
    encounter = prescribe(baseline=())
    assert 'name="score"' not in clinician_client.get(review_url(encounter)).content.decode()
    assert post_review(clinician_client, encounter, score="99").status_code == 302
    review = Review.objects.get(encounter=encounter)
    assert review.score is None
    encounter.refresh_from_db()
    assert encounter.snapshot["reviews"][0]["score_change"] is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"score": ""}, "score", "Enter the QMG score: the course has a QMG baseline"),
        ({"score": "40"}, "score", "A QMG score is between 0 and 39."),
        ({"score": "-2"}, "score", "A score is 0 or more."),
        ({"score": "twelve"}, "score", "Enter the score as a whole number."),
        ({"review_date": ""}, "review_date", "Enter the date of the review."),
        ({"review_date": "soon"}, "review_date", "Enter the date of the review as a date"),
        ({"response": ""}, "response", "Choose how the patient responded."),
        ({"response": "cured"}, "response", "That is not one of the responses listed."),
        ({"plan": ""}, "plan", "Choose the plan."),
        ({"plan": "wait"}, "plan", "That is not one of the plans listed."),
        ({"plan": "other"}, "plan", None),
    ],
)
def test_a_wrong_or_missing_answer_gets_a_message_next_to_it(
    clinician_client, prescribe, changes, field, message
):
    encounter = prescribe()
    response = post_review(clinician_client, encounter, **changes)
    assert response.status_code == 200
    page = response.content.decode()
    if message is None:  # a plan of "other" needs a note
        assert error_next_to(page, "note") == "Say what the other plan is."
    else:
        assert error_next_to(page, field).startswith(message)
    assert_no_review(encounter)


def test_a_review_date_before_the_course_start_is_refused(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=20)
    response = post_review(clinician_client, encounter, review_date=days_ago(21).isoformat())
    assert error_next_to(response.content.decode(), "review_date") == (
        f"The review cannot be before the course started ({days_ago(20).isoformat()})."
    )
    assert_no_review(encounter)


def test_a_review_on_the_day_the_course_started_is_recorded(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=20)
    post_review(clinician_client, encounter, review_date=days_ago(20).isoformat())
    assert Review.objects.get(encounter=encounter).review_date == days_ago(20)


def test_a_review_date_in_the_future_is_refused(clinician_client, prescribe):
    encounter = prescribe()
    tomorrow = (today() + datetime.timedelta(days=1)).isoformat()
    response = post_review(clinician_client, encounter, review_date=tomorrow)
    assert error_next_to(response.content.decode(), "review_date") == (
        "The review date cannot be in the future."
    )
    assert_no_review(encounter)


def test_an_other_adverse_event_needs_a_note(clinician_client, prescribe):
    encounter = prescribe()
    response = post_review(clinician_client, encounter, adverse_events=["other"], note="  ")
    assert error_next_to(response.content.decode(), "note") == (
        "Say what the other adverse event was."
    )
    assert_no_review(encounter)
    post_review(clinician_client, encounter, adverse_events=["other"], note="Rash on day 2.")
    assert Review.objects.get(encounter=encounter).adverse_events == ["other"]


def test_an_unknown_adverse_event_is_refused(clinician_client, prescribe):
    encounter = prescribe()
    response = post_review(clinician_client, encounter, adverse_events=["headache"])
    assert error_next_to(response.content.decode(), "adverse_events") == (
        "That is not one of the adverse events listed."
    )
    assert_no_review(encounter)


def test_a_note_over_2000_characters_is_refused_and_kept(clinician_client, prescribe):
    encounter = prescribe()
    response = post_review(clinician_client, encounter, note="x" * 2001)
    page = response.content.decode()
    assert error_next_to(page, "note").startswith("Keep the note to 2,000 characters or fewer")
    assert "x" * 2001 in page
    assert_no_review(encounter)


# --- the pitfalls a review makes high priority --------------------------------------------


def pitfall_codes(encounter):
    encounter.refresh_from_db()
    return [pitfall["code"] for pitfall in encounter.snapshot["reviews"][-1]["pitfalls"]]


def test_a_repeat_course_without_immunosuppression_makes_long_term_ivig_high_priority(
    clinician_client, prescribe
):
    encounter = prescribe(immunosuppression="none")
    post_review(clinician_client, encounter, plan="repeat_course")
    assert pitfall_codes(encounter) == [LONG_TERM]
    review = text_of(summary_page(clinician_client, encounter).split("Review on")[1])
    assert "High priority with this review: a repeat course without immunosuppression" in review
    assert "Do not expect sustained long-term benefit from IVIG alone" in review


def test_a_repeat_course_with_immunosuppression_starting_raises_no_pitfall(
    clinician_client, prescribe
):
    encounter = prescribe(immunosuppression="starting")
    post_review(clinician_client, encounter, plan="repeat_course")
    assert pitfall_codes(encounter) == []


def test_stopping_without_immunosuppression_raises_no_pitfall(clinician_client, prescribe):
    encounter = prescribe(immunosuppression="none")
    post_review(clinician_client, encounter, plan="stop")
    assert pitfall_codes(encounter) == []


def test_any_adverse_event_makes_the_ivig_risks_high_priority(clinician_client, prescribe):
    encounter = prescribe(immunosuppression="none")
    post_review(
        clinician_client,
        encounter,
        plan="repeat_course",
        adverse_events=["renal", "infusion_reaction"],
    )
    assert pitfall_codes(encounter) == [LONG_TERM, RISKS]
    encounter.refresh_from_db()
    [_, risks] = encounter.snapshot["reviews"][0]["pitfalls"]
    assert risks["priority"] == ["Renal (kidney) problem", "Infusion reaction"]
    snapshot = encounter.snapshot
    statements = [*snapshot["first"], *(s for g in snapshot["groups"] for s in g["statements"])]
    shown = [statement for statement in statements if statement["code"] == RISKS]
    assert risks["text"] == shown[0]["text"]


# --- append-only, in order -----------------------------------------------------------------


def test_reviews_are_appended_and_kept_in_date_order(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=30)
    post_review(clinician_client, encounter, review_date=days_ago(5).isoformat(), score="14")
    post_review(clinician_client, encounter, review_date=days_ago(12).isoformat(), score="16")
    assert [r.score for r in Review.objects.filter(encounter=encounter)] == [16, 14]
    encounter.refresh_from_db()
    assert [r["day"] for r in encounter.snapshot["reviews"]] == [18, 25]
    page = text_of(summary_page(clinician_client, encounter))
    assert page.index("QMG 18 → 16") < page.index("QMG 18 → 14")


def test_a_recorded_review_cannot_be_changed_or_deleted(clinician_client, prescribe):
    encounter = prescribe()
    post_review(clinician_client, encounter)
    review = Review.objects.get(encounter=encounter)
    review.score = 3
    with pytest.raises(ValueError, match="record a new one"):
        review.save()
    with pytest.raises(ValueError, match="record a new one"):
        review.delete()
    assert Review.objects.get(encounter=encounter).score == 12


# --- who may, and when -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_clinician_gets_404_and_nothing_is_recorded(prescribe, other_clinician, method):
    encounter = prescribe()
    other = Client()
    other.force_login(other_clinician)
    response = getattr(other, method)(review_url(encounter), a_review(encounter))
    assert response.status_code == 404
    assert not Review.objects.filter(encounter=encounter).exists()


def test_an_editor_is_refused(prescribe, editor):
    encounter = prescribe()
    client = Client()
    client.force_login(editor)
    assert client.post(review_url(encounter), a_review(encounter)).status_code == 403
    assert not Review.objects.filter(encounter=encounter).exists()


def test_an_anonymous_post_records_nothing(prescribe, client):
    encounter = prescribe()
    response = client.post(review_url(encounter), a_review(encounter))
    assert response.status_code in (200, 302)  # the sign-in form, in place or redirected
    assert not Review.objects.filter(encounter=encounter).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_before_finalize_a_review_is_409(clinician_client, make_encounter, ivig_answers, method):
    encounter = make_encounter(answers=ivig_answers, status="complete")
    response = getattr(clinician_client, method)(review_url(encounter), a_review(encounter))
    assert response.status_code == 409
    assert "Finalize the encounter" in response.content.decode()
    assert not Review.objects.filter(encounter=encounter).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_without_a_course_a_review_is_409(clinician_client, make_encounter, ivig_answers, method):
    encounter = make_encounter(answers=ivig_answers, status="complete")
    clinician_client.post(
        reverse("finalize", args=[encounter.pk]),
        as_shown({"decision": "followed", "dose_basis": "actual"}, encounter),
    )
    response = getattr(clinician_client, method)(review_url(encounter), a_review(encounter))
    assert response.status_code == 409
    assert "No IVIG course was recorded" in response.content.decode()
    assert not Review.objects.filter(encounter=encounter).exists()


def test_an_htmx_review_refused_with_409_sends_the_tab_to_the_summary(
    clinician_client, make_encounter, ivig_answers
):
    encounter = make_encounter(answers=ivig_answers, status="complete")
    response = clinician_client.post(review_url(encounter), a_review(encounter), **HTMX)
    assert response.status_code == 409
    assert response["HX-Redirect"] == reverse("summary", args=[encounter.pk])


def test_a_review_put_is_405(clinician_client, prescribe):
    assert clinician_client.put(review_url(prescribe())).status_code == 405


# --- print and PDF ---------------------------------------------------------------------------


def test_the_pdf_shows_the_review_and_its_high_priority_pitfall(clinician_client, prescribe):
    encounter = prescribe(immunosuppression="none")
    post_review(clinician_client, encounter, plan="repeat_course")
    response = clinician_client.get(reverse("summary_pdf", args=[encounter.pk]))
    text = " ".join(
        " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        ).split()
    )
    assert "QMG 18 → 12: 6 points better; lower is better" in text
    assert "High priority with this review: a repeat course without immunosuppression" in text


# --- reviews due ------------------------------------------------------------------------------


def reviews_due_rows(page):
    section = page.split('id="reviews-due-heading"')[1].split("</section>")[0]
    return [text_of("<tr" + row) for row in section.split("<tr")[2:]]


def badge_count(page):
    """The navigation's "Reviews due" number."""
    return int(page.split('reviews-due-count">')[1].split("<")[0])


def worklist(client):
    """The home page's reviews due: the rows, each reduced to its patient and state, and
    the navigation's count on the same page."""
    page = client.get(reverse("home")).content.decode()
    rows = [row.split(" Record")[0] for row in reviews_due_rows(page)]
    return [(row.split()[0], row.split(" to ")[1].split(" ", 1)[1]) for row in rows], badge_count(
        page
    )


def test_an_early_review_is_recorded_marked_early_and_leaves_the_course_due(
    clinician_client, prescribe
):
    encounter = prescribe(started_days_ago=20, reference="MRN-EARLY")
    response = post_review(
        clinician_client, encounter, review_date=days_ago(10).isoformat(), plan="repeat_course"
    )
    assert response.status_code == 302
    assert Review.objects.filter(encounter=encounter).count() == 1
    encounter.refresh_from_db()
    [shown] = encounter.snapshot["reviews"]
    assert (shown["day"], shown["timing"]) == (10, "early")
    early = "Early: before day 14, the review is still due from day 14"
    for page in (
        summary_page(clinician_client, encounter),
        print_page(clinician_client, encounter),
    ):
        assert f"day 10 after the course start {early}" in text_of(page)
    # Still on Reviews due (day 20: due), in the navigation's count and the list's filter.
    assert worklist(clinician_client) == ([("MRN-EARLY", "Due")], 1)
    listed = clinician_client.get(reverse("encounter_list"), {"status": "review_due"})
    assert "MRN-EARLY" in listed.content.decode().split("<tbody>")[1]
    assert "Awaiting its review: Due" in text_of(summary_page(clinician_client, encounter))
    review_page = text_of(clinician_client.get(review_url(encounter)).content.decode())
    assert f"day 10 ({early})" in review_page
    assert "Awaiting its review: Due" in review_page

    # A review on day 14 or after settles it.
    post_review(clinician_client, encounter, review_date=days_ago(6).isoformat())
    assert worklist(clinician_client) == ([], 0)
    summary_text = text_of(summary_page(clinician_client, encounter))
    assert "Awaiting its review" not in summary_text
    assert "day 14 after the course start Response" not in summary_text  # no badge on time
    assert "day 14 after the course start Score" in summary_text


def test_the_review_window_opens_on_day_14_not_a_day_sooner(clinician_client, prescribe):
    """The database's date arithmetic (workflow.DaysAfter), on SQLite and PostgreSQL alike:
    a review on day 13 leaves the course due, one on day 14 settles it."""
    encounter = prescribe(started_days_ago=20, reference="MRN-DAY-13")
    post_review(
        clinician_client, encounter, review_date=days_ago(7).isoformat(), plan="repeat_course"
    )
    assert worklist(clinician_client) == ([("MRN-DAY-13", "Due")], 1)
    post_review(clinician_client, encounter, review_date=days_ago(6).isoformat())
    assert worklist(clinician_client) == ([], 0)


def test_an_early_review_that_stops_ivig_settles_the_course(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=20, reference="MRN-STOPPED")
    post_review(clinician_client, encounter, review_date=days_ago(12).isoformat(), plan="stop")
    assert worklist(clinician_client) == ([], 0)
    assert "Awaiting its review" not in text_of(summary_page(clinician_client, encounter))


@pytest.mark.parametrize(
    ("started_days_ago", "state"),
    [
        (13, "Upcoming"),
        (14, "Due"),
        (28, "Due"),
        (29, "Overdue"),
        (56, "Overdue"),
        (57, "Late: benefit declining"),
    ],
)
def test_a_course_awaiting_review_reads_its_state_on_the_worklist_summary_and_review_page(
    clinician_client, prescribe, started_days_ago, state
):
    encounter = prescribe(started_days_ago=started_days_ago, reference="MRN-WAITING")
    assert worklist(clinician_client) == ([("MRN-WAITING", state)], 1)
    assert f"Awaiting its review: {state}" in text_of(summary_page(clinician_client, encounter))
    review_page = clinician_client.get(review_url(encounter)).content.decode()
    assert f"Awaiting its review: {state}" in text_of(review_page)


def test_a_review_at_day_60_is_recorded_and_flagged_late(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=60, reference="MRN-LATE")
    assert post_review(clinician_client, encounter).status_code == 302
    encounter.refresh_from_db()
    assert encounter.snapshot["reviews"][0]["timing"] == "late"
    late = "day 60 after the course start Late: benefit declining, after day 56"
    for page in (
        summary_page(clinician_client, encounter),
        print_page(clinician_client, encounter),
    ):
        assert late in text_of(page)
    assert worklist(clinician_client) == ([], 0)


def test_a_review_at_day_40_is_flagged_overdue(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=40)
    post_review(clinician_client, encounter)
    page = text_of(summary_page(clinician_client, encounter))
    assert "day 40 after the course start Overdue: after day 28" in page


def test_the_badge_counts_exactly_the_worklist_on_every_page(
    clinician_client, prescribe, make_encounter
):
    prescribe(started_days_ago=3, reference="MRN-A")
    prescribe(started_days_ago=20, reference="MRN-B")
    early = prescribe(started_days_ago=70, reference="MRN-C")
    post_review(
        clinician_client,
        early,
        review_date=days_ago(60).isoformat(),
        plan="other",
        note="Too soon.",
    )
    post_review(clinician_client, prescribe(started_days_ago=30, reference="MRN-D"))
    rows, count = worklist(clinician_client)
    assert [patient for patient, _ in rows] == ["MRN-C", "MRN-B", "MRN-A"]
    assert count == 3
    other_page = clinician_client.get(reverse("encounter_list")).content.decode()
    assert badge_count(other_page) == 3


def test_reviews_due_come_first_on_home_by_due_date_with_their_state(
    clinician_client, prescribe, make_encounter, ivig_answers
):
    prescribe(started_days_ago=5, reference="MRN-UPCOMING")
    prescribe(started_days_ago=40, reference="MRN-OVERDUE")
    prescribe(started_days_ago=14, reference="")
    reviewed = prescribe(started_days_ago=30, reference="MRN-REVIEWED")
    post_review(clinician_client, reviewed)
    make_encounter(answers=ivig_answers, status="complete", patient_reference="MRN-OPEN")

    page = clinician_client.get(reverse("home")).content.decode()
    assert page.index("Reviews due") < page.index("My recent encounters")
    rows = reviews_due_rows(page)
    assert [row.split(" Record")[0] for row in rows] == [
        f"MRN-OVERDUE {days_ago(40).isoformat()} {days_ago(26).isoformat()} to "
        f"{days_ago(12).isoformat()} Overdue",
        f"Course of {days_ago(14).isoformat()} {days_ago(14).isoformat()} {today().isoformat()} "
        f"to {(today() + datetime.timedelta(days=14)).isoformat()} Due",
        f"MRN-UPCOMING {days_ago(5).isoformat()} {(today() + datetime.timedelta(days=9))} to "
        f"{(today() + datetime.timedelta(days=23))} Upcoming",
    ]
    assert "MRN-REVIEWED" not in page.split("My recent encounters")[0]
    # The navigation counts exactly what the worklist lists, the upcoming course included.
    assert badge_count(page) == len(rows) == 3


def test_reviews_due_are_only_my_own(clinician_client, prescribe, other_clinician):
    other = Client()
    other.force_login(other_clinician)
    other.user = other_clinician
    prescribe(started_days_ago=20, reference="MRN-THEIRS", client=other)
    page = clinician_client.get(reverse("home")).content.decode()
    assert "MRN-THEIRS" not in page
    assert reviews_due_rows(page) == []
    assert "No IVIG course is waiting for its review." in page


def test_each_review_due_links_to_its_review(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=20)
    page = clinician_client.get(reverse("home")).content.decode()
    assert f'href="{review_url(encounter)}"' in page


def test_the_encounter_list_filters_reviews_due_or_overdue(clinician_client, prescribe):
    prescribe(started_days_ago=5, reference="MRN-UPCOMING")
    prescribe(started_days_ago=20, reference="MRN-DUE")
    prescribe(started_days_ago=40, reference="MRN-OVERDUE")
    post_review(clinician_client, prescribe(started_days_ago=25, reference="MRN-REVIEWED"))
    response = clinician_client.get(reverse("encounter_list"), {"status": "review_due"})
    page = response.content.decode()
    listed = page.split("<tbody>")[1]
    assert listed.index("MRN-OVERDUE") < listed.index("MRN-DUE")
    assert "MRN-UPCOMING" not in listed
    assert "MRN-REVIEWED" not in listed


def test_the_home_page_with_200_courses_due_stays_within_10_queries(clinician, clinician_client):
    Encounter.objects.bulk_create(
        Encounter(
            owner=clinician,
            patient_reference=f"MRN-{number:04d}",
            status=Encounter.Status.FINALIZED,
            course_start_date=days_ago(number % 60),
            ivig_g_per_kg="2.0",
            ivig_days=5,
            snapshot={"reviews": []},
        )
        for number in range(200)
    )
    with CaptureQueriesContext(connection) as queries:
        response = clinician_client.get(reverse("home"))
    assert response.status_code == 200
    assert len(reviews_due_rows(response.content.decode())) == 200
    assert len(queries) <= 10, [query["sql"] for query in queries]


def test_recording_a_review_stays_within_10_queries(clinician_client, prescribe):
    encounter = prescribe()
    posted = a_review(encounter)  # the test's own query, outside the count
    with CaptureQueriesContext(connection) as queries:
        response = clinician_client.post(review_url(encounter), posted, **HTMX)
    assert response.status_code == 200
    assert len(queries) <= 10, [query["sql"] for query in queries]


def test_the_database_refuses_a_review_with_an_unknown_plan(prescribe):
    from django.db import IntegrityError, transaction

    encounter = prescribe()
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(
            encounter=encounter, review_date=today(), response="improved", plan="wait"
        )


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_review_posted_after_the_session_ended_is_recorded_after_signing_in(
    clinician_client, clinician, prescribe, htmx
):
    from django.contrib.sessions.models import Session

    encounter = prescribe()
    proof = shown_to(clinician_client.get(review_url(encounter)).content.decode())
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = clinician_client.post(
        review_url(encounter), a_review(encounter, shown_to=proof), **(HTMX if htmx else {})
    )
    assert "Your session ended" in response.content.decode()
    assert not Review.objects.filter(encounter=encounter).exists()

    response = clinician_client.post(
        reverse("login"), {"username": clinician.username, "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("summary", args=[encounter.pk])
    assert Review.objects.get(encounter=encounter).score == 12


@pytest.mark.parametrize(
    ("day", "plan", "kept"),
    [(0, "other", True), (13, "other", True), (14, "other", False), (15, "other", False)]
    + [(3, "stop", False)],
)
def test_the_query_alone_leaves_out_the_settled_courses_at_day_14(
    clinician, day, plan, kept, monkeypatch
):
    # The database's filter, without the Python rule behind it: it must agree at the edge.
    from guidance.encounters import workflow

    start = datetime.date(2026, 11, 1)
    encounter = Encounter.objects.create(
        owner=clinician,
        status=Encounter.Status.FINALIZED,
        course_start_date=start,
        ivig_g_per_kg="2.0",
        ivig_days=5,
    )
    Review.objects.create(
        encounter=encounter,
        review_date=start + datetime.timedelta(days=day),
        response="improved",
        plan=plan,
    )
    monkeypatch.setattr(workflow.ivig_review, "awaits_review", lambda *arguments: True)
    assert bool(workflow._awaiting_review(Encounter.objects.all())) is kept
