"""Discarding an unfinished encounter, and telling apart rows without a patient reference.

Discard is a soft delete: a timestamp and a line in the access log. A discarded encounter
leaves its owner's list, home page and search, and its pages answer 404; a finalized one is
the record of a decision and answers 409. The confirm step is a page (or, in the list, a
<details> form) without JavaScript; with htmx the table's row says it is discarded.
(Another clinician, an editor and an anonymous visitor: tests/test_encounters.py.)
"""

import re

import pytest
from django.urls import reverse

from guidance.engine import pathway
from guidance.models import AccessLog, Encounter
from tests.paths import STEP_POSTS, answers_before, as_shown
from tests.test_budgets import count_queries, start_session
from tests.test_tumour_risk_pages import months_ago, worked_example_answers

HTMX = {"HX-Request": "true"}


@pytest.fixture
def open_encounter(make_encounter, ivig_answers):
    return make_encounter(patient_reference="MRN-DISCARD", answers=ivig_answers)


@pytest.fixture
def finalized(clinician_client, make_encounter, ivig_answers):
    encounter = make_encounter(
        patient_reference="MRN-FINAL", answers=ivig_answers, status="complete"
    )
    url = reverse("finalize", args=[encounter.pk])
    decided = as_shown({"decision": "followed", "dose_basis": "actual"}, encounter)
    assert clinician_client.post(url, decided).status_code == 302
    return encounter


def discard_url(encounter):
    return reverse("discard", args=[encounter.pk])


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- the confirm step and the discard ----------------------------------------------------


def test_the_confirm_page_asks_first_and_discards_nothing(clinician_client, open_encounter):
    page = page_of(clinician_client, discard_url(open_encounter))
    assert "Discard this encounter?" in page
    assert "This is the encounter of MRN-DISCARD: in progress" in page
    assert re.search(rf'<form method="post" action="{discard_url(open_encounter)}"', page)
    assert Encounter.objects.filter(pk=open_encounter.pk).exists()
    assert not AccessLog.objects.filter(action="discarded").exists()


def test_discarding_sets_it_aside_logs_it_and_returns_to_the_list(
    clinician_client, clinician, open_encounter
):
    response = clinician_client.post(discard_url(open_encounter))

    assert response.status_code == 302
    assert response["Location"] == reverse("encounter_list")
    kept = Encounter.all_objects.get(pk=open_encounter.pk)  # soft: the row stays
    assert kept.discarded_at is not None
    assert kept.answers == open_encounter.answers
    log = AccessLog.objects.get(encounter=kept)
    assert (log.user, log.action) == (clinician, "discarded")
    page = page_of(clinician_client, response["Location"])
    assert "The encounter was discarded." in page
    assert "MRN-DISCARD" not in page


def test_an_htmx_discard_answers_with_the_row_saying_so(clinician_client, open_encounter):
    response = clinician_client.post(discard_url(open_encounter), headers=HTMX)

    assert response.status_code == 200
    row = response.content.decode()
    assert row.strip().startswith('<tr class="discarded-row">')
    assert "Discarded: the encounter of MRN-DISCARD." in row
    assert "<html" not in row
    assert Encounter.all_objects.get(pk=open_encounter.pk).discarded_at is not None


