"""Load and fault harness: simulated clinicians against two gunicorn servers on one
PostgreSQL database, on loopback.

Two app servers (gunicorn, each on its own port) share one database, as behind a load
balancer. Each clinician sends its requests to the servers in turn, one request each: the
sign-in page comes from one and the sign-in is posted to the other, and so on for the IVIG
path (new encounter, five steps, the summary, finalize) again and again until the run's time
is up; so sessions, CSRF tokens and the session-end resume must work across servers. On its
second walk each clinician's session ends mid-step (its idle time passes): its post is kept
by one server and applied by signing in again on the other. With --kill-worker, one worker
of the first server is SIGKILLed half-way through.

Afterwards the database is checked, per server: every finalization a server acknowledged is
finalized in the database, and no encounter it finalized is half-written.

    python loadtest/run.py --clinicians 50 --duration 60 --workers 3 [--kill-worker]

DATABASE_URL must name a PostgreSQL database (it is created if missing); without one, a
throwaway PostgreSQL cluster is started for the run. Traffic goes to 127.0.0.1 only.
`loadtest/restore_drill.py` runs the same load with a backup and restore half-way.
"""

import argparse
import datetime
import html
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
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.servers import Gunicorn, interrupted_by_signals, serving  # noqa: E402
from loadtest.postgres import throwaway_cluster  # noqa: E402

PASSWORD = "load-test-password-1"
IVIG_STEPS = [
    ("patient", {"weight_kg": "70", "diagnosis_confirmed": "yes", "height_cm": "175",
                 "sex": "male"}),
    ("tumour", {"tumour_status": "not_found", "smoking": "never", "screen_included_pet": "yes"}),
    ("symptomatic", {"dap_status": "inadequate"}),
    ("severity", {"weakness": "severe", "rapid_improvement_needed": "no",
                  "immunosuppression": "starting"}),
    ("ivig", {"plasma_exchange_available": "yes", "ivig_risk_factors": "renal"}),
]  # fmt: skip
DECISION = {"decision": "followed", "dose_basis": "actual"}
DECISION_SHOWN = "Followed"  # how the summary and print page name DECISION's choice
# The walk (counted from 0) on which the clinician's session ends, and at which step.
RESUME_WALK, RESUME_STEP = 1, "severity"
SERVER_NAMES = "ABCD"


def patient_reference(clinician_number, walk):
    """A pseudonymous reference per encounter, so a restored one can be recognized."""
    return f"LOAD-{clinician_number:03d}-{walk:04d}"


def clinician_name(number):
    return f"load-clinician-{number}"


def hidden_fields(page, action):
    """The hidden inputs of the page's form posting to `action`, as a browser sends them."""
    form = re.search(
        rb'<form[^>]*action="' + re.escape(action.encode()) + rb'"[^>]*>(.*?)</form>',
        page or b"",
        re.S,
    )
    fields = {}
    for tag in re.findall(rb"<input[^>]*>", form.group(1) if form else b""):
        if not re.search(rb'type="hidden"', tag) or re.search(rb"\sdisabled", tag):
            continue
        name = re.search(rb'name="([^"]*)"', tag)
        value = re.search(rb'value="([^"]*)"', tag)
        if name:
            fields[html.unescape(name.group(1).decode())] = html.unescape(
                value.group(1).decode() if value else ""
            )
    return fields


def end_session_as_idle(session_key):
    """The session's idle time passes: its expiry is set in the past, in the database (the
    app servers keep no session state of their own)."""
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.utils import timezone

    try:
        Session.objects.filter(session_key=session_key).update(
            expire_date=timezone.now() - datetime.timedelta(seconds=1)
        )
    finally:
        connection.close()  # this thread's connection: the clinicians' threads are many


