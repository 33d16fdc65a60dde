"""`make bench`: every pathway endpoint timed against Django's floor; writes docs/PERFORMANCE.md.

One run, on two seeded SQLite databases (10 encounters; 10,000 encounters from 50
clinicians), interleaved round-robin so drift of the machine hits every endpoint alike:

- each endpoint (every step's GET and POST, plain and htmx; the summary; the print page;
  the encounters list and its search) in-process with django.test.Client and over HTTP
  against gunicorn on loopback, each next to its two floors (`bench.floors`) answering
  the same number of bytes, with the same method, headers and body;
- queries per request, response bytes (raw, gzip, brotli), the first-load weight of a step
  page, and throughput and p95 under gunicorn at 20 concurrent clients.

Counts and time are bounded (`BENCH_ROUNDS`, `BENCH_SECONDS`); gunicorn is stopped at the
end whatever happens. The measured figures go between the markers of docs/PERFORMANCE.md,
so the notes written around them stay.
"""

import datetime
import gzip
import http.client
import itertools
import json
import os
import platform
import random
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import brotli

REPO_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_DIR / "bench" / "results"
REPORT_PATH = REPO_DIR / "docs" / "PERFORMANCE.md"
TEMPLATE_DATABASE = RESULTS_DIR / "bench-template.sqlite3"

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
WARMUP_ROUNDS = 2
TIMED_SECONDS = float(os.environ.get("BENCH_SECONDS", "120"))  # the rounds stop after this
GUNICORN_WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
LOAD_CLIENTS = 20
LOAD_REQUESTS = int(os.environ.get("BENCH_LOAD_REQUESTS", "2000"))
LOAD_BURSTS = 4  # each load runs in this many bursts, taking turns with the other loads
LOAD_SECONDS = 30  # a load stops sending after this in all, whatever its count
QUIET_SECONDS = float(os.environ.get("BENCH_QUIET_SECONDS", "30"))  # wait for others' load
QUIET_BUSY_FRACTION = 0.25
HTTP_TIMEOUT_SECONDS = 30

# Targets of issue 6 (reported, not asserted).
STEP_FLOOR_RATIO_TARGET = 1.5
LIST_GROWTH_RATIO_TARGET = 2.0
STEP_THROUGHPUT_TARGET = 300
STEP_P95_TARGET_MS = 50
STEP_PAGES_LOAD = "step pages GET (plain and htmx, 5 steps)"

# HTML is compressed by the reverse proxy in front of gunicorn (Django does not); these are
# common proxy levels. Static files are measured as WhiteNoise serves them (gzip 9, br 11).
HTML_GZIP_LEVEL = 6
HTML_BROTLI_QUALITY = 5

os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "BENCH_DATABASE": str(TEMPLATE_DATABASE),
    }
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from guidance import pathway  # noqa: E402
from guidance.models import Encounter  # noqa: E402

# The happy IVIG path: what the engine stores after each step, and what each form posts.
STORED_ANSWERS = {
    "patient": {"weight_kg": 70.0, "diagnosis_confirmed": "yes"},
    "tumour": {"tumour_status": "not_found", "smoking": "never"},
    "symptomatic": {"dap_status": "inadequate"},
    "severity": {
        "weakness": "severe",
        "rapid_improvement_needed": "no",
        "immunosuppression": "starting",
    },
    "ivig": {"plasma_exchange_available": "yes", "ivig_risk_factors": ["renal"]},
}
STEP_POSTS = {
    "patient": {"patient_reference": "PT-00-0000", "weight_kg": "70", "diagnosis_confirmed": "yes"},
    "tumour": {"tumour_status": "not_found", "smoking": "never"},
    "symptomatic": {"dap_status": "inadequate"},
    "severity": {
        "weakness": "severe",
        "rapid_improvement_needed": "no",
        "immunosuppression": "starting",
    },
    "ivig": {"plasma_exchange_available": "yes", "ivig_risk_factors": ["renal"]},
}
STEPS = list(STORED_ANSWERS)
if list(pathway.STEPS) != STEPS:
    raise SystemExit(f"The benchmark's path covers {STEPS}; the pathway has {pathway.STEPS}.")

BENCH_CLINICIAN = "bench_clinician"
SEARCHED_REFERENCE = "PT-00-0003"
ENCOUNTER_NAMESPACE = uuid.UUID("6f1c1a52-3f55-4d8e-9a55-6c3c0f7a1e01")


def pathway_encounter_id(name):
    """The same encounter id in both databases, so every address is the same in both."""
    return uuid.uuid5(ENCOUNTER_NAMESPACE, name)


