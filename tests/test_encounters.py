"""Encounters: starting one, who may reach it, my list and its search, and the query budget.

An encounter belongs to the clinician who started it: anyone else gets 404 at every one of
its addresses, and nothing changes. The list is searched by POST, so a patient reference
never lands in a URL.
"""

import re
import uuid

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guidance.content.rendered import revision_content
from guidance.engine import pathway
from guidance.models import (
    Citation,
    Encounter,
    Guideline,
    Revision,
    Section,
    Statement,
    StatementCitation,
)
from tests.paths import STEP_POSTS as IVIG_PATH_POSTS
from tests.paths import answers_before

STEP_POSTS = {
    "patient": {"patient_reference": "MRN-0042", "weight_kg": "70", "diagnosis_confirmed": "yes"},
    "tumour": {"tumour_status": "found", "smoking": "current"},
    "symptomatic": {"dap_status": "not_tolerated"},
    "severity": {
        "weakness": "mild",
        "rapid_improvement_needed": "yes",
        "immunosuppression": "none",
    },
    "ivig": {"plasma_exchange_available": "no", "ivig_risk_factors": ["thrombosis"]},
}

# Every address of one encounter, with its method.
ADDRESSES = [
    ("summary", "get"),
    ("finalize", "post"),
    ("print", "get"),
    ("summary_pdf", "get"),
    ("discard", "get"),
    ("discard", "post"),
    *[(f"step:{step}", method) for step in pathway.STEPS for method in ("get", "post")],
]


def address(name, encounter_id):
    if name.startswith("step:"):
        return reverse("step", args=[encounter_id, name.removeprefix("step:")])
    return reverse(name, args=[encounter_id])


def send(client, name, method, encounter_id, **headers):
    url = address(name, encounter_id)
    if method == "get":
        return client.get(url, **headers)
    if name == "finalize":
        data = {"decision": "not_followed", "decision_reason": "other", "decision_note": "x"}
    elif name == "discard":
        data = {}
    else:
        data = STEP_POSTS[name.removeprefix("step:")]
    return client.post(url, {**data, "dose_basis": "adjusted"}, **headers)


def state(encounter):
    encounter = Encounter.all_objects.get(pk=encounter.pk)
    return (
        encounter.discarded_at,
        encounter.owner_id,
        encounter.answers,
        encounter.patient_reference,
        encounter.status,
        encounter.decision,
        encounter.snapshot,
        encounter.updated_at,
    )


@pytest.fixture
def ivig_encounter(make_encounter, ivig_answers):
    return make_encounter(answers=ivig_answers, status="complete", patient_reference="MRN-0042")


@pytest.fixture
def other_client(other_clinician, guideline):
    client = Client()
    client.force_login(other_clinician)
    return client


def rows(response):
    """The patient references in the table of encounters, in order."""
    page = response.content.decode()
    return re.findall(r"<tr>\s*<td[^>]*>([^<]*)</td>", page)


# --- starting an encounter ---------------------------------------------------------------


def test_starting_an_encounter_makes_it_mine_and_opens_the_patient_step(
    clinician_client, clinician
):
    response = clinician_client.post(reverse("new_encounter"))
    encounter = Encounter.objects.get()
    assert encounter.owner == clinician
    assert encounter.answers == {}
    assert encounter.status == "in_progress"
    assert response["Location"] == reverse("step", args=[encounter.pk, "patient"])


def test_an_encounter_is_not_started_by_a_get(clinician_client):
    assert clinician_client.get(reverse("new_encounter")).status_code == 405
    assert not Encounter.objects.exists()


def test_an_anonymous_visitor_starts_no_encounter(client, guideline):
    response = client.post(reverse("new_encounter"))
    assert response["Location"].startswith(reverse("login"))
    assert not Encounter.objects.exists()


# --- who may reach an encounter ----------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize(("name", "method"), ADDRESSES)
def test_another_clinician_gets_404_everywhere_and_nothing_changes(
    other_client, ivig_encounter, name, method, htmx
):
    before = state(ivig_encounter)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = send(other_client, name, method, ivig_encounter.pk, **headers)

    assert response.status_code == 404
    assert "MRN-0042" not in response.content.decode()
    assert state(ivig_encounter) == before


