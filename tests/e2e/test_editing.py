"""An editor rewords a statement in a draft, a reviewer publishes it, and clinicians see it:
on the guideline page with its "What's new", and in new encounters, not in finalized ones."""

import re

import pytest
from playwright.sync_api import expect

from guidance.models import Encounter
from tests.e2e.pages import (
    SUMMARY_URL,
    assert_accessible,
    choose,
    save_and_continue,
    shoot,
    sign_in,
    start_encounter,
)

pytestmark = pytest.mark.e2e

OLD_TEXT = "This pathway is for confirmed LEMS; confirm the diagnosis"
NEW_TEXT = "Confirm LEMS (VGCC antibodies or neurophysiology) before using this pathway."
WHATS_NEW = "Reworded the out-of-scope statement."


def seen_text(cell):
    """A comparison cell's text as it looks: without the visually hidden "[removed: ...]"."""
    text = cell.evaluate(
        """cell => { const copy = cell.cloneNode(true);
        copy.querySelectorAll('.visually-hidden').forEach(label => label.remove());
        return copy.textContent; }"""
    )
    return " ".join(text.split())


def out_of_scope_summary(page):
    start_encounter(page)
    page.get_by_label("Actual body weight (kg)").fill("70")
    choose(page, "Is LEMS confirmed?", "No, not yet confirmed")
    save_and_continue(page)
    expect(page).to_have_url(SUMMARY_URL)
    return page.get_by_role("region", name="For this patient", exact=True)


def test_a_drafted_change_reaches_clinicians_once_a_reviewer_publishes_it(
    open_page, clinician, editor, reviewer
):
    clinic = open_page()
    sign_in(clinic, clinician.username)
    scope = out_of_scope_summary(clinic)
    expect(scope).to_contain_text(OLD_TEXT)
    choose(clinic, "Were the recommendations followed?", "Followed")
    clinic.get_by_role("button", name="Finalize").click()
    expect(clinic.get_by_text("Finalized on")).to_be_visible()
    finalized_url = clinic.url

    # The editor starts a draft and rewords the statement in it.
    admin = open_page()
    sign_in(admin, editor.username, then="/admin/guidance/revision/")
    admin.get_by_role("button", name="Start a draft").click()
    expect(admin.get_by_text("Revision 2 started as a draft")).to_be_visible()
    admin.goto("/admin/guidance/statement/")
    admin.get_by_role("textbox", name="Search").fill("out-of-scope")
    admin.get_by_role("button", name="Search").click()
    admin.get_by_role("link", name="out-of-scope", exact=True).click()
    text = admin.get_by_role("textbox", name="Text:", exact=True)
    expect(text).to_have_value(re.compile("^" + re.escape(OLD_TEXT)))
    text.fill(NEW_TEXT)
    shoot(admin, "admin-statement-change")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.get_by_text("was changed successfully")).to_be_visible()

    # Saved in the draft only: clinicians still read revision 1.
    clinic.goto("/guideline/")
    expect(clinic.locator("#s-out-of-scope")).to_contain_text(OLD_TEXT)

    admin.goto("/admin/guidance/revision/")
    admin.get_by_role("link", name="2", exact=True).click()
    admin.get_by_role("textbox", name="Change summary:").fill(WHATS_NEW)
    admin.get_by_role("button", name="Submit for review").click()
    expect(admin.get_by_text("Revision 2 was submitted for review")).to_be_visible()

    # The reviewer reads the diff side by side and publishes.
    review = open_page()
    sign_in(review, reviewer.username, then="/admin/guidance/revision/")
    review.get_by_role("link", name="2", exact=True).click()
    review.get_by_role("link", name="Review: publish or return").click()
    # The text, and the verification it lost with the new words (DESIGN §3).
    changed = review.locator("tr.diff-changed")
    expect(changed).to_have_count(2)
    assert OLD_TEXT in seen_text(changed.first.locator(".diff-before"))
    assert NEW_TEXT in seen_text(changed.first.locator(".diff-after"))
    expect(changed.nth(1)).to_contain_text("Not confirmed")
    # The changed words are marked, and named for a screen reader.
    expect(changed.first.locator(".diff-before del").first).to_contain_text("removed")
    expect(changed.first.locator(".diff-after ins").first).to_contain_text("added")
    shoot(review, "admin-revision-review")
    assert_accessible(review, "admin revision review")
    review.get_by_role("button", name="Publish").click()
    expect(review.get_by_text("Revision 2 is published")).to_be_visible()

    clinic.goto("/guideline/")
    expect(clinic.locator("#s-out-of-scope")).to_contain_text(NEW_TEXT)
    whats_new = clinic.get_by_role("region", name="What's new in revision 2")
    expect(whats_new).to_contain_text(WHATS_NEW)
    clinic.get_by_role("link", name="all revisions and what changed").click()
    expect(clinic.get_by_role("heading", name="Revision 2 (current)")).to_be_visible()
    assert NEW_TEXT in seen_text(clinic.locator("tr.diff-changed .diff-after").first)
    assert_accessible(clinic, "guideline revisions")

    clinic.goto(finalized_url)
    expect(scope).to_contain_text(OLD_TEXT)
    expect(scope).not_to_contain_text(NEW_TEXT)

    scope = out_of_scope_summary(clinic)
    expect(scope).to_contain_text(NEW_TEXT)
    expect(scope).not_to_contain_text(OLD_TEXT)


