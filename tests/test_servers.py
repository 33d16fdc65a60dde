"""`make bench` and `make loadtest` stop the servers they started when interrupted."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A command that starts a "server" (a master with one worker of its own, as gunicorn has),
# says their process ids, and then waits to be interrupted.
COMMAND = """
import subprocess, sys, time
from bench.servers import Server, serving

master = (
    "import subprocess, sys, time; "
    "worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
    "print(worker.pid, flush=True); time.sleep(120)"
)
server = Server([sys.executable, "-c", master], env=None)
with serving(server):
    print(server.process.pid, flush=True)
    time.sleep(120)
"""


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead, only not reaped yet by a parent that has gone.
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


@pytest.mark.parametrize("interrupt", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_command_leaves_no_server_behind(interrupt):
    command = subprocess.Popen(
        [sys.executable, "-c", COMMAND], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        # The master's and its worker's ids, in whichever order they were printed.
        pids = {int(command.stdout.readline()) for _ in range(2)}
        assert all(alive(pid) for pid in pids)

        command.send_signal(interrupt)
        command.wait(timeout=30)

        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in pids), "a server process outlived the command"
    finally:
        command.kill()
        command.wait()
