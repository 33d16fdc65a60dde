"""Every page type passes axe-core, and the pathway can be completed with the keyboard alone."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import (
    STEP_HEADINGS,
    SUMMARY_URL,
    answer_step,
    assert_accessible,
    choose,
    save_and_continue,
    shoot,
    sign_in,
    start_encounter,
    step_url,
)

pytestmark = pytest.mark.e2e


def test_clinicians_pages_have_no_serious_accessibility_violations(page, clinician):
    page.goto("/accounts/login/")
    assert_accessible(page, "login")
    shoot(page, "login")
    sign_in(page, clinician.username)
    assert_accessible(page, "home")

    start_encounter(page)
    assert_accessible(page, "patient step")
    save_and_continue(page)
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "patient step with errors")

    for step, following in [
        ("patient", "tumour"),
        ("tumour", "symptomatic"),
        ("symptomatic", "severity"),
        ("severity", "ivig"),
    ]:
        answer_step(page, step)
        save_and_continue(page)
        expect(page.get_by_role("heading", level=1)).to_have_text(STEP_HEADINGS[following])
        assert_accessible(page, f"{following} step")

    answer_step(page, "ivig")
    save_and_continue(page)
    expect(page).to_have_url(SUMMARY_URL)
    assert_accessible(page, "summary")

    choose(page, "Were the recommendations followed?", "Followed")
    choose(page, "IVIG dose based on", "Adjusted body weight")
    page.get_by_role("button", name="Finalize").click()
    expect(page.get_by_text("Finalized on")).to_be_visible()
    assert_accessible(page, "finalized summary")

    page.get_by_role("link", name="Print view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("LEMS treatment summary")
    assert_accessible(page, "print")

    page.goto("/guideline/")
    assert_accessible(page, "guideline")
    shoot(page, "guideline")
    page.goto("/encounters/")
    expect(page.get_by_role("cell", name="E2E-0001")).to_be_visible()
    assert_accessible(page, "encounters list")
    shoot(page, "encounters")


def test_editors_statement_form_has_no_serious_accessibility_violations(page, editor):
    from guidance.content.revisions import start_draft
    from guidance.models import Guideline

    start_draft(Guideline.objects.get(), editor)  # editors change content in a draft
    sign_in(page, editor.username, then="/admin/guidance/statement/")
    page.get_by_role("link", name="ivig-dose", exact=True).click()
    expect(page.get_by_role("heading", name="Change statement")).to_be_visible()
    assert_accessible(page, "admin statement change form")


def tab_to(page, locator, *, presses=40):
    """Press Tab until `locator` (or one of its elements) has the focus, as a keyboard user."""
    for _ in range(presses):
        if locator.evaluate_all("elements => elements.includes(document.activeElement)"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def radio(page, name, value):
    return page.locator(f"input[name={name}][value={value}]")


def pick_with_arrows(page, name, value):
    """Tab into a radio group, then move to `value` with the arrow keys."""
    tab_to(page, page.locator(f"input[name={name}]"))
    target = radio(page, name, value)
    for _ in range(10):
        if target.is_checked():
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never reached {name}={value}")


def test_a_keyboard_user_completes_every_step_and_hears_each_change(page, clinician):
    sign_in(page, clinician.username)
    start_encounter(page)
    heading = page.get_by_role("heading", level=1)

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()

    tab_to(page, page.get_by_label("Patient reference"))
    page.keyboard.type("KB-0001")
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Please correct 2 answers")
    expect(alert).to_be_focused()
    expect(page.get_by_label("Patient reference")).to_have_value("KB-0001")

    tab_to(page, alert.get_by_role("link", name="Is LEMS confirmed?"))
    page.keyboard.press("Enter")
    expect(radio(page, "diagnosis_confirmed", "yes")).to_be_focused()
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("Actual body weight (kg)"))
    page.keyboard.type("70")
    tab_to(page, page.get_by_label("Height (cm, optional)"))
    page.keyboard.type("160")
    pick_with_arrows(page, "sex", "female")
    pick_with_arrows(page, "pregnant", "no")
    tab_to(page, page.get_by_role("button", name="Save and continue"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(step_url("tumour"))
    expect(heading).to_be_focused()

    pick_with_arrows(page, "tumour_status", "not_found")
    pick_with_arrows(page, "screen_included_pet", "yes")
    pick_with_arrows(page, "smoking", "never")
    page.keyboard.press("Enter")
    expect(page).to_have_url(step_url("symptomatic"))
    expect(heading).to_be_focused()

    pick_with_arrows(page, "dap_status", "inadequate")
    page.keyboard.press("Enter")
    expect(page).to_have_url(step_url("severity"))
    expect(heading).to_be_focused()

    pick_with_arrows(page, "weakness", "severe")
    pick_with_arrows(page, "rapid_improvement_needed", "no")
    pick_with_arrows(page, "immunosuppression", "starting")
    page.keyboard.press("Enter")
    expect(page).to_have_url(step_url("ivig"))
    expect(heading).to_be_focused()

    pick_with_arrows(page, "plasma_exchange_available", "no")
    tab_to(page, page.get_by_role("checkbox", name=re.compile("^Renal risk")))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Save and continue"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(SUMMARY_URL)
    expect(heading).to_be_focused()
    expect(heading).to_have_text("Summary: KB-0001")

    finalize = page.get_by_role("button", name="Finalize")
    tab_to(page, page.get_by_role("link", name="Record the decision"))
    page.keyboard.press("Enter")
    tab_to(page, finalize)
    page.keyboard.press("Enter")
    expect(alert).to_contain_text("Choose what was decided.")
    expect(alert).to_be_focused()
    shoot(page, "summary-decision-invalid")
    tab_to(page, alert.get_by_role("link", name="Were the recommendations followed?"))
    page.keyboard.press("Enter")
    pick_with_arrows(page, "decision", "partly")
    pick_with_arrows(page, "decision_reason", "not_available")
    pick_with_arrows(page, "dose_basis", "actual")
    tab_to(page, finalize)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Finalized on")).to_be_visible()
    expect(page.get_by_role("region", name="Decision")).to_contain_text("Partly followed")
