"""Browser fixtures: one Chromium per session, a fresh context per test, a live server.

The suite drives Debian's Chromium (Playwright cannot download browsers here). Without it
every browser test is skipped under one summary line, except on CI, where they fail.
"""

import io
import os
from importlib import import_module
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command

from tests.e2e.pages import DESKTOP, PASSWORD

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# ORM calls from the test body (a known pytest-playwright and live_server interaction).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

# The groups and their permissions, as the data migration defines them.
GROUP_PERMISSIONS = import_module("guidance.migrations.0008_reviewers").GROUP_PERMISSIONS
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def pytest_collect_file(file_path, parent):
    """Without Chromium, the whole folder is skipped under one line; on CI, it fails."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM}: apt-get install chromium",
            pytrace=False,
        )
    pytest.skip("browser tests off: apt-get install chromium to run them")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(transactional_db, live_server):
    """The live server, with the guideline and the groups of the data migrations.

    Each browser test empties the database when it ends (the live server needs committed
    data), which also removes the groups the migration made; so they are made again here.
    """
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="guidance", codename__in=codenames)
        )
    call_command("load_guideline", verbosity=0, stdout=io.StringIO())
    return live_server


def _user_in(group_name, username, **extra):
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def clinician(site):
    return _user_in("Clinicians", "dr_grace", first_name="Grace", last_name="Hopper")


@pytest.fixture
def editor(site):
    return _user_in("Editors", "ed_rosalind", first_name="Rosalind", is_staff=True)


@pytest.fixture
def reviewer(site):
    return _user_in("Reviewers", "rev_dorothy", first_name="Dorothy", is_staff=True)


@pytest.fixture
def open_page(browser, site):
    """Opens a page in a new browser context (JavaScript on unless asked otherwise)."""
    contexts = []

    def open_page(*, java_script_enabled=True):
        context = browser.new_context(
            base_url=site.url, viewport=DESKTOP, java_script_enabled=java_script_enabled
        )
        context.set_default_timeout(5_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    return open_page()
