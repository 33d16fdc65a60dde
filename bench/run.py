"""`make bench`: every pathway endpoint timed against Django's floor; writes docs/PERFORMANCE.md.

One run, on two seeded SQLite databases (10 encounters; 10,000 encounters from 50
clinicians), interleaved round-robin so drift of the machine hits every endpoint alike:

- each endpoint (every step's GET and POST, plain and htmx; the summary; the print page;
  the encounters list and its search; the home page with its Reviews due; an IVIG course
  review's htmx POST) in-process with django.test.Client and over HTTP
  against gunicorn on loopback, each next to its two floors (`bench.floors`) answering
  the same number of bytes, with the same method, headers and body;
- queries per request, response bytes (raw, gzip, brotli), the first-load weight of a step
  page, and throughput and p95 under gunicorn at 20 concurrent clients.

The parts, by job: `config` (settings, Django set-up), `scenario` (databases, requests),
`servers` (gunicorn, stopped whatever happens: Ctrl+C, SIGTERM or an error), `measure`
(timing, loads) and `report` (docs/PERFORMANCE.md). Counts and time are bounded
(`BENCH_ROUNDS`, `BENCH_SECONDS`).
"""

import datetime
import json
import os
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench.config import (
    GUNICORN_WORKERS,
    LOAD_CLIENTS,
    REPO_DIR,
    REPORT_PATH,
    RESULTS_DIR,
    ROUNDS,
    TIMED_SECONDS,
)
from bench.measure import (
    Bench,
    ForeignLoadMeter,
    first_load,
    load_requests,
    run_loads,
    time_pdf,
    wait_for_quiet_machine,
)
from bench.report import machine, missed_budgets, report, write_report
from bench.scenario import (
    DATASETS,
    pathway_encounter_id,
    pathway_endpoints,
    pdf_path,
    prepare_template_database,
    seed,
    signed_in_client,
    use_database,
)
from bench.servers import Gunicorn, interrupted_by_signals, serving


def phase(message, clock):
    print(f"[{time.monotonic() - clock:5.0f} s] {message}", flush=True)


def gunicorn_for(dataset):
    return Gunicorn(
        workers=GUNICORN_WORKERS,
        env={**os.environ, "BENCH_DATABASE": str(dataset.database)},
        cwd=REPO_DIR,
        log_path=RESULTS_DIR / f"gunicorn-{dataset.name}.log",
    )


def prepare(clock):
    """The databases, static files and a signed-in client per dataset, with the shapes."""
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
    return bench


def measure(bench, clock):
    """The timed rounds, the first load and the loads, against gunicorn (stopped after)."""
    servers = {dataset.name: gunicorn_for(dataset) for dataset in DATASETS}
    with serving(*servers.values()):
        bench.servers = servers
        for server in servers.values():
            server.wait_until_healthy()
        own_pids = {os.getpid(), *(server.process.pid for server in servers.values())}
        phase("Waiting for a quiet machine", clock)
        bench.busy_before = wait_for_quiet_machine()
        phase(f"Timing {ROUNDS} rounds (at most {TIMED_SECONDS:.0f} s)", clock)
        with ForeignLoadMeter(own_pids) as rounds_meter:
            bench.run_rounds()
        bench.foreign_load_rounds = rounds_meter.foreign_fraction
        phase("Timing the PDF of a finalized summary", clock)
        use_database(DATASETS[1].database)
        bench.pdf_samples, bench.pdf_again_samples = time_pdf(
            bench.clients[DATASETS[1].name][0], pdf_path()
        )

        large = DATASETS[1]
        large_server, large_cookie = servers[large.name], bench.cookies[large.name]
        patient_path = f"/encounters/{pathway_encounter_id('patient')}/patient/"
        first_load_rows = first_load(large_server, large_cookie, patient_path)
        phase(f"Loads of {LOAD_CLIENTS} concurrent clients", clock)
        bench.busy_before_loads = wait_for_quiet_machine()
        with ForeignLoadMeter(own_pids) as load_meter:
            loads = run_loads(large_server, large_cookie, load_requests(bench, large))
        bench.foreign_load_loads = load_meter.foreign_fraction
    connection.close()
    return first_load_rows, loads


def save_samples(bench, about_machine, first_load_rows, loads):
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


def main():
    started_at = datetime.datetime.now(datetime.UTC)
    clock = time.monotonic()
    with interrupted_by_signals():
        bench = prepare(clock)
        first_load_rows, loads = measure(bench, clock)
    about_machine = machine()
    seconds_taken = time.monotonic() - clock
    write_report(report(bench, first_load_rows, loads, about_machine, started_at, seconds_taken))
    save_samples(bench, about_machine, first_load_rows, loads)
    phase(f"Wrote {REPORT_PATH.relative_to(REPO_DIR)}", clock)
    missed = missed_budgets(bench, loads)
    if missed:
        lines = [f"  - {row.target}: {row.measured}" for row in missed]
        sys.exit(
            "\n".join(
                [
                    "",
                    "*" * 78,
                    f"BENCH FAILED: {len(missed)} budget(s) of issue 27 missed (the figures are "
                    f"in {REPORT_PATH.relative_to(REPO_DIR)}):",
                    *lines,
                    "*" * 78,
                ]
            )
        )
    print("All budgets of issue 27 met.", flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt as interrupt:
        sys.exit(
            f"Interrupted ({interrupt or 'Ctrl+C'}): every server the benchmark started is stopped."
        )
