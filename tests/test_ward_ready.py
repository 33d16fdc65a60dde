"""What hospital IT and a failing request meet: /healthz over plain HTTP, the local time
zone, the PDF without its system libraries, and branded error pages with a way home."""

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from guidance.models import Encounter
from tests.paths import as_shown
from tests.test_site import run_check

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


# --- /healthz and the https redirect --------------------------------------------------------


def test_healthz_answers_200_over_plain_http_while_other_pages_redirect_to_https(settings, db):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # a new handler builds its middleware with the setting on

    assert client.get("/healthz").status_code == 200
    redirected = client.get(reverse("login"))
    assert redirected.status_code == 301
    assert redirected["Location"].startswith("https://")


# --- the hospital's time zone ---------------------------------------------------------------


def test_time_zone_comes_from_the_environment_and_a_misspelt_one_is_refused():
    assert run_check(DEBUG="true", TIME_ZONE="Europe/Amsterdam").returncode == 0
    result = run_check(DEBUG="true", TIME_ZONE="Europe/Amsterdm")
    assert result.returncode != 0
    assert "TIME_ZONE must be a time zone name" in result.stderr


def test_the_print_page_shows_local_times(settings, clinician_client, make_encounter, ivig_answers):
    settings.TIME_ZONE = "Europe/Amsterdam"
    encounter = make_encounter(answers=ivig_answers, status="complete")
    # 10:00 UTC on a summer day is 12:00 in Amsterdam (CEST, UTC+2).
    Encounter.objects.filter(pk=encounter.pk).update(
        updated_at=datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    )

    page = clinician_client.get(reverse("print", args=[encounter.pk])).content.decode()

    assert "1 Jul 2026 12:00 CEST" in page
    assert "1 Jul 2026 10:00" not in page


# --- the PDF without WeasyPrint's system libraries ------------------------------------------


@pytest.fixture
def finalized(clinician_client, make_encounter, ivig_answers):
    encounter = make_encounter(answers=ivig_answers, status="complete")
    clinician_client.post(
        reverse("finalize", args=[encounter.pk]),
        as_shown({"decision": "followed", "dose_basis": "actual"}, encounter),
    )
    return encounter


def test_without_pango_the_pdf_button_explains_instead_of_failing(
    clinician_client, finalized, monkeypatch
):
    # What a server without Pango sees: importing WeasyPrint fails.
    monkeypatch.setitem(sys.modules, "weasyprint", None)

    response = clinician_client.get(reverse("summary_pdf", args=[finalized.pk]))

    assert response.status_code == 503
    page = response.content.decode()
    assert "cannot make PDFs" in page
    assert reverse("print", args=[finalized.pk]) in page  # the way on: the print view


def test_a_pdf_render_failing_in_a_system_library_explains_too(
    clinician_client, finalized, monkeypatch
):
    import weasyprint

    def broken(self, *args, **kwargs):
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)

    response = clinician_client.get(reverse("summary_pdf", args=[finalized.pk]))

    assert response.status_code == 503
    assert "cannot make PDFs" in response.content.decode()


# --- error pages ------------------------------------------------------------------------------


def test_a_missing_page_is_branded_with_a_way_home(clinician_client):
    response = clinician_client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in page
    assert f'href="{reverse("home")}"' in page
    assert 'id="site-nav"' in page


def test_a_refused_page_is_branded_with_a_way_home(editor_client, make_encounter):
    response = editor_client.get(reverse("summary", args=[make_encounter().pk]))
    assert response.status_code == 403
    assert "Go to the start page" in response.content.decode()


def test_changing_a_finalized_encounter_is_a_branded_409_leading_to_its_summary(
    clinician_client, finalized
):
    response = clinician_client.post(
        reverse("step", args=[finalized.pk, "tumour"]),
        {"tumour_status": "found", "smoking": "current"},
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert "finalized and can no longer be changed" in page
    assert reverse("summary", args=[finalized.pk]) in page


def test_a_server_error_is_branded_with_a_way_home(clinician_client, make_encounter, monkeypatch):
    from guidance.encounters import views

    def failing(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "_render_summary", failing)
    clinician_client.raise_request_exception = False

    response = clinician_client.get(reverse("summary", args=[make_encounter().pk]))

    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on the server" in page
    assert 'href="/"' in page


@pytest.mark.parametrize("path", ["/no-such-page/", "/encounters/not-a-uuid/"])
def test_with_debug_on_a_wrong_address_still_shows_the_branded_page(
    clinician_client, settings, path
):
    # `make run` sets DEBUG: a wrong address must not show Django's page of every address.
    settings.DEBUG = True
    response = clinician_client.get(path)
    page = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in page
    assert "DEBUG = True" not in page


def test_with_debug_on_a_server_error_still_shows_the_branded_page(
    clinician_client, make_encounter, monkeypatch, settings
):
    from guidance.encounters import views

    def failing(*args, **kwargs):
        raise RuntimeError("a bug")

    settings.DEBUG = True
    monkeypatch.setattr(views, "_render_summary", failing)
    clinician_client.raise_request_exception = False
    response = clinician_client.get(reverse("summary", args=[make_encounter().pk]))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on the server" in page
    assert "RuntimeError" not in page


def test_debug_pages_shows_djangos_technical_page_when_asked_for(clinician_client, settings):
    settings.DEBUG = True
    settings.DEBUG_PAGES = True
    response = clinician_client.get("/no-such-page/")
    assert response.status_code == 404
    assert "DEBUG = True" in response.content.decode()


def test_the_500_page_has_no_template_tag_that_could_fail_in_turn():
    page = (TEMPLATES / "500.html").read_text()
    assert "{%" not in page and "{{" not in page