class Clinician:
    """One simulated clinician: a cookie jar, the servers taken in turn, the IVIG path."""

    def __init__(self, number, ports, deadline, results, resume=True):
        self.number, self.ports, self.deadline, self.results = number, ports, deadline, results
        self.username = clinician_name(number)
        self.resume = resume
        self.cookies = {}
        self.signed_in = False
        self.turn = number  # clinicians start on alternate servers

    def request(self, method, path, fields=None):
        """One request, to the next server in turn; recorded against that server."""
        server = self.turn % len(self.ports)
        self.turn += 1
        body = None
        headers = {
            "Host": "127.0.0.1",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        # Signing in hashes the password (about 0.5 s of CPU, on purpose): timed apart too.
        sign_in = method == "POST" and path == "/accounts/login/"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.ports[server], timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as error:
            seconds = time.perf_counter() - started
            self.results.record(server, seconds, None, type(error).__name__, sign_in)
            return None, None, b"", server
        finally:
            connection.close()
        self.results.record(server, time.perf_counter() - started, response.status, None, sign_in)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers.get("Location"), content, server

    def sign_in(self, next_url="/"):
        """The sign-in page from one server, the form posted to the next. Returns where the
        sign-in leads (None if it failed)."""
        status, _, page, _ = self.request("GET", "/accounts/login/")
        if status != 200:
            return None
        return self.post_sign_in(page, next_url)

    def post_sign_in(self, page, next_url):
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page or b"")
        if not token:
            return None
        fields = {"csrfmiddlewaretoken": token.group(1).decode(), "username": self.username,
                  "password": PASSWORD, "next": next_url}  # fmt: skip
        status, location, _, _ = self.request("POST", "/accounts/login/", fields)
        return location if status == 302 else None

    def walk_the_ivig_path(self, walk):
        status, location, _, _ = self.request("POST", "/encounters/new/", {})
        created = re.match(r"/encounters/([0-9a-f-]{36})/", location or "")
        if status != 302 or not created:
            # Signed out (a sign-in cut off by the killed worker): sign in again, as anyone would.
            self.signed_in = not (location or "").startswith("/accounts/login/")
            return
        encounter = created.group(1)
        self.results.started(encounter)
        for number, (step, fields) in enumerate(IVIG_STEPS):
            if step == "patient":
                fields = {**fields, "patient_reference": patient_reference(self.number, walk)}
            if self.resume and walk == RESUME_WALK and step == RESUME_STEP:
                next_step = IVIG_STEPS[number + 1][0]
                if not self.post_after_session_end(encounter, step, fields, next_step):
                    return
                continue
            status, _, _, _ = self.request("POST", f"/encounters/{encounter}/{step}/", fields)
            if status != 302:
                return
        # The summary first, as a clinician reads it: finalize sends what its form holds
        # (the revision shown and any other hidden field) with the decision.
        finalize_path = f"/encounters/{encounter}/finalize/"
        status, _, page, _ = self.request("GET", f"/encounters/{encounter}/")
        shown = hidden_fields(page, finalize_path)
        if status != 200 or not shown:
            return
        self.results.finalize_sent(self.turn % len(self.ports), encounter)
        status, _, _, server = self.request("POST", finalize_path, {**shown, **DECISION})
        if status == 302:
            self.results.acknowledged(server, encounter)

    def post_after_session_end(self, encounter, step, fields, next_step):
        """A step posted after the session ended, then sign-in, across servers: the kept
        post must be applied and the clinician go on to the next step.

        The whole session-end resume is in this one function, as the app does it today: the
        step page is open (its form carries the signed `shown_to` proof of whom it was shown
        to), the session's idle time passes, the post answers the sign-in form saying it is
        kept, and the sign-in POST itself applies it and leads to the next step.
        """
        self.results.resume_tried()
        path = f"/encounters/{encounter}/{step}/"
        status, _, page, _ = self.request("GET", path)
        shown = hidden_fields(page, path)
        if status != 200 or not shown:
            return False
        end_session_as_idle(self.cookies.get("sessionid", ""))
        status, _, page, _ = self.request("POST", path, {**shown, **fields})
        if status != 200 or b"what you sent is kept" not in page:
            return False
        next_url = re.search(rb'name="next" value="([^"]*)"', page)
        location = self.post_sign_in(page, html.unescape(next_url.group(1).decode()))
        applied = bool(location) and location.rstrip("/").endswith(f"/{encounter}/{next_step}")
        if applied:
            self.results.resume_applied()
        return applied

    def run(self):
        walk = 0
        while time.monotonic() < self.deadline:
            if not self.signed_in:
                self.signed_in = bool(self.sign_in())
                if not self.signed_in:
                    time.sleep(0.5)
                continue
            self.walk_the_ivig_path(walk)
            walk += 1


class ServerTally:
    """What one server answered: latencies, statuses, and the finalizations sent to it."""

    def __init__(self, name, port):
        self.name, self.port = name, port
        self.latencies, self.statuses, self.errors = [], {}, {}
        self.latencies_without_sign_in = []
        self.finalizations_sent, self.finalizations_acknowledged = set(), set()
        self.worker_killed = None

    @property
    def error_count(self):
        return sum(self.errors.values()) + sum(
            count for status, count in self.statuses.items() if status >= 500
        )


