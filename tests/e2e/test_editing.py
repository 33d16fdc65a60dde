"""An editor rewords a statement in the admin: new encounters show it, finalized ones do not."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import SUMMARY_URL, choose, save_and_continue, shoot, sign_in, start_encounter

pytestmark = pytest.mark.e2e

OLD_TEXT = "This pathway is for confirmed LEMS; confirm the diagnosis"
NEW_TEXT = "Confirm LEMS (VGCC antibodies or neurophysiology) before using this pathway."


def out_of_scope_summary(page):
    start_encounter(page)
    page.get_by_label("Weight (kg)").fill("70")
    choose(page, "Is LEMS confirmed?", "No, not yet confirmed")
    save_and_continue(page)
    expect(page).to_have_url(SUMMARY_URL)
    return page.get_by_role("region", name="Before you go on")


def test_a_reworded_statement_reaches_new_encounters_but_not_finalized_ones(
    open_page, clinician, editor
):
    clinic = open_page()
    sign_in(clinic, clinician.username)
    scope = out_of_scope_summary(clinic)
    expect(scope).to_contain_text(OLD_TEXT)
    choose(clinic, "Were the recommendations followed?", "Followed")
    clinic.get_by_role("button", name="Finalize").click()
    expect(clinic.get_by_text("Finalized on")).to_be_visible()
    finalized_url = clinic.url

    admin = open_page()
    sign_in(admin, editor.username, then="/admin/guidance/statement/")
    admin.get_by_role("textbox", name="Search").fill("out-of-scope")
    admin.get_by_role("button", name="Search").click()
    admin.get_by_role("link", name="out-of-scope", exact=True).click()
    text = admin.get_by_role("textbox", name="Text:", exact=True)
    expect(text).to_have_value(re.compile("^" + re.escape(OLD_TEXT)))
    text.fill(NEW_TEXT)
    shoot(admin, "admin-statement-change")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.get_by_text("was changed successfully")).to_be_visible()

    clinic.goto(finalized_url)
    expect(scope).to_contain_text(OLD_TEXT)
    expect(scope).not_to_contain_text(NEW_TEXT)

    scope = out_of_scope_summary(clinic)
    expect(scope).to_contain_text(NEW_TEXT)
    expect(scope).not_to_contain_text(OLD_TEXT)
