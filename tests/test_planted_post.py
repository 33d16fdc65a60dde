"""An anonymous attacker at a shared ward PC cannot have a post applied as the next clinician
who signs in there, nor fill the session table.

A signed-out post to an encounter is kept only with the proof its page carried (the hidden
`shown_to` field: shown to this user, for this encounter, in this browser's session), is
applied only by that user's own sign-in POST, once, and never by a GET.
"""

import re
import threading
import uuid
from datetime import timedelta
from http.cookies import SimpleCookie
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import connection  # noqa: F401 (named by the skipif condition)
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guidance import encounters
from guidance.models import Encounter
from lems_site import session_resume
from lems_site.forms import SignInForm
from lems_site.session_resume import PENDING_POST, PROOF_MAX_AGE
from tests.pages import controls, shown_to
from tests.paths import STEP_POSTS, as_shown
from tests.test_security import at_once

PASSWORD = "pw-for-tests-only"
HTMX = {"HTTP_HX_REQUEST": "true"}
A_PLANTED_DECISION = {"decision": "not_followed", "decision_reason": "patient_declined"}


@pytest.fixture
def on_tumour_step(make_encounter):
    return make_encounter(
        answers={"weight_kg": 70.0, "diagnosis_confirmed": "yes"}, patient_reference="MRN-0042"
    )


@pytest.fixture
def ready_to_finalize(make_encounter, ivig_answers):
    return make_encounter(answers=ivig_answers, status="complete", patient_reference="MRN-0042")


def end_every_session():
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))


def signed_out_browser():
    """The ward PC's browser, nobody signed in: it fetches the sign-in page first, as an
    attacker does for a CSRF token."""
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(reverse("login")).content.decode()
    browser.token = controls(page, "csrfmiddlewaretoken")[0]["value"]
    return browser


def plant(browser, url, data, **headers):
    return browser.post(url, {**data, "csrfmiddlewaretoken": browser.token}, **headers)


