"""`make lighthouse`: Lighthouse's accessibility score, at its mobile settings, on the sign-in
page, a step, the summary and the print page; writes docs/LIGHTHOUSE.md.

It serves the app as `make run` does (runserver, DEBUG on) from a throwaway SQLite
database holding the guideline, one clinician and one encounter on the IVIG path, and
hands Lighthouse that clinician's session cookie. Lighthouse is npm's (`npm install -g
lighthouse`, or set LIGHTHOUSE to its path); it drives the Chromium at CHROME_PATH
(default /usr/bin/chromium) headless.
"""

import datetime
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
REPORT_PATH = REPO_DIR / "docs" / "LIGHTHOUSE.md"
TARGET_SCORE = 0.98
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"

# The IVIG path of DESIGN §4, as the engine stores the answers.
IVIG_ANSWERS = {
    "weight_kg": 70.0,
    "height_cm": 160.0,
    "sex": "female",
    "pregnant": "no",
    "diagnosis_confirmed": "yes",
    "tumour_status": "not_found",
    "screen_included_pet": "yes",
    "smoking": "never",
    "dap_status": "inadequate",
    "weakness": "severe",
    "rapid_improvement_needed": "no",
    "immunosuppression": "starting",
    "plasma_exchange_available": "yes",
    "ivig_risk_factors": ["thrombosis"],
}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed(env):
    """The guideline, a clinician, an encounter; returns (session key, encounter id)."""
    script = f"""
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from guidance.models import Encounter
user = User.objects.create_user("dr_lighthouse", password=None, first_name="Light")
user.groups.add(Group.objects.get(name="Clinicians"))
encounter = Encounter.objects.create(
    owner=user, answers={IVIG_ANSWERS!r}, status="complete", patient_reference="LH-0001"
)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key, encounter.pk)
"""
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--no-input", "-v0"], ["load_guideline", "-v0"]):
        subprocess.run(manage + command, cwd=REPO_DIR, env=env, check=True)
    output = subprocess.run(
        manage + ["shell", "-c", script],
        cwd=REPO_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return output[-2], output[-1]


def wait_until_up(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer at {url}")


def audit(lighthouse, url, cookie, output_dir, name):
    report = output_dir / f"{name}.json"
    command = [
        *lighthouse,
        url,
        "--only-categories=accessibility",
        "--form-factor=mobile",
        "--screenEmulation.mobile",
        f"--chrome-flags={CHROME_FLAGS}",
        "--output=json",
        f"--output-path={report}",
        "--quiet",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": f"sessionid={cookie}"}))
    subprocess.run(command, check=True)
    result = json.loads(report.read_text())
    final_url = result.get("finalDisplayedUrl") or result.get("finalUrl")
    if final_url != url:  # a lost session would score the sign-in page instead
        raise SystemExit(f"{url} was not audited: the browser ended at {final_url}")
    category = result["categories"]["accessibility"]
    failing = [
        f"{ref['id']}: {result['audits'][ref['id']]['title']}"
        for ref in category["auditRefs"]
        if ref["weight"] and result["audits"][ref["id"]]["score"] not in (1, None)
    ]
    return category["score"], failing, result["lighthouseVersion"]


def main():
    lighthouse = shlex.split(os.environ.get("LIGHTHOUSE", "")) or (
        [shutil.which("lighthouse")] if shutil.which("lighthouse") else ["npx", "lighthouse"]
    )
    workdir = Path(tempfile.mkdtemp(prefix="lems-lighthouse-"))
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{workdir / 'lighthouse.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "lems_site.settings",
        "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium"),
    }
    session, encounter = seed(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pages = [
        ("Sign-in page", "/accounts/login/", None),
        ("A step (tumour screening)", f"/encounters/{encounter}/tumour/", session),
        ("The summary", f"/encounters/{encounter}/", session),
        ("The print page", f"/encounters/{encounter}/print/", session),
    ]
    rows, version = [], "?"
    try:
        wait_until_up(f"{base}/healthz")
        for index, (name, path, cookie) in enumerate(pages):
            score, failing, version = audit(lighthouse, base + path, cookie, workdir, f"p{index}")
            rows.append((name, path.replace(encounter, "<uuid>"), score, failing))
            print(f"{name}: {score:.2f}" + (f" (failing: {'; '.join(failing)})" if failing else ""))
    finally:
        server.terminate()
        server.wait(timeout=10)
    lines = [
        "# Lighthouse accessibility",
        "",
        "Written by `make lighthouse` (lighthouse/run.py): Lighthouse's accessibility",
        f"category at its mobile settings (a 412 px phone), target ≥ {TARGET_SCORE}.",
        "",
        f"Measured {datetime.date.today():%d %b %Y} with Lighthouse {version} and the",
        "Chromium of the machine, headless.",
        "",
        "| Page | Address | Score | Audits not passed |",
        "|---|---|---|---|",
    ]
    for name, path, score, failing in rows:
        lines.append(f"| {name} | `{path}` | {score:.2f} | {'; '.join(failing) or 'none'} |")
    REPORT_PATH.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.rmtree(workdir, ignore_errors=True)
    below = [name for name, _, score, _ in rows if score < TARGET_SCORE]
    if below:
        raise SystemExit(f"below {TARGET_SCORE}: {', '.join(below)}")


if __name__ == "__main__":
    main()
