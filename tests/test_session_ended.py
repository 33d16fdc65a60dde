"""A session that ends mid-step loses nothing: the post is kept for the clinician whose
session it was, the sign-in form answers it in place, and signing in again as that clinician
applies it. (What no one else can do with this: tests/test_planted_post.py.)"""

import re
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guidance.models import Encounter
from lems_site.session_resume import PENDING_POST
from tests.pages import shown_to
from tests.paths import STEP_POSTS, as_shown

PASSWORD = "pw-for-tests-only"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def on_tumour_step(make_encounter):
    """An encounter whose patient step is answered: the tumour step is next."""
    return make_encounter(
        answers={"weight_kg": 70.0, "diagnosis_confirmed": "yes"}, patient_reference="MRN-0042"
    )


def end_every_session():
    """What the idle timeout does: the server no longer accepts the session."""
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))


def sign_in(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def tumour_url(encounter):
    return reverse("step", args=[encounter.pk, "tumour"])


def the_tumour_step_as_shown(client, encounter, **posted):
    """What the tumour step's form sends: the answers and the proof the page carried."""
    page = client.get(tumour_url(encounter)).content.decode()
    return {**STEP_POSTS["tumour"], **posted, "shown_to": shown_to(page)}


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_step_posted_after_the_session_ended_is_saved_by_signing_in_again(
    clinician_client, clinician, on_tumour_step, htmx
):
    posted = the_tumour_step_as_shown(clinician_client, on_tumour_step)
    end_every_session()
    headers = HTMX if htmx else {}

    response = clinician_client.post(tumour_url(on_tumour_step), posted, **headers)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Your session ended" in page and "what you sent is kept" in page
    assert 'action="/accounts/login/"' in page
    assert Encounter.objects.get().answers.get("tumour_status") is None  # not saved yet

    response = sign_in(clinician_client, clinician)

    assert response.status_code == 302
    assert response["Location"] == reverse("step", args=[on_tumour_step.pk, "symptomatic"])
    answers = Encounter.objects.get().answers
    assert answers["tumour_status"] == "not_found"
    assert answers["smoking"] == "never"
    assert answers["weight_kg"] == 70.0  # the earlier steps are untouched


def test_htmx_gets_the_sign_in_form_in_place_not_a_page_in_a_page(clinician_client, on_tumour_step):
    posted = the_tumour_step_as_shown(clinician_client, on_tumour_step)
    end_every_session()

    response = clinician_client.post(tumour_url(on_tumour_step), posted, **HTMX)

    page = response.content.decode()
    assert "<html" not in page and "<main" not in page
    assert response["HX-Retarget"] == "#main"
    assert response["HX-Reswap"] == "innerHTML"
    # The navigation bar is replaced too: it no longer offers "Sign out" for the ended session.
    assert 'id="site-nav"' in page and 'hx-swap-oob="true"' in page
    assert "Sign out" not in page
    assert '<div id="idle-warning" hx-swap-oob="delete">' in page


def test_a_plain_post_gets_the_whole_sign_in_page(clinician_client, on_tumour_step):
    posted = the_tumour_step_as_shown(clinician_client, on_tumour_step)
    end_every_session()

    response = clinician_client.post(tumour_url(on_tumour_step), posted)

    page = response.content.decode()
    assert page.count("<html") == 1
    assert "Your session ended" in page
    assert "Sign out" not in page


def test_a_kept_post_with_mistakes_is_shown_again_with_its_errors_once(
    clinician_client, clinician, on_tumour_step
):
    posted = the_tumour_step_as_shown(clinician_client, on_tumour_step, smoking="")
    posted["tumour_status"] = "found"
    end_every_session()
    clinician_client.post(tumour_url(on_tumour_step), posted, **HTMX)

    response = sign_in(clinician_client, clinician)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-summary"' in page
    # What was chosen is still chosen, and the form posts to the step again.
    assert re.search(r'<input[^>]*value="found"[^>]*checked', page)
    assert f'action="{tumour_url(on_tumour_step)}"' in page
    assert Encounter.objects.get().answers.get("tumour_status") is None

    # Signing in again later applies nothing more.
    clinician_client.post(reverse("logout"))
    assert sign_in(clinician_client, clinician)["Location"] == reverse("home")


def test_the_decision_posted_after_the_session_ended_finalizes_on_signing_in(
    clinician_client, clinician, make_encounter, ivig_answers
):
    encounter = make_encounter(answers=ivig_answers, status="complete")
    page = clinician_client.get(reverse("summary", args=[encounter.pk])).content.decode()
    end_every_session()

    response = clinician_client.post(
        reverse("finalize", args=[encounter.pk]),
        as_shown({"decision": "followed", "dose_basis": "actual", "shown_to": shown_to(page)}),
    )
    assert "Your session ended" in response.content.decode()

    response = sign_in(clinician_client, clinician)

    assert response["Location"] == reverse("summary", args=[encounter.pk])
    encounter.refresh_from_db()
    assert encounter.is_finalized
    assert encounter.decision == "followed"


def test_a_second_form_from_another_tab_of_the_ended_session_is_kept_instead(
    clinician_client, clinician, on_tumour_step
):
    # Two tabs of one session: after the first is answered with the sign-in form, the
    # browser sends the new (signed-out) session's cookie with the second tab's form.
    first = the_tumour_step_as_shown(clinician_client, on_tumour_step, smoking="current")
    second = the_tumour_step_as_shown(clinician_client, on_tumour_step)
    end_every_session()
    clinician_client.post(tumour_url(on_tumour_step), first, **HTMX)

    response = clinician_client.post(tumour_url(on_tumour_step), second, **HTMX)

    assert "what you sent is kept" in response.content.decode()
    sign_in(clinician_client, clinician)
    assert Encounter.objects.get().answers["smoking"] == "never"


def test_any_post_of_an_encounter_is_kept_so_later_forms_need_nothing_more(
    clinician_client, clinician, on_tumour_step
):
    # A form that does not exist yet at /encounters/<uuid>/<form>/ is kept the same way,
    # given the proof: the middleware goes by the address, not by a list of views.
    url = f"/encounters/{on_tumour_step.pk}/second-opinion/"
    proof = the_tumour_step_as_shown(clinician_client, on_tumour_step)["shown_to"]
    end_every_session()

    clinician_client.post(url, {"comment": "Looks right", "shown_to": proof})

    kept = clinician_client.session[PENDING_POST]
    assert kept["path"] == url
    assert kept["user"] == clinician.pk
    # Neither the ended session's token nor the proof is kept: they are never replayed.
    assert kept["data"] == [["comment", ["Looks right"]]]


def test_a_discard_from_the_list_page_is_kept_like_any_other_form(
    clinician_client, clinician, make_encounter, ivig_answers
):
    # The discard form of a row of "My encounters" carries the proof too.
    encounter = make_encounter(answers=ivig_answers, patient_reference="MRN-0042")
    page = clinician_client.get(reverse("encounter_list")).content.decode()
    end_every_session()

    clinician_client.post(
        reverse("discard", args=[encounter.pk]), {"shown_to": shown_to(page)}, **HTMX
    )
    sign_in(clinician_client, clinician)

    assert Encounter.all_objects.get(pk=encounter.pk).discarded_at is not None


def test_a_post_without_a_valid_token_is_refused_and_not_kept(on_tumour_step):
    client = Client(enforce_csrf_checks=True)

    response = client.post(tumour_url(on_tumour_step), STEP_POSTS["tumour"])

    assert response.status_code == 403
    assert PENDING_POST not in client.session


def test_a_kept_post_older_than_a_session_is_dropped(
    clinician_client, clinician, on_tumour_step, settings
):
    posted = the_tumour_step_as_shown(clinician_client, on_tumour_step)
    end_every_session()
    clinician_client.post(tumour_url(on_tumour_step), posted, **HTMX)
    session = clinician_client.session
    session[PENDING_POST]["kept_at"] = int(time.time()) - settings.SESSION_COOKIE_AGE - 1
    session.save()

    response = sign_in(clinician_client, clinician)

    assert response["Location"] == reverse("home")
    assert Encounter.objects.get().answers.get("tumour_status") is None


def test_a_form_larger_than_any_real_one_is_not_kept_and_says_so(clinician_client, on_tumour_step):
    posted = the_tumour_step_as_shown(clinician_client, on_tumour_step)
    end_every_session()
    rows = Session.objects.count()

    response = clinician_client.post(
        tumour_url(on_tumour_step), {**posted, "smoking": "x" * 20_000}, **HTMX
    )

    page = response.content.decode()
    assert "this form could not be kept" in page
    assert "what you sent is kept" not in page
    assert Session.objects.count() == rows


def test_an_htmx_get_after_the_session_ended_loads_the_sign_in_page_whole(
    clinician_client, on_tumour_step
):
    end_every_session()

    response = clinician_client.get(tumour_url(on_tumour_step), **HTMX)

    expected = f"{reverse('login')}?{urlencode({'next': tumour_url(on_tumour_step)})}"
    assert response["HX-Redirect"] == expected


# --- the warning before the idle timeout ----------------------------------------------------


def test_signed_in_pages_carry_the_idle_timeout_and_the_stay_signed_in_form(
    clinician_client, settings
):
    page = clinician_client.get(reverse("home")).content.decode()
    assert f'data-idle-seconds="{settings.SESSION_COOKIE_AGE}"' in page
    assert 'id="idle-warning"' in page
    assert f'action="{reverse("keep_alive")}"' in page
    assert "Stay signed in" in page


def test_stay_signed_in_pushes_the_session_expiry_back(clinician_client, settings):
    soon = timezone.now() + timedelta(seconds=30)
    Session.objects.update(expire_date=soon)

    response = clinician_client.post(reverse("keep_alive"), **HTMX)

    assert response.status_code == 204
    expiry = Session.objects.get().expire_date
    assert expiry > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_stay_signed_in_without_javascript_returns_to_the_page_but_never_elsewhere(
    clinician_client,
):
    response = clinician_client.post(reverse("keep_alive"), {"next": "/guideline/"})
    assert response["Location"] == "/guideline/"
    response = clinician_client.post(reverse("keep_alive"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("home")
