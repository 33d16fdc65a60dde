"""Shared fixtures: the loaded guideline, a clinician, an editor, a reviewer, a draft, and
signed-in clients."""

import io
from importlib import import_module

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.test import Client

from tests.paths import IVIG_PATH_ANSWERS


def _load_guideline():
    call_command("load_guideline", verbosity=0, stdout=io.StringIO())


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database with the guideline loaded once for the whole session: each test's
    transaction rolls back to it."""
    with django_db_blocker.unblock():
        _load_guideline()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """What is kept per revision (guidance/content/rendered.py) is keyed by the revision's
    id and content version; a test's rolled-back transaction can leave another test the
    same row with other content, so each test starts with empty caches (the PDFs' too:
    guidance/encounters/pdf.py)."""
    from django.conf import settings
    from django.core.cache import caches

    from guidance.content import rendered

    rendered.forget()
    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture
def guideline(db):
    from guidance.models import Guideline

    found = Guideline.objects.filter(slug="lems-ivig").first()
    if found is None:  # a transactional test emptied the database: load it again
        _load_guideline()
        found = Guideline.objects.get(slug="lems-ivig")
    return found


# The groups and their permissions, as the data migrations define them.
GROUP_PERMISSIONS = import_module("guidance.migrations.0008_reviewers").GROUP_PERMISSIONS


def group(name):
    """The group the migrations made; made again after a transactional test flushed it."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="guidance", codename__in=GROUP_PERMISSIONS[name]
            )
        )
    return group


def _user_in(group_name, username, **extra):
    user = User.objects.create_user(username=username, password="pw-for-tests-only", **extra)
    user.groups.add(group(group_name))
    return user


@pytest.fixture
def clinician(db):
    return _user_in("Clinicians", "dr_ada", first_name="Ada", last_name="Byron")


@pytest.fixture
def other_clinician(db):
    return _user_in("Clinicians", "dr_other")


@pytest.fixture
def editor(db):
    return _user_in("Editors", "ed_editor", is_staff=True)


@pytest.fixture
def reviewer(db):
    return _user_in("Reviewers", "rev_reviewer", is_staff=True)


@pytest.fixture
def draft(guideline, editor):
    """An open draft of revision 2, started by the editor: a copy of revision 1."""
    from guidance.content.revisions import start_draft

    return start_draft(guideline, editor)


@pytest.fixture
def clinician_client(clinician, guideline):
    client = Client()
    client.force_login(clinician)
    return client


@pytest.fixture
def editor_client(editor, guideline):
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def ivig_answers():
    """A fresh copy of the happy IVIG path's answers, free to change in a test."""
    return {
        field: list(value) if isinstance(value, list) else value
        for field, value in IVIG_PATH_ANSWERS.items()
    }


@pytest.fixture
def make_encounter(clinician):
    """Creates an encounter, the clinician's unless another owner is given."""
    from guidance.models import Encounter

    def make(owner=None, **fields):
        return Encounter.objects.create(owner=owner or clinician, **fields)

    return make