def answers_through(step):
    """The stored answers of every step up to and including `step`."""
    answers = {}
    for each_step in STEPS[: STEPS.index(step) + 1]:
        answers.update(STORED_ANSWERS[each_step])
    return answers


@dataclass
class Dataset:
    name: str
    encounters: int
    clinicians: int

    @property
    def database(self):
        return RESULTS_DIR / f"bench-{self.encounters}.sqlite3"

    @property
    def label(self):
        return f"{self.encounters:,} encounters from {self.clinicians} clinician" + (
            "s" if self.clinicians > 1 else ""
        )


DATASETS = [Dataset("small", 10, 1), Dataset("large", 10_000, 50)]


@dataclass
class Endpoint:
    """One request of the pathway, as a browser (or htmx) sends it."""

    label: str
    group: str  # "step", "summary", "print", "list"
    method: str
    path: str
    form: dict | None = None
    htmx: bool = False
    expected_status: int = 200


@dataclass
class Request:
    """A concrete request: an endpoint or one of its floors, with its body and headers."""

    method: str
    path: str
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    expected_status: int = 200


def pathway_endpoints():
    endpoints = []
    for step in STEPS:
        step_path = f"/encounters/{pathway_encounter_id(step)}/{step}/"
        endpoints += [
            Endpoint(f"{step} GET", "step", "GET", step_path),
            Endpoint(f"{step} GET htmx", "step", "GET", step_path, htmx=True),
            Endpoint(f"{step} POST", "step", "POST", step_path, STEP_POSTS[step], False, 302),
            Endpoint(f"{step} POST htmx", "step", "POST", step_path, STEP_POSTS[step], True),
        ]
    summary_id = pathway_encounter_id("summary")
    endpoints += [
        Endpoint("summary GET", "summary", "GET", f"/encounters/{summary_id}/"),
        Endpoint("print GET", "print", "GET", f"/encounters/{summary_id}/print/"),
        Endpoint("encounters list GET", "list", "GET", "/encounters/"),
        Endpoint(
            "encounters search POST",
            "list",
            "POST",
            "/encounters/",
            {"reference": SEARCHED_REFERENCE, "status": ""},
        ),
    ]
    return endpoints


def build_request(endpoint, csrf_token, path=None, expected_status=None):
    """The request a browser sends: a form posts its CSRF field; htmx adds its headers."""
    headers = {}
    body = b""
    if endpoint.htmx:
        headers["HX-Request"] = "true"
    if endpoint.method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        form = {**endpoint.form, "csrfmiddlewaretoken": csrf_token}
        body = urlencode(form, doseq=True).encode()
        if endpoint.htmx:
            headers["X-CSRFToken"] = csrf_token
    return Request(
        endpoint.method,
        path or endpoint.path,
        body,
        headers,
        endpoint.expected_status if expected_status is None else expected_status,
    )


# ---------------------------------------------------------------------------------------
# Databases


def use_database(path):
    """Point the in-process default connection at one benchmark database."""
    connection.close()
    connection.settings_dict["NAME"] = str(path)


def prepare_template_database():
    """Migrated, with the guideline loaded: copied into each dataset's database."""
    for stale in RESULTS_DIR.glob("bench-*.sqlite3*"):
        stale.unlink()
    use_database(TEMPLATE_DATABASE)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_guideline", verbosity=0)
    connection.close()


def seed(dataset):
    """The clinicians and encounters of one dataset (bulk-created)."""
    shutil.copyfile(TEMPLATE_DATABASE, dataset.database)
    use_database(dataset.database)
    clinicians_group = Group.objects.get(name="Clinicians")
    bench_clinician = User.objects.create_user(
        BENCH_CLINICIAN, password=None, first_name="Bench", last_name="Clinician"
    )
    others = User.objects.bulk_create(
        User(username=f"clinician_{number:02d}", password="!")
        for number in range(1, dataset.clinicians)
    )
    clinicians = [bench_clinician, *others]
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=clinician.pk, group_id=clinicians_group.pk)
        for clinician in clinicians
    )
    complete_answers = answers_through("ivig")
    # The pathway's own encounters: one per step, answered up to that step (so posting it
    # again leads to the next step, as for a clinician), and one complete for the summary.
    pathway_encounters = [
        Encounter(
            id=pathway_encounter_id(step),
            owner=bench_clinician,
            patient_reference=f"PT-00-{number:04d}",
            answers=answers_through(step),
            status="complete" if step == "ivig" else "in_progress",
        )
        for number, step in enumerate(STEPS)
    ]
    pathway_encounters.append(
        Encounter(
            id=pathway_encounter_id("summary"),
            owner=bench_clinician,
            patient_reference=f"PT-00-{len(STEPS):04d}",
            answers=complete_answers,
            status="complete",
        )
    )
    per_clinician = dataset.encounters // dataset.clinicians
    filler = []
    for owner_number, owner in enumerate(clinicians):
        first = len(pathway_encounters) if owner is bench_clinician else 0
        filler += [
            Encounter(
                owner=owner,
                patient_reference=f"PT-{owner_number:02d}-{number:04d}",
                answers=complete_answers if number % 3 else answers_through("symptomatic"),
                status="complete" if number % 3 else "in_progress",
            )
            for number in range(first, per_clinician)
        ]
    Encounter.objects.bulk_create(pathway_encounters + filler, batch_size=1000)
    assert Encounter.objects.count() == dataset.encounters
    connection.close()


