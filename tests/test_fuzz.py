"""Hypothesis-generated POSTs to every step and to finalize: never a 500, never a change to
a finalized encounter. The number of inputs tried is printed at the end of the run."""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guidance import pathway
from guidance.models import Encounter
from tests.paths import as_shown

FIELDS = [field for fields in pathway.STEP_FIELDS.values() for field in fields]
DECISION_FIELDS = ["decision", "decision_reason", "decision_note", "dose_basis"]
KNOWN_VALUES = [value for values in pathway.CHOICES.values() for value in values]

values = st.one_of(
    st.sampled_from(KNOWN_VALUES),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=10),
    st.sampled_from(["30", "250", "29.9", "250.1", "nan", "inf", "-0", "1e309", "", " "]),
    st.integers().map(str),
    st.floats(allow_nan=True).map(str),
    st.just("9" * 100_000),
    st.just("x" * 70_000),
)
field_names = st.one_of(st.sampled_from(FIELDS + DECISION_FIELDS), st.text(max_size=20))
# A field may be missing, given once, or repeated with several values.
posts = st.dictionaries(field_names, st.lists(values, min_size=1, max_size=3), max_size=8)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
TRIED = {"inputs": 0}


@pytest.fixture(scope="module", autouse=True)
def report_inputs_tried():
    yield
    print(f"\nfuzzing: {TRIED['inputs']} inputs tried, no 500")


def post(client, url, data, htmx):
    TRIED["inputs"] += 1
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(url, data, **headers)


@pytest.mark.parametrize("step", pathway.STEPS)
def test_no_step_post_ends_in_a_500(clinician, guideline, step, make_encounter, ivig_answers):
    encounter = make_encounter(answers=ivig_answers)
    client = Client()
    client.force_login(clinician)
    url = reverse("step", args=[encounter.pk, step])

    @FUZZ
    @given(data=posts, htmx=st.booleans())
    def fuzz(data, htmx):
        response = post(client, url, data, htmx)
        assert response.status_code in (200, 302), response.status_code
        encounter.refresh_from_db()
        pathway.validate(encounter.answers)  # whatever was saved is a valid answer set

    fuzz()


def test_no_finalize_post_ends_in_a_500(clinician, guideline, make_encounter, ivig_answers):
    client = Client()
    client.force_login(clinician)

    @FUZZ
    @given(data=posts)
    def fuzz(data):
        encounter = make_encounter(answers=ivig_answers, status="complete")
        response = post(client, reverse("finalize", args=[encounter.pk]), data, htmx=False)
        assert response.status_code in (200, 302), response.status_code
        encounter.refresh_from_db()
        assert (response.status_code == 302) == (encounter.status == "finalized")

    fuzz()


def test_nothing_changes_a_finalized_encounter(clinician, guideline, make_encounter, ivig_answers):
    encounter = make_encounter(answers=ivig_answers, status="complete")
    client = Client()
    client.force_login(clinician)
    client.post(
        reverse("finalize", args=[encounter.pk]),
        as_shown({"decision": "followed", "dose_basis": "actual"}),
    )
    encounter.refresh_from_db()
    before = Encounter.objects.filter(pk=encounter.pk).values().get()
    urls = [reverse("step", args=[encounter.pk, step]) for step in pathway.STEPS]
    urls.append(reverse("finalize", args=[encounter.pk]))

    @FUZZ
    @given(data=posts, url=st.sampled_from(urls), htmx=st.booleans())
    def fuzz(data, url, htmx):
        assert post(client, url, data, htmx).status_code == 409
        assert Encounter.objects.filter(pk=encounter.pk).values().get() == before

    fuzz()
