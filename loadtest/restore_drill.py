"""Restore drill: a backup taken under load restores every finalized encounter byte for
byte, and the app serves it.

1. The load of `make loadtest` (two gunicorn servers, one PostgreSQL database).
2. Half-way (or, on a slow start, once ten finalizations are acknowledged, if that comes
   before the end), while the load goes on: a read-only transaction on the database exports its
   snapshot, lists every finalized encounter in it (id, snapshot as jsonb text, the whole
   row as text), and `pg_dump --format=custom --snapshot=<it>` dumps that very snapshot, so
   the list and the dump see exactly the same committed data. Every finalization a
   clinician saw acknowledged before then must be in the list.
3. After the load: a fresh database in the same cluster (`createdb`), `pg_restore` into it.
4. Every listed encounter is in the restored database with its snapshot and its row equal,
   text for text, and nothing else is finalized there; then gunicorn serves the restored
   database, and each owner signs in and opens the print page of each of their finalized
   encounters: 200, with the patient reference and the decision.

    python loadtest/restore_drill.py --clinicians 20 --duration 30

As `loadtest/run.py`: DATABASE_URL names the source PostgreSQL database (the restored one is
`<name>_restored` beside it), or a throwaway cluster is started. PGBIN names the PostgreSQL
programs' directory (loadtest/postgres.py).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.servers import interrupted_by_signals, serving  # noqa: E402
from loadtest.postgres import binaries, throwaway_cluster  # noqa: E402
from loadtest.run import (  # noqa: E402
    DECISION_SHOWN,
    Clinician,
    Results,
    add_load_arguments,
    app_environment,
    app_servers,
    prepare_database,
    report_of,
    run_load,
    table,
)

# Every finalized encounter: the snapshot as jsonb prints it, and the whole row likewise.
FINALIZED = """
    SELECT e.id::text, e.snapshot::text, e::text, u.username, e.patient_reference
    FROM guidance_encounter e JOIN auth_user u ON u.id = e.owner_id
    WHERE e.status = 'finalized'
"""


def finalized_encounters(connection):
    return {
        encounter: {"snapshot": snapshot, "row": row, "owner": owner, "reference": reference}
        for encounter, snapshot, row, owner, reference in connection.execute(FINALIZED)
    }


def run_program(name, *arguments):
    """One of the PostgreSQL programs, from the same installation as the cluster."""
    command = [str(binaries() / name), *arguments]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr.strip()}")


class Backup:
    """The dump taken half-way, and what the source held in the dump's own snapshot."""

    def __init__(self, source_url, path, enough, patience):
        self.source_url, self.path = source_url, path
        # Half-way, the dump waits (up to `patience` seconds) until `enough` finalizations
        # are acknowledged, so a slow start (every clinician signing in at once on a busy
        # machine) still leaves something to check.
        self.enough, self.patience = enough, patience
        self.finalized, self.acknowledged_before = {}, set()
        self.started_at = self.seconds = self.load_seconds = None

    def take(self, servers, results):
        import psycopg

        until = time.monotonic() + self.patience
        while len(results.finalizations_acknowledged) < self.enough and time.monotonic() < until:
            time.sleep(0.2)
        self.load_seconds = time.monotonic() - results.started_at
        # Acknowledged now: committed before the snapshot below is taken.
        with results.lock:
            self.acknowledged_before = set(results.finalizations_acknowledged)
        self.started_at = time.time()
        started = time.monotonic()
        with psycopg.connect(self.source_url) as connection:
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            connection.read_only = True
            snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
            self.finalized = finalized_encounters(connection)
            # The transaction stays open while pg_dump reads its snapshot.
            run_program(
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={self.path}",
                f"--dbname={self.source_url}",
            )
        self.seconds = time.monotonic() - started


def restore(backup, restored_url):
    """A fresh database beside the source, and the dump restored into it."""
    address = urlsplit(restored_url)
    name = address.path.lstrip("/")
    maintenance = f"--maintenance-db={urlunsplit(address._replace(path='/postgres'))}"
    run_program("dropdb", maintenance, "--if-exists", name)
    run_program("createdb", maintenance, name)
    started = time.monotonic()
    run_program("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored_url}",
                str(backup.path))  # fmt: skip
    return time.monotonic() - started


def compare(backup, restored_url):
    import psycopg

    with psycopg.connect(restored_url) as connection:
        restored = finalized_encounters(connection)
    return compare_encounters(backup.finalized, restored, backup.acknowledged_before)


