"""The IVIG course prescribed, recorded with the decision (DESIGN §4 "The IVIG course
prescribed"): optional as a whole, complete once begun, only with a decision of followed or
partly followed, printed on the recorded dose basis and kept in the snapshot."""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from guidance.engine import pathway
from tests.pages import shown_to
from tests.paths import as_shown
from tests.test_summary import error_next_to, print_page, summary_page, text_of

COURSE_FIELDS = (
    "ivig_g_per_kg",
    "ivig_days",
    "course_start_date",
    "baseline_scale",
    "baseline_score",
)


def today():
    return timezone.localdate()


def in_days(days):
    return (today() + datetime.timedelta(days=days)).isoformat()


def finalize(client, encounter, **posted):
    decision = {"decision": "followed", "dose_basis": "actual", **posted}
    return client.post(reverse("finalize", args=[encounter.pk]), as_shown(decision, encounter))


def course(**changes):
    return {
        "ivig_g_per_kg": "2.0",
        "ivig_days": "5",
        "course_start_date": today().isoformat(),
        **changes,
    }


@pytest.fixture
def ivig_encounter(make_encounter, ivig_answers):
    return make_encounter(answers=ivig_answers, status="complete", patient_reference="MRN-0042")


def assert_not_finalized(encounter):
    encounter.refresh_from_db()
    assert not encounter.is_finalized
    assert encounter.snapshot is None
    assert encounter.course_start_date is None


def test_the_course_prints_on_the_summary_print_and_snapshot_for_70_kg(
    clinician_client, ivig_encounter
):
    response = finalize(
        clinician_client,
        ivig_encounter,
        **course(baseline_scale="qmg", baseline_score="18"),
    )
    assert response.status_code == 302
    ivig_encounter.refresh_from_db()
    assert ivig_encounter.ivig_g_per_kg == Decimal("2.0")
    assert ivig_encounter.ivig_days == 5
    assert ivig_encounter.course_start_date == today()
    assert (ivig_encounter.baseline_scale, ivig_encounter.baseline_score) == ("qmg", 18)
    sentence = (
        "IVIG 2.0 g/kg × 70 kg = 140 g, 140 g in 5 g vials, over 5 days from "
        f"{today().isoformat()} to {in_days(4)}: 30, 30, 30, 25, 25 g"
    )
    stored = ivig_encounter.snapshot["course"]
    assert stored["sentence"] == sentence
    assert (stored["rounded_total_g"], stored["daily_doses_g"]) == (140, [30, 30, 30, 25, 25])
    # The order as finalize stored it: prescriber, last day, the infusion rate's source.
    assert stored["prescriber"] == "Ada Byron"
    assert stored["end_date"] == in_days(4)
    assert stored["rate"] == "infusion rate: as the product's label says"
    assert stored["review_due_from"] == in_days(14)
    assert stored["review_due_until"] == in_days(28)
    assert stored["decide_before"] == in_days(56)
    for page in (
        summary_page(clinician_client, ivig_encounter),
        print_page(clinician_client, ivig_encounter),
    ):
        shown = text_of(page)
        assert sentence in shown
        assert "Baseline for the review: QMG 18 (0-39; lower is better)" in shown
        assert f"Review due from {in_days(14)} to {in_days(28)}" in shown