@pytest.mark.parametrize(("name", "method"), ADDRESSES)
def test_an_anonymous_visitor_is_sent_to_sign_in_and_nothing_changes(
    client, ivig_encounter, name, method
):
    before = state(ivig_encounter)

    response = send(client, name, method, ivig_encounter.pk)

    if method == "get":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    else:
        # The sign-in form answers a signed-out post (kept only for the clinician whose
        # session ended: tests/test_session_ended.py), and shows nothing of the encounter.
        assert response.status_code == 200
        assert 'action="/accounts/login/"' in response.content.decode()
        assert "MRN-0042" not in response.content.decode()
    assert state(ivig_encounter) == before


@pytest.mark.parametrize(("name", "method"), ADDRESSES)
def test_an_editor_is_refused_every_encounter_address(editor_client, ivig_encounter, name, method):
    before = state(ivig_encounter)
    response = send(editor_client, name, method, ivig_encounter.pk)
    assert response.status_code == 403
    assert "MRN-0042" not in response.content.decode()
    assert state(ivig_encounter) == before


@pytest.mark.parametrize(("name", "method"), ADDRESSES)
def test_an_encounter_that_does_not_exist_is_404(clinician_client, guideline, name, method):
    assert send(clinician_client, name, method, uuid.uuid4()).status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("step", ["treatment", "Patient", "summary-x", "__init__"])
def test_an_unknown_step_is_404(clinician_client, ivig_encounter, step, method):
    before = state(ivig_encounter)
    url = reverse("step", args=[ivig_encounter.pk, step])
    response = getattr(clinician_client, method)(url, {"weight_kg": "80"})
    assert response.status_code == 404
    assert state(ivig_encounter) == before


@pytest.mark.parametrize("path", ["/encounters/not-a-uuid/", "/encounters/123/patient/"])
def test_an_address_without_a_uuid_is_404(clinician_client, path):
    assert clinician_client.get(path).status_code == 404


# --- my encounters -----------------------------------------------------------------------


def test_my_encounters_lists_only_mine_most_recent_first(
    clinician_client, make_encounter, other_clinician
):
    make_encounter(patient_reference="MINE-OLD")
    make_encounter(patient_reference="MINE-NEW")
    make_encounter(owner=other_clinician, patient_reference="THEIRS-1")

    response = clinician_client.get(reverse("encounter_list"))

    assert response.status_code == 200
    assert rows(response) == ["MINE-NEW", "MINE-OLD"]
    assert "THEIRS-1" not in response.content.decode()


def test_the_home_page_shows_only_my_five_most_recent_encounters(
    clinician_client, make_encounter, other_clinician
):
    for number in range(7):
        make_encounter(patient_reference=f"MINE-{number}")
    make_encounter(owner=other_clinician, patient_reference="THEIRS-1")

    response = clinician_client.get(reverse("home"))

    assert rows(response) == ["MINE-6", "MINE-5", "MINE-4", "MINE-3", "MINE-2"]


def test_the_search_is_posted_so_no_reference_lands_in_a_url(clinician_client, make_encounter):
    encounter = make_encounter(patient_reference="MRN-0042")
    response = clinician_client.post(reverse("encounter_list"), {"reference": "MRN-0042"})
    page = response.content.decode()
    form = re.search(r'<form method="(\w+)" action="([^"]*)"[^>]*id="encounter-search"', page)
    assert form.groups() == ("post", reverse("encounter_list"))
    assert "MRN-0042" not in "".join(re.findall(r'href="([^"]*)"', page))
    assert reverse("summary", args=[encounter.pk]) in page


def test_searching_by_part_of_a_reference_finds_it_in_any_case(clinician_client, make_encounter):
    make_encounter(patient_reference="MRN-0042")
    make_encounter(patient_reference="MRN-0077")
    make_encounter(patient_reference="XY-0042")

    response = clinician_client.post(reverse("encounter_list"), {"reference": "mrn-00"})

    assert sorted(rows(response)) == ["MRN-0042", "MRN-0077"]
    assert 'value="mrn-00"' in response.content.decode()


def test_a_search_never_finds_another_clinicians_encounters(
    clinician_client, make_encounter, other_clinician
):
    make_encounter(owner=other_clinician, patient_reference="MRN-0042")
    response = clinician_client.post(reverse("encounter_list"), {"reference": "MRN"})
    assert rows(response) == []
    assert "MRN-0042" not in response.content.decode().replace('value="MRN"', "")


