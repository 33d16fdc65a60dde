"""`make audit`: the installed versions of every package the app and its tests depend on
(requirements-dev.txt and everything they pull in), checked against PyPI's advisory data
with pip-audit.

The list is taken from what is installed, so it is exactly what runs, not what a fresh
resolve might pick. If the advisory source cannot be reached, it says so and fails: no
answer is not the same as "no known vulnerabilities".
"""

import json
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements-dev.txt"
# Where pip-audit's "pypi" service asks: each release's JSON, with its known advisories.
ADVISORY_SOURCE = "https://pypi.org/pypi/{name}/{version}/json"


def top_level(path):
    """The requirement names of a requirements file, following `-r other.txt`."""
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r"):
            names += top_level(path.parent / line[2:].strip())
        else:
            names.append(Requirement(line).name)
    return names


def installed_closure(names):
    """{name: installed version} of `names` and all they require, extras included."""
    pinned, todo = {}, [(name, ()) for name in names]
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency not installed here: nothing runs it
        if key not in pinned:
            pinned[key] = dist.version
        for text in dist.requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            wanted = marker is None or any(
                marker.evaluate({"extra": extra}) for extra in (*extras, "")
            )
            if wanted and canonicalize_name(requirement.name) not in pinned:
                todo.append((requirement.name, tuple(requirement.extras)))
    return pinned


def run_pip_audit(pinned):
    """pip-audit's JSON report on exactly these versions (no resolving, no install)."""
    with tempfile.TemporaryDirectory() as folder:
        pins = Path(folder) / "pins.txt"
        pins.write_text("".join(f"{name}=={version}\n" for name, version in sorted(pinned.items())))
        report = Path(folder) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "--requirement", str(pins), "--no-deps"]
        command += ["--disable-pip", "--progress-spinner", "off", "--format", "json"]
        command += ["--output", str(report)]
        finished = subprocess.run(command, capture_output=True, text=True)
        if not report.exists():
            return None, finished.stderr.strip()
        return json.loads(report.read_text()), finished.stderr.strip()


def verdict(report, pinned):
    """(exit status, lines to print) of a pip-audit report; unaudited is never "clean"."""
    if report is None:
        return 2, ["pip-audit gave no report: NOTHING WAS CHECKED."]
    audited = [dep for dep in report["dependencies"] if "skip_reason" not in dep]
    skipped = [dep for dep in report["dependencies"] if "skip_reason" in dep]
    vulnerable = [dep for dep in audited if dep.get("vulns")]
    lines = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
            lines.append(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} ({fixed})")
    if not audited:
        lines.append(
            f"The advisory source ({ADVISORY_SOURCE}) answered for none of the "
            f"{len(pinned)} packages: NOTHING WAS CHECKED. "
            f"First refusal: {skipped[0]['skip_reason'] if skipped else 'none'}"
        )
        return 2, lines
    lines.append(
        f"{len(audited)} of {len(pinned)} packages checked against PyPI's advisories: "
        f"{len(vulnerable)} with a known vulnerability."
    )
    if skipped:
        lines.append(f"{len(skipped)} NOT checked (no advisory data):")
        lines += [f"  {dep['name']}: {dep['skip_reason']}" for dep in skipped]
    return (1 if vulnerable or skipped else 0), lines


def main():
    names = [re.sub(r"\[.*\]", "", name) for name in top_level(REQUIREMENTS)]
    pinned = installed_closure(names)
    print(f"Auditing {len(pinned)} installed packages (requirements-dev.txt and their deps).")
    report, errors = run_pip_audit(pinned)
    status, lines = verdict(report, pinned)
    if report is None and errors:
        lines.append(errors.splitlines()[-1])
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
