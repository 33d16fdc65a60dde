"""On the ward: the IVIG case on a phone, a session that ends mid-step, a dropped or failed
request, and the warning before the idle timeout."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import expect

from guidance.models import Encounter
from tests.e2e.pages import (
    DESKTOP,
    PASSWORD,
    SCREENSHOTS,
    STEP_HEADINGS,
    SUMMARY_URL,
    answer_step,
    assert_accessible,
    choose,
    option,
    save_and_continue,
    sign_in,
    start_encounter,
    step_url,
)

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, site):
    context = browser.new_context(base_url=site.url, viewport=PHONE, has_touch=True)
    context.set_default_timeout(5_000)
    yield context.new_page()
    context.close()


def assert_no_sideways_scroll(page, name):
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, viewport: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["viewport"], f"the {name} page scrolls sideways: {widths}"


def check_at_phone_width(page, name):
    assert_no_sideways_scroll(page, name)
    assert_accessible(page, f"{name} (390 px)")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"phone-{name}.png", full_page=True)


def test_the_ivig_case_at_390_px_never_scrolls_sideways_and_passes_axe(phone, clinician):
    page = phone
    page.goto("/accounts/login/")
    check_at_phone_width(page, "login")
    sign_in(page, clinician.username)
    check_at_phone_width(page, "home")

    # The navigation folds behind the menu button, which opens it.
    guideline_link = page.get_by_role("link", name="Guideline")
    expect(guideline_link).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(guideline_link).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport()
    check_at_phone_width(page, "home-menu-open")
    menu.click()
    expect(guideline_link).to_be_hidden()

    start_encounter(page)
    for step, following in [
        ("patient", "tumour"),
        ("tumour", "symptomatic"),
        ("symptomatic", "severity"),
        ("severity", "ivig"),
    ]:
        check_at_phone_width(page, f"step-{step}")
        answer_step(page, step)
        save_and_continue(page)
        expect(page.get_by_role("heading", level=1)).to_have_text(STEP_HEADINGS[following])
    check_at_phone_width(page, "step-ivig")
    answer_step(page, "ivig")
    save_and_continue(page)
    expect(page).to_have_url(SUMMARY_URL)
    check_at_phone_width(page, "summary")

    choose(page, "Were the recommendations followed?", "Followed")
    choose(page, "IVIG dose based on", "Adjusted body weight")
    page.get_by_role("button", name="Finalize").click()
    expect(page.get_by_text("Finalized on")).to_be_visible()
    check_at_phone_width(page, "finalized-summary")

    page.get_by_role("link", name="Print view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("LEMS treatment summary")
    check_at_phone_width(page, "print")

    page.goto("/encounters/")
    # The table's rows stack: the Print button of each encounter is on the screen.
    expect(page.get_by_role("link", name="Print").first).to_be_in_viewport()
    check_at_phone_width(page, "encounters")
    discard_an_abandoned_encounter(page)
    page.goto("/guideline/")
    check_at_phone_width(page, "guideline")
    page.goto("/guideline/revisions/")
    check_at_phone_width(page, "revisions")


def discard_an_abandoned_encounter(page):
    """An encounter left after its first step, without a patient reference: its row says
    when it started and where it stands; Discard asks again in place, then the row says it
    is discarded, and it is gone from the list and the home page. The finalized one offers
    no Discard. (One started and left untouched is not listed at all.)"""
    page.goto("/")
    start_encounter(page)
    page.get_by_label("Actual body weight (kg)").fill("70")
    choose(page, "Is LEMS confirmed?", "Yes, confirmed")
    save_and_continue(page)
    expect(page).to_have_url(step_url("tumour"))
    page.goto("/encounters/")
    abandoned = page.get_by_role("row").filter(has_text="Not given")
    expect(abandoned).to_contain_text("next step: Tumour screening")
    expect(abandoned).to_contain_text(timezone.localtime().strftime("%Y"))
    finalized = page.get_by_role("row").filter(has_text="E2E-0001")
    expect(finalized.get_by_text("Discard")).to_have_count(0)

    abandoned.get_by_text("Discard", exact=True).click()
    confirm = abandoned.get_by_role("button", name="Discard for good")
    expect(confirm).to_be_in_viewport()
    check_at_phone_width(page, "encounters-discard-confirm")
    confirm.click()
    done = page.locator("tr.discarded-row")
    expect(done).to_contain_text("Discarded: the encounter started")
    assert Encounter.all_objects.get(patient_reference="").discarded_at is not None
    check_at_phone_width(page, "encounters-discarded")

    page.reload()
    expect(page.get_by_text("Not given")).to_have_count(0)
    expect(page.get_by_text("E2E-0001")).to_have_count(1)
    page.goto("/")
    expect(page.get_by_text("Not given")).to_have_count(0)
    check_at_phone_width(page, "home-after-discard")


def end_every_session():
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))


def test_a_session_ending_on_the_tumour_step_loses_none_of_its_answers(page, clinician):
    sign_in(page, clinician.username)
    start_encounter(page)
    answer_step(page, "patient")
    save_and_continue(page)
    answer_step(page, "tumour")

    end_every_session()  # the clinician was called away; the idle timeout ended the session
    save_and_continue(page)

    # The sign-in form, in place of the step: one page, one navigation bar, no "Sign out".
    expect(page.get_by_role("alert")).to_contain_text("Your session ended")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(1)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.locator("#idle-warning")).to_have_count(0)
    page.get_by_label("Username").fill(clinician.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(step_url("symptomatic"))
    page.get_by_role("link", name="Tumour screening").click()
    expect(option(page, "Tumour screening", "Screened, no tumour found")).to_be_checked()
    expect(option(page, "Smoking", "Never smoked")).to_be_checked()


@pytest.mark.parametrize(
    ("failure", "message"),
    [("network", "could not be reached"), ("server", "error 500")],
)
def test_a_failed_save_says_what_happened_keeps_the_answers_and_retries(
    page, clinician, failure, message
):
    sign_in(page, clinician.username)
    start_encounter(page)
    answer_step(page, "patient")
    save_and_continue(page)
    answer_step(page, "tumour")

    def fail(route):
        if route.request.method != "POST":
            return route.continue_()
        if failure == "network":
            return route.abort("internetdisconnected")
        return route.fulfill(status=500, body="Internal Server Error")

    page.route("**/tumour/", fail)
    page.get_by_role("button", name="Save and continue").click()  # no answer, or a 500

    notice = page.locator(".request-failed")
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("role", "alert")
    expect(notice).to_contain_text(message)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tumour screening")
    expect(option(page, "Tumour screening", "Screened, no tumour found")).to_be_checked()

    page.unroute("**/tumour/")
    notice.get_by_role("button", name="Try again").click()
    expect(page).to_have_url(step_url("symptomatic"))
    expect(page.locator(".request-failed")).to_have_count(0)


def test_a_warning_before_the_idle_timeout_offers_to_stay_signed_in(
    browser, site, clinician, settings
):
    # An 8-second session: renewed every 2 seconds (a quarter), so the page counts the end
    # from 6 seconds and warns half-way, after 3.
    settings.SESSION_COOKIE_AGE = 8
    context = browser.new_context(base_url=site.url, viewport=DESKTOP)
    context.set_default_timeout(5_000)
    page = context.new_page()
    try:
        sign_in(page, clinician.username)
        warning = page.locator("#idle-warning")
        expect(warning).to_be_hidden()
        expect(warning).to_be_visible(timeout=4_000)
        expect(warning).to_contain_text("you will be signed out")
        before = Session.objects.get().expire_date
        warning.get_by_role("button", name="Stay signed in").click()
        expect(warning).to_be_hidden()
        assert Session.objects.get().expire_date > before
    finally:
        context.close()
