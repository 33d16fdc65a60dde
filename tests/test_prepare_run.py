"""`manage.py prepare_run`, what `make run` does before serving: migrate, load the guideline,
clear expired sessions and make the demo accounts, in one process."""

import datetime
import io

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from guidance.management.commands import prepare_run
from guidance.models import Guideline


@pytest.mark.django_db
def test_it_loads_the_guideline_clears_ended_sessions_and_makes_the_demo_accounts(settings):
    settings.DEBUG = True
    Session.objects.create(
        session_key="ended", session_data="", expire_date=timezone.now() - datetime.timedelta(1)
    )
    out = io.StringIO()
    call_command("prepare_run", stdout=out, verbosity=1)
    assert Guideline.objects.filter(slug="lems-ivig").exists()
    assert not Session.objects.filter(session_key="ended").exists()
    assert set(User.objects.values_list("username", flat=True)) >= {
        "clinician",
        "editor",
        "reviewer",
    }
    assert "Demo clinician: clinician / " in out.getvalue()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's synchronous setting")
def test_a_migrated_database_is_written_as_always():
    # Only a database with no migration applied yet is migrated without waiting on the disk.
    assert not prepare_run._fresh_sqlite()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] != 0


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's journal and sync modes")
def test_a_sqlite_file_is_written_ahead_and_kept_through_a_power_cut(tmp_path):
    from django.db.backends.sqlite3.base import DatabaseWrapper

    file_database = DatabaseWrapper(
        {**connection.settings_dict, "NAME": str(tmp_path / "db.sqlite3")}, alias="file"
    )
    try:
        with file_database.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL
    finally:
        file_database.close()