def test_the_pdf_prints_the_course(clinician_client, ivig_encounter):
    finalize(clinician_client, ivig_encounter, **course(ivig_g_per_kg="1.6", ivig_days="4"))
    response = clinician_client.get(reverse("summary_pdf", args=[ivig_encounter.pk]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    # 1.6 x 70 = 112 g, 110 g in 5 g vials (1.57 g/kg), over 4 days 30, 30, 25, 25 g
    words = " ".join(text.split())
    assert "IVIG 1.6 g/kg × 70 kg = 112 g, 110 g in 5 g vials, over 4 days" in words
    assert f"to {in_days(3)}: 30, 30, 25, 25 g" in words
    assert "110 g in 5 g vials = 1.57 g/kg" in words
    assert f"Day 4, {in_days(3)}: 25 g" in words
    assert "Prescriber Ada Byron" in words


def test_the_course_is_on_the_adjusted_weight_when_that_is_the_recorded_basis(
    clinician_client, make_encounter, ivig_answers
):
    ivig_answers.update(weight_kg=100.0, height_cm=175.0, sex="male")
    encounter = make_encounter(answers=ivig_answers, status="complete")
    adjusted = pathway.evaluate(ivig_answers).doses["ivig"]["adjusted_weight_kg"]
    assert adjusted < 100
    finalize(clinician_client, encounter, dose_basis="adjusted", **course())
    encounter.refresh_from_db()
    course_shown = encounter.snapshot["course"]
    assert course_shown["dosing_weight_kg"] == adjusted
    assert f"IVIG 2.0 g/kg × {adjusted:g} kg = " in course_shown["sentence"]

    other = make_encounter(answers=ivig_answers, status="complete")
    finalize(clinician_client, other, dose_basis="actual", **course())
    other.refresh_from_db()
    assert other.snapshot["course"]["sentence"].startswith("IVIG 2.0 g/kg × 100 kg = 200 g")


def test_2_5_g_per_kg_is_refused_with_a_message_and_everything_typed_is_kept(
    clinician_client, ivig_encounter
):
    response = finalize(
        clinician_client, ivig_encounter, decision_note="Kept note", **course(ivig_g_per_kg="2.5")
    )
    assert response.status_code == 200
    page = response.content.decode()
    message = error_next_to(page, "ivig_g_per_kg")
    assert message.startswith("The dose must be at most 2.0 g/kg.")
    assert "“Partly followed” or “Not followed”" in message
    assert 'value="2.5"' in page
    assert 'value="5"' in page
    assert f'value="{today().isoformat()}"' in page
    assert "Kept note</textarea>" in page
    assert_not_finalized(ivig_encounter)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ivig_g_per_kg", "0.9", "The dose must be at least 1.0 g/kg."),
        ("ivig_g_per_kg", "1.55", "Give the dose to one decimal, e.g. 1.5."),
        ("ivig_g_per_kg", "12", "The dose must be at most 2.0 g/kg."),
        ("ivig_g_per_kg", "two", "Enter the dose in g/kg as a number, e.g. 2.0."),
        ("ivig_g_per_kg", "NaN", "Enter the dose in g/kg as a number, e.g. 2.0."),
        ("ivig_days", "1", "The guideline gives the dose over 2 to 5 days: at least 2."),
        ("ivig_days", "6", "The guideline gives the dose over 2 to 5 days: at most 5."),
        ("ivig_days", "2.5", "Enter the number of days as a whole number from 2 to 5."),
        ("course_start_date", "yesterday", "Enter the start date as a date, e.g. 2026-12-01."),
    ],
)
def test_a_course_value_outside_its_range_gets_a_message_next_to_it(
    clinician_client, ivig_encounter, field, value, message
):
    response = finalize(clinician_client, ivig_encounter, **course(**{field: value}))
    assert response.status_code == 200
    assert error_next_to(response.content.decode(), field).startswith(message)
    assert_not_finalized(ivig_encounter)


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (-1, "The course cannot start before today."),
        (61, "The course starts within 60 days"),
    ],
)
def test_the_start_date_is_today_to_60_days_ahead(clinician_client, ivig_encounter, days, message):
    response = finalize(clinician_client, ivig_encounter, **course(course_start_date=in_days(days)))
    assert error_next_to(response.content.decode(), "course_start_date").startswith(message)
    assert_not_finalized(ivig_encounter)


def test_a_course_starting_in_60_days_is_recorded(clinician_client, ivig_encounter):
    assert finalize(clinician_client, ivig_encounter, **course(course_start_date=in_days(60)))
    ivig_encounter.refresh_from_db()
    assert ivig_encounter.course_start_date.isoformat() == in_days(60)


@pytest.mark.parametrize("given", ["ivig_g_per_kg", "ivig_days", "course_start_date"])
def test_a_course_once_begun_needs_its_dose_days_and_start(clinician_client, ivig_encounter, given):
    # 4 days: the 5 offered by default with the path's renal risk, left alone, begin nothing.
    value = "4" if given == "ivig_days" else course()[given]
    response = finalize(clinician_client, ivig_encounter, **{given: value})
    page = response.content.decode()
    for field in ("ivig_g_per_kg", "ivig_days", "course_start_date"):
        if field == given:
            assert error_next_to(page, field) is None
        else:
            assert "once a course is begun" in error_next_to(page, field)
    assert_not_finalized(ivig_encounter)


def test_a_baseline_alone_begins_a_course(clinician_client, ivig_encounter):
    response = finalize(clinician_client, ivig_encounter, baseline_scale="qmg", baseline_score="9")
    page = response.content.decode()
    assert error_next_to(page, "ivig_g_per_kg")
    assert_not_finalized(ivig_encounter)