def sign_in_on(page, browser, user):
    """Signs in on the sign-in form a response showed, with its own `next`, following
    redirects as a browser does."""
    token = controls(page, "csrfmiddlewaretoken")[0]["value"]
    fields = {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    fields["next"] = controls(page, "next")[0].get("value", "")
    return browser.post(reverse("login"), fields, follow=True)


def sign_in(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def tumour_url(encounter):
    return reverse("step", args=[encounter.pk, "tumour"])


def finalize_url(encounter):
    return reverse("finalize", args=[encounter.pk])


def kept_for(clinician_client, encounter):
    """The clinician's session ends on the tumour step and a form of it is kept."""
    page = clinician_client.get(tumour_url(encounter)).content.decode()
    end_every_session()
    posted = {**STEP_POSTS["tumour"], "shown_to": shown_to(page)}
    response = clinician_client.post(tumour_url(encounter), posted, **HTMX)
    page = response.content.decode()
    assert "what you sent is kept" in page
    return page


# --- no proof: not kept ------------------------------------------------------------------


def test_a_planted_decision_without_proof_is_not_stored_nor_applied_when_the_victim_signs_in(
    clinician, ready_to_finalize
):
    browser = signed_out_browser()

    response = plant(browser, finalize_url(ready_to_finalize), as_shown(A_PLANTED_DECISION))

    page = response.content.decode()
    assert "You are not signed in, so this was not saved" in page
    assert "what you sent is kept" not in page
    assert not Session.objects.exists()
    # The victim signs in on the form the attacker left on the screen.
    sign_in_on(page, browser, clinician)
    ready_to_finalize.refresh_from_db()
    assert not ready_to_finalize.is_finalized
    assert ready_to_finalize.decision == ""


def test_a_planted_step_without_proof_never_changes_the_weight(clinician, on_tumour_step):
    browser = signed_out_browser()
    patient = reverse("step", args=[on_tumour_step.pk, "patient"])

    response = plant(browser, patient, {**STEP_POSTS["patient"], "weight_kg": "250"}, **HTMX)

    assert not Session.objects.exists()
    sign_in_on(response.content.decode(), browser, clinician)
    assert Encounter.objects.get().answers["weight_kg"] == 70.0


@pytest.mark.parametrize(
    "proof",
    [
        "",
        "not-a-proof",
        # Well made, but not with this server's secret key.
        signing.dumps({"u": 1, "e": "x", "s": "x"}, key="guessed", salt=session_resume.PROOF_SALT),
    ],
    ids=["empty", "garbage", "forged"],
)
def test_a_made_up_proof_is_not_kept(clinician, ready_to_finalize, proof):
    browser = signed_out_browser()

    response = plant(
        browser,
        finalize_url(ready_to_finalize),
        as_shown({**A_PLANTED_DECISION, "shown_to": proof}),
    )

    assert "not signed in" in response.content.decode()
    assert not Session.objects.exists()


# --- a proof, but not for this post ----------------------------------------------------------


def test_a_proof_for_another_encounter_does_not_keep_a_post_to_this_one(
    clinician_client, on_tumour_step, ready_to_finalize
):
    page = clinician_client.get(tumour_url(on_tumour_step)).content.decode()
    end_every_session()

    response = clinician_client.post(
        finalize_url(ready_to_finalize),
        as_shown({**A_PLANTED_DECISION, "shown_to": shown_to(page)}),
    )

    assert "not signed in" in response.content.decode()
    assert PENDING_POST not in clinician_client.session


def test_a_proof_copied_to_another_browser_is_worthless(clinician_client, on_tumour_step):
    page = clinician_client.get(tumour_url(on_tumour_step)).content.decode()
    end_every_session()
    browser = signed_out_browser()
    rows = Session.objects.count()

    posted = {**STEP_POSTS["tumour"], "smoking": "current", "shown_to": shown_to(page)}
    response = plant(browser, tumour_url(on_tumour_step), posted)

    assert "not signed in" in response.content.decode()
    assert Session.objects.count() == rows


def test_a_page_older_than_a_shift_no_longer_keeps_its_form(clinician_client, on_tumour_step):
    long_ago = timezone.now().timestamp() - PROOF_MAX_AGE - 60
    with mock.patch.object(signing, "time", mock.Mock(time=lambda: long_ago)):
        page = clinician_client.get(tumour_url(on_tumour_step)).content.decode()
    end_every_session()

    posted = {**STEP_POSTS["tumour"], "shown_to": shown_to(page)}
    response = clinician_client.post(tumour_url(on_tumour_step), posted)

    assert "not signed in" in response.content.decode()
    assert PENDING_POST not in clinician_client.session


# --- kept for A: never applied as B, never by a GET, once --------------------------------------


def test_a_post_kept_for_one_clinician_is_never_applied_when_another_signs_in(
    clinician_client, clinician, other_clinician, on_tumour_step
):
    sign_in_form = kept_for(clinician_client, on_tumour_step)

    # The next clinician at that PC signs in on the form left on the screen.
    response = sign_in_on(sign_in_form, clinician_client, other_clinician)

    # The usual home page: no 404 for someone else's encounter, nothing of it shown.
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert response.status_code == 200
    assert "MRN-0042" not in response.content.decode()
    assert Encounter.objects.get().answers.get("tumour_status") is None
    # It is gone: the clinician it was kept for, signing in there later, gets nothing either.
    clinician_client.post(reverse("logout"))
    assert sign_in(clinician_client, clinician)["Location"] == reverse("home")
    assert Encounter.objects.get().answers.get("tumour_status") is None


def test_no_get_of_any_address_applies_a_kept_post(clinician_client, clinician, on_tumour_step):
    kept_for(clinician_client, on_tumour_step)
    encounter = on_tumour_step.pk
    addresses = [
        reverse("login"),
        "/accounts/resume/",  # applied the kept post before
        reverse("home"),
        reverse("summary", args=[encounter]),
        tumour_url(on_tumour_step),
        reverse("finalize", args=[encounter]),
    ]
    for url in addresses:
        clinician_client.get(url)
    # Signed in some other way than the sign-in form (another tab's sign-in, the admin's).
    clinician_client.force_login(clinician)
    for url in addresses:
        clinician_client.get(url)
        clinician_client.get(url, **HTMX)

    assert Encounter.objects.get().answers.get("tumour_status") is None


def test_a_kept_post_is_applied_once_when_the_sign_in_is_sent_twice_at_once(
    clinician_client, clinician, on_tumour_step
):
    kept_for(clinician_client, on_tumour_step)
    # A second tab (or a double click) with the same cookie, sent before the first is done:
    # it signs in in full while the first sign-in, its session already read, checks the
    # password.
    twin = Client()
    twin.cookies = SimpleCookie(clinician_client.cookies.output(header="", sep=";"))
    real_clean = SignInForm.clean
    twin_responses = []

    def clean_while_the_twin_signs_in(form):
        if not twin_responses:
            twin_responses.append(None)
            twin_responses[0] = sign_in(twin, clinician)
        return real_clean(form)

    saves = mock.Mock(wraps=encounters.save_step)

    with (
        mock.patch.object(SignInForm, "clean", clean_while_the_twin_signs_in),
        mock.patch.object(encounters, "save_step", saves),
    ):
        first = sign_in(clinician_client, clinician)

    assert saves.call_count == 1
    next_step = reverse("step", args=[on_tumour_step.pk, "symptomatic"])
    landed = sorted([first["Location"], twin_responses[0]["Location"]])
    assert landed == sorted([next_step, reverse("home")])


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="real concurrent writers need PostgreSQL (CI runs the suite on it too)",
)
@pytest.mark.django_db(transaction=True)
def test_four_sign_ins_at_once_on_postgresql_apply_the_kept_post_once(
    guideline, clinician, make_encounter
):
    encounter = make_encounter(answers={"weight_kg": 70.0, "diagnosis_confirmed": "yes"})
    first = Client()
    first.force_login(clinician)
    kept_for(first, encounter)
    tabs = [first]
    for _ in range(3):
        tab = Client()
        tab.cookies = SimpleCookie(first.cookies.output(header="", sep=";"))
        tabs.append(tab)
    # Each sign-in waits, its session read, until all four have read it.
    everyone_has_read_the_session = threading.Barrier(len(tabs))
    real_clean = SignInForm.clean

    def clean_together(form):
        everyone_has_read_the_session.wait(timeout=20)
        return real_clean(form)

    saves = mock.Mock(wraps=encounters.save_step)
    with (
        mock.patch.object(SignInForm, "clean", clean_together),
        mock.patch.object(encounters, "save_step", saves),
    ):
        responses = at_once([(sign_in, (tab, clinician)) for tab in tabs])

    assert saves.call_count == 1
    landed = sorted(response["Location"] for response in responses)
    next_step = reverse("step", args=[encounter.pk, "symptomatic"])
    assert landed == sorted([next_step] + [reverse("home")] * 3)


def test_a_sign_in_replayed_with_the_old_cookie_applies_nothing(
    clinician_client, clinician, on_tumour_step
):
    kept_for(clinician_client, on_tumour_step)
    replay = Client()
    replay.cookies = SimpleCookie(clinician_client.cookies.output(header="", sep=";"))
    assert sign_in(clinician_client, clinician)["Location"].endswith("/symptomatic/")
    Encounter.objects.filter(pk=on_tumour_step.pk).update(answers=on_tumour_step.answers)

    assert sign_in(replay, clinician)["Location"] == reverse("home")
    assert Encounter.objects.get().answers.get("tumour_status") is None


def test_a_kept_post_older_than_a_session_is_dropped(
    clinician_client, clinician, on_tumour_step, settings
):
    kept_for(clinician_client, on_tumour_step)
    session = clinician_client.session
    session[PENDING_POST]["kept_at"] -= settings.SESSION_COOKIE_AGE + 1
    session.save()

    assert sign_in(clinician_client, clinician)["Location"] == reverse("home")
    assert Encounter.objects.get().answers.get("tumour_status") is None


# --- no flood of the session table ---------------------------------------------------------


def test_a_huge_anonymous_post_creates_no_session_row(guideline):
    browser = signed_out_browser()
    url = f"/encounters/{uuid.uuid4()}/patient/"

    response = plant(browser, url, {"patient_reference": "x" * 2_400_000})

    assert response.status_code == 200
    assert not Session.objects.exists()


def test_a_made_up_session_cookie_creates_no_session_row(guideline):
    browser = signed_out_browser()
    browser.cookies["sessionid"] = "made-up-" + "0" * 24

    for _ in range(3):
        plant(browser, f"/encounters/{uuid.uuid4()}/patient/", {"weight_kg": "70"})
        browser.get(reverse("login"))

    assert not Session.objects.exists()


def test_a_huge_post_with_a_real_proof_is_not_kept_either(clinician_client, on_tumour_step):
    page = clinician_client.get(tumour_url(on_tumour_step)).content.decode()
    end_every_session()
    rows = Session.objects.count()

    posted = {**STEP_POSTS["tumour"], "smoking": "x" * 2_400_000, "shown_to": shown_to(page)}
    response = clinician_client.post(tumour_url(on_tumour_step), posted)

    assert "this form could not be kept" in response.content.decode()
    assert Session.objects.count() == rows


# --- every encounter form carries the proof -----------------------------------------------


def test_every_form_that_posts_to_an_encounter_carries_the_proof(
    clinician_client, make_encounter, ivig_answers, prescribed
):
    open_one = make_encounter(answers=ivig_answers, status="complete", patient_reference="A-1")
    pages = [
        reverse("home"),
        reverse("encounter_list"),
        reverse("step", args=[open_one.pk, "patient"]),
        reverse("step", args=[open_one.pk, "ivig"]),
        reverse("summary", args=[open_one.pk]),
        reverse("discard", args=[open_one.pk]),
        reverse("review", args=[prescribed.pk]),
    ]
    forms_seen = 0
    for url in pages:
        page = clinician_client.get(url).content.decode()
        for form in re.findall(r"<form\b.*?</form>", page, re.S):
            target = re.search(r'action="/encounters/([0-9a-f-]{36})/', form)
            if target is None:
                continue
            forms_seen += 1
            proof = controls(form, "shown_to")
            assert proof, f"a form on {url} has no proof"
            payload = signing.loads(proof[0]["value"], salt=session_resume.PROOF_SALT)
            assert payload["e"] == target.group(1)
    assert forms_seen >= len(pages)


@pytest.fixture
def prescribed(clinician_client, make_encounter, ivig_answers):
    """An encounter finalized with an IVIG course: its review page has a form."""
    encounter = make_encounter(answers=ivig_answers, status="complete", patient_reference="B-2")
    decision = {
        "decision": "followed",
        "dose_basis": "actual",
        "ivig_g_per_kg": "2.0",
        "ivig_days": "5",
        "course_start_date": timezone.localdate().isoformat(),
        "baseline_scale": "qmg",
        "baseline_score": "18",
    }
    response = clinician_client.post(finalize_url(encounter), as_shown(decision))
    assert response.status_code == 302
    return encounter
