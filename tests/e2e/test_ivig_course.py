"""The IVIG course prescribed with the decision, in the browser: with JavaScript its fields
follow the decision; without it they stay on the page and the decision says whether they
count."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guidance.models import Encounter
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
    expect(page.locator(".course-sentence")).to_have_text(
        "IVIG 2.0 g/kg × 70 kg = 140 g, 140 g to the nearest 5 g, over 5 days: "
        f"28.0 g a day, from {timezone.localdate().isoformat()}"
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
