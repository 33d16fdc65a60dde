"""The rough edges a new user met on the ward (issue 26), each walked in the browser: the
branded pages under `make run`, a save after a discard elsewhere, the idle warning of a
short timeout, new encounters and where Resume and Continue lead, the layout at 390 px, a
weight typed with a decimal comma, and the reviews badge beside the worklist."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guidance.models import Encounter
from tests.e2e.pages import (
    DESKTOP,
    SUMMARY_URL,
    answer_step,
    choose,
    save_and_continue,
    sign_in,
    start_encounter,
    step_url,
)
from tests.e2e.test_open_encounters import publish_revision_2

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, site):
    context = browser.new_context(base_url=site.url, viewport=PHONE, has_touch=True)
    context.set_default_timeout(5_000)
    yield context.new_page()
    context.close()


# --- make run's error pages ------------------------------------------------------------------


def test_with_debug_on_a_wrong_address_shows_the_branded_page(page, clinician, settings):
    settings.DEBUG = True  # as `make run` sets it
    sign_in(page, clinician.username)
    response = page.goto("/encounters/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This page does not exist, or is not yours to see"
    )
    expect(page.get_by_text("DEBUG = True")).to_have_count(0)
    page.get_by_role("link", name="Go to the start page").click()
    expect(page.get_by_role("heading", name="Reviews due")).to_be_visible()


def test_debug_pages_bring_back_djangos_page_when_asked_for(page, clinician, settings):
    settings.DEBUG = True
    settings.DEBUG_PAGES = True
    sign_in(page, clinician.username)
    page.goto("/encounters/no-such-page/")
    expect(page.get_by_text("DEBUG = True").first).to_be_visible()


# --- a save after a discard ------------------------------------------------------------------


def test_a_step_saved_after_a_discard_in_another_tab_says_so_and_leads_on(
    page, open_page, clinician
):
    sign_in(page, clinician.username)
    start_encounter(page)
    answer_step(page, "patient")
    save_and_continue(page)
    answer_step(page, "tumour")

    other = open_page()
    sign_in(other, clinician.username, then="/encounters/")
    other.get_by_text("Discard", exact=True).click()
    other.get_by_role("button", name="Discard for good").click()
    expect(other.locator("tr.discarded-row")).to_be_visible()

    save_and_continue(page)
    notice = page.locator(".request-failed")
    expect(notice).to_contain_text("this encounter is no longer there")
    expect(notice).to_contain_text("discarded in another tab or window")
    # No retry that can never work; the way on instead, and what was typed is still there.
    expect(notice.get_by_role("button", name="Try again")).to_be_hidden()
    expect(page.get_by_role("radio", name=re.compile("^Screened, no tumour found"))).to_be_checked()
    notice.get_by_role("link", name="Go to my encounters").click()
    expect(page.get_by_role("heading", name="My encounters")).to_be_visible()

    # Starting again from there, the same step saves.
    start_encounter(page)
    answer_step(page, "patient")
    save_and_continue(page)
    answer_step(page, "tumour")
    save_and_continue(page)
    expect(page).to_have_url(step_url("symptomatic"))


def test_after_a_failed_save_the_retry_of_the_same_step_succeeds(page, clinician):
    sign_in(page, clinician.username)
    start_encounter(page)
    answer_step(page, "patient")
    page.route(
        "**/patient/",
        lambda route: (
            route.abort("internetdisconnected")
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    page.get_by_role("button", name="Save and continue").click()  # no answer comes
    expect(page.locator(".request-failed")).to_contain_text("could not be reached")
    expect(page.get_by_role("link", name="Go to my encounters")).to_be_hidden()
    page.unroute("**/patient/")
    page.get_by_role("button", name="Try again").click()
    expect(page).to_have_url(step_url("tumour"))


# --- the idle warning of a short timeout ------------------------------------------------------


def test_a_one_minute_timeout_warns_half_way_not_after_a_second(browser, site, clinician, settings):
    settings.SESSION_COOKIE_AGE = 60  # SESSION_IDLE_MINUTES=1
    context = browser.new_context(base_url=site.url, viewport=DESKTOP)
    context.set_default_timeout(5_000)
    page = context.new_page()
    try:
        page.clock.install()
        sign_in(page, clinician.username)
        warning = page.locator("#idle-warning")
        page.clock.run_for(5_000)
        expect(warning).to_be_hidden()
        page.clock.run_for(15_000)  # 20 seconds after the page loaded
        expect(warning).to_be_hidden()
        page.clock.run_for(5_000)  # 25 seconds: past half of the 45 the page counts on
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("signed out in less than a minute")
        page.clock.run_for(25_000)
        expect(warning).to_contain_text("Your session has probably ended")
    finally:
        context.close()


# --- new encounters, Resume, Continue, Discard ------------------------------------------------


def test_new_encounter_twice_leaves_no_empty_rows_and_resume_opens_the_next_step(page, clinician):
    sign_in(page, clinician.username)
    start_encounter(page)
    start_encounter(page)  # pressed again: nothing saved in either
    answer_step(page, "patient", reference="MRN-RESUME")
    save_and_continue(page)
    answer_step(page, "tumour")
    save_and_continue(page)
    expect(page).to_have_url(step_url("symptomatic"))

    for address in ("/encounters/", "/"):
        page.goto(address)
        expect(page.get_by_text("MRN-RESUME")).to_have_count(1)
        expect(page.get_by_text("Not given")).to_have_count(0)
    assert Encounter.objects.filter(owner=clinician).count() == 2  # kept, just not listed

    page.goto("/encounters/")
    page.get_by_role("row").filter(has_text="MRN-RESUME").get_by_role("link", name="Resume").click()
    expect(page).to_have_url(step_url("symptomatic"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Symptomatic treatment")

    page.get_by_role("link", name=re.compile("^Summary")).click()
    expect(page).to_have_url(SUMMARY_URL)
    page.get_by_role("link", name="Continue the pathway").click()
    expect(page).to_have_url(step_url("symptomatic"))

    for step in ("symptomatic", "severity", "ivig"):
        answer_step(page, step)
        save_and_continue(page)
    expect(page).to_have_url(SUMMARY_URL)
    page.goto("/encounters/")
    page.get_by_role("row").filter(has_text="MRN-RESUME").get_by_role("link", name="Resume").click()
    expect(page).to_have_url(SUMMARY_URL)


@pytest.mark.parametrize("width", [1280, 1024, 390])
def test_the_discard_button_stays_in_view_open_or_closed(browser, site, clinician, width):
    context = browser.new_context(base_url=site.url, viewport={"width": width, "height": 900})
    context.set_default_timeout(5_000)
    page = context.new_page()
    try:
        sign_in(page, clinician.username)
        start_encounter(page)
        answer_step(page, "patient", reference="MRN-2026-000123456-LONG")
        save_and_continue(page)
        page.goto("/")
        row = page.get_by_role("row").filter(has_text="MRN-2026")
        discard = row.get_by_text("Discard", exact=True)
        assert_inside_its_table(page, discard)
        discard.click()
        confirm = row.get_by_role("button", name="Discard for good")
        assert_inside_its_table(page, confirm)
        confirm.scroll_into_view_if_needed()
        expect(confirm).to_be_in_viewport(ratio=1)
    finally:
        context.close()


def assert_inside_its_table(page, control):
    """The control is wholly inside the table's box: not cut off by its scrolling edge."""
    box = control.bounding_box()
    table = control.evaluate(
        "e => { const r = (e.closest('.table-responsive') || e.closest('table'))"
        ".getBoundingClientRect(); return {left: r.left, right: r.right}; }"
    )
    assert table["left"] - 1 <= box["x"] and box["x"] + box["width"] <= table["right"] + 1, (
        box,
        table,
    )


