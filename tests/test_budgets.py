"""The pathway's budgets (issue 6), on deterministic measures only: queries, bytes, requests.

- A step request (GET, plain POST, htmx POST) and the summary take at most 10 queries, and
  the same number whether the database holds 10 encounters or many more. The "many" here
  is 2,000 bulk-created encounters from 20 clinicians rather than the benchmark's 10,000:
  enough to show a count that grows with the data, and it keeps the test fast.
- The first load of a step page (the page and the CSS and JS it links, through the test
  client and the staticfiles finders) weighs at most 100 KB gzip in at most 6 requests.
- An htmx response that swaps in a step weighs at most 15 KB before compression.
- Static files are hashed, compressed beside the original and cached for a year: checked
  on WhiteNoise's response after `collectstatic` with the production storage.

Timings are measured by `make bench` (bench/run.py), never here.
"""

import gzip
import importlib.util
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guidance.content.rendered import revision_content
from guidance.engine import pathway
from guidance.models import Encounter, Revision
from tests.pages import asset_urls
from tests.paths import STEP_POSTS, answers_through

QUERIES_PER_REQUEST_BUDGET = 10
FIRST_LOAD_GZIP_BUDGET = 100 * 1000
FIRST_LOAD_REQUESTS_BUDGET = 6
HTMX_STEP_BYTES_BUDGET = 15 * 1000
ONE_YEAR_SECONDS = 365 * 24 * 3600

# HTML goes out through a compressing proxy (a common level); WhiteNoise compresses static
# files at gzip's best.
HTML_GZIP_LEVEL = 6
STATIC_GZIP_LEVEL = 9

HTMX = {"HX-Request": "true"}
STEP_REQUESTS = [
    (step, kind) for step in pathway.STEPS for kind in ("GET", "POST plain", "POST htmx")
]


@pytest.fixture
def step_encounters(make_encounter, ivig_answers):
    """One encounter per step, answered up to that step: posting it again leads on."""
    return {
        step: make_encounter(answers=answers_through(step, ivig_answers)) for step in pathway.STEPS
    }


@pytest.fixture
def ten_encounters(step_encounters, make_encounter, ivig_answers):
    """The clinician's ten encounters: the steps' five, and five more complete ones."""
    for _ in range(10 - len(step_encounters)):
        make_encounter(answers=ivig_answers, status=Encounter.Status.COMPLETE)
    assert Encounter.objects.count() == 10
    return step_encounters


def add_encounters(clinician, answers, total=2000, clinicians=20):
    """Bulk-create encounters up to `total`, spread over `clinicians` (this one included)."""
    group = Group.objects.get(name="Clinicians")
    others = User.objects.bulk_create(
        User(username=f"colleague_{number:02d}", password="!") for number in range(1, clinicians)
    )
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=other.pk, group_id=group.pk) for other in others
    )
    owners = [clinician, *others]
    missing = total - Encounter.objects.count()
    Encounter.objects.bulk_create(
        (
            Encounter(
                owner=owners[number % len(owners)],
                patient_reference=f"PT-{number:05d}",
                answers=answers,
                status=Encounter.Status.COMPLETE,
            )
            for number in range(missing)
        ),
        batch_size=500,
    )
    assert Encounter.objects.count() == total


def send(client, encounters, step, kind):
    """One step request as a browser sends it (plain) or htmx does."""
    url = reverse("step", args=[encounters[step].pk, step])
    if kind == "GET":
        return client.get(url)
    headers = HTMX if kind == "POST htmx" else {}
    return client.post(url, STEP_POSTS[step], headers=headers)


def count_queries(make_request):
    """The statements one request sends. A view's `atomic()` shows up here as SAVEPOINT and
    RELEASE (the test runs inside a transaction) where production sends BEGIN and COMMIT:
    the same count, so they count."""
    with CaptureQueriesContext(connection) as captured:
        response = make_request()
    assert response.status_code in (200, 302), response.status_code
    return len(captured)


def query_counts(client, encounters):
    """The queries of every step request, the summary and the encounters list."""
    counts = {
        f"{step} {kind}": count_queries(
            lambda step=step, kind=kind: send(client, encounters, step, kind)
        )
        for step, kind in STEP_REQUESTS
    }
    summary_url = reverse("summary", args=[encounters["ivig"].pk])
    counts["summary"] = count_queries(lambda: client.get(summary_url))
    counts["encounters list"] = count_queries(lambda: client.get(reverse("encounter_list")))
    return counts


def start_session(client):
    # A request first, so the session's once-a-minute renewal is not counted against a page.
    client.get(reverse("healthz"))


def keep_published_content():
    """The published revision's statements and references as every request after a
    server's first finds them: kept per revision (guidance/content/rendered.py). Each test
    starts with an empty cache, so the budgets of single requests count the first one."""
    revision_content(Revision.objects.published().get())


