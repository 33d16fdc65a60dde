"""The DELTA-P questions of the tumour step in the browser: they follow the tumour status at
once, the panel shows the score once all are answered, and the summary shows the dates."""

import datetime

import pytest
from playwright.sync_api import expect

from guidance.engine import tumour_risk
from tests.e2e.pages import (
    SCREENSHOTS,
    SUMMARY_URL,
    assert_accessible,
    choose,
    recommendations_panel,
    save_and_continue,
    sign_in,
    start_encounter,
    step_url,
)

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ITEM_QUESTIONS = (
    "Age 50 or over",
    "Weight loss of 5 % or more",
    "Bulbar involvement",
    "Erectile dysfunction",
    "Karnofsky performance status below 70",
)
SCREEN_DATE = "Date of the last negative screen (optional)"
PET_QUESTION = "Did the negative screen include FDG-PET?"


def shoot_phone_and_desktop(page, name):
    """Full-page screenshots at 390 and 1280 px wide, for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    current = page.viewport_size
    for label, size in (("390", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size(current)


def answer_patient_step(page, sex):
    page.get_by_label("Weight (kg)").fill("70")
    choose(page, "Is LEMS confirmed?", "Yes, confirmed")
    choose(page, "Sex", sex)
    if sex == "Female":
        choose(page, "Pregnant?", "No")
    save_and_continue(page)
    expect(page).to_have_url(step_url("tumour"))


def test_the_items_follow_the_status_the_panel_scores_them_and_the_summary_dates_them(
    page, clinician
):
    sign_in(page, clinician.username)
    start_encounter(page)
    answer_patient_step(page, "Male")

    items = [page.get_by_role("group", name=question) for question in ITEM_QUESTIONS]
    screen_date = page.get_by_label(SCREEN_DATE)
    pet = page.get_by_role("group", name=PET_QUESTION)
    for item in items:
        expect(item).to_be_hidden()
    expect(screen_date).to_be_hidden()
    expect(pet).to_be_hidden()

    choose(page, "Tumour screening", "Not screened yet")
    for item in items:
        expect(item).to_be_visible()
    expect(screen_date).to_be_hidden()
    expect(pet).to_be_hidden()
    choose(page, "Tumour screening", "Tumour found")
    for item in items:
        expect(item).to_be_hidden()
    expect(pet).to_be_hidden()
    choose(page, "Tumour screening", "Screened, no tumour found")
    for item in items:
        expect(item).to_be_visible()
    expect(screen_date).to_be_visible()
    expect(pet).to_be_visible()
    choose(page, PET_QUESTION, "Yes, CT and FDG-PET")
    expect(page.get_by_text("Dysarthria, dysphagia, chewing or neck weakness")).to_be_visible()

    # The README's worked example, screened almost three months ago: the next screen (at 3
    # months) is 10 days off, so it is also among the home page's screens due.
    screened = tumour_risk.add_months(datetime.date.today(), -3) + datetime.timedelta(days=10)
    next_screen = tumour_risk.add_months(screened, 3)
    choose(page, "Smoking", "Current smoker")
    for question, answer in zip(ITEM_QUESTIONS, ("Yes", "Yes", "No", "No", "No"), strict=True):
        choose(page, question, answer)
    screen_date.fill(screened.isoformat())
    assert_accessible(page, "tumour step")
    shoot_phone_and_desktop(page, "step-tumour-delta-p")
    save_and_continue(page)

    expect(page).to_have_url(step_url("symptomatic"))
    panel = recommendations_panel(page)
    expect(panel).to_contain_text("DELTA-P score 3 of 6")
    expect(panel).to_contain_text("55.5 % of the prospective cohort with this score")
    expect(panel).to_contain_text(f"next screen due {next_screen.isoformat()}")

    choose(page, "3,4-diaminopyridine", "Adequate response")
    save_and_continue(page)
    expect(page).to_have_url(SUMMARY_URL)
    risk = page.get_by_role("region", name="Tumour risk (DELTA-P) and screening")
    expect(risk).to_contain_text("DELTA-P score 3 of 6")
    expect(risk).to_contain_text(f"next screen due {next_screen.isoformat()}")
    dates = ", ".join(
        tumour_risk.add_months(screened, months).isoformat() for months in (3, 6, 12, 18, 24)
    )
    expect(risk).to_contain_text(f"Screens due up to 2 years after it: {dates}.")
    expect(page.locator("[data-screen-due]")).to_contain_text(
        f"Next tumour screen due {next_screen.isoformat()}"
    )
    assert_accessible(page, "summary with tumour risk")
    shoot_phone_and_desktop(page, "summary-tumour-risk")

    page.goto("/")
    due = page.get_by_role("region", name="Screens due")
    expect(due).to_contain_text(next_screen.isoformat())
    assert_accessible(page, "home with screens due")
    page.goto("/encounters/")
    expect(page.get_by_role("table")).to_contain_text(next_screen.isoformat())
    assert_accessible(page, "encounter list with next screens")


@pytest.mark.parametrize("java_script", [True, False], ids=["with-js", "without-js"])
def test_a_womans_tumour_step_has_no_erectile_dysfunction_question(
    open_page, clinician, java_script
):
    page = open_page(java_script_enabled=java_script)
    sign_in(page, clinician.username)
    start_encounter(page)
    answer_patient_step(page, "Female")

    choose(page, "Tumour screening", "Screened, no tumour found")
    expect(page.get_by_role("group", name="Bulbar involvement")).to_be_visible()
    expect(page.get_by_role("group", name="Karnofsky performance status below 70")).to_be_visible()
    expect(page.get_by_text("Erectile dysfunction")).to_have_count(0)


def test_without_javascript_a_change_from_tumour_found_shows_the_items_before_going_on(
    open_page, clinician
):
    page = open_page(java_script_enabled=False)
    sign_in(page, clinician.username)
    start_encounter(page)
    answer_patient_step(page, "Male")
    choose(page, "Tumour screening", "Tumour found")
    choose(page, "Smoking", "Current smoker")
    save_and_continue(page)
    page.get_by_role("link", name="Tumour screening").first.click()
    bulbar = page.get_by_role("group", name="Bulbar involvement")
    expect(bulbar).to_be_hidden()  # the server hides them under "tumour found"

    pet = page.get_by_role("group", name=PET_QUESTION)
    expect(pet).to_be_hidden()

    choose(page, "Tumour screening", "Screened, no tumour found")
    save_and_continue(page)

    # The step comes back with the items and the FDG-PET question, which is required now.
    expect(page).to_have_url(step_url("tumour"))
    expect(bulbar).to_be_visible()
    expect(pet).to_be_visible()
    choose(page, "Bulbar involvement", "No")
    choose(page, PET_QUESTION, "No, CT only")
    save_and_continue(page)
    expect(page).to_have_url(step_url("symptomatic"))