# --- at 390 px ------------------------------------------------------------------------------

# The longest word of each visible button, measured in the button's own font, against the
# room inside it; and the CSS that would let a word break anywhere.
BUTTONS_BREAKING_WORDS = """() => {
  const found = [];
  const probe = document.createElement('span');
  probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap';
  document.body.appendChild(probe);
  for (const button of document.querySelectorAll('main .btn')) {
    const box = button.getBoundingClientRect();
    if (!box.width) continue;
    const style = getComputedStyle(button);
    probe.style.font = style.font;
    const room = box.width - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
      - parseFloat(style.borderLeftWidth) - parseFloat(style.borderRightWidth);
    for (const word of button.innerText.split(/\\s+/)) {
      probe.textContent = word;
      if (probe.getBoundingClientRect().width > room + 0.5)
        found.push(word + ' in ' + button.innerText);
    }
    if (style.overflowWrap === 'anywhere' || style.wordBreak === 'break-all')
      found.push('breakable: ' + button.innerText);
  }
  probe.remove();
  return found;
}"""


def assert_no_button_breaks_a_word(page, name):
    broken = page.evaluate(BUTTONS_BREAKING_WORDS)
    assert broken == [], f"on the {name} page, buttons break words: {broken}"


def test_at_390_px_buttons_keep_their_words_and_the_step_chips_fit_one_line(phone, clinician):
    page = phone
    sign_in(page, clinician.username)
    assert_no_button_breaks_a_word(page, "home")
    start_encounter(page)
    for step in ("patient", "tumour", "symptomatic", "severity", "ivig"):
        assert_no_button_breaks_a_word(page, step)
        answer_step(page, step)
        save_and_continue(page)
    expect(page).to_have_url(SUMMARY_URL)
    assert_no_button_breaks_a_word(page, "summary")

    # The steps by number and tick, the current one (the summary) by name: two lines at
    # most, where five chips of up to 250 px took four.
    others = page.locator(".step-nav li:not(.current) a")
    boxes = [others.nth(index).bounding_box() for index in range(others.count())]
    assert len(boxes) == 5 and max(box["width"] for box in boxes) < 70, boxes
    current = page.locator(".step-nav li.current a")
    expect(current).to_have_text(re.compile("Summary"))
    rows = {round(box["y"]) for box in [*boxes, current.bounding_box()]}
    assert len(rows) <= 2, "the step chips take more than two lines"
    # Each chip still names its step to a screen reader.
    expect(page.get_by_role("link", name="Tumour screening (answered)")).to_be_visible()

    page.goto("/encounters/")
    assert_no_button_breaks_a_word(page, "encounters")