@pytest.mark.parametrize(("step", "kind"), STEP_REQUESTS)
def test_a_step_request_takes_at_most_10_queries(clinician_client, ten_encounters, step, kind):
    start_session(clinician_client)
    queries = count_queries(lambda: send(clinician_client, ten_encounters, step, kind))
    assert queries <= QUERIES_PER_REQUEST_BUDGET


def test_the_summary_takes_at_most_10_queries(clinician_client, ten_encounters):
    start_session(clinician_client)
    summary_url = reverse("summary", args=[ten_encounters["ivig"].pk])
    assert count_queries(lambda: clinician_client.get(summary_url)) <= QUERIES_PER_REQUEST_BUDGET


def test_query_counts_do_not_grow_with_the_number_of_encounters(
    clinician_client, clinician, ten_encounters, ivig_answers
):
    start_session(clinician_client)
    keep_published_content()  # both counts with the content kept, as a running server has it
    with_10 = query_counts(clinician_client, ten_encounters)
    add_encounters(clinician, ivig_answers)
    with_2000 = query_counts(clinician_client, ten_encounters)
    assert with_2000 == with_10


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("step", pathway.STEPS)
def test_the_first_load_of_a_step_page_is_at_most_100_kb_gzip_in_6_requests(
    clinician_client, step_encounters, step
):
    page = clinician_client.get(reverse("step", args=[step_encounters[step].pk, step]))
    assert page.status_code == 200
    weight = len(gzip.compress(page.content, compresslevel=HTML_GZIP_LEVEL))
    urls = asset_urls(page.content.decode())
    assert urls, "the page links its CSS and JS"
    for url in urls:
        asset = clinician_client.get(url)
        assert asset.status_code == 200, url
        weight += len(gzip.compress(body_of(asset), compresslevel=STATIC_GZIP_LEVEL))
    assert 1 + len(urls) <= FIRST_LOAD_REQUESTS_BUDGET
    assert weight <= FIRST_LOAD_GZIP_BUDGET


def htmx_step_responses(client, encounters):
    """Every htmx response that swaps in a step: each step's GET, and each POST that leads
    on to a next step (the last step's POST answers with the summary, not a step), and a
    refused answer shown again with its message."""
    responses = {}
    for step in pathway.STEPS:
        url = reverse("step", args=[encounters[step].pk, step])
        responses[f"{step} GET"] = client.get(url, headers=HTMX)
        if step != pathway.STEPS[-1]:
            responses[f"{step} POST"] = client.post(url, STEP_POSTS[step], headers=HTMX)
    refused = {**STEP_POSTS["patient"], "weight_kg": "12"}
    patient_url = reverse("step", args=[encounters["patient"].pk, "patient"])
    responses["patient POST refused"] = client.post(patient_url, refused, headers=HTMX)
    return responses


def test_an_htmx_step_response_is_at_most_15_kb(clinician_client, step_encounters):
    for name, response in htmx_step_responses(clinician_client, step_encounters).items():
        assert response.status_code == 200, name
        assert b"<html" not in response.content, f"{name} is a partial, not a page"
        assert len(response.content) <= HTMX_STEP_BYTES_BUDGET, name


def max_age(cache_control):
    match = re.search(r"max-age=(\d+)", cache_control)
    return int(match.group(1)) if match else 0


def test_static_files_are_hashed_compressed_and_cached_for_a_year(
    settings, tmp_path, guideline, clinician, step_encounters
):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    # The admin's own files are not the pathway's; leaving them out keeps the test fast.
    call_command(
        "collectstatic",
        interactive=False,
        verbosity=0,
        ignore_patterns=["admin", "simple_history"],
    )
    client = Client()  # a new client, so WhiteNoise starts on the collected files
    client.force_login(clinician, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("step", args=[step_encounters["patient"].pk, "patient"]))
    urls = asset_urls(page.content.decode())
    assert urls
    brotli_installed = importlib.util.find_spec("brotli") is not None
    static_prefix = "/" + settings.STATIC_URL.lstrip("/")
    for url in urls:
        name = url.removeprefix(static_prefix)
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", name), f"{url} is not hashed"
        collected = settings.STATIC_ROOT / name
        assert collected.with_name(collected.name + ".gz").exists(), f"no .gz beside {name}"
        if brotli_installed:
            assert collected.with_name(collected.name + ".br").exists(), f"no .br beside {name}"
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, url
        assert response["Content-Encoding"] == "gzip", url
        cache_control = response["Cache-Control"]
        assert max_age(cache_control) >= ONE_YEAR_SECONDS, cache_control
        assert "public" in cache_control and "immutable" in cache_control, cache_control
        if brotli_installed:
            response = client.get(url, headers={"Accept-Encoding": "br, gzip"})
            assert response["Content-Encoding"] == "br", url
