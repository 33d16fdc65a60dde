"""The report of `make bench`: tables and targets, written into docs/PERFORMANCE.md between
its markers so that the notes written around them stay."""

import os
import platform
import sqlite3
import statistics
from pathlib import Path
from typing import NamedTuple

import django

from bench.config import (
    GUNICORN_WORKERS,
    HTML_BROTLI_QUALITY,
    HTML_GZIP_LEVEL,
    LIST_GROWTH_RATIO_TARGET,
    LOAD_BURSTS,
    LOAD_CLIENTS,
    LOAD_REQUESTS,
    LOAD_SECONDS,
    PDF_TARGET_MS,
    REPORT_PATH,
    STEP_FLOOR_RATIO_TARGET,
    STEP_P95_TARGET_MS,
    STEP_PAGES_LOAD,
    STEP_POST_THROUGHPUT_TARGET,
    STEP_POSTS_LOAD,
    STEP_THROUGHPUT_TARGET,
    SUMMARY_FLOOR_RATIO_TARGET,
    WARMUP_ROUNDS,
)
from bench.scenario import DATASETS


def machine():
    cpu_model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    import gunicorn

    return {
        "cpu": cpu_model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "gunicorn": gunicorn.__version__,
        "os": platform.platform(),
    }


def milliseconds(seconds):
    return f"{seconds * 1000:.2f}"


def kilobytes(size):
    return "–" if size is None else f"{size / 1024:.1f}"