def test_at_390_px_the_revisions_changes_read_a_line_at_a_time(phone, clinician, editor, reviewer):
    publish_revision_2(editor, reviewer)
    page = phone
    sign_in(page, clinician.username)
    page.goto("/guideline/revisions/")
    change = page.locator(".diff-table tr.diff-changed").first
    expect(change).to_contain_text("ivig-when-bridge")
    after = change.locator(".diff-after")
    # Full width, not a column of one letter a line.
    assert after.bounding_box()["width"] > 300
    assert change.locator("th").bounding_box()["height"] < 40
    widths = page.evaluate("({scroll: document.documentElement.scrollWidth, view: innerWidth})")
    assert widths["scroll"] <= widths["view"]


# --- a decimal comma ---------------------------------------------------------------------------


def test_a_weight_and_height_typed_with_a_decimal_comma_mean_their_decimals(page, clinician):
    sign_in(page, clinician.username)
    start_encounter(page)
    page.get_by_label("Patient reference").fill("MRN-COMMA")
    page.get_by_label("Actual body weight (kg)").fill("82,5")
    page.get_by_label("Height (cm, optional)").fill("172,5")
    choose(page, "Is LEMS confirmed?", "Yes, confirmed")
    save_and_continue(page)
    expect(page).to_have_url(step_url("tumour"))
    answers = Encounter.objects.get(patient_reference="MRN-COMMA").answers
    assert (answers["weight_kg"], answers["height_cm"]) == (82.5, 172.5)
    page.get_by_role("link", name=re.compile("^Patient")).click()
    expect(page.get_by_label("Actual body weight (kg)")).to_have_value("82.5")


# --- the reviews badge ------------------------------------------------------------------------


def test_the_reviews_badge_counts_what_the_worklist_lists(page, clinician):
    today = timezone.localdate()
    for reference, started_days_ago in (("MRN-SOON", 5), ("MRN-DUE", 20), ("MRN-LATE", 60)):
        Encounter.objects.create(
            owner=clinician,
            patient_reference=reference,
            status=Encounter.Status.FINALIZED,
            course_start_date=today - datetime.timedelta(days=started_days_ago),
            ivig_g_per_kg="2.0",
            ivig_days=5,
            snapshot={"reviews": []},
        )
    sign_in(page, clinician.username)
    rows = page.locator("section.reviews-due tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator(".reviews-due-count")).to_have_text("3")
    expect(rows.filter(has_text="MRN-LATE")).to_contain_text("Late: benefit declining")
