"""Repeat IVIG courses (DESIGN §5 "The IVIG course review", last bullets): a review whose
plan repeats the course takes the next course with the decision form's fields and messages;
the course gets its own order, review window and reviews; the worklist and badge list each
course awaiting its review; the summary, print, PDF and FHIR list the courses in order."""

import datetime
import io
import json

import pytest
from django.urls import reverse
from pypdf import PdfReader

from guidance.encounters import summary
from guidance.encounters.forms import DecisionForm
from guidance.engine import pathway
from guidance.models import AccessLog, Course, Encounter, Review
from tests import test_ivig_review
from tests.pages import controls, error_next_to, text_of
from tests.test_fhir import document, resource_of
from tests.test_ivig_review import (
    HTMX,
    a_review,
    badge_count,
    days_ago,
    reviews_due_rows,
    today,
)
from tests.test_summary import print_page, summary_page

# The review tests' fixture: an encounter finalized with a course of 2.0 g/kg × 70 kg over
# 5 days (30, 30, 30, 25, 25 g), QMG 18 at baseline, started `started_days_ago` days ago.
prescribe = test_ivig_review.prescribe

# The next course as the review form posts it: 1.0 g/kg × 70 kg = 70 g over 2 days.
NEXT_COURSE = {
    "ivig_g_per_kg": "1.0",
    "ivig_days": "2",
    "baseline_scale": "qmg",
    "baseline_score": "12",
}


def review_url(encounter, number=None):
    url = reverse("review", args=[encounter.pk])
    return url if number is None else f"{url}?course={number}"


def fingerprint_now(encounter):
    from guidance.encounters.workflow import reviews_fingerprint

    return reviews_fingerprint(Encounter.objects.get(pk=encounter.pk))


def review(client, encounter, number=None, **changes):
    """Posts a review of course `number` (the first without) as its page shows it now."""
    posted = {**a_review(encounter), "shown_fingerprint": fingerprint_now(encounter), **changes}
    return client.post(review_url(encounter, number), posted)


def repeat(client, encounter, number=None, start=None, **changes):
    """A review of course `number` that takes the next course, starting on `start` (today)."""
    course = {**NEXT_COURSE, "course_start_date": (start or today()).isoformat()}
    return review(client, encounter, number, **{"plan": "repeat_course", **course, **changes})


def started(course, days_ago_started):
    """Moves a further course's start back, as if it had been prescribed then: its order
    and window as the review form would have shown them on that day."""
    start = days_ago(days_ago_started)
    Course.objects.filter(pk=course.pk).update(course_start_date=start)
    course.refresh_from_db()
    encounter = Encounter.objects.get(pk=course.encounter_id)
    order = summary.order_lines(
        pathway.assess(encounter.answers),
        encounter.dose_basis,
        course.ivig_g_per_kg,
        course.ivig_days,
        start,
        course.order["prescriber"],
    )
    Course.objects.filter(pk=course.pk).update(order=order)
    course.refresh_from_db()
    shown = encounter.snapshot["courses"]
    for index, each in enumerate(shown):
        if each["number"] == course.number:
            shown[index] = {**summary.further_course_lines(course), "reviews": each["reviews"]}
    encounter.save()
    return course


def worklist(client):
    page = client.get(reverse("home")).content.decode()
    return [row.split(" Record")[0] for row in reviews_due_rows(page)], badge_count(page)


# --- taking the next course ------------------------------------------------------------------


