"""Settings, health check, sign-in, the guideline page and the base look."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from guidance.models import Statement

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env):
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "lems_site.settings", **env},
        capture_output=True,
        text=True,
    )


def test_with_debug_off_the_app_refuses_to_start_without_a_secret_key():
    result = run_check(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_with_debug_off_the_app_refuses_to_start_without_its_fhir_address():
    result = run_check(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "lems.E001" in result.stderr and "FHIR_BASE_URL is not set" in result.stderr


def test_with_debug_off_a_secret_key_and_its_fhir_address_the_app_starts():
    result = run_check(
        DEBUG="false", SECRET_KEY="x" * 50, FHIR_BASE_URL="https://lems.hospital.example/fhir"
    )
    assert result.returncode == 0, result.stderr


def test_production_settings_pass_the_deployment_check_with_no_warning():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "lems_site.settings",
            "DEBUG": "false",
            "SECRET_KEY": "a-long-random-production-secret-" + "k3y" * 10,
            "ALLOWED_HOSTS": "lems.hospital.example",
            "FHIR_BASE_URL": "https://lems.hospital.example/fhir",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_session_ends_after_30_idle_minutes_and_at_browser_close(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_activity_renews_the_session_at_most_once_a_minute(clinician_client, monkeypatch):
    from django.contrib.sessions.models import Session

    def expiry():
        return Session.objects.get().expire_date

    clock = [1_000_000.0]
    monkeypatch.setattr("lems_site.middleware.time.time", lambda: clock[0])
    clinician_client.get(reverse("home"))
    first = expiry()
    clock[0] += 30
    clinician_client.get(reverse("home"))
    assert expiry() == first  # within the minute: no write
    clock[0] += 31
    clinician_client.get(reverse("home"))
    assert expiry() > first  # a minute on: the idle clock restarts


def test_an_idle_session_is_signed_out(clinician_client):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    response = clinician_client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_debug_value_that_is_not_a_boolean_is_refused():
    result = run_check(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_healthz_answers_200_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_healthz_answers_503_when_the_database_does_not(client, db, monkeypatch):
    from django.db import DatabaseError

    class DatabaseDown:
        def cursor(self):
            raise DatabaseError("connection refused")

    monkeypatch.setattr("lems_site.health.connection", DatabaseDown())
    assert client.get("/healthz").status_code == 503


@pytest.mark.parametrize("name", ["home", "encounter_list", "guideline"])
def test_anonymous_users_go_to_the_login_page(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_clinician_signs_in_and_out(client, clinician, guideline):
    response = client.post(
        reverse("login"), {"username": "dr_ada", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client, clinician):
    response = client.post(reverse("login"), {"username": "dr_ada", "password": "nope"})
    assert response.status_code == 200
    assert b"enter a correct username and password" in response.content


def test_the_guideline_page_shows_every_statement_and_the_reference_list(clinician_client):
    response = clinician_client.get(reverse("guideline"))
    page = response.content.decode()
    for statement in Statement.objects.all():
        assert f'id="s-{statement.code}"' in page
        assert str(statement.text).replace("'", "&#x27;").replace('"', "&quot;") in page
    for number in range(1, 10):
        assert f'id="ref-{number}"' in page
    assert "https://doi.org/10.1002/14651858.CD003279.pub3" in page
    assert "https://pubmed.ncbi.nlm.nih.gov/8797464/" in page
    assert "Treatment Algorithm for LEMS" in page
    assert "Not stated in the source text" in page  # developer and funding are not given


def test_the_guideline_page_marks_statements_that_are_not_verified(clinician_client):
    page = clinician_client.get(reverse("guideline")).content.decode()
    prednisone = page[page.index('id="s-prednisone"') :]
    prednisone = prednisone[: prednisone.index("</li>")]
    assert '<span class="marker marker-verification">Not confirmed</span>' in prednisone
    duration = page[page.index('id="s-ivig-duration"') :]
    duration = duration[: duration.index("</li>")]
    assert "marker-verification" not in duration


def test_editors_read_the_guideline_too(editor_client):
    assert editor_client.get(reverse("guideline")).status_code == 200


def test_pages_load_css_and_htmx_from_our_own_static_files_only(clinician_client):
    page = clinician_client.get(reverse("home")).content.decode()
    assert "/static/vendor/bootstrap/bootstrap.min.css" in page
    assert "/static/django_htmx/htmx-2.min.js" in page
    assert 'hx-headers=\'{"x-csrftoken": "' in page
    for attribute in ('src="http', 'href="http', 'src="//', 'href="//'):
        assert attribute not in page


def test_the_bootstrap_licence_is_kept_beside_it():
    assert "MIT" in (ROOT / "static" / "vendor" / "bootstrap" / "LICENSE").read_text()


def test_the_navigation_offers_encounters_to_clinicians_only(clinician_client, editor_client):
    link = f'href="{reverse("encounter_list")}"'
    assert link in clinician_client.get(reverse("guideline")).content.decode()
    assert link not in editor_client.get(reverse("guideline")).content.decode()


def test_a_full_step_page_asks_the_clinicians_permission_once(
    clinician_client, make_encounter, django_assert_num_queries
):
    encounter = make_encounter()
    url = reverse("step", args=[encounter.pk, "patient"])
    clinician_client.get(url)  # the session's first renewal is not the point here
    # Session, user, the permission, the encounter, and the navigation's reviews due count.
    with django_assert_num_queries(5):
        response = clinician_client.get(url)
    assert f'href="{reverse("encounter_list")}"' in response.content.decode()
