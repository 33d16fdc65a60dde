"""One reconciled plan and the live IVIG order in the browser (DESIGN §4), for the three seed
cases at 1280 × 800 and 390 × 844: no plan line contradicts a statement shown as high
priority, each plan line carries the markers of the statement it links to, the decision form
starts within the second screen, and the order block follows the course as it is typed."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guidance.models import Encounter
from tests.e2e.pages import choose, sign_in
from tests.paths import SEED_CASES

pytestmark = pytest.mark.e2e

CASES = SEED_CASES
WIDTHS = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}

# A plan line that would contradict a high-priority statement: (code, the plan's labels it
# rules out). `pitfall-plex-equal` says not IVIG alone while plasma exchange is available.
CONTRADICTIONS = {"pitfall-plex-equal": {"IVIG"}}


def plan_lines(page):
    """Each plan line as the browser shows it: label, linked code, marker words."""
    return page.eval_on_selector_all(
        ".for-this-patient .plan li[data-code]",
        """lines => lines.map(line => ({
            label: line.querySelector('strong').textContent.trim(),
            code: line.dataset.code,
            markers: [...line.querySelectorAll(':scope > .plan-markers .marker')]
                .map(marker => marker.textContent.trim()),
        }))""",
    )


def statement_markers(page, code):
    """The Local, verification and High priority markers of a statement shown in full."""
    return page.eval_on_selector(
        f"#s-{code} .markers",
        """markers => [...markers.querySelectorAll('.marker:not(.marker-kind)')]
            .map(marker => marker.textContent.trim())""",
    )


def high_priority_codes(page):
    return page.eval_on_selector_all(
        "article.statement.high-priority", "articles => articles.map(a => a.id.slice(2))"
    )


def top_of(page, selector):
    return page.eval_on_selector(
        selector, "e => Math.round(e.getBoundingClientRect().top + window.scrollY)"
    )


@pytest.mark.parametrize("case", list(CASES))
def test_the_plan_agrees_with_the_statements_and_the_form_follows_it(page, clinician, case):
    encounter = Encounter.objects.create(
        owner=clinician, answers=CASES[case], status="complete", patient_reference=f"E2E-{case}"
    )
    sign_in(page, clinician.username, then=f"/encounters/{encounter.pk}/")
    expect(page.get_by_role("heading", name="For this patient", exact=True)).to_be_visible()
    for label, size in WIDTHS.items():
        page.set_viewport_size(size)
        lines = plan_lines(page)
        assert lines, case
        for code in high_priority_codes(page):
            ruled_out = CONTRADICTIONS.get(code, set())
            assert not ruled_out & {line["label"] for line in lines}, (case, label, code)
        for line in lines:
            assert line["markers"] == statement_markers(page, line["code"]), (case, line)
        # The decision form starts within the second screen.
        assert top_of(page, "#decision") < 2 * size["height"], (case, label)
    if case != "paraneoplastic":
        labels = [line["label"] for line in plan_lines(page)]
        assert "IVIG or plasma exchange" in labels
        assert "High priority" in plan_lines(page)[-1]["markers"]
    if case == "bridge-only":
        caveat = page.locator(".plan-caveat")
        expect(caveat).to_contain_text(
            "bridge only: the guideline reserves IVIG for severe weakness"
        )
        expect(caveat.locator(".marker-local")).to_have_text("Local")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_order_block_follows_the_course_as_it_is_typed(page, clinician, width):
    encounter = Encounter.objects.create(
        owner=clinician, answers=CASES["ivig"], status="complete", patient_reference="E2E-ORDER"
    )
    page.set_viewport_size(WIDTHS[width])
    sign_in(page, clinician.username, then=f"/encounters/{encounter.pk}/")
    order = page.locator("#ivig-order")
    expect(order).to_contain_text("Enter the dose in g/kg")
    choose(page, "Were the recommendations followed?", "Followed")
    start = timezone.localdate()
    page.get_by_label("Course starts on").fill(start.isoformat())
    page.get_by_label("Over how many days (2-5)").fill("5")
    page.get_by_label("IVIG dose (g/kg, 1.0-2.0)").fill("2.0")
    # 2.0 g/kg x 70 kg = 140 g over 5 days: 30, 30, 30, 25, 25 g.
    expect(order).to_contain_text("140 g in 5 g vials = 2.00 g/kg")
    # The block updates in place: the focus stays where the clinician types.
    expect(page.get_by_label("IVIG dose (g/kg, 1.0-2.0)")).to_be_focused()
    expect(order.locator(".order-days li")).to_have_count(5)
    expect(order.locator(".order-days li").first).to_have_text(f"Day 1, {start.isoformat()}: 30 g")
    expect(order.get_by_role("row", name="Prescriber")).to_contain_text("Grace Hopper")

    page.get_by_label("Over how many days (2-5)").fill("3")
    # 140 g over 3 days: 50, 45, 45 g, the last on the third day.
    expect(order.locator(".order-days li")).to_have_count(3)
    last = (start + datetime.timedelta(days=2)).isoformat()
    expect(order.locator(".order-days li").last).to_have_text(f"Day 3, {last}: 45 g")
    page.get_by_label("IVIG dose (g/kg, 1.0-2.0)").fill("1.3")
    # 1.3 x 70 = 91 g, 90 g in vials (1.29 g/kg): 30 g a day.
    expect(order).to_contain_text("90 g in 5 g vials = 1.29 g/kg")

    page.get_by_role("button", name="Finalize").click()
    expect(page.get_by_text("Finalized on")).to_be_visible()
    stored = page.locator("#ivig-order")
    expect(stored).to_contain_text("90 g in 5 g vials = 1.29 g/kg")
    expect(stored.locator(".order-days li")).to_have_count(3)


def test_without_javascript_preview_order_fills_the_block(open_page, clinician):
    encounter = Encounter.objects.create(
        owner=clinician, answers=CASES["bridge-only"], status="complete"
    )
    page = open_page(java_script_enabled=False)
    sign_in(page, clinician.username, then=f"/encounters/{encounter.pk}/")
    choose(page, "Were the recommendations followed?", "Followed")
    page.get_by_label("IVIG dose (g/kg, 1.0-2.0)").fill("2.0")
    page.get_by_label("Over how many days (2-5)").fill("4")
    page.get_by_label("Course starts on").fill(timezone.localdate().isoformat())
    page.get_by_label("Note").fill("Bridge until azathioprine works.")
    page.get_by_role("button", name="Preview order").click()
    expect(page.locator("#ivig-order")).to_contain_text("140 g in 5 g vials = 2.00 g/kg")
    expect(page.locator("#ivig-order .order-days li")).to_have_count(4)
    expect(page.get_by_label("Note")).to_have_value("Bridge until azathioprine works.")
    expect(page.get_by_label("Over how many days (2-5)")).to_have_value("4")
    assert re.search(r"/order/$", page.url)


def test_choosing_the_dose_basis_updates_the_order(page, clinician):
    answers = {**CASES["ivig"], "weight_kg": 100.0}  # 175 cm: adjusted weight 82.3 kg
    encounter = Encounter.objects.create(owner=clinician, answers=answers, status="complete")
    sign_in(page, clinician.username, then=f"/encounters/{encounter.pk}/")
    order = page.locator("#ivig-order")
    choose(page, "Were the recommendations followed?", "Followed")
    page.get_by_label("IVIG dose (g/kg, 1.0-2.0)").fill("2.0")
    page.get_by_label("Over how many days (2-5)").fill("5")
    page.get_by_label("Course starts on").fill(timezone.localdate().isoformat())
    expect(order).to_contain_text("Choose the weight the IVIG dose is based on")
    choose(page, "IVIG dose based on", "Adjusted body weight")
    expect(order).to_contain_text("160 g in 5 g vials = 1.94 g/kg (165 g would exceed 2.0 g/kg)")
    expect(order).to_contain_text("BMI 32.7: BMI above 30")