def test_a_reference_in_the_query_string_does_not_filter(clinician_client, make_encounter):
    make_encounter(patient_reference="MRN-0042")
    make_encounter(patient_reference="MRN-0077")

    response = clinician_client.get(reverse("encounter_list") + "?reference=MRN-0042")

    assert sorted(rows(response)) == ["MRN-0042", "MRN-0077"]
    assert 'value="MRN-0042"' not in response.content.decode()


def test_the_status_filter_shows_only_encounters_in_that_status(clinician_client, make_encounter):
    make_encounter(patient_reference="DRAFT-1")
    make_encounter(patient_reference="DONE-1", status="complete")
    make_encounter(patient_reference="FINAL-1", status="finalized")

    response = clinician_client.post(reverse("encounter_list"), {"status": "finalized"})

    assert rows(response) == ["FINAL-1"]
    assert re.search(r'<option value="finalized" selected>', response.content.decode())


def test_status_and_reference_filter_together(clinician_client, make_encounter):
    make_encounter(patient_reference="MRN-1", status="finalized")
    make_encounter(patient_reference="MRN-2", status="complete")
    make_encounter(patient_reference="XY-3", status="finalized")

    response = clinician_client.post(
        reverse("encounter_list"), {"reference": "MRN", "status": "finalized"}
    )

    assert rows(response) == ["MRN-1"]


def test_my_encounters_come_in_pages_of_25(clinician_client, make_encounter):
    for number in range(30):
        make_encounter(patient_reference=f"P-{number:02}")

    first = clinician_client.post(reverse("encounter_list"), {})
    second = clinician_client.post(reverse("encounter_list"), {"page": "2"})

    assert len(rows(first)) == 25
    assert rows(first)[0] == "P-29"
    assert rows(second) == [f"P-{number:02}" for number in range(4, -1, -1)]
    assert "Page 1 of 2 (30 encounters)" in first.content.decode()
    assert "Page 2 of 2 (30 encounters)" in second.content.decode()
    assert re.search(r'form="encounter-search" name="page" value="2">Next', first.content.decode())


def test_the_next_page_of_a_search_keeps_the_search(clinician_client, make_encounter):
    for number in range(27):
        make_encounter(patient_reference=f"MRN-{number:02}")
    make_encounter(patient_reference="OTHER")

    response = clinician_client.post(reverse("encounter_list"), {"reference": "MRN", "page": "2"})

    assert rows(response) == ["MRN-01", "MRN-00"]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99", "1" * 5000])
def test_a_page_number_out_of_range_shows_a_page_without_failing(
    clinician_client, make_encounter, page
):
    make_encounter(patient_reference="MRN-1")
    response = clinician_client.post(reverse("encounter_list"), {"page": page})
    assert response.status_code == 200
    assert rows(response) == ["MRN-1"]


def test_a_65_character_search_gets_a_message(clinician_client, make_encounter):
    make_encounter(patient_reference="MRN-1")
    response = clinician_client.post(reverse("encounter_list"), {"reference": "M" * 65})
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(
        r'<div class="invalid-feedback">A patient reference has at most 64 characters.</div>',
        page,
    )
    assert "is-invalid" in page


@pytest.mark.parametrize(
    "posted",
    [
        {"status": "deleted"},
        {"reference": ["a", "b"], "status": ["finalized", "x"]},
        {"reference": "\x00"},
        {"reference": "x" * 100_000},
        {"junk": "1", "csrfmiddlewaretoken": "nope"},
    ],
)
def test_a_garbage_search_is_answered_without_failing(clinician_client, make_encounter, posted):
    make_encounter(patient_reference="MRN-1")
    response = clinician_client.post(reverse("encounter_list"), posted)
    assert response.status_code == 200
    assert "My encounters" in response.content.decode()


def test_a_search_that_finds_nothing_does_not_say_i_have_no_encounters(
    clinician_client, make_encounter
):
    make_encounter(patient_reference="MRN-1")
    response = clinician_client.post(reverse("encounter_list"), {"reference": "ZZZ"})
    assert rows(response) == []
    assert "No encounters yet." not in response.content.decode()
    assert "No encounter matches this search." in response.content.decode()