RESERVED_TEXT = "IVIG should be reserved for severe weakness that 3,4-DAP does not control."


def test_the_admin_opens_on_what_needs_me_and_an_edited_guideline_text_is_marked(
    open_page, clinician, editor, reviewer, ivig_answers
):
    encounter = Encounter.objects.create(
        owner=clinician, answers=ivig_answers, status="complete", patient_reference="E2E-EDIT"
    )
    admin = open_page()
    sign_in(admin, editor.username, then="/admin/")
    needs = admin.get_by_role("region", name="What needs me")
    expect(needs).to_contain_text("No draft is open")
    shoot(admin, "admin-what-needs-me-editor")
    needs.get_by_role("button", name="Start a draft").click()
    expect(admin.get_by_text("Revision 2 started as a draft")).to_be_visible()

    admin.goto("/admin/guidance/statement/")
    admin.get_by_role("textbox", name="Search").fill("ivig-reserved")
    admin.get_by_role("button", name="Search").click()
    admin.get_by_role("link", name="ivig-reserved", exact=True).click()
    admin.get_by_role("textbox", name="Text:", exact=True).fill(RESERVED_TEXT)
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.get_by_text("verification is now")).to_be_visible()

    admin.goto("/admin/")
    expect(needs).to_contain_text("Open draft: revision 2")
    expect(needs).to_contain_text("statements: 1 changed (ivig-reserved)")
    needs.get_by_role("link", name="Open the draft").click()
    admin.get_by_role("textbox", name="Change summary:").fill(WHATS_NEW)
    admin.get_by_role("button", name="Submit for review").click()
    expect(admin.get_by_text("Revision 2 was submitted for review")).to_be_visible()

    review = open_page()
    sign_in(review, reviewer.username, then="/admin/")
    waiting = review.get_by_role("region", name="What needs me")
    expect(waiting).to_contain_text("Waiting for your review: revision 2")
    expect(waiting).to_contain_text(f"Submitted by {editor.get_full_name() or editor.username}")
    shoot(review, "admin-what-needs-me-reviewer")
    assert_accessible(review, "admin index")
    waiting.get_by_role("link", name="Review: publish or return").click()
    wording = review.locator("tr.diff-changed", has_text="Wording")
    assert (
        seen_text(wording.locator(".diff-after")) == "Edited locally: differs from the source text"
    )
    review.get_by_role("button", name="Publish").click()
    expect(review.get_by_text("Revision 2 is published")).to_be_visible()

    clinic = open_page()
    sign_in(clinic, clinician.username, then=f"/encounters/{encounter.pk}/")
    statement = clinic.locator("#s-ivig-reserved")
    expect(statement.locator(".marker-edited")).to_have_text("Edited locally")
    expect(statement.locator(".marker-verification")).to_have_text("Not confirmed")
    clinic.goto(f"/encounters/{encounter.pk}/print/")
    expect(clinic.locator("#s-ivig-reserved")).to_contain_text(
        "Edited locally: the wording differs from the guideline's source text"
    )