def test_a_complete_encounter_not_yet_finalized_can_be_discarded(
    clinician_client, make_encounter, ivig_answers
):
    encounter = make_encounter(answers=ivig_answers, status="complete")
    assert clinician_client.post(discard_url(encounter)).status_code == 302
    assert not Encounter.objects.filter(pk=encounter.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_finalized_encounter_is_never_discarded(clinician_client, finalized, method, htmx):
    headers = HTMX if htmx else {}
    response = getattr(clinician_client, method)(discard_url(finalized), headers=headers)

    assert response.status_code == 409
    assert "can never be discarded" in response.content.decode()
    assert Encounter.objects.get(pk=finalized.pk).discarded_at is None
    assert not AccessLog.objects.filter(action="discarded").exists()


def test_a_second_discard_is_404(clinician_client, open_encounter):
    clinician_client.post(discard_url(open_encounter))
    assert clinician_client.post(discard_url(open_encounter)).status_code == 404
    assert AccessLog.objects.filter(action="discarded").count() == 1


# --- gone for its owner too ---------------------------------------------------------------


def test_a_discarded_encounter_vanishes_from_the_list_home_and_search(
    clinician_client, make_encounter, open_encounter
):
    make_encounter(patient_reference="MRN-KEPT")
    clinician_client.post(discard_url(open_encounter))

    for page in (
        page_of(clinician_client, reverse("encounter_list")),
        page_of(clinician_client, reverse("home")),
        clinician_client.post(reverse("encounter_list"), {"reference": "MRN"}).content.decode(),
        clinician_client.post(
            reverse("encounter_list"), {"status": "in_progress"}
        ).content.decode(),
    ):
        assert "MRN-KEPT" in page
        assert "MRN-DISCARD" not in page
        assert str(open_encounter.pk) not in page


def test_a_discarded_encounter_vanishes_from_the_screens_due(clinician_client, make_encounter):
    # Score 3, last negative screen 4 months ago: overdue, on the home page.
    overdue = make_encounter(
        patient_reference="MRN-SCREEN", answers=worked_example_answers(months_ago(4))
    )
    unreferenced = make_encounter(answers=worked_example_answers(months_ago(4)))
    home = page_of(clinician_client, reverse("home"))
    due = home[home.index('id="screens-due-heading"') : home.index("My recent encounters")]
    assert "MRN-SCREEN" in due
    assert "Not given · started" in due  # told apart, as in the tables

    clinician_client.post(discard_url(overdue))
    clinician_client.post(discard_url(unreferenced))

    home = page_of(clinician_client, reverse("home"))
    assert "MRN-SCREEN" not in home
    assert "No screen is due in the next 30 days." in home


@pytest.mark.parametrize(
    "url",
    [
        lambda pk: reverse("summary", args=[pk]),
        lambda pk: reverse("print", args=[pk]),
        lambda pk: reverse("summary_pdf", args=[pk]),
        lambda pk: reverse("encounter_fhir", args=[pk]),
        lambda pk: reverse("discard", args=[pk]),
        *[lambda pk, step=step: reverse("step", args=[pk, step]) for step in pathway.STEPS],
    ],
)
def test_a_discarded_encounters_pages_are_404_to_its_owner(clinician_client, open_encounter, url):
    clinician_client.post(discard_url(open_encounter))
    assert clinician_client.get(url(open_encounter.pk)).status_code == 404


@pytest.mark.parametrize("step", pathway.STEPS)
def test_a_discarded_encounter_takes_no_step_and_no_finalize(
    clinician_client, open_encounter, step
):
    clinician_client.post(discard_url(open_encounter))
    before = Encounter.all_objects.filter(pk=open_encounter.pk).values().get()
    step_url = reverse("step", args=[open_encounter.pk, step])
    assert clinician_client.post(step_url, STEP_POSTS[step]).status_code == 404
    finalize = reverse("finalize", args=[open_encounter.pk])
    decided = as_shown({"decision": "followed", "dose_basis": "actual"}, open_encounter)
    assert clinician_client.post(finalize, decided).status_code == 404
    assert Encounter.all_objects.filter(pk=open_encounter.pk).values().get() == before


# --- the list: offering discard, rows without a reference, its queries --------------------


def test_the_list_offers_discard_for_open_encounters_only(
    clinician_client, open_encounter, finalized
):
    page = page_of(clinician_client, reverse("encounter_list"))
    assert f'action="{discard_url(open_encounter)}"' in page
    assert f'hx-post="{discard_url(open_encounter)}"' in page
    assert discard_url(finalized) not in page


def test_the_summary_of_an_open_encounter_links_its_confirm_page(
    clinician_client, open_encounter, finalized
):
    assert discard_url(open_encounter) in page_of(
        clinician_client, reverse("summary", args=[open_encounter.pk])
    )
    assert discard_url(finalized) not in page_of(
        clinician_client, reverse("summary", args=[finalized.pk])
    )


def test_rows_without_a_reference_show_when_they_started_and_the_step_reached(
    clinician_client, make_encounter, ivig_answers, settings
):
    settings.TIME_ZONE = "Europe/Amsterdam"
    first = make_encounter(answers=answers_before("severity", ivig_answers))
    second = make_encounter(answers={"weight_kg": 70.0})  # an untouched one is not listed
    done = make_encounter(answers=ivig_answers, status="complete")
    Encounter.objects.filter(pk=first.pk).update(created_at="2026-11-30T08:05:00Z")
    Encounter.objects.filter(pk=second.pk).update(created_at="2026-11-30T14:40:00Z")
    Encounter.objects.filter(pk=done.pk).update(created_at="2026-11-29T23:15:00Z")

    page = page_of(clinician_client, reverse("encounter_list"))

    assert "(none)" not in page
    assert "Not given · started 30 Nov 2026 09:05 · next step: Severity" in page
    assert "Not given · started 30 Nov 2026 15:40 · next step: Patient" in page
    assert "Not given · started 30 Nov 2026 00:15 · every step answered" in page
    home = page_of(clinician_client, reverse("home"))
    assert "Not given · started 30 Nov 2026 09:05 · next step: Severity" in home
    confirm = page_of(clinician_client, discard_url(first))
    assert (
        "This is the encounter started 30 Nov 2026 09:05 (next step: Severity), with no "
        "patient reference: in progress" in confirm
    )


def test_the_lists_queries_do_not_change_with_discarded_or_unreferenced_rows(
    clinician_client, make_encounter, ivig_answers
):
    for number in range(3):
        make_encounter(patient_reference=f"MRN-{number}", answers=ivig_answers)
    start_session(clinician_client)
    list_url = reverse("encounter_list")
    before = count_queries(lambda: clinician_client.get(list_url))
    home_before = count_queries(lambda: clinician_client.get(reverse("home")))
    for _ in range(6):
        make_encounter(answers=answers_before("ivig", ivig_answers))
    for encounter in Encounter.objects.all()[:4]:
        clinician_client.post(discard_url(encounter))
    assert count_queries(lambda: clinician_client.get(list_url)) == before
    assert count_queries(lambda: clinician_client.get(reverse("home"))) == home_before