def test_each_row_offers_resume_or_open_and_print(clinician_client, make_encounter, ivig_answers):
    draft = make_encounter(patient_reference="DRAFT-1")
    severity_next = {
        field: ivig_answers[field]
        for field in (
            "weight_kg",
            "diagnosis_confirmed",
            "tumour_status",
            "smoking",
            "screen_included_pet",
            "dap_status",
        )
    }
    halfway = make_encounter(patient_reference="HALF-1", answers=severity_next)
    answered = make_encounter(patient_reference="ALL-1", answers=ivig_answers, status="complete")
    done = make_encounter(patient_reference="FINAL-1", status="finalized")
    page = clinician_client.get(reverse("encounter_list")).content.decode()
    # Resume opens the first unanswered step, or the summary once every step is answered.
    assert re.search(rf'href="{reverse("step", args=[draft.pk, "patient"])}">Resume<', page)
    assert re.search(rf'href="{reverse("step", args=[halfway.pk, "severity"])}">Resume<', page)
    assert re.search(rf'href="{reverse("summary", args=[answered.pk])}">Resume<', page)
    assert re.search(rf'href="{reverse("summary", args=[done.pk])}">Open<', page)
    assert reverse("print", args=[done.pk]) in page


def test_an_untouched_new_encounter_is_not_listed(clinician_client, make_encounter):
    for _ in range(2):  # "Start a new encounter" pressed twice, nothing saved
        clinician_client.post(reverse("new_encounter"))
    kept = make_encounter(patient_reference="MRN-KEPT")
    for url in (reverse("encounter_list"), reverse("home")):
        page = clinician_client.get(url).content.decode()
        assert "MRN-KEPT" in page
        assert "Not given · started" not in page
    assert Encounter.objects.filter(owner=kept.owner).count() == 3


def test_the_summarys_continue_link_opens_the_first_unanswered_step(
    clinician_client, make_encounter, ivig_answers
):
    answers = {field: value for field, value in ivig_answers.items() if field != "weakness"}
    encounter = make_encounter(answers=answers)
    page = clinician_client.get(reverse("summary", args=[encounter.pk])).content.decode()
    link = reverse("step", args=[encounter.pk, "severity"])
    assert f'<a href="{link}" class="alert-link">Continue the pathway</a>' in page


# --- the query budget --------------------------------------------------------------------

QUERY_BUDGET = 10
SEVERITY = {"weakness": "severe", "rapid_improvement_needed": "no", "immunosuppression": "starting"}


def step_get(client, encounter):
    return client.get(reverse("step", args=[encounter.pk, "severity"]))


def step_post(client, encounter):
    return client.post(reverse("step", args=[encounter.pk, "severity"]), SEVERITY)


def step_post_htmx(client, encounter):
    return client.post(
        reverse("step", args=[encounter.pk, "severity"]), SEVERITY, HTTP_HX_REQUEST="true"
    )


def step_post_refused(client, encounter):
    return client.post(reverse("step", args=[encounter.pk, "severity"]), {"weakness": "x"})


def summary_get(client, encounter):
    return client.get(reverse("summary", args=[encounter.pk]))


def home_get(client, encounter):
    return client.get(reverse("home"))


def list_post(client, encounter):
    return client.post(reverse("encounter_list"), {"reference": "MRN", "page": "2"})


# (name, request, its status, marks for the budget test)
REQUESTS = [
    ("step GET", step_get, 200, []),
    ("step POST", step_post, 302, []),
    ("step POST with htmx", step_post_htmx, 200, []),
    ("refused step POST", step_post_refused, 200, []),
    ("summary GET", summary_get, 200, []),
    ("encounter list POST", list_post, 200, []),
    ("home GET", home_get, 200, []),
]