def signed_in_client(dataset):
    """A client signed in as the bench clinician, with its CSRF token."""
    use_database(dataset.database)
    client = Client(enforce_csrf_checks=True, SERVER_NAME="127.0.0.1")
    client.force_login(
        User.objects.get(username=BENCH_CLINICIAN),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    response = client.get(f"/encounters/{pathway_encounter_id('patient')}/patient/")
    assert response.status_code == 200, response.status_code
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


# ---------------------------------------------------------------------------------------
# Requests


def in_process(client, request):
    """(seconds, status, body) of one request through the test client."""
    content_type = request.headers.get("Content-Type", "application/octet-stream")
    headers = {name: value for name, value in request.headers.items() if name != "Content-Type"}
    started = time.perf_counter()
    response = client.generic(
        request.method, request.path, data=request.body, content_type=content_type, headers=headers
    )
    body = response.content
    return time.perf_counter() - started, response.status_code, body


def over_http(port, request, cookie_header, extra_headers=None):
    """(seconds, status, body, headers) of one request on a fresh loopback connection."""
    headers = {"Cookie": cookie_header, **request.headers, **(extra_headers or {})}
    started = time.perf_counter()
    http_connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_SECONDS)
    try:
        http_connection.request(
            request.method, request.path, body=request.body or None, headers=headers
        )
        response = http_connection.getresponse()
        body = response.read()
    finally:
        http_connection.close()
    return time.perf_counter() - started, response.status, body, dict(response.getheaders())


def check_status(what, status, expected, body):
    if status != expected:
        raise SystemExit(f"{what}: expected {expected}, got {status}: {body[:300]!r}")


