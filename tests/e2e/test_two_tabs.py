"""Two tabs of one encounter (DESIGN §5, "What was shown is what is stored"): the weight
changed in the second tab refuses the finalize pressed in the first, whose summary then
shows the new doses with everything typed still in the form; finalizing again stores them."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guidance.models import Encounter
from tests.e2e.pages import choose, shoot, sign_in

pytestmark = pytest.mark.e2e

TODAY = timezone.localdate().isoformat()
NOTE = "Discussed IVIG with the patient and her daughter."


@pytest.fixture
def ivig_case(clinician, ivig_answers):
    """The README's IVIG case, answered and ready to finalize (70 kg: no adjusted weight)."""
    return Encounter.objects.create(
        owner=clinician, answers=ivig_answers, status="complete", patient_reference="E2E-TABS"
    )


def test_a_weight_changed_in_another_tab_is_shown_before_finalizing_and_nothing_typed_is_lost(
    page, clinician, ivig_case
):
    sign_in(page, clinician.username, then=f"/encounters/{ivig_case.pk}/")
    expect(page.get_by_text("70 kg × 1-2 g/kg = 70-140 g").first).to_be_visible()

    # Tab 2, in the same window: the weight corrected on the patient step.
    tab_2 = page.context.new_page()
    tab_2.goto(f"/encounters/{ivig_case.pk}/patient/")
    # 68 kg, below the ideal weight of a 175 cm man: still dosed on the actual weight.
    tab_2.get_by_label("Actual body weight (kg)").fill("68")
    tab_2.get_by_role("button", name="Save and continue").click()
    expect(tab_2.get_by_text("68 kg × 1-2 g/kg = 68-136 g").first).to_be_visible()
    tab_2.close()

    # Tab 1 still shows 70 kg: the decision, a note and a course typed there.
    page.bring_to_front()
    choose(page, "Were the recommendations followed?", "Followed")
    page.get_by_label("Note").fill(NOTE)
    page.get_by_label("IVIG dose (g/kg, 1.0-2.0)").fill("2.0")
    page.get_by_label("Over how many days (2-5)").fill("5")
    page.get_by_label("Course starts on").fill(TODAY)
    choose(page, "Baseline score for the review (optional)", "QMG")
    page.get_by_label("Baseline score", exact=True).fill("18")
    page.get_by_role("button", name="Finalize").click()

    expect(page.locator("#error-summary")).to_contain_text(
        "The answers changed in another tab or window after this summary was shown"
    )
    expect(page.get_by_text("68 kg × 1-2 g/kg = 68-136 g").first).to_be_visible()
    expect(page.get_by_text("70-140 g")).to_have_count(0)
    expect(page.get_by_role("radio", name="Followed", exact=True)).to_be_checked()
    expect(page.get_by_label("Note")).to_have_value(NOTE)
    expect(page.get_by_label("IVIG dose (g/kg, 1.0-2.0)")).to_have_value("2.0")
    expect(page.get_by_label("Over how many days (2-5)")).to_have_value("5")
    expect(page.get_by_label("Course starts on")).to_have_value(TODAY)
    expect(page.get_by_role("radio", name="QMG")).to_be_checked()
    expect(page.get_by_label("Baseline score", exact=True)).to_have_value("18")
    assert not Encounter.objects.get(pk=ivig_case.pk).is_finalized
    shoot(page, "two-tabs-finalize-refused")

    # Having read the new doses, the clinician finalizes them as typed.
    page.get_by_role("button", name="Finalize").click()
    expect(page.get_by_text("Finalized on")).to_be_visible()
    end = (timezone.localdate() + datetime.timedelta(days=4)).isoformat()
    expect(page.locator(".course-sentence")).to_have_text(
        f"IVIG 2.0 g/kg × 68 kg = 136 g, 135 g in 5 g vials, over 5 days from {TODAY} to "
        f"{end}: 30, 30, 25, 25, 25 g"
    )
    stored = Encounter.objects.get(pk=ivig_case.pk)
    assert stored.answers["weight_kg"] == 68.0 and stored.decision_note == NOTE