def test_a_repeat_course_gets_its_own_order_window_and_reviews(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=20)
    response = repeat(clinician_client, encounter, review_date=today().isoformat())
    assert response.status_code == 302

    first_review = Review.objects.get(encounter=encounter)
    assert first_review.course is None  # a review of the first course
    course = Course.objects.get(encounter=encounter)
    assert (course.number, course.ordered_by, course.course_start_date) == (
        2,
        first_review,
        today(),
    )
    assert (course.ivig_g_per_kg, course.ivig_days) == (1, 2)
    # Its own order: 1.0 g/kg × 70 kg = 70 g over 2 days, from today.
    assert course.order["rounded_total_g"] == 70
    assert [day["grams"] for day in course.order["days_given"]] == [35, 35]
    assert course.order["days_given"][0]["date"] == today().isoformat()
    assert AccessLog.objects.filter(encounter=encounter, action="reviewed").count() == 1

    encounter.refresh_from_db()
    [shown] = encounter.snapshot["courses"]
    window_opens = (today() + datetime.timedelta(days=14)).isoformat()
    assert (shown["number"], shown["review_due_from"]) == (2, window_opens)
    assert shown["reviews"] == []
    [first] = encounter.snapshot["reviews"]
    assert first["next_course"] == f"Course 2, from {today().isoformat()}"

    # Course 2, started 15 days ago, gets its own review: scored on its own baseline.
    started(course, 15)
    response = review(clinician_client, encounter, 2, score="10", plan="stop")
    assert response.status_code == 302
    second_review = Review.objects.exclude(pk=first_review.pk).get()
    assert second_review.course == course
    encounter.refresh_from_db()
    assert len(encounter.snapshot["reviews"]) == 1  # the first course's review stays with it
    [reviewed] = encounter.snapshot["courses"][0]["reviews"]
    assert (reviewed["day"], reviewed["timing"]) == (15, "in_window")
    assert reviewed["score_change"] == "QMG 12 → 10: 2 points better; lower is better"


def test_the_repeat_course_is_due_from_its_own_day_14_to_28(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=30)
    repeat(clinician_client, encounter)
    course = started(Course.objects.get(encounter=encounter), 10)
    # Day 30 of the first course, day 10 of the second: early for the second.
    response = review(clinician_client, encounter, 2, plan="other", note="Wait and see")
    assert response.status_code == 302
    encounter.refresh_from_db()
    [shown] = encounter.snapshot["courses"][0]["reviews"]
    assert (shown["day"], shown["timing"]) == (10, "early")
    rows, count = worklist(clinician_client)
    assert count == len(rows) == 1
    assert f"{days_ago(10).isoformat()} (course 2)" in rows[0]
    assert "Upcoming" in rows[0]
    assert course.course_start_date + datetime.timedelta(days=28) == datetime.date.fromisoformat(
        encounter.snapshot["courses"][0]["review_due_until"]
    )


def test_the_worklist_and_badge_count_each_course_on_its_own(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=20, reference="MRN-TWO")
    # An early review (day 10) takes course 2: the first course still awaits its review.
    repeat(clinician_client, encounter, review_date=days_ago(10).isoformat())
    rows, count = worklist(clinician_client)
    assert count == len(rows) == 2
    assert "MRN-TWO" in rows[0] and "(course 2)" not in rows[0]  # the first course, due
    assert "Due" in rows[0]
    assert "(course 2)" in rows[1] and "Upcoming" in rows[1]
    page = clinician_client.get(reverse("home")).content.decode()
    assert f'href="{review_url(encounter)}"' in page
    assert f'href="{review_url(encounter, 2)}"' in page

    # The first course's review in its window settles it; course 2 still awaits its own.
    review(clinician_client, encounter, 1, review_date=today().isoformat())
    rows, count = worklist(clinician_client)
    assert count == len(rows) == 1
    assert "(course 2)" in rows[0]

    # Course 2, 20 days in, is due; stopping IVIG on it settles it.
    started(Course.objects.get(encounter=encounter), 20)
    rows, count = worklist(clinician_client)
    assert count == 1 and "Due" in rows[0]
    listed = clinician_client.get(reverse("encounter_list") + "?status=review_due")
    assert "MRN-TWO" in listed.content.decode()
    review(clinician_client, encounter, 2, plan="stop")
    assert worklist(clinician_client) == ([], 0)


def test_the_summary_marks_each_course_awaiting_its_review(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=20)
    repeat(clinician_client, encounter, review_date=days_ago(10).isoformat())
    page = summary_page(clinician_client, encounter)
    courses = page.split('class="ivig-course"')[1:]
    assert len(courses) == 2
    assert "Awaiting its review: Due" in text_of(courses[0])
    assert "Awaiting its review: Upcoming" in text_of(courses[1])
    assert f'href="{review_url(encounter, 2)}"' in courses[1]