class Results:
    def __init__(self, ports):
        self.lock = threading.Lock()
        self.servers = [ServerTally(SERVER_NAMES[i], port) for i, port in enumerate(ports)]
        self.encounters_started = set()
        self.started_at = None  # when the load began (time.monotonic)
        self.resumes_tried = self.resumes_applied = 0

    def record(self, server, seconds, status, error, sign_in=False):
        tally = self.servers[server]
        with self.lock:
            tally.latencies.append(seconds)
            if not sign_in:
                tally.latencies_without_sign_in.append(seconds)
            if error:
                tally.errors[error] = tally.errors.get(error, 0) + 1
            else:
                tally.statuses[status] = tally.statuses.get(status, 0) + 1

    def started(self, encounter):
        with self.lock:
            self.encounters_started.add(encounter)

    def finalize_sent(self, server, encounter):
        with self.lock:
            self.servers[server].finalizations_sent.add(encounter)

    def acknowledged(self, server, encounter):
        with self.lock:
            self.servers[server].finalizations_acknowledged.add(encounter)

    def resume_tried(self):
        with self.lock:
            self.resumes_tried += 1

    def resume_applied(self):
        with self.lock:
            self.resumes_applied += 1

    @property
    def finalizations_acknowledged(self):
        return set().union(*(tally.finalizations_acknowledged for tally in self.servers))

    @property
    def latencies(self):
        return [seconds for tally in self.servers for seconds in tally.latencies]

    @property
    def latencies_without_sign_in(self):
        return [s for tally in self.servers for s in tally.latencies_without_sign_in]


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


def app_environment(database_url):
    """The app's production settings (DEBUG off) on `database_url`, over plain HTTP."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lems_site.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "load-test-secret-key-" + "x" * 40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "FHIR_BASE_URL": os.environ.get("FHIR_BASE_URL", "http://127.0.0.1/fhir"),
    }


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
    names = [clinician_name(number) for number in range(clinicians)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [User(username=name, password=password) for name in names if name not in existing]
    )
    for user in User.objects.filter(username__in=names):
        user.groups.add(group)


def app_servers(count, workers, environment):
    return [
        Gunicorn(workers=workers, env=environment, cwd=ROOT, extra_args=["--graceful-timeout", "5"])
        for _ in range(count)
    ]


def run_load(options, environment, midway=None):
    """The clinicians against `options.servers` gunicorn servers for `options.duration`
    seconds; `midway(servers, results)` runs half-way through, while the load goes on.
    Returns the results, the seconds the load took, and what `midway` returned."""
    servers = app_servers(options.servers, options.workers, environment)
    with serving(*servers):
        for server in servers:
            server.wait_until_healthy()
        results = Results([server.port for server in servers])
        started = results.started_at = time.monotonic()
        deadline = started + options.duration
        clinicians = [
            Clinician(number, [s.port for s in servers], deadline, results, options.resume)
            for number in range(options.clinicians)
        ]
        threads = [threading.Thread(target=c.run, daemon=True) for c in clinicians]
        for thread in threads:
            thread.start()
        outcome = None
        if midway:
            time.sleep(options.duration / 2)
            outcome = midway(servers, results)
        for thread in threads:
            thread.join(timeout=options.duration + 60)
        elapsed = time.monotonic() - started
    return results, elapsed, outcome


def kill_a_worker(servers, results):
    """SIGKILL one worker of the first server, as the kernel's OOM killer would."""
    killed = worker_pids(servers[0].process.pid)[0]
    os.kill(killed, signal.SIGKILL)
    results.servers[0].worker_killed = killed
    return killed


def check_database(results):
    """Per server: its acknowledged finalizations in the database, none it finalized
    half-written; and over all encounters started, none half-written."""
    from django.db.models import Q

    from guidance.models import Encounter

    started = Encounter.all_objects.filter(pk__in=results.encounters_started)
    finalized = {str(pk) for pk in started.filter(status="finalized").values_list("pk", flat=True)}
    half_written = {
        str(pk)
        for pk in started.filter(
            Q(status="finalized", snapshot__isnull=True)
            | Q(status="finalized", finalized_at__isnull=True)
            | Q(status="finalized", decision="")
            | (~Q(status="finalized") & (Q(snapshot__isnull=False) | Q(finalized_at__isnull=False)))
        ).values_list("pk", flat=True)
    }
    acknowledged = results.finalizations_acknowledged
    per_server = {
        tally.name: {
            "finalizations_acknowledged": len(tally.finalizations_acknowledged),
            "acknowledged_in_database": len(tally.finalizations_acknowledged & finalized),
            "acknowledged_missing": len(tally.finalizations_acknowledged - finalized),
            "finalized_but_not_acknowledged": len(
                (tally.finalizations_sent & finalized) - acknowledged
            ),
            "half_written": len(tally.finalizations_sent & half_written),
        }
        for tally in results.servers
    }
    overall = {
        "finalized_in_database": len(finalized),
        "acknowledged_missing": len(acknowledged - finalized),
        "finalized_but_not_acknowledged": len(finalized - acknowledged),
        "half_written": len(half_written),
    }
    return overall, per_server


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def milliseconds(seconds):
    return round(seconds * 1000, 1)