def endpoint_table(bench, dataset):
    lines = [
        "| endpoint | status | queries | in-process ms median / p95 | × Django floor "
        "| × auth floor | HTTP ms median / p95 | × Django floor | × auth floor "
        "| KB raw / gzip / br |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for endpoint in bench.endpoints:
        shape = bench.shapes[(dataset.name, endpoint.label)]
        cells = [endpoint.label, str(shape["status"]), str(shape["queries"])]
        for transport in ("in-process", "http"):
            median, p95 = bench.timing(dataset.name, transport, endpoint.label)
            django_floor, _ = bench.timing(dataset.name, transport, endpoint.label, "django floor")
            auth_floor, _ = bench.timing(
                dataset.name, transport, endpoint.label, "authenticated floor"
            )
            cells += [
                f"{milliseconds(median)} / {milliseconds(p95)}",
                f"{median / django_floor:.2f}",
                f"{median / auth_floor:.2f}",
            ]
        cells.append(
            f"{kilobytes(shape['bytes'])} / {kilobytes(shape['gzip'])} / "
            f"{kilobytes(shape['brotli'])}"
        )
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def floor_table(bench, dataset):
    """The floors themselves, for a typical step page's size."""
    label = "patient GET"
    size = bench.shapes[(dataset.name, label)]["bytes"]
    lines = [
        f"Floors at the size of `{label}` ({size:,} bytes):",
        "",
        "| floor | queries | in-process ms median / p95 | HTTP ms median / p95 |",
        "|---|--:|--:|--:|",
    ]
    for variant in ("django floor", "authenticated floor"):
        queries = bench.shapes[(dataset.name, f"{variant}:{label}")]["queries"]
        cells = [variant, str(queries)]
        for transport in ("in-process", "http"):
            median, p95 = bench.timing(dataset.name, transport, label, variant)
            cells.append(f"{milliseconds(median)} / {milliseconds(p95)}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def verdict(met):
    return "**met**" if met else "**not met**"


def _ratios(bench, endpoints, transport, variant):
    """Each endpoint's median over its floor's, in both datasets."""
    ratios = {}
    for dataset in DATASETS:
        for endpoint in endpoints:
            median, _ = bench.timing(dataset.name, transport, endpoint.label)
            floor, _ = bench.timing(dataset.name, transport, endpoint.label, variant)
            ratios[f"{endpoint.label}, {dataset.encounters:,} encounters"] = median / floor
    return ratios


def _ratio_row(target, ratios, limit, budget=False):
    worst = max(ratios, key=ratios.get)
    within = sum(ratio <= limit for ratio in ratios.values())
    measured = (
        f"{min(ratios.values()):.1f}× to {ratios[worst]:.1f}× (median "
        f"{statistics.median(ratios.values()):.1f}×; worst: {worst}); "
        f"{within} of {len(ratios)} within"
    )
    return Target(target, measured, within == len(ratios), budget)


def _load_row(load, name, per_second, p95_ms=None, budget=False):
    target = f"{name} ≥ {per_second} req/s" + (f" with p95 ≤ {p95_ms} ms" if p95_ms else "")
    met = load["per_second"] >= per_second and (p95_ms is None or load["p95_ms"] <= p95_ms)
    measured = f"{load['per_second']:.0f} req/s, p95 {load['p95_ms']:.1f} ms"
    return Target(f"{target} under gunicorn at {LOAD_CLIENTS} clients", measured, met, budget)


class Target(NamedTuple):
    target: str
    measured: str
    met: bool
    budget: bool = False  # a budget of issue 27: `make bench` fails when it is missed


def _pdf_rows(bench):
    """The budget on a first render (what a clinician waits for), and the same PDF again
    (kept per content, reported only)."""
    rows = []
    for samples, what, budget in (
        (bench.pdf_samples, "a finalized summary's PDF, first render,", True),
        (bench.pdf_again_samples, "the same PDF downloaded again (kept)", False),
    ):
        median = statistics.median(samples)
        measured = (
            f"{milliseconds(median)} ms median, {milliseconds(max(samples))} ms at most, "
            f"over {len(samples)} requests (10,000 encounters)"
        )
        target = f"{what} ≤ {PDF_TARGET_MS} ms (in-process median)"
        rows.append(Target(target, measured, median * 1000 <= PDF_TARGET_MS, budget))
    return rows


def targets(bench, loads):
    """Each target of issues 12 and 27, as measured, whether it is met, and whether it is a
    budget (issue 27's, which fail the run)."""
    by_group = {}
    for endpoint in bench.endpoints:
        by_group.setdefault(endpoint.group, []).append(endpoint)
    floor = "authenticated floor"
    rows = [
        _ratio_row(
            f"each step GET and POST (plain and htmx) ≤ {STEP_FLOOR_RATIO_TARGET}× the {floor} "
            "(in-process medians)",
            _ratios(bench, by_group["step"], "in-process", floor),
            STEP_FLOOR_RATIO_TARGET,
            budget=True,
        ),
        _ratio_row(
            f"the summary and print ≤ {SUMMARY_FLOOR_RATIO_TARGET}× the {floor} "
            "(in-process medians)",
            _ratios(bench, by_group["summary"] + by_group["print"], "in-process", floor),
            SUMMARY_FLOOR_RATIO_TARGET,
            budget=True,
        ),
        *_pdf_rows(bench),
    ]
    for label in ("encounters list GET", "encounters search POST"):
        small, _ = bench.timing("small", "in-process", label)
        large, _ = bench.timing("large", "in-process", label)
        rows.append(
            Target(
                f"{label} with 10,000 encounters ≤ {LIST_GROWTH_RATIO_TARGET}× with 10",
                f"{milliseconds(large)} ms vs {milliseconds(small)} ms: {large / small:.2f}×",
                large / small <= LIST_GROWTH_RATIO_TARGET,
            )
        )
    rows.append(
        _load_row(loads[STEP_PAGES_LOAD], "step pages", STEP_THROUGHPUT_TARGET, STEP_P95_TARGET_MS)
    )
    rows.append(
        _load_row(loads[STEP_POSTS_LOAD], "step POSTs", STEP_POST_THROUGHPUT_TARGET, budget=True)
    )
    return rows


def missed_budgets(bench, loads):
    """The budgets of issue 27 this run missed (their `Target`s)."""
    return [row for row in targets(bench, loads) if row.budget and not row.met]


def report(bench, first_load_rows, loads, about_machine, started_at, seconds_taken):
    lines = [
        "<!-- bench:begin (written by `make bench`; edit outside these markers) -->",
        f"Measured {started_at:%Y-%m-%d %H:%M} UTC by `make bench` in {seconds_taken:.0f} s: "
        f"{bench.rounds_done} timed rounds after {WARMUP_ROUNDS} warm-up rounds, every request "
        "of a round shuffled together (both transports, both floors).",
        "",
        f"- Machine: {about_machine['cpu']}, {about_machine['cores']} cores; {about_machine['os']}",
        f"- Python {about_machine['python']}, Django {about_machine['django']}, "
        f"SQLite {about_machine['sqlite']}, gunicorn {about_machine['gunicorn']} "
        f"({GUNICORN_WORKERS} sync workers), settings as in production (DEBUG off, "
        "manifest static files), SQLite as configured by the app.",
        f"- Other processes on the machine used {bench.foreign_load_rounds:.0%} of its CPU "
        f"during the timed rounds ({bench.busy_before:.0%} just before) and "
        f"{bench.foreign_load_loads:.0%} during the loads ({bench.busy_before_loads:.0%} just "
        "before). The ratios come from interleaved requests, so they suffer less from this "
        "than the absolute times and the loads do.",
        "- In-process: django.test.Client with CSRF checks on; HTTP: a fresh loopback "
        "connection per request, one request at a time (client-measured round trip).",
        "- Floors (DESIGN §7): Django's floor is a view behind the same middleware returning "
        "a static page of the endpoint's size; the authenticated floor also loads the "
        "signed-in user and the owner-scoped encounter. Same method, headers, body and "
        "session cookie as the endpoint.",
        f"- Bytes: HTML as the app answers it; gzip level {HTML_GZIP_LEVEL} and brotli "
        f"quality {HTML_BROTLI_QUALITY}, as a compressing proxy would send it.",
        "",
        "### Targets",
        "",
        "Budgets (issue 27: `make bench` exits non-zero when one is missed) and targets "
        "(reported only):",
        "",
        "| target | measured | | |",
        "|---|---|---|---|",
    ]
    for row in targets(bench, loads):
        kind = "budget" if row.budget else "target"
        lines.append(f"| {row.target} | {row.measured} | {verdict(row.met)} | {kind} |")
    for dataset in DATASETS:
        lines += ["", f"### Endpoints, {dataset.label}", ""]
        lines += endpoint_table(bench, dataset)
        lines += [""] + floor_table(bench, dataset)
    lines += [
        "",
        "### First load of a step page",
        "",
        "A browser with an empty cache opening the patient step (static files as gunicorn "
        "and WhiteNoise serve them; the HTML compressed as above).",
        "",
        "| request | KB raw | KB gzip | KB br | Cache-Control |",
        "|---|--:|--:|--:|---|",
    ]
    for row in first_load_rows:
        lines.append(
            f"| {row['what']} | {kilobytes(row['bytes'])} | {kilobytes(row['gzip'])} | "
            f"{kilobytes(row['brotli'])} | {row['cache_control']} |"
        )
    total_gzip = sum(row["gzip"] or row["bytes"] for row in first_load_rows)
    total_brotli = sum(row["brotli"] or row["bytes"] for row in first_load_rows)
    total_raw = sum(row["bytes"] for row in first_load_rows)
    lines.append(
        f"| **{len(first_load_rows)} requests** | **{kilobytes(total_raw)}** | "
        f"**{kilobytes(total_gzip)}** | **{kilobytes(total_brotli)}** | |"
    )
    lines += [
        "",
        f"### Under load: gunicorn, {GUNICORN_WORKERS} sync workers, {LOAD_CLIENTS} clients",
        "",
        "Each client sends its next request as soon as the last is answered (closed loop, "
        f"no think time); {LOAD_REQUESTS:,} requests per load or {LOAD_SECONDS} s, whichever "
        f"comes first, in {LOAD_BURSTS} bursts taking turns with the other loads, on the "
        "10,000-encounter database. The client threads share the machine's cores with "
        "gunicorn.",
        "",
        "| load | requests | req/s | median ms | p95 ms | failures |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for name, load in loads.items():
        lines.append(
            f"| {name} | {load['requests']:,} | {load['per_second']:.0f} | "
            f"{load['median_ms']:.1f} | {load['p95_ms']:.1f} | {load['failures']} |"
        )
    lines.append("<!-- bench:end -->")
    return "\n".join(lines) + "\n"


def write_report(measured_section):
    """Replace the measured section of docs/PERFORMANCE.md, keeping the notes around it."""
    begin, end = "<!-- bench:begin", "<!-- bench:end -->"
    if REPORT_PATH.exists():
        existing = REPORT_PATH.read_text()
        if begin in existing and end in existing:
            before = existing[: existing.index(begin)]
            after = existing[existing.index(end) + len(end) :].lstrip("\n")
            REPORT_PATH.write_text(before + measured_section + ("\n" + after if after else ""))
            return
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text("# Performance\n\n" + measured_section)