def test_a_repeat_without_the_course_fields_says_no_further_course_recorded(
    clinician_client, prescribe
):
    encounter = prescribe()
    response = review(clinician_client, encounter, plan="repeat_course")
    assert response.status_code == 302
    assert not Course.objects.exists()
    encounter.refresh_from_db()
    assert encounter.snapshot["reviews"][0]["next_course"] == "No further course recorded"
    for page in (
        summary_page(clinician_client, encounter),
        print_page(clinician_client, encounter),
    ):
        assert "Next course No further course recorded" in text_of(page)
        assert "IVIG course 2" not in text_of(page)


def test_course_fields_with_another_plan_are_ignored(clinician_client, prescribe):
    encounter = prescribe()
    course = {**NEXT_COURSE, "course_start_date": today().isoformat()}
    response = review(clinician_client, encounter, plan="plasma_exchange", **course)
    assert response.status_code == 302
    assert not Course.objects.exists()
    encounter.refresh_from_db()
    assert encounter.snapshot["reviews"][0]["next_course"] == ""


def decision_form_error(field, value):
    """The message the decision form gives `field` holding `value` (with a full course)."""
    data = {
        "decision": "followed",
        "ivig_g_per_kg": "2.0",
        "ivig_days": "5",
        "course_start_date": today().isoformat(),
        "baseline_scale": "qmg",
        field: value,
    }
    form = DecisionForm(data, course_offered=True)
    form.is_valid()
    return form.errors[field][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ivig_g_per_kg", "2.5"),
        ("ivig_g_per_kg", "0.5"),
        ("ivig_g_per_kg", "1.25"),
        ("ivig_days", "7"),
        ("ivig_days", "1"),
        ("course_start_date", "yesterday"),
        ("course_start_date", (datetime.date.today() - datetime.timedelta(days=1)).isoformat()),
        ("course_start_date", (datetime.date.today() + datetime.timedelta(days=61)).isoformat()),
        ("baseline_score", "45"),
    ],
)
def test_a_bad_next_course_gets_the_decision_forms_message_and_loses_nothing_typed(
    clinician_client, prescribe, field, value
):
    encounter = prescribe()
    response = repeat(clinician_client, encounter, note="Typed note", **{field: value})
    assert response.status_code == 200
    page = response.content.decode()
    expected = decision_form_error(field, value)
    assert error_next_to(page, field) == text_of(expected)
    assert f'value="{value}"' in page
    assert "Typed note" in page
    assert not Review.objects.exists() and not Course.objects.exists()


def test_a_course_begun_needs_its_dose_days_and_start_as_on_the_decision_form(
    clinician_client, prescribe
):
    encounter = prescribe()
    response = review(clinician_client, encounter, plan="repeat_course", ivig_g_per_kg="1.5")
    page = response.content.decode()
    assert error_next_to(page, "ivig_days") == (
        "Enter over how many days: once a course is begun it needs them."
    )
    assert error_next_to(page, "course_start_date") == (
        "Enter the start date: once a course is begun it needs it."
    )
    assert 'value="1.5"' in page
    assert not Review.objects.exists()


def test_only_the_latest_course_takes_the_next_one(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=20)
    repeat(clinician_client, encounter, review_date=days_ago(10).isoformat())
    first = clinician_client.get(review_url(encounter)).content.decode()
    latest = clinician_client.get(review_url(encounter, 2)).content.decode()
    assert "data-next-course" not in first
    assert "data-next-course" in latest
    assert "Course 2, the repeat course taken by the review on" in text_of(latest)
    # Course fields posted on the first course's review are not a course 3: refused, with
    # what was typed repeated.
    response = repeat(clinician_client, encounter, 1)
    assert response.status_code == 200
    assert "cannot be recorded with this review of course 1" in response.content.decode()
    assert Course.objects.count() == 1 and Review.objects.count() == 1


# --- the next course's order block -------------------------------------------------------------