def latency(latencies, without_sign_in):
    """Median and 95th percentile in ms, of all requests and of all but the sign-in POSTs."""
    return {
        "p50_ms": milliseconds(statistics.median(latencies)) if latencies else 0.0,
        "p95_ms": milliseconds(percentile(latencies, 0.95)),
        "p50_ms_without_sign_in": milliseconds(statistics.median(without_sign_in))
        if without_sign_in
        else 0.0,
        "p95_ms_without_sign_in": milliseconds(percentile(without_sign_in, 0.95)),
    }


def report_of(options, results, elapsed):
    """The run's figures: overall, then per server, with the database check."""
    overall, per_server = check_database(results)
    latencies = results.latencies
    return {
        "clinicians": options.clinicians,
        "servers": options.servers,
        "workers_per_server": options.workers,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        **latency(latencies, results.latencies_without_sign_in),
        "errors": sum(tally.error_count for tally in results.servers),
        "encounters_started": len(results.encounters_started),
        "finalizations_acknowledged": len(results.finalizations_acknowledged),
        "resumes_tried": results.resumes_tried,
        "resumes_applied": results.resumes_applied,
        **overall,
        "per_server": {
            tally.name: {
                "port": tally.port,
                "requests": len(tally.latencies),
                "errors": tally.error_count,
                "error_kinds": tally.errors,
                "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
                **latency(tally.latencies, tally.latencies_without_sign_in),
                "worker_killed": tally.worker_killed,
                **per_server[tally.name],
            }
            for tally in results.servers
        },
    }


def table(report):
    """The per-server figures as a Markdown table (docs/RELIABILITY.md takes it as is)."""
    rows = [
        "| server | requests | errors | latency p50 / p95 | the same, sign-in POSTs excluded "
        "| finalizations acknowledged | of those in the database | half-written |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, server in report["per_server"].items():
        killed = " (one worker killed)" if server["worker_killed"] else ""
        rows.append(
            f"| {name}{killed} | {server['requests']:,} | {server['errors']} "
            f"| {server['p50_ms']:,.0f} ms / {server['p95_ms']:,.0f} ms "
            f"| {server['p50_ms_without_sign_in']:,.0f} ms / "
            f"{server['p95_ms_without_sign_in']:,.0f} ms "
            f"| {server['finalizations_acknowledged']} "
            f"| {server['acknowledged_in_database']} | {server['half_written']} |"
        )
    return "\n".join(rows)


def add_load_arguments(parser, clinicians=50, duration=60):
    parser.add_argument("--clinicians", type=int, default=clinicians)
    parser.add_argument("--duration", type=float, default=duration, help="seconds of load")
    parser.add_argument("--servers", type=int, default=2, choices=range(1, 5))
    parser.add_argument("--workers", type=int, default=3, choices=range(1, 5), help="per server")
    parser.add_argument(
        "--no-resume",
        dest="resume",
        action="store_false",
        help="no session ends mid-step (each clinician's second walk has one by default)",
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_load_arguments(parser)
    parser.add_argument("--kill-worker", action="store_true", help="SIGKILL a worker half-way")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "loadtest" / "results" / "latest.json"
    )
    options = parser.parse_args()

    # SIGTERM and SIGHUP stop the run as Ctrl+C does: gunicorn and the cluster are stopped.
    with interrupted_by_signals(), throwaway_cluster(os.environ.get("DATABASE_URL", "")) as url:
        environment = app_environment(url)
        os.environ.update(environment)
        prepare_database(options.clinicians)
        midway = kill_a_worker if options.kill_worker else None
        results, elapsed, _ = run_load(options, environment, midway)
        report = report_of(options, results, elapsed)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(table(report))
    failed = report["acknowledged_missing"] or report["half_written"]
    if not options.kill_worker:
        # A killed worker cuts off the requests it held: an error, a finalization committed
        # but never acknowledged, or a resume cut short are then expected.
        failed = (
            failed
            or report["errors"]
            or report["finalized_but_not_acknowledged"]
            or report["resumes_applied"] != report["resumes_tried"]
        )
    if not report["finalizations_acknowledged"] or any(
        not server["finalizations_acknowledged"] for server in report["per_server"].values()
    ):
        failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt as interrupt:
        sys.exit(f"Interrupted ({interrupt or 'Ctrl+C'}): gunicorn and the cluster are stopped.")
