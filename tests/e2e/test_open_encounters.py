"""Open encounters in the browser: a revision published while the clinician reads the
summary (finalize refuses it, the summary shows the new one, then finalizes), and discarding
from the list without JavaScript (the 390 px walk does it with htmx: test_ward.py)."""

import re

import pytest
from playwright.sync_api import expect

from guidance.content.revisions import publish, start_draft, submit_for_review
from guidance.models import Encounter, Guideline
from tests.e2e.pages import (
    SUMMARY_URL,
    answer_step,
    choose,
    save_and_continue,
    sign_in,
    start_encounter,
)

pytestmark = pytest.mark.e2e

REWORDED = "Reworded in revision 2 for the browser test: bridge with IVIG or plasma exchange."


def walk_the_ivig_path(page):
    start_encounter(page)
    for step in ("patient", "tumour", "symptomatic", "severity", "ivig"):
        answer_step(page, step)
        save_and_continue(page)
    expect(page).to_have_url(SUMMARY_URL)


def publish_revision_2(editor, reviewer):
    draft = start_draft(Guideline.objects.get(slug="lems-ivig"), editor)
    draft.statements.filter(code="ivig-when-bridge").update(text=REWORDED)
    publish(submit_for_review(draft, editor, "Reworded the bridging statement."), reviewer)


def test_a_revision_published_while_the_summary_is_read_is_shown_before_finalizing(
    page, clinician, editor, reviewer
):
    sign_in(page, clinician.username)
    walk_the_ivig_path(page)
    expect(page.get_by_text("revision 1", exact=False).first).to_be_visible()
    choose(page, "Were the recommendations followed?", "Followed")
    choose(page, "IVIG dose based on", "Adjusted body weight")

    publish_revision_2(editor, reviewer)  # while the clinician reads revision 1
    page.get_by_role("button", name="Finalize").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Revision 2 of the guideline was published after this summary was shown"
    )
    notice = page.locator(".revision-changed")
    expect(notice).to_contain_text("The guideline changed since these answers were given")
    expect(notice.get_by_role("link", name="See what's new")).to_have_attribute(
        "href", "/guideline/revisions/#revision-2"
    )
    expect(page.get_by_text(REWORDED)).to_be_visible()
    assert not Encounter.objects.get().is_finalized

    page.get_by_role("button", name="Finalize").click()  # the decision was kept
    expect(page.get_by_text("Finalized on")).to_be_visible()
    encounter = Encounter.objects.get()
    assert encounter.revision.number == 2 and encounter.decision == "followed"
    expect(page.locator(".revision-changed")).to_have_count(0)


def test_without_javascript_discard_asks_on_a_page_then_returns_to_the_list(open_page, clinician):
    page = open_page(java_script_enabled=False)
    sign_in(page, clinician.username)
    start_encounter(page)
    # Something saved, without a patient reference (an untouched one is not listed).
    page.get_by_label("Actual body weight (kg)").fill("70")
    choose(page, "Is LEMS confirmed?", "Yes, confirmed")
    save_and_continue(page)
    page.goto("/encounters/")
    row = page.get_by_role("row").filter(has_text="Not given")
    row.get_by_text("Discard", exact=True).click()  # a <details>: opens without a script
    row.get_by_role("button", name="Discard for good").click()

    expect(page).to_have_url(re.compile(r"/encounters/$"))
    expect(page.get_by_role("status")).to_have_text("The encounter was discarded.")
    expect(page.get_by_text("Not given")).to_have_count(0)
    assert Encounter.objects.count() == 0
    assert Encounter.all_objects.get().discarded_at is not None


def test_without_javascript_the_summarys_discard_asks_on_its_own_page(open_page, clinician):
    page = open_page(java_script_enabled=False)
    sign_in(page, clinician.username)
    start_encounter(page)
    answer_step(page, "patient", reference="E2E-ABANDON")
    save_and_continue(page)
    page.goto(page.url.rsplit("/", 2)[0] + "/")  # the summary, steps still unanswered
    page.get_by_role("link", name="Discard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Discard this encounter?")
    expect(page.get_by_text("This is the encounter of E2E-ABANDON")).to_be_visible()
    page.get_by_role("link", name="Keep it").click()
    expect(page).to_have_url(SUMMARY_URL)
    assert Encounter.objects.count() == 1

    page.get_by_role("link", name="Discard").click()
    page.get_by_role("button", name="Discard for good").click()
    expect(page.get_by_role("status")).to_have_text("The encounter was discarded.")
    expect(page.get_by_text("E2E-ABANDON")).to_have_count(0)
    assert Encounter.objects.count() == 0
