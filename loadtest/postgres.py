"""A throwaway PostgreSQL cluster for a run, unless DATABASE_URL already names PostgreSQL;
and the PostgreSQL programs (initdb, pg_dump, pg_restore, ...) of one installation.

PGBIN names the directory of those programs (CI passes the one it found); without it, the
newest /usr/lib/postgresql/<version>/bin, as CI chooses. pg_dump must be at least the
server's version, so the drill's dump and restore come from the cluster's own installation.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def binaries():
    if os.environ.get("PGBIN"):
        return Path(os.environ["PGBIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name)
    )
    if not found:
        raise SystemExit("PostgreSQL is not installed: apt-get install postgresql")
    return found[-1]


def _as_postgres(command):
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def _ensure_database(database_url):
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


@contextlib.contextmanager
def throwaway_cluster(database_url):
    if database_url.startswith(("postgres://", "postgresql://")):
        _ensure_database(database_url)
        yield database_url
        return
    programs = binaries()
    data = Path(tempfile.mkdtemp(prefix="lems-load-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _as_postgres([str(programs / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"])
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=200"
    _as_postgres([str(programs / "pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-w",
                  "-o", options, "start"])  # fmt: skip
    try:
        url = f"postgres://postgres@127.0.0.1:{port}/lems_load"
        _ensure_database(url)
        yield url
    finally:
        _as_postgres([str(programs / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"])
        shutil.rmtree(data, ignore_errors=True)