# ---------------------------------------------------------------------------------------
# gunicorn


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GunicornServer:
    """gunicorn serving one dataset's database on a free loopback port."""

    def __init__(self, dataset):
        self.dataset = dataset
        self.port = free_port()
        self.log_path = RESULTS_DIR / f"gunicorn-{dataset.name}.log"
        self.process = None

    def start(self):
        environment = {**os.environ, "BENCH_DATABASE": str(self.dataset.database)}
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(GUNICORN_WORKERS),
                    "--chdir",
                    str(REPO_DIR),
                    "--log-level",
                    "warning",
                    "lems_site.wsgi:application",
                ],
                cwd=REPO_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_until_healthy(self, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {self.log_path}")
            try:
                _, status, _, _ = over_http(self.port, Request("GET", "/healthz"), "")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /healthz within {seconds} s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ---------------------------------------------------------------------------------------
# Measures


def gzip_size(body, level=HTML_GZIP_LEVEL):
    return len(gzip.compress(body, compresslevel=level, mtime=0))


def brotli_size(body, quality=HTML_BROTLI_QUALITY):
    return len(brotli.compress(body, quality=quality))


def percentile(samples, fraction):
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


class PageAssetParser(HTMLParser):
    """The stylesheets and scripts a page makes the browser fetch."""

    def __init__(self):
        super().__init__()
        self.asset_urls = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "link" and "stylesheet" in (attributes.get("rel") or "").split():
            self.asset_urls.append(attributes["href"])
        elif tag == "script" and attributes.get("src"):
            self.asset_urls.append(attributes["src"])


def machine_cpu_jiffies():
    """(busy, total) CPU time of the whole machine since boot, in clock ticks."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


def process_cpu_jiffies(root_pids):
    """CPU ticks used so far by these processes and their children (gunicorn's workers)."""
    used = 0
    for stat_path in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat_path.read_text()
        except OSError:
            continue
        pid = int(stat_path.parent.name)
        fields = text.rsplit(")", 1)[1].split()
        parent_pid = int(fields[1])
        if pid in root_pids or parent_pid in root_pids:
            used += int(fields[11]) + int(fields[12])  # utime, stime
    return used


def busy_fraction_over(seconds=1.0):
    busy_before, total_before = machine_cpu_jiffies()
    time.sleep(seconds)
    busy_after, total_after = machine_cpu_jiffies()
    return (busy_after - busy_before) / max(1, total_after - total_before)


def wait_for_quiet_machine():
    """Wait (bounded) until other processes leave the CPU mostly idle; return the last reading."""
    deadline = time.monotonic() + QUIET_SECONDS
    while True:
        busy = busy_fraction_over()
        if busy <= QUIET_BUSY_FRACTION or time.monotonic() > deadline:
            return busy
        print(f"  the machine is {busy:.0%} busy with other work; waiting…", flush=True)
        time.sleep(4)


class ForeignLoadMeter:
    """How much of the machine's CPU other processes used while the benchmark ran."""

    def __init__(self, own_pids):
        self.own_pids = own_pids

    def __enter__(self):
        self.start = (*machine_cpu_jiffies(), process_cpu_jiffies(self.own_pids))
        return self

    def __exit__(self, *exc_info):
        busy, total, own = (*machine_cpu_jiffies(), process_cpu_jiffies(self.own_pids))
        busy_start, total_start, own_start = self.start
        foreign = (busy - busy_start) - (own - own_start)
        self.foreign_fraction = max(0.0, foreign / max(1, total - total_start))


@dataclass
class Bench:
    endpoints: list
    clients: dict = field(default_factory=dict)  # dataset name -> (client, csrf token)
    servers: dict = field(default_factory=dict)  # dataset name -> GunicornServer
    cookies: dict = field(default_factory=dict)  # dataset name -> Cookie header
    # (dataset, endpoint label) -> {"queries", "status", "bytes", "gzip", "brotli"}
    shapes: dict = field(default_factory=dict)
    # (dataset, transport, endpoint label, variant) -> [seconds]
    samples: dict = field(default_factory=dict)
    rounds_done: int = 0
    busy_before: float = 0.0  # share of the CPU other processes used just before timing
    busy_before_loads: float = 0.0  # ... and just before the loads
    foreign_load_rounds: float = 0.0  # ... and while the rounds ran
    foreign_load_loads: float = 0.0  # ... and while the loads ran

    def requests_of(self, dataset, endpoint):
        """The endpoint's request and its two floors', answering the same number of bytes."""
        _, csrf_token = self.clients[dataset.name]
        size = self.shapes[(dataset.name, endpoint.label)]["bytes"]
        summary_id = pathway_encounter_id("summary")
        return {
            "endpoint": build_request(endpoint, csrf_token),
            "django floor": build_request(endpoint, csrf_token, f"/bench/floor/{size}/", 200),
            "authenticated floor": build_request(
                endpoint, csrf_token, f"/bench/floor/{summary_id}/{size}/", 200
            ),
        }

    def measure_shapes(self, dataset):
        """Queries, status and bytes of each endpoint (an untimed pass: capturing costs)."""
        client, csrf_token = self.clients[dataset.name]
        use_database(dataset.database)
        for endpoint in self.endpoints:
            request = build_request(endpoint, csrf_token)
            with CaptureQueriesContext(connection) as captured:
                _, status, body = in_process(client, request)
            check_status(endpoint.label, status, endpoint.expected_status, body)
            self.shapes[(dataset.name, endpoint.label)] = {
                "queries": len(captured),
                "status": status,
                "bytes": len(body),
                "gzip": gzip_size(body),
                "brotli": brotli_size(body),
            }
        for endpoint in self.endpoints:
            for variant, request in self.requests_of(dataset, endpoint).items():
                if variant == "endpoint":
                    continue
                with CaptureQueriesContext(connection) as captured:
                    _, status, body = in_process(client, request)
                check_status(f"{variant} of {endpoint.label}", status, 200, body)
                self.shapes[(dataset.name, f"{variant}:{endpoint.label}")] = {
                    "queries": len(captured)
                }

    def one_block(self, dataset, shuffler, record):
        """Every endpoint and floor of one dataset, in-process and over HTTP, shuffled."""
        client, _ = self.clients[dataset.name]
        server = self.servers[dataset.name]
        use_database(dataset.database)
        # The first request after switching databases opens the connection: not timed.
        in_process(client, Request("GET", "/healthz"))
        work = [
            (transport, endpoint, variant, request)
            for endpoint in self.endpoints
            for variant, request in self.requests_of(dataset, endpoint).items()
            for transport in ("in-process", "http")
        ]
        shuffler.shuffle(work)
        for transport, endpoint, variant, request in work:
            if transport == "in-process":
                seconds, status, body = in_process(client, request)
            else:
                seconds, status, body, _ = over_http(
                    server.port, request, self.cookies[dataset.name]
                )
            check_status(
                f"{variant} of {endpoint.label} ({transport})",
                status,
                request.expected_status,
                body,
            )
            if record:
                key = (dataset.name, transport, endpoint.label, variant)
                self.samples.setdefault(key, []).append(seconds)

    def run_rounds(self):
        shuffler = random.Random(6)
        for _ in range(WARMUP_ROUNDS):
            for dataset in DATASETS:
                self.one_block(dataset, shuffler, record=False)
        deadline = time.monotonic() + TIMED_SECONDS
        for round_number in range(ROUNDS):
            order = DATASETS if round_number % 2 == 0 else DATASETS[::-1]
            for dataset in order:
                self.one_block(dataset, shuffler, record=True)
            self.rounds_done = round_number + 1
            print(f"  round {self.rounds_done}/{ROUNDS}", flush=True)
            if time.monotonic() > deadline:
                break

    def timing(self, dataset, transport, label, variant="endpoint"):
        samples = self.samples[(dataset, transport, label, variant)]
        return statistics.median(samples), percentile(samples, 0.95)


def first_load(server, cookie_header, step_path):
    """What a browser fetches for a step page it has never seen: the page, its CSS and JS."""
    page = Request("GET", step_path)
    _, status, html, page_headers = over_http(server.port, page, cookie_header)
    check_status("first load", status, 200, html)
    parser = PageAssetParser()
    parser.feed(html.decode())
    rows = [
        {
            "what": "HTML page (compressed by the proxy)",
            "bytes": len(html),
            "gzip": gzip_size(html),
            "brotli": brotli_size(html),
            "cache_control": page_headers.get("Cache-Control", ""),
        }
    ]
    for url in parser.asset_urls:
        asset = Request("GET", url)
        sizes = {}
        for encoding in ("identity", "gzip", "br"):
            _, status, body, headers = over_http(
                server.port, asset, "", {"Accept-Encoding": encoding}
            )
            check_status(url, status, 200, body)
            served_encoding = headers.get("Content-Encoding", "identity")
            sizes[encoding] = len(body) if served_encoding == encoding else None
        rows.append(
            {
                "what": url,
                "bytes": sizes["identity"],
                "gzip": sizes["gzip"],
                "brotli": sizes["br"],
                "cache_control": headers.get("Cache-Control", ""),
            }
        )
    return rows


def load_burst(server, cookie_header, requests, total, seconds, clients=LOAD_CLIENTS):
    """`total` requests (or `seconds`) from `clients` threads, each sending its next request
    as soon as its last is answered; returns (latencies, failures, wall seconds)."""
    ticket = itertools.count()
    latencies = []
    failures = []
    deadline = time.monotonic() + seconds

    def client_loop():
        while (number := next(ticket)) < total and time.monotonic() < deadline:
            request = requests[number % len(requests)]
            try:
                elapsed, status, _, _ = over_http(server.port, request, cookie_header)
            except OSError as error:
                failures.append(repr(error))
                continue
            if status != request.expected_status:
                failures.append(status)
            latencies.append(elapsed)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures, time.perf_counter() - started


def run_loads(server, cookie_header, loads):
    """Each load in LOAD_BURSTS bursts, the loads taking turns, so that other work on the
    machine falls on all of them alike."""
    per_burst = LOAD_REQUESTS // LOAD_BURSTS
    measured = {name: ([], [], 0.0) for name in loads}
    for burst in range(LOAD_BURSTS):
        names = list(loads) if burst % 2 == 0 else list(loads)[::-1]
        for name in names:
            latencies, failures, seconds = load_burst(
                server, cookie_header, loads[name], per_burst, LOAD_SECONDS / LOAD_BURSTS
            )
            all_latencies, all_failures, all_seconds = measured[name]
            measured[name] = (
                all_latencies + latencies,
                all_failures + failures,
                all_seconds + seconds,
            )
    return {
        name: {
            "clients": LOAD_CLIENTS,
            "requests": len(latencies),
            "seconds": seconds,
            "per_second": len(latencies) / seconds,
            "median_ms": statistics.median(latencies) * 1000,
            "p95_ms": percentile(latencies, 0.95) * 1000,
            "failures": len(failures),
        }
        for name, (latencies, failures, seconds) in measured.items()
    }


def load_requests(bench, dataset):
    """The loads: step pages, step answers, and the two floors at a step page's size."""
    _, csrf_token = bench.clients[dataset.name]
    by_label = {endpoint.label: endpoint for endpoint in bench.endpoints}
    step_pages = [
        build_request(by_label[f"{step} GET{kind}"], csrf_token)
        for step in STEPS
        for kind in ("", " htmx")
    ]
    step_answers = [build_request(by_label[f"{step} POST htmx"], csrf_token) for step in STEPS]
    patient_page = bench.requests_of(dataset, by_label["patient GET"])
    return {
        STEP_PAGES_LOAD: step_pages,
        "step answers POST (htmx, 5 steps)": step_answers,
        "Django floor GET (a step page's size)": [patient_page["django floor"]],
        "authenticated floor GET (same size)": [patient_page["authenticated floor"]],
    }


# ---------------------------------------------------------------------------------------
# Report


def machine():
    cpu_model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    import gunicorn

    return {
        "cpu": cpu_model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "gunicorn": gunicorn.__version__,
        "os": platform.platform(),
    }


def milliseconds(seconds):
    return f"{seconds * 1000:.2f}"


def kilobytes(size):
    return "–" if size is None else f"{size / 1024:.1f}"


def endpoint_table(bench, dataset):
    lines = [
        "| endpoint | status | queries | in-process ms median / p95 | × Django floor "
        "| × auth floor | HTTP ms median / p95 | × Django floor | × auth floor "
        "| KB raw / gzip / br |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for endpoint in bench.endpoints:
        shape = bench.shapes[(dataset.name, endpoint.label)]
        cells = [endpoint.label, str(shape["status"]), str(shape["queries"])]
        for transport in ("in-process", "http"):
            median, p95 = bench.timing(dataset.name, transport, endpoint.label)
            django_floor, _ = bench.timing(dataset.name, transport, endpoint.label, "django floor")
            auth_floor, _ = bench.timing(
                dataset.name, transport, endpoint.label, "authenticated floor"
            )
            cells += [
                f"{milliseconds(median)} / {milliseconds(p95)}",
                f"{median / django_floor:.2f}",
                f"{median / auth_floor:.2f}",
            ]
        cells.append(
            f"{kilobytes(shape['bytes'])} / {kilobytes(shape['gzip'])} / "
            f"{kilobytes(shape['brotli'])}"
        )
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def floor_table(bench, dataset):
    """The floors themselves, for a typical step page's size."""
    label = "patient GET"
    size = bench.shapes[(dataset.name, label)]["bytes"]
    lines = [
        f"Floors at the size of `{label}` ({size:,} bytes):",
        "",
        "| floor | queries | in-process ms median / p95 | HTTP ms median / p95 |",
        "|---|--:|--:|--:|",
    ]
    for variant in ("django floor", "authenticated floor"):
        queries = bench.shapes[(dataset.name, f"{variant}:{label}")]["queries"]
        cells = [variant, str(queries)]
        for transport in ("in-process", "http"):
            median, p95 = bench.timing(dataset.name, transport, label, variant)
            cells.append(f"{milliseconds(median)} / {milliseconds(p95)}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def verdict(met):
    return "**met**" if met else "**not met**"


def targets(bench, loads):
    """Each target of issue 6, as measured, and whether it is met."""
    rows = []
    step_endpoints = [endpoint for endpoint in bench.endpoints if endpoint.group == "step"]
    for transport in ("in-process", "http"):
        for variant in ("django floor", "authenticated floor"):
            ratios = {}
            for dataset in DATASETS:
                for endpoint in step_endpoints:
                    median, _ = bench.timing(dataset.name, transport, endpoint.label)
                    floor, _ = bench.timing(dataset.name, transport, endpoint.label, variant)
                    ratios[f"{endpoint.label}, {dataset.encounters:,} encounters"] = median / floor
            worst = max(ratios, key=ratios.get)
            within = sum(ratio <= STEP_FLOOR_RATIO_TARGET for ratio in ratios.values())
            rows.append(
                (
                    f"each step request ≤ {STEP_FLOOR_RATIO_TARGET}× the {variant} "
                    f"({transport}, medians)",
                    f"{min(ratios.values()):.1f}× to {ratios[worst]:.1f}× (median "
                    f"{statistics.median(ratios.values()):.1f}×; worst: {worst}); "
                    f"{within} of {len(ratios)} within",
                    within == len(ratios),
                )
            )
    for label in ("encounters list GET", "encounters search POST"):
        small, _ = bench.timing("small", "in-process", label)
        large, _ = bench.timing("large", "in-process", label)
        rows.append(
            (
                f"{label} with 10,000 encounters ≤ {LIST_GROWTH_RATIO_TARGET}× with 10",
                f"{milliseconds(large)} ms vs {milliseconds(small)} ms: {large / small:.2f}×",
                large / small <= LIST_GROWTH_RATIO_TARGET,
            )
        )
    step_pages = loads[STEP_PAGES_LOAD]
    rows.append(
        (
            f"≥ {STEP_THROUGHPUT_TARGET} step requests/s with p95 ≤ {STEP_P95_TARGET_MS} ms "
            f"under gunicorn at {LOAD_CLIENTS} clients",
            f"{step_pages['per_second']:.0f} req/s, p95 {step_pages['p95_ms']:.1f} ms "
            "(step pages GET)",
            step_pages["per_second"] >= STEP_THROUGHPUT_TARGET
            and step_pages["p95_ms"] <= STEP_P95_TARGET_MS,
        )
    )
    return rows


def report(bench, first_load_rows, loads, about_machine, started_at, seconds_taken):
    lines = [
        "<!-- bench:begin (written by `make bench`; edit outside these markers) -->",
        f"Measured {started_at:%Y-%m-%d %H:%M} UTC by `make bench` in {seconds_taken:.0f} s: "
        f"{bench.rounds_done} timed rounds after {WARMUP_ROUNDS} warm-up rounds, every request "
        "of a round shuffled together (both transports, both floors).",
        "",
        f"- Machine: {about_machine['cpu']}, {about_machine['cores']} cores; {about_machine['os']}",
        f"- Python {about_machine['python']}, Django {about_machine['django']}, "
        f"SQLite {about_machine['sqlite']}, gunicorn {about_machine['gunicorn']} "
        f"({GUNICORN_WORKERS} sync workers), settings as in production (DEBUG off, "
        "manifest static files), SQLite as configured by the app.",
        f"- Other processes on the machine used {bench.foreign_load_rounds:.0%} of its CPU "
        f"during the timed rounds ({bench.busy_before:.0%} just before) and "
        f"{bench.foreign_load_loads:.0%} during the loads ({bench.busy_before_loads:.0%} just "
        "before). The ratios come from interleaved requests, so they suffer less from this "
        "than the absolute times and the loads do.",
        "- In-process: django.test.Client with CSRF checks on; HTTP: a fresh loopback "
        "connection per request, one request at a time (client-measured round trip).",
        "- Floors (DESIGN §7): Django's floor is a view behind the same middleware returning "
        "a static page of the endpoint's size; the authenticated floor also loads the "
        "signed-in user and the owner-scoped encounter. Same method, headers, body and "
        "session cookie as the endpoint.",
        f"- Bytes: HTML as the app answers it; gzip level {HTML_GZIP_LEVEL} and brotli "
        f"quality {HTML_BROTLI_QUALITY}, as a compressing proxy would send it.",
        "",
        "### Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    for target, measured, met in targets(bench, loads):
        lines.append(f"| {target} | {measured} | {verdict(met)} |")
    for dataset in DATASETS:
        lines += ["", f"### Endpoints, {dataset.label}", ""]
        lines += endpoint_table(bench, dataset)
        lines += [""] + floor_table(bench, dataset)
    lines += [
        "",
        "### First load of a step page",
        "",
        "A browser with an empty cache opening the patient step (static files as gunicorn "
        "and WhiteNoise serve them; the HTML compressed as above).",
        "",
        "| request | KB raw | KB gzip | KB br | Cache-Control |",
        "|---|--:|--:|--:|---|",
    ]
    for row in first_load_rows:
        lines.append(
            f"| {row['what']} | {kilobytes(row['bytes'])} | {kilobytes(row['gzip'])} | "
            f"{kilobytes(row['brotli'])} | {row['cache_control']} |"
        )
    total_gzip = sum(row["gzip"] or row["bytes"] for row in first_load_rows)
    total_brotli = sum(row["brotli"] or row["bytes"] for row in first_load_rows)
    total_raw = sum(row["bytes"] for row in first_load_rows)
    lines.append(
        f"| **{len(first_load_rows)} requests** | **{kilobytes(total_raw)}** | "
        f"**{kilobytes(total_gzip)}** | **{kilobytes(total_brotli)}** | |"
    )
    lines += [
        "",
        f"### Under load: gunicorn, {GUNICORN_WORKERS} sync workers, {LOAD_CLIENTS} clients",
        "",
        "Each client sends its next request as soon as the last is answered (closed loop, "
        f"no think time); {LOAD_REQUESTS:,} requests per load or {LOAD_SECONDS} s, whichever "
        f"comes first, in {LOAD_BURSTS} bursts taking turns with the other loads, on the "
        "10,000-encounter database. The client threads share the machine's cores with "
        "gunicorn.",
        "",
        "| load | requests | req/s | median ms | p95 ms | failures |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for name, load in loads.items():
        lines.append(
            f"| {name} | {load['requests']:,} | {load['per_second']:.0f} | "
            f"{load['median_ms']:.1f} | {load['p95_ms']:.1f} | {load['failures']} |"
        )
    lines.append("<!-- bench:end -->")
    return "\n".join(lines) + "\n"


def write_report(measured_section):
    """Replace the measured section of docs/PERFORMANCE.md, keeping the notes around it."""
    begin, end = "<!-- bench:begin", "<!-- bench:end -->"
    if REPORT_PATH.exists():
        existing = REPORT_PATH.read_text()
        if begin in existing and end in existing:
            before = existing[: existing.index(begin)]
            after = existing[existing.index(end) + len(end) :].lstrip("\n")
            REPORT_PATH.write_text(before + measured_section + ("\n" + after if after else ""))
            return
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text("# Performance\n\n" + measured_section)


# ---------------------------------------------------------------------------------------


def phase(message, clock):
    print(f"[{time.monotonic() - clock:5.0f} s] {message}", flush=True)


def main():
    started_at = datetime.datetime.now(datetime.UTC)
    clock = time.monotonic()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    phase("Seeding the databases (10 and 10,000 encounters), collecting static files", clock)
    prepare_template_database()
    for dataset in DATASETS:
        seed(dataset)
    call_command("collectstatic", verbosity=0, interactive=False, clear=True)

    bench = Bench(pathway_endpoints())
    phase("Counting queries and bytes of each endpoint", clock)
    for dataset in DATASETS:
        bench.clients[dataset.name] = signed_in_client(dataset)
        client, csrf_token = bench.clients[dataset.name]
        session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
        bench.cookies[dataset.name] = (
            f"{settings.SESSION_COOKIE_NAME}={session_id}; {settings.CSRF_COOKIE_NAME}={csrf_token}"
        )
        bench.measure_shapes(dataset)

    try:
        for dataset in DATASETS:
            bench.servers[dataset.name] = GunicornServer(dataset)
            bench.servers[dataset.name].start()
        for server in bench.servers.values():
            server.wait_until_healthy()
        own_pids = {os.getpid(), *(server.process.pid for server in bench.servers.values())}
        phase("Waiting for a quiet machine", clock)
        bench.busy_before = wait_for_quiet_machine()
        phase(f"Timing {ROUNDS} rounds (at most {TIMED_SECONDS:.0f} s)", clock)
        with ForeignLoadMeter(own_pids) as rounds_meter:
            bench.run_rounds()
        bench.foreign_load_rounds = rounds_meter.foreign_fraction

        large = DATASETS[1]
        large_server = bench.servers[large.name]
        large_cookie = bench.cookies[large.name]
        first_load_rows = first_load(
            large_server, large_cookie, f"/encounters/{pathway_encounter_id('patient')}/patient/"
        )
        phase(f"Loads of {LOAD_CLIENTS} concurrent clients", clock)
        bench.busy_before_loads = wait_for_quiet_machine()
        with ForeignLoadMeter(own_pids) as load_meter:
            loads = run_loads(large_server, large_cookie, load_requests(bench, large))
        bench.foreign_load_loads = load_meter.foreign_fraction
    finally:
        for server in bench.servers.values():
            server.stop()
        connection.close()

    about_machine = machine()
    seconds_taken = time.monotonic() - clock
    write_report(report(bench, first_load_rows, loads, about_machine, started_at, seconds_taken))
    (RESULTS_DIR / "latest.json").write_text(
        json.dumps(
            {
                "machine": about_machine,
                "rounds": bench.rounds_done,
                "shapes": {" | ".join(key): value for key, value in bench.shapes.items()},
                "samples_ms": {
                    " | ".join(key): [round(seconds * 1000, 3) for seconds in samples]
                    for key, samples in bench.samples.items()
                },
                "first_load": first_load_rows,
                "loads": loads,
            },
            indent=1,
        )
    )
    phase(f"Wrote {REPORT_PATH.relative_to(REPO_DIR)}", clock)


if __name__ == "__main__":
    main()