@pytest.mark.parametrize(
    ("baseline", "field", "message"),
    [
        ({"baseline_scale": "qmg"}, "baseline_score", "Enter the baseline score"),
        ({"baseline_score": "12"}, "baseline_scale", "Choose the scale"),
        (
            {"baseline_scale": "qmg", "baseline_score": "40"},
            "baseline_score",
            "A QMG score is between 0 and 39.",
        ),
        (
            {"baseline_scale": "mrc_sum", "baseline_score": "61"},
            "baseline_score",
            "A MRC sum score is between 0 and 60.",
        ),
        ({"baseline_scale": "qmg", "baseline_score": "-1"}, "baseline_score", "A score is 0"),
        ({"baseline_scale": "vas", "baseline_score": "3"}, "baseline_scale", "Choose QMG"),
    ],
)
def test_the_baseline_is_a_score_on_its_scale(
    clinician_client, ivig_encounter, baseline, field, message
):
    response = finalize(clinician_client, ivig_encounter, **course(**baseline))
    assert error_next_to(response.content.decode(), field).startswith(message)
    assert_not_finalized(ivig_encounter)


def test_an_mrc_sum_of_60_is_recorded(clinician_client, ivig_encounter):
    finalize(
        clinician_client, ivig_encounter, **course(baseline_scale="mrc_sum", baseline_score="60")
    )
    ivig_encounter.refresh_from_db()
    assert ivig_encounter.snapshot["course"]["baseline"]["text"] == (
        "MRC sum 60 (0-60; higher is better)"
    )


def test_without_a_course_the_decision_is_recorded_and_no_course_is_shown(
    clinician_client, ivig_encounter
):
    assert finalize(clinician_client, ivig_encounter).status_code == 302
    ivig_encounter.refresh_from_db()
    assert ivig_encounter.is_finalized
    assert ivig_encounter.snapshot["course"] is None
    assert "IVIG course prescribed" not in summary_page(clinician_client, ivig_encounter)


def test_with_not_followed_the_course_fields_are_ignored_even_when_wrong(
    clinician_client, ivig_encounter
):
    response = finalize(
        clinician_client,
        ivig_encounter,
        decision="not_followed",
        decision_reason="patient_preference",
        **course(ivig_g_per_kg="2.5", baseline_scale="qmg", baseline_score="99"),
    )
    assert response.status_code == 302
    ivig_encounter.refresh_from_db()
    assert ivig_encounter.is_finalized
    assert ivig_encounter.ivig_g_per_kg is None
    assert ivig_encounter.course_start_date is None
    assert ivig_encounter.baseline_scale == ""
    assert ivig_encounter.snapshot["course"] is None


def test_with_partly_followed_the_course_is_recorded(clinician_client, ivig_encounter):
    finalize(
        clinician_client,
        ivig_encounter,
        decision="partly",
        decision_reason="clinical_judgment",
        **course(ivig_days="2"),
    )
    ivig_encounter.refresh_from_db()
    assert ivig_encounter.snapshot["course"]["sentence"].endswith(
        f"over 2 days from {today().isoformat()} to {in_days(1)}: 70, 70 g"
    )


def test_the_decision_form_offers_the_course_and_says_when_it_is_recorded(
    clinician_client, ivig_encounter
):
    page = summary_page(clinician_client, ivig_encounter)
    assert "data-ivig-course" in page
    assert "Recorded only when the recommendations are followed or partly followed" in page
    for field in COURSE_FIELDS:
        assert f'name="{field}"' in page
    assert "<script>" not in page  # the fields follow the decision from static/js only


def test_without_ivig_there_is_no_course_and_posted_fields_are_ignored(
    clinician_client, make_encounter, ivig_answers
):
    ivig_answers.update(dap_status="adequate")
    for field in pathway.STEP_FIELDS["severity"] + pathway.STEP_FIELDS["ivig"]:
        ivig_answers.pop(field)
    assert "ivig" not in pathway.evaluate(ivig_answers).doses
    encounter = make_encounter(answers=ivig_answers, status="complete")
    page = summary_page(clinician_client, encounter)
    assert "data-ivig-course" not in page
    assert 'name="ivig_g_per_kg"' not in page
    response = finalize(clinician_client, encounter, **course(ivig_g_per_kg="2.5"))
    assert response.status_code == 302
    encounter.refresh_from_db()
    assert encounter.ivig_g_per_kg is None
    assert encounter.snapshot["course"] is None


def test_a_decision_with_its_course_posted_after_the_session_ended_is_kept(
    clinician_client, clinician, ivig_encounter
):
    proof = shown_to(summary_page(clinician_client, ivig_encounter))
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = finalize(
        clinician_client,
        ivig_encounter,
        **course(baseline_scale="qmg", baseline_score="18"),
        shown_to=proof,
    )
    assert "Your session ended" in response.content.decode()
    assert_not_finalized(ivig_encounter)

    response = clinician_client.post(
        reverse("login"), {"username": clinician.username, "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302
    ivig_encounter.refresh_from_db()
    assert ivig_encounter.is_finalized
    assert ivig_encounter.snapshot["course"]["sentence"].startswith("IVIG 2.0 g/kg × 70 kg = 140 g")
    assert ivig_encounter.baseline_score == 18
