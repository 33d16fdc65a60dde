"""The IVIG course in the browser: prescribed with the decision (with JavaScript its fields
follow the decision; without it they stay on the page and the decision says whether they
count), then reviewed from the home page's Reviews due."""

import datetime
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from guidance.models import Encounter, Review
from tests.e2e.pages import assert_accessible, choose, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def ivig_case(clinician, ivig_answers):
    """The README's IVIG case, answered and ready to finalize (70 kg: no adjusted weight)."""
    return Encounter.objects.create(
        owner=clinician, answers=ivig_answers, status="complete", patient_reference="E2E-IVIG"
    )


def course_fields(page):
    return page.get_by_role("group", name="IVIG course prescribed (optional)")


def fill_course(page, g_per_kg="2.0", days="5"):
    page.get_by_label("IVIG dose (g/kg, 1.0-2.0)").fill(g_per_kg)
    page.get_by_label("Over how many days (2-5)").fill(days)
    page.get_by_label("Course starts on").fill(timezone.localdate().isoformat())


def test_the_course_follows_the_decision_and_prints_on_the_summary(page, clinician, ivig_case):
    sign_in(page, clinician.username, then=f"/encounters/{ivig_case.pk}/")
    course = course_fields(page)
    expect(course).to_be_hidden()
    choose(page, "Were the recommendations followed?", "Not followed")
    expect(course).to_be_hidden()
    choose(page, "Were the recommendations followed?", "Partly followed")
    expect(course).to_be_visible()
    choose(page, "Were the recommendations followed?", "Followed")
    expect(course).to_be_visible()
    assert_accessible(page, "summary with the course")

    fill_course(page, g_per_kg="2.5")
    page.get_by_role("button", name="Finalize").click()
    expect(page.locator("#id_ivig_g_per_kg_error")).to_contain_text(
        "The dose must be at most 2.0 g/kg"
    )
    expect(course_fields(page)).to_be_visible()  # the refused page keeps the course open

    page.get_by_label("IVIG dose (g/kg, 1.0-2.0)").fill("2.0")
    choose(page, "Baseline score for the review (optional)", "QMG")
    page.get_by_label("Baseline score", exact=True).fill("18")
    page.get_by_role("button", name="Finalize").click()
    expect(page.get_by_text("Finalized on")).to_be_visible()
    start = timezone.localdate()
    end = start + datetime.timedelta(days=4)
    expect(page.locator(".course-sentence")).to_have_text(
        "IVIG 2.0 g/kg × 70 kg = 140 g, 140 g in 5 g vials, over 5 days from "
        f"{start.isoformat()} to {end.isoformat()}: 30, 30, 30, 25, 25 g"
    )


def test_without_javascript_the_course_is_shown_and_ignored_when_not_followed(
    open_page, clinician, ivig_case
):
    page = open_page(java_script_enabled=False)
    sign_in(page, clinician.username, then=f"/encounters/{ivig_case.pk}/")
    expect(course_fields(page)).to_be_visible()
    expect(page.get_by_text("with “Not followed” these fields are ignored")).to_be_visible()
    choose(page, "Were the recommendations followed?", "Not followed")
    choose(page, "Main reason, if not fully followed", "Patient preference")
    fill_course(page)
    page.get_by_role("button", name="Finalize").click()
    expect(page.get_by_text("Finalized on")).to_be_visible()
    expect(page.locator(".course-sentence")).to_have_count(0)


