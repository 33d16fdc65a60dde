"""Patient data and hardening: access log, headers, sign-in throttling, escaped content,
concurrent tabs and atomic finalize."""

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse

from guidance.models import AccessLog, Encounter, Statement
from tests.paths import as_shown


@pytest.fixture
def complete_encounter(make_encounter, ivig_answers):
    return make_encounter(patient_reference="MRN-SEC-1", answers=ivig_answers, status="complete")


def finalize(client, encounter):
    return client.post(
        reverse("finalize", args=[encounter.pk]),
        as_shown({"decision": "followed", "dose_basis": "actual"}, encounter),
    )


# Access log


def test_viewing_printing_downloading_and_finalizing_are_logged(
    clinician_client, clinician, complete_encounter
):
    clinician_client.get(reverse("summary", args=[complete_encounter.pk]))
    finalize(clinician_client, complete_encounter)
    clinician_client.get(reverse("print", args=[complete_encounter.pk]))
    clinician_client.get(reverse("summary_pdf", args=[complete_encounter.pk]))
    logged = list(
        AccessLog.objects.filter(encounter=complete_encounter)
        .order_by("at", "pk")
        .values_list("user__username", "action")
    )
    assert logged == [
        ("dr_ada", "viewed"),
        ("dr_ada", "finalized"),
        ("dr_ada", "printed"),
        ("dr_ada", "downloaded"),
    ]


def test_another_clinicians_failed_look_is_not_logged_as_a_view(
    complete_encounter, other_clinician
):
    client = Client()
    client.force_login(other_clinician)
    assert client.get(reverse("summary", args=[complete_encounter.pk])).status_code == 404
    assert not AccessLog.objects.exists()


def test_only_superusers_see_the_access_log_in_the_admin(editor_client, complete_encounter, db):
    AccessLog.objects.create(
        user=complete_encounter.owner, encounter=complete_encounter, action="viewed"
    )
    url = reverse("admin:guidance_accesslog_changelist")
    assert editor_client.get(url).status_code == 403
    superuser = User.objects.create_superuser("root", password="pw-for-tests-only")
    client = Client()
    client.force_login(superuser)
    page = client.get(url)
    assert page.status_code == 200
    assert str(complete_encounter.pk) in page.content.decode()
    assert "MRN-SEC-1" not in page.content.decode()


def test_no_patient_reference_reaches_a_url(clinician_client, make_encounter):
    encounter = make_encounter(patient_reference="MRN-URL-9")
    response = clinician_client.post(reverse("encounter_list"), {"reference": "MRN-URL"})
    page = response.content.decode()
    assert "MRN-URL-9" in page
    for attribute in ("href", "action", "hx-post", "hx-get"):
        assert f'{attribute}="' not in page or "MRN-URL" not in "".join(
            chunk.split('"')[1] for chunk in page.split(f'{attribute}="')[1:]
        )
    assert reverse("summary", args=[encounter.pk]) in page


# Headers


def test_pages_carry_a_strict_content_security_policy_and_the_other_headers(clinician_client):
    response = clinician_client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if "script-src" in part)
    assert "'self'" in script_src
    assert "unsafe-inline" not in script_src
    assert "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_no_page_has_an_inline_script(clinician_client, complete_encounter):
    for url in (
        reverse("home"),
        reverse("step", args=[complete_encounter.pk, "patient"]),
        reverse("summary", args=[complete_encounter.pk]),
        reverse("print", args=[complete_encounter.pk]),
        reverse("guideline"),
        reverse("login"),
    ):
        page = clinician_client.get(url).content.decode()
        for chunk in page.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag, f"inline script on {url}"
        assert " onclick=" not in page
        assert "hx-on" not in page


# Sign-in throttling


