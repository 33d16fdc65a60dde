"""Load and fault harness: simulated clinicians against gunicorn on PostgreSQL, on loopback.

Each clinician signs in, then walks the IVIG path (new encounter, five steps, finalize) again
and again until the run's time is up. With --kill-worker, one gunicorn worker is SIGKILLed
half-way through. Afterwards the database is checked: every finalization a clinician saw
acknowledged is finalized in the database, and no encounter is half-written.

    python loadtest/run.py --clinicians 50 --duration 60 --workers 3 [--kill-worker]

DATABASE_URL must name a PostgreSQL database (it is created if missing); without one, a
throwaway PostgreSQL cluster is started for the run. Traffic goes to 127.0.0.1 only.
"""

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.servers import Gunicorn, interrupted_by_signals, serving  # noqa: E402
from loadtest.postgres import throwaway_cluster  # noqa: E402

PASSWORD = "load-test-password-1"
IVIG_STEPS = [
    ("patient", {"patient_reference": "", "weight_kg": "70", "diagnosis_confirmed": "yes"}),
    ("tumour", {"tumour_status": "not_found", "smoking": "never"}),
    ("symptomatic", {"dap_status": "inadequate"}),
    ("severity", {"weakness": "severe", "rapid_improvement_needed": "no",
                  "immunosuppression": "starting"}),
    ("ivig", {"plasma_exchange_available": "yes", "ivig_risk_factors": "renal"}),
]  # fmt: skip
DECISION = {"decision": "followed", "dose_basis": "actual"}


class Clinician:
    """One simulated clinician: a cookie jar and a loop over the IVIG path."""

    def __init__(self, port, username, deadline, results):
        self.port, self.username, self.deadline, self.results = port, username, deadline, results
        self.cookies = {}

    def request(self, method, path, fields=None):
        body = None
        headers = {
            "Host": "127.0.0.1",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if fields is not None:
            from urllib.parse import urlencode

            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.results.record(time.perf_counter() - started, None, f"{type(error).__name__}")
            return None, None, b""
        finally:
            connection.close()
        self.results.record(time.perf_counter() - started, response.status, None)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers.get("Location"), content

    def sign_in(self):
        status, _, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page or b"")
        if status != 200 or not token:
            return False
        fields = {"csrfmiddlewaretoken": token.group(1).decode(), "username": self.username,
                  "password": PASSWORD, "next": "/"}  # fmt: skip
        status, _, _ = self.request("POST", "/accounts/login/", fields)
        return status == 302

    def walk_the_ivig_path(self):
        status, location, _ = self.request("POST", "/encounters/new/", {})
        if status != 302 or not location:
            return
        encounter = location.rstrip("/").split("/")[-2]
        self.results.started(encounter)
        for step, fields in IVIG_STEPS:
            status, _, _ = self.request("POST", f"/encounters/{encounter}/{step}/", fields)
            if status != 302:
                return
        # The summary first, as a clinician reads it: finalize takes the revision it showed
        # and the fingerprint of what it showed.
        status, _, page = self.request("GET", f"/encounters/{encounter}/")
        shown = re.search(rb'name="revision_shown" value="(\d+)"', page or b"")
        fingerprint = re.search(rb'name="shown_fingerprint" value="([0-9a-f]+)"', page or b"")
        if status != 200 or not shown or not fingerprint:
            return
        decision = {
            **DECISION,
            "revision_shown": shown.group(1).decode(),
            "shown_fingerprint": fingerprint.group(1).decode(),
        }
        status, _, _ = self.request("POST", f"/encounters/{encounter}/finalize/", decision)
        if status == 302:
            self.results.acknowledged(encounter)

    def run(self):
        while time.monotonic() < self.deadline and not self.sign_in():
            time.sleep(0.5)
        while time.monotonic() < self.deadline:
            self.walk_the_ivig_path()


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies, self.statuses, self.errors = [], {}, {}
        self.encounters_started, self.finalizations_acknowledged = set(), set()

    def record(self, seconds, status, error):
        with self.lock:
            self.latencies.append(seconds)
            if error:
                self.errors[error] = self.errors.get(error, 0) + 1
            else:
                self.statuses[status] = self.statuses.get(status, 0) + 1

    def started(self, encounter):
        with self.lock:
            self.encounters_started.add(encounter)

    def acknowledged(self, encounter):
        with self.lock:
            self.finalizations_acknowledged.add(encounter)


