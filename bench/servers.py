"""Servers a command starts (gunicorn) and must not leave behind, however it ends.

Each server runs in its own session and process group, so a Ctrl+C in the terminal reaches
only the command, which then stops its servers in order: the whole group, master and
workers, SIGTERM first and SIGKILL if they linger. `interrupted_by_signals` turns SIGTERM
and SIGHUP into the KeyboardInterrupt a Ctrl+C raises, so the command's `finally` blocks
run for those too. No Django here: `make bench` and `make loadtest` both use it.
"""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time

STOP_SECONDS = 15


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A child process group started with `command`, stopped by `stop` (idempotent)."""

    def __init__(self, command, *, env=None, cwd=None, log_path=None):
        self.command, self.env, self.cwd, self.log_path = command, env, cwd, log_path
        self.process = None

    def start(self):
        log = self.log_path.open("w") if self.log_path else None
        try:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT if log else None,
                start_new_session=True,  # its own group: the terminal's Ctrl+C is ours to pass
            )
        finally:
            if log:
                log.close()
        return self

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.process is None:
            return
        for sent in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sent)  # the master and its workers alike
            try:
                self.process.wait(timeout=STOP_SECONDS)
                return
            except subprocess.TimeoutExpired:
                continue


class Gunicorn(Server):
    """gunicorn serving the app on a free loopback port."""

    def __init__(self, *, workers, env, cwd, log_path=None, extra_args=()):
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "lems_site.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            *extra_args,
        ]
        super().__init__(command, env=env, cwd=cwd, log_path=log_path)

    def wait_until_healthy(self, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.running:
                raise SystemExit(f"gunicorn exited; see {self.log_path or 'its output'}")
            with contextlib.suppress(OSError):
                probe = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                try:
                    probe.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
                    if probe.getresponse().status == 200:
                        return
                finally:
                    probe.close()
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /healthz within {seconds} s")


@contextlib.contextmanager
def interrupted_by_signals(signals=(signal.SIGTERM, signal.SIGHUP)):
    """Within: SIGTERM and SIGHUP raise KeyboardInterrupt, as Ctrl+C does."""

    def interrupt(number, frame):
        raise KeyboardInterrupt(signal.Signals(number).name)

    previous = {number: signal.signal(number, interrupt) for number in signals}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def serving(*servers):
    """Start the servers; stop every one of them on the way out, whatever the way."""
    try:
        with interrupted_by_signals():
            for server in servers:
                server.start()
            yield servers
    finally:
        for server in servers:
            server.stop()
