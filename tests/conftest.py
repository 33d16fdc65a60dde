"""Shared fixtures: the loaded guideline, a clinician, an editor, and signed-in clients."""

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client


@pytest.fixture
def guideline(db):
    call_command("load_guideline", verbosity=0, stdout=io.StringIO())
    from guidance.models import Guideline

    return Guideline.objects.get(slug="lems-ivig")


def _user_in(group_name, username, **extra):
    user = User.objects.create_user(username=username, password="pw-for-tests-only", **extra)
    user.groups.add(Group.objects.get(name=group_name))
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
def clinician_client(clinician, guideline):
    client = Client()
    client.force_login(clinician)
    return client


@pytest.fixture
def editor_client(editor, guideline):
    client = Client()
    client.force_login(editor)
    return client