def test_the_review_forms_order_block_follows_the_next_course(clinician_client, prescribe):
    encounter = prescribe()
    page = clinician_client.get(review_url(encounter)).content.decode()
    assert 'id="ivig-order"' in page
    assert 'hx-post="' + reverse("review_order", args=[encounter.pk]) in page
    assert "data-preview-order" in page
    posted = {
        **a_review(encounter),
        "plan": "repeat_course",
        **NEXT_COURSE,
        "course_start_date": today().isoformat(),
    }
    url = reverse("review_order", args=[encounter.pk])
    block = clinician_client.post(url, posted, **HTMX).content.decode()
    assert "70 g in 5 g vials" in text_of(block)
    assert f"Day 2, {(today() + datetime.timedelta(days=1)).isoformat()}: 35 g" in text_of(block)
    # Without JavaScript, "Preview order" shows the review page with the block and what was typed.
    page = clinician_client.post(url, {**posted, "note": "Kept"}).content.decode()
    assert "70 g in 5 g vials" in text_of(page)
    assert "Kept" in page and 'value="1.0"' in page
    # With another plan there is no order, and a message says why.
    block = clinician_client.post(url, {**posted, "plan": "stop"}, **HTMX).content.decode()
    assert "choose it to enter the next course" in text_of(block)
    assert not Review.objects.exists() and not Course.objects.exists()


def test_the_next_courses_order_is_refused_to_others_and_before_finalize(
    clinician_client, prescribe, other_clinician, make_encounter, ivig_answers
):
    from django.test import Client

    encounter = prescribe()
    other = Client()
    other.force_login(other_clinician)
    url = reverse("review_order", args=[encounter.pk])
    assert other.post(url, {"plan": "repeat_course"}).status_code == 404
    assert other.get(review_url(encounter, 2)).status_code == 404
    assert clinician_client.get(review_url(encounter, 2)).status_code == 404  # no course 2
    assert clinician_client.get(review_url(encounter) + "?course=x").status_code == 404
    open_encounter = make_encounter(answers=ivig_answers, status="complete")
    url = reverse("review_order", args=[open_encounter.pk])
    assert clinician_client.post(url, {"plan": "repeat_course"}).status_code == 409


def test_a_course_is_never_changed_or_deleted(clinician_client, prescribe):
    encounter = prescribe()
    repeat(clinician_client, encounter)
    course = Course.objects.get()
    course.ivig_days = 5
    with pytest.raises(ValueError):
        course.save()
    with pytest.raises(ValueError):
        course.delete()