def compare_encounters(before, restored, acknowledged_before):
    """What the dump's snapshot held against what the restored database holds: the same
    finalized encounters, each with its snapshot and row equal, text for text; and every
    finalization acknowledged before the dump among them."""
    both = before.keys() & restored.keys()
    return {
        "finalized_before_dump": len(before),
        "found_after_restore": len(both),
        "missing_after_restore": sorted(before.keys() - restored.keys()),
        "finalized_after_restore_not_in_dump": sorted(restored.keys() - before.keys()),
        "snapshots_differ": sorted(
            e for e in both if before[e]["snapshot"] != restored[e]["snapshot"]
        ),
        "rows_differ": sorted(e for e in both if before[e]["row"] != restored[e]["row"]),
        "acknowledged_before_dump": len(acknowledged_before),
        "acknowledged_before_dump_missing": sorted(acknowledged_before - before.keys()),
    }


def served(backup, restored_url):
    """gunicorn on the restored database; each owner signs in and opens the print page of
    each of their encounters. Returns the encounters whose page was not right."""
    environment = app_environment(restored_url)
    (server,) = app_servers(1, 2, environment)
    by_owner = {}
    for encounter, row in backup.finalized.items():
        by_owner.setdefault(row["owner"], []).append(encounter)
    wrong = []
    with serving(server):
        server.wait_until_healthy()
        results = Results([server.port])
        for owner, encounters in sorted(by_owner.items()):
            number = int(owner.rsplit("-", 1)[1])
            clinician = Clinician(number, [server.port], time.monotonic() + 60, results)
            signed_in = clinician.sign_in()
            for encounter in encounters:
                status, _, page, _ = clinician.request("GET", f"/encounters/{encounter}/print/")
                reference = backup.finalized[encounter]["reference"]
                if not (
                    signed_in
                    and status == 200
                    and reference
                    and reference.encode() in page
                    and f">{DECISION_SHOWN}<".encode() in page
                ):
                    wrong.append(encounter)
    return wrong


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_load_arguments(parser, clinicians=20, duration=30)
    parser.add_argument(
        "--output", type=Path, default=ROOT / "loadtest" / "results" / "restore-drill.json"
    )
    options = parser.parse_args()

    with (
        interrupted_by_signals(),
        throwaway_cluster(os.environ.get("DATABASE_URL", "")) as url,
        tempfile.TemporaryDirectory(prefix="lems-drill-") as scratch,
    ):
        environment = app_environment(url)
        os.environ.update(environment)
        prepare_database(options.clinicians)
        backup = Backup(
            url,
            Path(scratch) / "lems.dump",
            enough=min(options.clinicians, 10),
            patience=max(options.duration / 2 - 2, 0),
        )
        results, elapsed, _ = run_load(options, environment, midway=backup.take)
        load = report_of(options, results, elapsed)
        source = urlsplit(url)
        restored_url = urlunsplit(source._replace(path=f"{source.path}_restored"))
        restore_seconds = restore(backup, restored_url)
        comparison = compare(backup, restored_url)
        not_served = served(backup, restored_url)
        report = {
            "load": load,
            "dump_taken_after_seconds_of_load": round(backup.load_seconds, 1),
            "dump_seconds": round(backup.seconds, 1),
            "dump_bytes": backup.path.stat().st_size,
            "restore_seconds": round(restore_seconds, 1),
            "finalized_in_source_at_end": load["finalized_in_database"],
            **comparison,
            "print_pages_checked": len(backup.finalized),
            "print_pages_wrong": not_served,
        }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(table(load))
    equal = not (comparison["snapshots_differ"] or comparison["rows_differ"])
    print(
        f"{comparison['finalized_before_dump']} finalized before the dump = "
        f"{comparison['found_after_restore']} after restore, "
        f"snapshots equal: {'yes' if equal else 'NO'}; "
        f"print pages served from the restored database: "
        f"{len(backup.finalized) - len(not_served)} of {len(backup.finalized)}"
    )
    failed = (
        not comparison["finalized_before_dump"]
        or comparison["missing_after_restore"]
        or comparison["finalized_after_restore_not_in_dump"]
        or comparison["acknowledged_before_dump_missing"]
        or not equal
        or not_served
        or load["acknowledged_missing"]
        or load["half_written"]
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt as interrupt:
        sys.exit(f"Interrupted ({interrupt or 'Ctrl+C'}): gunicorn and the cluster are stopped.")