def test_sign_in_is_paused_after_five_failures_with_a_clear_message(client, clinician):
    for _ in range(5):
        client.post(reverse("login"), {"username": "dr_ada", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "dr_ada", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_a_few_failures_do_not_lock_the_account(client, clinician):
    for _ in range(3):
        client.post(reverse("login"), {"username": "dr_ada", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "dr_ada", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302


def test_passwords_are_checked_by_djangos_validators(settings):
    names = {
        validator["NAME"].rsplit(".", 1)[-1] for validator in settings.AUTH_PASSWORD_VALIDATORS
    }
    assert {"MinimumLengthValidator", "CommonPasswordValidator"} <= names


# Content safety

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.mark.parametrize("url_name", ["summary", "print", "step", "guideline"])
def test_markup_in_a_statement_never_reaches_a_page_raw(
    clinician_client, complete_encounter, url_name
):
    Statement.objects.filter(code__in=["dap-first-line", "ivig-reserved"]).update(text=HOSTILE)
    args = {
        "summary": [complete_encounter.pk],
        "print": [complete_encounter.pk],
        "step": [complete_encounter.pk, "ivig"],
        "guideline": [],
    }[url_name]
    page = clinician_client.get(reverse(url_name, args=args)).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "<img src=x onerror" not in page


def test_markup_in_a_statement_is_plain_text_in_the_pdf(clinician_client, complete_encounter):
    import io

    from pypdf import PdfReader

    Statement.objects.filter(code="ivig-reserved").update(text=HOSTILE)
    finalize(clinician_client, complete_encounter)
    response = clinician_client.get(reverse("summary_pdf", args=[complete_encounter.pk]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert '<script>alert("x")</script>' in text  # shown as text, not run or dropped


# Concurrency


def test_a_stale_tab_does_not_undo_another_tabs_answers(clinician_client, make_encounter):
    encounter = make_encounter(answers={"weight_kg": 70.0, "diagnosis_confirmed": "yes"})
    step = reverse("step", args=[encounter.pk, "tumour"])
    # Tab A opened the tumour step; tab B answers the symptomatic step; tab A saves.
    clinician_client.get(step)
    clinician_client.post(
        reverse("step", args=[encounter.pk, "symptomatic"]), {"dap_status": "inadequate"}
    )
    clinician_client.post(
        step, {"tumour_status": "not_found", "smoking": "never", "screen_included_pet": "yes"}
    )
    encounter.refresh_from_db()
    assert encounter.answers["dap_status"] == "inadequate"
    assert encounter.answers["tumour_status"] == "not_found"


def test_a_second_finalize_answers_409_and_keeps_the_first_decision(
    clinician_client, complete_encounter
):
    assert finalize(clinician_client, complete_encounter).status_code == 302
    second = clinician_client.post(
        reverse("finalize", args=[complete_encounter.pk]),
        {"decision": "not_followed", "decision_reason": "other", "decision_note": "x"},
    )
    assert second.status_code == 409
    complete_encounter.refresh_from_db()
    assert complete_encounter.decision == "followed"


def test_a_finalize_that_fails_midway_leaves_the_encounter_as_it_was(
    clinician_client, complete_encounter, monkeypatch
):
    def broken_log(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(AccessLog, "record", broken_log)
    with pytest.raises(RuntimeError):
        finalize(clinician_client, complete_encounter)
    complete_encounter.refresh_from_db()
    assert complete_encounter.status == "complete"
    assert complete_encounter.snapshot is None
    assert complete_encounter.finalized_at is None


def at_once(calls):
    """Run each (function, args) in its own thread, released together; their results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, function, args):
        barrier.wait()
        try:
            results[index] = function(*args)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, function, args))
        for index, (function, args) in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="real concurrent writers need PostgreSQL (CI runs the suite on it too)",
)
@pytest.mark.django_db(transaction=True)
def test_two_tabs_saving_at_once_lose_no_answer_and_finalize_once(guideline, clinician):
    encounter = Encounter.objects.create(
        owner=clinician,
        answers={
            "weight_kg": 70.0,
            "diagnosis_confirmed": "yes",
            "height_cm": 175.0,
            "sex": "male",
        },
    )
    tabs = []
    for _ in range(4):
        tab = Client()
        tab.force_login(clinician)
        tabs.append(tab)
    posts = [
        ("tumour", {"tumour_status": "not_found", "smoking": "never",
                    "screen_included_pet": "yes"}),
        ("symptomatic", {"dap_status": "inadequate"}),
        ("severity", {"weakness": "severe", "rapid_improvement_needed": "no",
                      "immunosuppression": "starting"}),
        ("ivig", {"plasma_exchange_available": "no"}),
    ]  # fmt: skip

    def save(tab, step, data):
        return tab.post(reverse("step", args=[encounter.pk, step]), data).status_code

    for _ in range(5):
        statuses = at_once([(save, (tab, *post)) for tab, post in zip(tabs, posts, strict=True)])
        assert statuses == [302] * len(posts)
        encounter.refresh_from_db()
        for _, data in posts:
            for field, value in data.items():
                assert encounter.answers[field] == value

    finalizations = at_once([(finalize, (tab, encounter)) for tab in tabs[:3]])
    assert sorted(response.status_code for response in finalizations) == [302, 409, 409]
    encounter.refresh_from_db()
    assert encounter.status == "finalized"