def test_a_review_shown_before_another_tab_took_a_course_is_refused_and_kept(
    clinician_client, prescribe
):
    encounter = prescribe()
    shown = fingerprint_now(encounter)  # this tab's review page
    repeat(clinician_client, encounter)  # another tab takes course 2
    response = repeat(
        clinician_client, encounter, shown_fingerprint=shown, note="Typed in the first tab"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Another review of this course was recorded" in page
    # The fresh page reviews course 1, which no longer takes the next course: the course
    # typed is repeated in the message, so nothing typed is lost.
    assert "Typed in the first tab" in page
    assert f"(1.0 g/kg over 2 days from {today().isoformat()}, baseline qmg 12)" in page
    assert Course.objects.count() == 1 and Review.objects.count() == 1


# --- summary, print, PDF, FHIR --------------------------------------------------------------


@pytest.fixture
def two_courses(clinician_client, prescribe):
    """An encounter whose first course (20 days ago) was reviewed today, taking course 2
    from today; course 2 then moved back 16 days and reviewed (QMG 12 → 9)."""
    encounter = prescribe(started_days_ago=30)
    repeat(clinician_client, encounter, review_date=days_ago(16).isoformat(), score="12")
    started(Course.objects.get(encounter=encounter), 16)
    review(clinician_client, encounter, 2, score="9", plan="stop")
    encounter.refresh_from_db()
    return encounter


def test_summary_and_print_list_the_courses_in_order_each_with_its_order_and_reviews(
    clinician_client, two_courses
):
    first, second = two_courses.snapshot["course"], two_courses.snapshot["courses"][0]
    for page in (
        summary_page(clinician_client, two_courses),
        print_page(clinician_client, two_courses),
    ):
        words = text_of(page)
        one = words.index("IVIG course 1: prescribed with the decision")
        two = words.index("IVIG course 2: repeat course, taken by the review on")
        assert one < two
        assert words.index(first["sentence"]) < two < words.index(second["sentence"])
        assert words.index("140 g in 5 g vials") < two < words.index("70 g in 5 g vials")
        assert words.index("QMG 18 → 12") < two < words.index("QMG 12 → 9")
        assert words.index(f"Review due from {second['review_due_from']}") > two
    assert 'id="ivig-order-2"' in summary_page(clinician_client, two_courses)


def test_the_pdf_lists_the_courses_in_order(clinician_client, two_courses):
    response = clinician_client.get(reverse("summary_pdf", args=[two_courses.pk]))
    text = " ".join(
        " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        ).split()
    )
    two = text.index("IVIG course 2")
    assert text.index("IVIG course 1") < two
    assert text.index("QMG 18 → 12") < two < text.index("QMG 12 → 9")
    assert two < text.index(two_courses.snapshot["courses"][0]["sentence"][:40])


def test_fhir_has_one_medication_request_per_course_and_reviews_based_on_theirs(
    clinician_client, two_courses
):
    _, bundle = document(clinician_client, two_courses)
    requests = [
        entry
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "MedicationRequest"
    ]
    assert len(requests) == 2
    first, second = (entry["resource"] for entry in requests)
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in first["dosageInstruction"]] == [
        30,
        30,
        30,
        25,
        25,
    ]
    assert [d["doseAndRate"][0]["doseQuantity"]["value"] for d in second["dosageInstruction"]] == [
        35,
        35,
    ]
    assert first["id"] != second["id"]
    assert second["note"][0]["text"].startswith("Course 2, taken by the review on")
    # Each course's status follows its own reviews: course 2 was stopped, course 1 completed.
    assert (first["status"], second["status"]) == ("completed", "stopped")
    observations = [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Observation"
        and entry["resource"]["code"].get("text") == "QMG score"
    ]
    by_score = {o["valueInteger"]: o["basedOn"][0]["reference"] for o in observations}
    assert by_score == {12: requests[0]["fullUrl"], 9: requests[1]["fullUrl"]}
    composition = resource_of(bundle, "Composition")
    doses = next(s for s in composition["section"] if s["title"] == "Doses")
    assert [entry["reference"] for entry in doses["entry"]] == [r["fullUrl"] for r in requests]
    reviews = next(s for s in composition["section"] if s["title"] == "Reviews")
    narrative = reviews["text"]["div"]
    assert narrative.index("IVIG course 1") < narrative.index("IVIG course 2")
    json.dumps(bundle)  # plain JSON throughout


def test_the_home_page_with_100_repeat_courses_due_stays_within_10_queries(
    clinician, clinician_client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    encounters = Encounter.objects.bulk_create(
        Encounter(
            owner=clinician,
            patient_reference=f"MRN-{number:04d}",
            status=Encounter.Status.FINALIZED,
            course_start_date=days_ago(40),
            ivig_g_per_kg="2.0",
            ivig_days=5,
            snapshot={"reviews": []},
        )
        for number in range(100)
    )
    for encounter in encounters:
        ordering = Review.objects.create(
            encounter=encounter, review_date=days_ago(20), response="improved", plan="repeat_course"
        )
        Course.objects.create(
            encounter=encounter,
            number=2,
            ordered_by=ordering,
            ivig_g_per_kg="1.0",
            ivig_days=2,
            course_start_date=days_ago(15),
            order={},
        )
    with CaptureQueriesContext(connection) as queries:
        response = clinician_client.get(reverse("home"))
    page = response.content.decode()
    assert len(reviews_due_rows(page)) == badge_count(page) == 100
    assert all("(course 2)" in row for row in reviews_due_rows(page))
    assert len(queries) <= 10, [query["sql"] for query in queries]


def test_with_a_renal_risk_the_next_course_is_offered_over_5_days(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=20)  # the IVIG path records a renal risk
    page = clinician_client.get(review_url(encounter)).content.decode()
    (days,) = controls(page, "ivig_days")
    assert days.get("value") == "5"
    calm = prescribe(started_days_ago=20, ivig_risk_factors=[], reference="MRN-CALM")
    (days,) = controls(clinician_client.get(review_url(calm)).content.decode(), "ivig_days")
    assert days.get("value") is None