def test_a_course_is_reviewed_from_the_reviews_due_with_its_change_on_summary_and_pdf(
    page, clinician, ivig_answers
):
    # No immunosuppression: a repeat course then makes long-term IVIG a high-priority pitfall.
    ivig_answers["immunosuppression"] = "none"
    encounter = Encounter.objects.create(
        owner=clinician, answers=ivig_answers, status="complete", patient_reference="E2E-REVIEW"
    )
    sign_in(page, clinician.username, then=f"/encounters/{encounter.pk}/")
    choose(page, "Were the recommendations followed?", "Followed")
    fill_course(page)
    choose(page, "Baseline score for the review (optional)", "QMG")
    page.get_by_label("Baseline score", exact=True).fill("18")
    page.get_by_role("button", name="Finalize").click()
    expect(page.get_by_text("Finalized on")).to_be_visible()

    page.get_by_role("link", name="Reviews due").click()
    worklist = page.get_by_role("region", name="Reviews due")
    row = worklist.get_by_role("row").filter(has_text="E2E-REVIEW")
    expect(row).to_contain_text("Upcoming")  # started today: due from day 14
    assert_accessible(page, "home with reviews due")
    row.get_by_role("link", name="Record the review").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("IVIG course review")
    assert_accessible(page, "review")
    page.get_by_label("Date of the review").fill(timezone.localdate().isoformat())
    page.get_by_label("QMG score at the review").fill("12")
    choose(page, "Response to the course", "Improved")
    choose(page, "Plan", "Repeat the IVIG course")
    page.get_by_role("button", name="Record the review").click()

    review = page.locator(".ivig-review")
    expect(review).to_contain_text("QMG 18 → 12: 6 points better; lower is better")
    expect(review).to_contain_text(
        "High priority with this review: a repeat course without immunosuppression"
    )
    expect(page.get_by_role("region", name="Reviews due")).to_have_count(0)  # on the summary
    assert_accessible(page, "summary with a review")

    # The PDF as the signed-in browser downloads it (made on the server: given time).
    pdf_link = page.get_by_role("link", name="Download PDF").get_attribute("href")
    pdf = page.request.get(pdf_link, timeout=60_000)
    assert pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.body()))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "QMG 18 → 12: 6 points better; lower is better" in text
    assert "High priority with this review: a repeat course without immunosuppression" in text

    # Reviewed on day 0, before the window: recorded, marked early, and still awaited.
    page.goto(f"/encounters/{encounter.pk}/")
    expect(page.locator(".ivig-review")).to_contain_text("Early: before day 14")
    page.goto("/")
    expect(
        page.get_by_role("region", name="Reviews due")
        .get_by_role("row")
        .filter(has_text="E2E-REVIEW")
    ).to_contain_text("Upcoming")


def test_a_review_takes_a_repeat_course_whose_order_shows_as_typed_and_on_the_summary(
    page, clinician, ivig_case
):
    from guidance.encounters import workflow
    from tests.paths import as_shown

    today = timezone.localdate()
    decision = {
        "decision": "followed",
        "ivig_g_per_kg": "2.0",
        "ivig_days": "5",
        "course_start_date": today.isoformat(),
        "baseline_scale": "qmg",
        "baseline_score": "18",
    }
    assert workflow.finalize(clinician, ivig_case.pk, as_shown(decision, ivig_case)).form.is_valid()

    sign_in(page, clinician.username, then=f"/encounters/{ivig_case.pk}/review/")
    next_course = page.get_by_role("group", name="The next IVIG course (optional)")
    expect(next_course).to_be_hidden()
    page.get_by_label("Date of the review").fill(today.isoformat())
    page.get_by_label("QMG score at the review").fill("12")
    choose(page, "Response to the course", "Improved")
    choose(page, "Plan", "Repeat the IVIG course")
    expect(next_course).to_be_visible()
    order = page.locator("#ivig-order")
    expect(order).to_contain_text("Enter the next course's dose")
    next_course.get_by_label("IVIG dose (g/kg, 1.0-2.0)").fill("1.0")
    next_course.get_by_label("Over how many days (2-5)").fill("2")
    next_course.get_by_label("Course starts on").fill(today.isoformat())
    # The order follows the course as it is typed (htmx), before anything is recorded.
    expect(order).to_contain_text("70 g in 5 g vials = 1.00 g/kg")
    expect(order.locator(".order-days li")).to_have_count(2)
    # "Preview order" refreshes the block in place and records nothing.
    page.get_by_role("button", name="Preview order").click()
    expect(order).to_contain_text("70 g in 5 g vials = 1.00 g/kg")
    expect(page.get_by_role("heading", level=1)).to_contain_text("IVIG course review")
    assert not Review.objects.exists()
    assert_accessible(page, "review with the next course")
    page.get_by_role("button", name="Record the review").click()

    expect(
        page.get_by_role("heading", name="IVIG course 1: prescribed with the decision")
    ).to_be_visible()
    second = page.locator('.ivig-course[data-course-number="2"]')
    expect(second.get_by_role("heading", level=2)).to_contain_text(
        f"IVIG course 2: repeat course, taken by the review on {today.isoformat()}"
    )
    expect(second.locator("#ivig-order-2 .order-days li")).to_have_count(2)
    expect(second).to_contain_text("Awaiting its review: Upcoming")
    expect(page.locator(".ivig-review .next-course")).to_have_text(
        f"Course 2, from {today.isoformat()}"
    )
    assert_accessible(page, "summary with two courses")
    page.get_by_role("link", name="Reviews due").click()
    rows = page.get_by_role("region", name="Reviews due").get_by_role("row")
    expect(rows.filter(has_text="(course 2)")).to_have_count(1)
    expect(page.locator(".reviews-due-count")).to_have_text("2")
