"""Timing the requests: in-process and over HTTP, the machine's other load, the loads.

Every request of a round is timed next to its two floors (bench/floors.py) answering the
same number of bytes, shuffled together so that drift of the machine hits all alike.
"""

import gzip
import http.client
import itertools
import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.config import (
    HTML_BROTLI_QUALITY,
    HTML_GZIP_LEVEL,
    HTTP_TIMEOUT_SECONDS,
    LOAD_BURSTS,
    LOAD_CLIENTS,
    LOAD_REQUESTS,
    LOAD_SECONDS,
    PDF_REQUESTS,
    QUIET_BUSY_FRACTION,
    QUIET_SECONDS,
    ROUNDS,
    STEP_PAGES_LOAD,
    STEP_POSTS_LOAD,
    TIMED_SECONDS,
    WARMUP_ROUNDS,
)
from bench.scenario import (
    DATASETS,
    STEPS,
    Request,
    build_request,
    pathway_encounter_id,
    use_database,
)
from tests.pages import asset_urls

# Each endpoint is timed next to its two floors (`requests_of`).
VARIANTS = ("endpoint", "django floor", "authenticated floor")


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


def gzip_size(body, level=HTML_GZIP_LEVEL):
    return len(gzip.compress(body, compresslevel=level, mtime=0))


def brotli_size(body, quality=HTML_BROTLI_QUALITY):
    return len(brotli.compress(body, quality=quality))


def percentile(samples, fraction):
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


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
    servers: dict = field(default_factory=dict)  # dataset name -> bench.servers.Gunicorn
    pdf_samples: list = field(default_factory=list)  # seconds, first renders (`time_pdf`)
    pdf_again_samples: list = field(default_factory=list)  # seconds, the same PDF again
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
            "endpoint": build_request(endpoint, csrf_token, endpoint.next_path()),
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
            (transport, endpoint, variant)
            for endpoint in self.endpoints
            for variant in VARIANTS
            for transport in ("in-process", "http")
        ]
        shuffler.shuffle(work)
        for transport, endpoint, variant in work:
            # Built just before it is sent (untimed): a review posts the fingerprint of the
            # reviews recorded by then, as its page would.
            request = self.requests_of(dataset, endpoint)[variant]
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


def time_pdf(client, path, count=PDF_REQUESTS):
    """Seconds of `count` requests of a PDF, in-process, one after the other (after one
    untimed): its time is WeasyPrint's, against which the floors (a few ms) say nothing.
    Returns (first renders: the kept PDFs cleared before each, as for a content downloaded
    for the first time; the same content again, as kept)."""
    request = Request("GET", path)
    _, status, body = in_process(client, request)
    check_status("PDF GET", status, 200, body)
    assert body.startswith(b"%PDF"), body[:40]
    first = []
    for _ in range(count):
        caches["pdfs"].clear()
        first.append(in_process(client, request)[0])
    again = [in_process(client, request)[0] for _ in range(count)]
    return first, again


def first_load(server, cookie_header, step_path):
    """What a browser fetches for a step page it has never seen: the page, its CSS and JS."""
    page = Request("GET", step_path)
    _, status, html, page_headers = over_http(server.port, page, cookie_header)
    check_status("first load", status, 200, html)
    rows = [
        {
            "what": "HTML page (compressed by the proxy)",
            "bytes": len(html),
            "gzip": gzip_size(html),
            "brotli": brotli_size(html),
            "cache_control": page_headers.get("Cache-Control", ""),
        }
    ]
    for url in asset_urls(html.decode()):
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
        STEP_POSTS_LOAD: step_answers,
        "Django floor GET (a step page's size)": [patient_page["django floor"]],
        "authenticated floor GET (same size)": [patient_page["authenticated floor"]],
    }
