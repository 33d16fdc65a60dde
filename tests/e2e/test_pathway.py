"""A clinician takes a patient through the pathway in the browser, with and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import (
    STEP_HEADINGS,
    SUMMARY_URL,
    answer_step,
    choose,
    option,
    recommendations_panel,
    save_and_continue,
    shoot,
    sign_in,
    start_encounter,
    step_url,
)

pytestmark = pytest.mark.e2e

DAP_FIRST_LINE = "3,4-diaminopyridine (3,4-DAP) is the recommended first-line"
PREDNISONE = "Prednisone 1.5 mg/kg on alternate days"
IVIG_RESERVED = "IVIG provides short-term improvement in severely affected LEMS patients"
OUT_OF_SCOPE = "This pathway is for confirmed LEMS"


def still_the_same_document(page):
    """True while no full page load has happened since `mark_document` was called."""
    return page.evaluate("window.__marker === 1")


def mark_document(page):
    page.evaluate("window.__marker = 1")


def finalize_with_decision(page, dose_basis=True):
    choose(page, "Were the recommendations followed?", "Followed")
    if dose_basis:
        choose(page, "IVIG dose based on", "Actual body weight")
    page.get_by_role("button", name="Finalize").click()
    expect(page.get_by_text("Finalized on")).to_be_visible()


def test_clinician_completes_the_ivig_path_with_htmx(page, clinician):
    sign_in(page, clinician.username)
    shoot(page, "home")
    start_encounter(page)
    mark_document(page)
    panel = recommendations_panel(page)
    expect(panel).to_contain_text("Recommendations appear here as you answer")
    shoot(page, "step-patient")

    # Each step swaps in place, and the panel shows what the answers so far make apply.
    for step, following, now_applies in [
        ("patient", "tumour", DAP_FIRST_LINE),
        ("tumour", "symptomatic", DAP_FIRST_LINE),
        ("symptomatic", "severity", PREDNISONE),
        ("severity", "ivig", IVIG_RESERVED),
    ]:
        expect(panel).not_to_contain_text(IVIG_RESERVED)
        answer_step(page, step)
        save_and_continue(page)
        expect(page).to_have_url(step_url(following))
        expect(page.get_by_role("heading", level=1)).to_have_text(STEP_HEADINGS[following])
        expect(page.get_by_role("heading", level=1)).to_be_focused()
        expect(page).to_have_title(f"{STEP_HEADINGS[following]} · LEMS IVIG pathway")
        expect(panel).to_contain_text(now_applies)
        assert still_the_same_document(page), f"a full page load after the {step} step"
        shoot(page, f"step-{following}")

    page.go_back()
    expect(page).to_have_url(step_url("severity"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Severity")
    expect(option(page, "Weakness", "Severe")).to_be_checked()
    expect(option(page, "Is rapid short-term improvement needed?", "No")).to_be_checked()
    expect(option(page, "Immunosuppression", "Starting")).to_be_checked()
    mark_document(page)
    save_and_continue(page)
    expect(page).to_have_url(step_url("ivig"))

    answer_step(page, "ivig")
    save_and_continue(page)
    expect(page).to_have_url(SUMMARY_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Summary: E2E-0001")
    expect(page).to_have_title("Summary · LEMS IVIG pathway")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    assert still_the_same_document(page)
    doses = page.get_by_role("region", name="Doses for this patient")
    expect(doses).to_contain_text("70 kg × 1-2 g/kg = 70-140 g in total")
    # Thrombosis risk, and plasma exchange available: both pitfalls are flagged.
    expect(page.locator("#s-pitfall-ivig-risks")).to_contain_text("High priority")
    expect(page.locator("#s-pitfall-plex-equal")).to_contain_text("High priority")
    shoot(page, "summary")

    finalize_with_decision(page)
    expect(page.get_by_role("region", name="Decision")).to_contain_text("Actual body weight")
    expect(page.get_by_role("button", name="Finalize")).to_have_count(0)
    shoot(page, "summary-finalized")

    page.get_by_role("link", name="Print view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("LEMS treatment summary")
    expect(page.locator("body")).to_contain_text("E2E-0001")
    expect(page.locator("body")).to_contain_text("70-140 g in total")
    expect(page.locator("body")).to_contain_text("Grace Hopper")
    shoot(page, "print")


def test_clinician_completes_the_ivig_path_without_javascript(open_page, clinician):
    page = open_page(java_script_enabled=False)
    sign_in(page, clinician.username)
    start_encounter(page)
    for step, following in [
        ("patient", "tumour"),
        ("tumour", "symptomatic"),
        ("symptomatic", "severity"),
        ("severity", "ivig"),
    ]:
        answer_step(page, step)
        save_and_continue(page)
        expect(page).to_have_url(step_url(following))
        expect(page.get_by_role("heading", level=1)).to_have_text(STEP_HEADINGS[following])
    expect(recommendations_panel(page)).to_contain_text(IVIG_RESERVED)
    shoot(page, "nojs-step-ivig")

    answer_step(page, "ivig")
    save_and_continue(page)
    expect(page).to_have_url(SUMMARY_URL)
    expect(page.get_by_role("region", name="Doses for this patient")).to_contain_text("70-140 g")

    finalize_with_decision(page)
    page.get_by_role("link", name="Print view").click()
    expect(page.locator("body")).to_contain_text("70-140 g in total")


def test_weight_below_30_kg_is_refused_beside_the_field_and_other_answers_stay(page, clinician):
    sign_in(page, clinician.username)
    start_encounter(page)
    answer_step(page, "patient", weight="29.9")
    choose(page, "Sex", "Female")
    save_and_continue(page)

    weight = page.get_by_label("Actual body weight (kg)")
    message = page.locator("#id_weight_kg_error")
    expect(message).to_have_text("The weight must be at least 30 kg (the pathway is for adults).")
    expect(weight).to_have_attribute("aria-invalid", "true")
    expect(weight).to_have_attribute("aria-describedby", re.compile("id_weight_kg_error"))
    beside = page.locator("#div_id_weight_kg")
    expect(beside.locator("#id_weight_kg_error")).to_be_visible()
    expect(weight).to_have_value("29.9")
    expect(page.get_by_label("Patient reference")).to_have_value("E2E-0001")
    expect(option(page, "Is LEMS confirmed?", "Yes, confirmed")).to_be_checked()
    expect(option(page, "Sex", "Female")).to_be_checked()
    expect(page).to_have_url(step_url("patient"))

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please correct 1 answer")
    expect(summary).to_be_focused()
    shoot(page, "step-patient-invalid-weight")

    summary.get_by_role("link", name="Actual body weight (kg)").click()
    expect(weight).to_be_focused()
    weight.fill("70")
    save_and_continue(page)
    expect(page).to_have_url(step_url("tumour"))


def test_unconfirmed_diagnosis_ends_on_the_out_of_scope_summary(page, clinician):
    sign_in(page, clinician.username)
    start_encounter(page)
    page.get_by_label("Actual body weight (kg)").fill("70")
    choose(page, "Is LEMS confirmed?", "No, not yet confirmed")
    save_and_continue(page)

    expect(page).to_have_url(SUMMARY_URL)
    scope = page.get_by_role("region", name="For this patient", exact=True)
    expect(scope).to_contain_text(OUT_OF_SCOPE)
    expect(page.get_by_role("region", name="Recommendations")).to_have_count(0)
    expect(page.get_by_role("region", name="Doses for this patient")).to_have_count(0)
    shoot(page, "summary-out-of-scope")


def test_pregnancy_is_asked_only_for_a_female_patient(page, clinician):
    sign_in(page, clinician.username)
    start_encounter(page)
    pregnant = page.get_by_role("group", name="Pregnant?")
    expect(pregnant).to_be_hidden()
    choose(page, "Sex", "Female")
    expect(pregnant).to_be_visible()
    choose(page, "Pregnant?", "No")
    choose(page, "Sex", "Male")
    expect(pregnant).to_be_hidden()


def test_pregnancy_question_is_shown_without_javascript(open_page, clinician):
    page = open_page(java_script_enabled=False)
    sign_in(page, clinician.username)
    start_encounter(page)
    expect(page.get_by_role("group", name="Pregnant?")).to_be_visible()