def fill_the_database(clinician, other_clinician, guideline):
    """Many encounters, other clinicians, and statements the pathway never shows."""
    others = [
        User.objects.create_user(username=f"dr_{number}", password="x") for number in range(4)
    ]
    Encounter.objects.bulk_create(
        [
            Encounter(
                owner=(others + [other_clinician])[number % 5],
                patient_reference=f"MRN-{number}",
                answers={"weight_kg": 70.0, "diagnosis_confirmed": "yes"},
            )
            for number in range(200)
        ]
        + [
            Encounter(owner=clinician, patient_reference=f"MRN-MINE-{number}")
            for number in range(50)
        ]
    )
    published = guideline.revisions.get(status="published")
    extra = Section.objects.create(revision=published, order=99, title="Extra")
    citations = list(Citation.objects.filter(revision=published)[:3])
    for number in range(60):
        statement = Statement.objects.create(
            revision=published,
            section=extra,
            code=f"extra-{number}",
            kind="recommendation",
            text=f"Extra statement {number}",
            order=number,
        )
        for order, citation in enumerate(citations):
            StatementCitation.objects.create(statement=statement, citation=citation, order=order)
    # A second guideline that reuses every code of the pathway, and a draft of ours that
    # does too: neither may reach a clinician.
    twin = Guideline.objects.create(slug="twin")
    twin_revision = twin.revisions.create(
        number=1, status="published", title="Twin", disclaimer="-"
    )
    draft = guideline.revisions.create(number=2, status="draft")
    twin_section = Section.objects.create(revision=twin_revision, order=1, title="Twin")
    draft_section = Section.objects.create(revision=draft, order=1, title="Twin draft")
    Statement.objects.bulk_create(
        Statement(
            revision=revision,
            section=section,
            code=code,
            kind="recommendation",
            text=f"Twin {code}",
            order=order,
        )
        for revision, section in ((twin_revision, twin_section), (draft, draft_section))
        for order, code in enumerate(pathway.ALL_CODES)
    )


@pytest.fixture
def budget_encounter(clinician_client, make_encounter, ivig_answers):
    """An answered encounter among a few of mine, its clinician's session already in use
    (the first request of a session renews it, a write no later request repeats)."""
    for number in range(30):
        make_encounter(patient_reference=f"MRN-{number}")
    assert clinician_client.get(reverse("home")).status_code == 200
    return make_encounter(answers=ivig_answers, status="complete")


@pytest.mark.parametrize(
    ("send_request", "status"),
    [pytest.param(send, status, id=name) for name, send, status, _ in REQUESTS],
)
def test_each_request_costs_as_many_queries_however_big_the_database(
    clinician_client, clinician, other_clinician, guideline, budget_encounter, send_request, status
):
    # Both counts with the published revision's content kept, as every request after a
    # server's first finds it (guidance/content/rendered.py).
    revision_content(Revision.objects.published().get())
    with CaptureQueriesContext(connection) as small:
        response = send_request(clinician_client, budget_encounter)
    assert response.status_code == status

    fill_the_database(clinician, other_clinician, guideline)
    with CaptureQueriesContext(connection) as large:
        response = send_request(clinician_client, budget_encounter)
    assert response.status_code == status
    assert "Twin " not in response.content.decode()
    assert "Extra statement" not in response.content.decode()

    assert len(large) == len(small)


@pytest.mark.parametrize(
    ("send_request", "status"),
    [pytest.param(send, status, id=name, marks=marks) for name, send, status, marks in REQUESTS],
)
def test_each_request_stays_within_the_query_budget_in_a_big_database(
    clinician_client,
    clinician,
    other_clinician,
    guideline,
    budget_encounter,
    django_assert_max_num_queries,
    send_request,
    status,
):
    fill_the_database(clinician, other_clinician, guideline)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = send_request(clinician_client, budget_encounter)
    assert response.status_code == status


# --- one assessment per request ---------------------------------------------------------


@pytest.fixture
def validations(monkeypatch):
    """Counts how often the pathway validates answers, wherever it is asked to."""
    calls = []
    validate = pathway.validate

    def counting(answers):
        calls.append(dict(answers))
        return validate(answers)

    monkeypatch.setattr(pathway, "validate", counting)
    return calls


@pytest.mark.parametrize(
    ("step", "shows"),
    [("severity", "IVIG"), ("ivig", "Summary")],  # the next step, or the summary at the end
)
def test_an_htmx_step_post_validates_the_answers_at_most_twice(
    clinician_client, make_encounter, ivig_answers, validations, step, shows
):
    encounter = make_encounter(answers=answers_before(step, ivig_answers))

    response = clinician_client.post(
        reverse("step", args=[encounter.pk, step]), IVIG_PATH_POSTS[step], HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert f"<title>{shows} · LEMS IVIG pathway</title>" in response.content.decode()
    assert 1 <= len(validations) <= 2


def test_a_summary_get_validates_the_answers_at_most_twice(
    clinician_client, make_encounter, ivig_answers, validations
):
    encounter = make_encounter(answers=ivig_answers, status="complete")

    response = clinician_client.get(reverse("summary", args=[encounter.pk]))

    assert response.status_code == 200
    assert 'id="s-ivig-dose"' in response.content.decode()
    assert 1 <= len(validations) <= 2