def worker_pids(master_pid):
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            pids.append(int(stat.parent.name))
    return pids


def prepare_database(clinicians):
    """Migrate, load the guideline, and make the simulated clinicians (in this process)."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_guideline", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    group = Group.objects.get(name="Clinicians")
    password = make_password(PASSWORD)
    names = [f"load-clinician-{number}" for number in range(clinicians)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [User(username=name, password=password) for name in names if name not in existing]
    )
    for user in User.objects.filter(username__in=names):
        user.groups.add(group)
    return names


def check_database(results):
    """Acknowledged finalizations present; no encounter half-written."""
    from django.db.models import Q

    from guidance.models import Encounter

    started = Encounter.objects.filter(pk__in=results.encounters_started)
    finalized = {str(pk) for pk in started.filter(status="finalized").values_list("pk", flat=True)}
    half_written = started.filter(
        Q(status="finalized", snapshot__isnull=True)
        | Q(status="finalized", finalized_at__isnull=True)
        | Q(status="finalized", decision="")
        | (~Q(status="finalized") & (Q(snapshot__isnull=False) | Q(finalized_at__isnull=False)))
    ).count()
    return {
        "finalized_in_database": len(finalized),
        "acknowledged_missing": len(results.finalizations_acknowledged - finalized),
        "finalized_but_not_acknowledged": len(finalized - results.finalizations_acknowledged),
        "half_written": half_written,
    }


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clinicians", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--workers", type=int, default=3, choices=range(2, 5))
    parser.add_argument("--kill-worker", action="store_true", help="SIGKILL a worker half-way")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "loadtest" / "results" / "latest.json"
    )
    options = parser.parse_args()

    # SIGTERM and SIGHUP stop the run as Ctrl+C does: gunicorn and the cluster are stopped.
    with interrupted_by_signals(), throwaway_cluster(os.environ.get("DATABASE_URL", "")) as url:
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "lems_site.settings",
            "DATABASE_URL": url,
            "DEBUG": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "load-test-secret-key-" + "x" * 40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
        }
        os.environ.update(environment)
        names = prepare_database(options.clinicians)
        gunicorn = Gunicorn(
            workers=options.workers,
            env=environment,
            cwd=ROOT,
            extra_args=["--graceful-timeout", "5"],
        )
        with serving(gunicorn):
            gunicorn.wait_until_healthy()
            port = gunicorn.port
            results = Results()
            started = time.monotonic()
            deadline = started + options.duration
            threads = [
                threading.Thread(target=Clinician(port, name, deadline, results).run, daemon=True)
                for name in names
            ]
            for thread in threads:
                thread.start()
            killed = None
            if options.kill_worker:
                time.sleep(options.duration / 2)
                killed = worker_pids(gunicorn.process.pid)[0]
                os.kill(killed, signal.SIGKILL)
            for thread in threads:
                thread.join(timeout=options.duration + 60)
            elapsed = time.monotonic() - started
        report = {
            "clinicians": options.clinicians,
            "workers": options.workers,
            "seconds": round(elapsed, 1),
            "requests": len(results.latencies),
            "requests_per_second": round(len(results.latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(results.latencies) * 1000, 1),
            "p95_ms": round(percentile(results.latencies, 0.95) * 1000, 1),
            "statuses": {str(k): v for k, v in sorted(results.statuses.items())},
            "errors": sum(results.errors.values())
            + sum(v for k, v in results.statuses.items() if k >= 500),
            "error_kinds": results.errors,
            "worker_killed": killed,
            "encounters_started": len(results.encounters_started),
            "finalizations_acknowledged": len(results.finalizations_acknowledged),
            **check_database(results),
        }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    failed = report["acknowledged_missing"] or report["half_written"]
    if not options.kill_worker:
        failed = failed or report["errors"] or report["finalized_but_not_acknowledged"]
    if not report["finalizations_acknowledged"]:
        failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt as interrupt:
        sys.exit(f"Interrupted ({interrupt or 'Ctrl+C'}): gunicorn and the cluster are stopped.")
