"""The log (issue 21): a record is one line whatever a path or a user typed, and every page
or fragment showing patient data leaves an access line naming the user and the encounters,
never the patient reference. As an attacker crafting a path, and as IT reading the log."""

import logging
import re

import pytest
from django.test import Client
from django.urls import path, reverse

from tests.paths import STEP_POSTS, as_shown
from tests.test_hardening import captured_stderr  # noqa: F401
from tests.test_ivig_review import a_review, prescribe  # noqa: F401

REFERENCE = "MRN-LOG-7"
HTMX = {"HTTP_HX_REQUEST": "true"}
# A record's first line: date, time with milliseconds, level.
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")


def lines(stream):
    return stream.getvalue().splitlines()


# --- one record, one line ----------------------------------------------------------------


def test_a_path_with_cr_lf_and_esc_leaves_one_line_with_them_escaped(
    db,
    captured_stderr,  # noqa: F811
):
    forged = "/x%0D%0A2026-12-01%2010:00:00,000%20ERROR%20django.request%20forged%1B[2J"
    assert Client().get(forged).status_code == 404
    (line,) = lines(captured_stderr)
    assert RECORD_START.match(line)
    assert " INFO lems_site.access GET /x\\r\\n2026-12-01 10:00:00,000 ERROR" in line
    assert "forged\\x1b[2J 404 " in line
    assert "\x1b" not in captured_stderr.getvalue()


def test_a_backslash_is_doubled_so_the_line_reads_back_to_what_was_sent(
    db,
    captured_stderr,  # noqa: F811
):
    Client().get("/x%5Cr")  # a backslash and an "r", not a CR
    assert "GET /x\\\\r 404 " in captured_stderr.getvalue()


def test_a_librarys_warning_with_a_user_name_is_one_line_in_the_same_format(
    captured_stderr,  # noqa: F811
):
    # django-axes warns of a failed sign-in naming the user name as typed.
    logging.getLogger("axes.handlers.database").warning(
        "AXES: New login failure by %s.", "dr_ada\r\n2026-12-01 10:00:00,000 ERROR forged"
    )
    (line,) = lines(captured_stderr)
    assert RECORD_START.match(line)
    assert "WARNING axes.handlers.database AXES: New login failure by dr_ada\\r\\n2026" in line


def broken(request):
    raise RuntimeError("a bug\r\n2026-12-01 10:00:00,000 ERROR forged\x1b[2J")


urlpatterns = [path("broken/", broken)]


@pytest.mark.urls("tests.test_log_lines")
def test_a_tracebacks_lines_are_indented_so_none_passes_for_a_record(
    db,
    captured_stderr,  # noqa: F811
):
    assert Client(raise_request_exception=False).get("/broken/").status_code == 500
    logged = lines(captured_stderr)
    records = [line for line in logged if RECORD_START.match(line)]
    assert [record.split(" ", 4)[2:4] for record in records] == [
        ["ERROR", "django.request"],
        ["INFO", "lems_site.access"],
    ]
    assert all(RECORD_START.match(line) or line.startswith("  ") for line in logged)
    assert "  RuntimeError: a bug\\r" in logged
    assert "  2026-12-01 10:00:00,000 ERROR forged\\x1b[2J" in logged


# --- who read which patient's data ---------------------------------------------------------


@pytest.fixture
def encounters(make_encounter, ivig_answers, prescribe):  # noqa: F811
    """An open encounter with every step answered, and a finalized one with an IVIG course
    awaiting its review: both of the same patient."""
    return {
        "open": make_encounter(
            patient_reference=REFERENCE, answers=ivig_answers, status="complete"
        ),
        "final": prescribe(reference=REFERENCE),
    }


def at(name, *args):
    return lambda encounters: reverse(name, args=[encounters[arg].pk for arg in args])


def step_at(which, step):
    return lambda encounters: reverse("step", args=[encounters[which].pk, step])


# (what, method, address, posted, htmx, the encounters it shows)
PAGES = [
    ("a step", "get", step_at("open", "patient"), None, False, ["open"]),
    ("a step, htmx", "get", step_at("open", "severity"), None, True, ["open"]),
    (
        "a step posted with an error",
        "post",
        step_at("open", "patient"),
        {"weight_kg": "x"},
        False,
        ["open"],
    ),
    (
        "a step posted, the next step's fragment",
        "post",
        step_at("open", "patient"),
        {**STEP_POSTS["patient"], "patient_reference": REFERENCE},
        True,
        ["open"],
    ),
    (
        "the last step posted, the summary's fragment",
        "post",
        step_at("open", "ivig"),
        STEP_POSTS["ivig"],
        True,
        ["open"],
    ),
    ("the summary", "get", at("summary", "open"), None, False, ["open"]),
    ("the summary, htmx", "get", at("summary", "open"), None, True, ["open"]),
    ("a finalized summary", "get", at("summary", "final"), None, False, ["final"]),
    (
        "finalize posted with an error",
        "post",
        at("finalize", "open"),
        as_shown,
        False,
        ["open"],
    ),
    ("print", "get", at("print", "final"), None, False, ["final"]),
    ("PDF", "get", at("summary_pdf", "final"), None, False, ["final"]),
    ("FHIR", "get", at("encounter_fhir", "final"), None, False, ["final"]),
    ("discard confirm", "get", at("discard", "open"), None, False, ["open"]),
    ("discard posted, the row's fragment", "post", at("discard", "open"), {}, True, ["open"]),
    ("review page", "get", at("review", "final"), None, False, ["final"]),
    (
        "review posted with an error",
        "post",
        at("review", "final"),
        {"plan": "x"},
        False,
        ["final"],
    ),
    (
        "review posted, the summary's fragment",
        "post",
        at("review", "final"),
        a_review,
        True,
        ["final"],
    ),
    ("the encounter list", "get", lambda e: reverse("encounter_list"), None, False, None),
    (
        "search results",
        "post",
        lambda e: reverse("encounter_list"),
        {"reference": REFERENCE},
        False,
        None,
    ),
    ("home: reviews due, recent", "get", lambda e: reverse("home"), None, False, None),
]


@pytest.mark.parametrize(
    ("what", "method", "address", "posted", "htmx", "shown"),
    PAGES,
    ids=[page[0] for page in PAGES],
)
def test_each_page_with_patient_data_leaves_a_line_naming_user_and_encounters_only(
    clinician_client,
    clinician,
    encounters,
    captured_stderr,  # noqa: F811
    what,
    method,
    address,
    posted,
    htmx,
    shown,
):
    data = posted({"decision": ""}, encounters["open"]) if posted is as_shown else posted
    data = posted(encounters["final"]) if posted is a_review else data
    response = getattr(clinician_client, method)(
        address(encounters), data, **(HTMX if htmx else {})
    )
    assert response.status_code in (200, 503), response.status_code  # 503: no PDF library
    (line,) = [line for line in lines(captured_stderr) if " lems_site.access " in line]
    wanted = [str(encounters[which].pk) for which in shown or ["final", "open"]]
    named = re.search(r" user=(\S+) encounters=(\S+)$", line)
    assert named, line
    assert named.group(1) == str(clinician.pk)
    assert sorted(named.group(2).split(",")) == sorted(wanted)
    assert REFERENCE not in captured_stderr.getvalue()


def test_a_list_showing_no_encounter_says_so(
    clinician_client,
    clinician,
    captured_stderr,  # noqa: F811
):
    clinician_client.post(reverse("encounter_list"), {"reference": "nobody"})
    assert lines(captured_stderr)[-1].endswith(f" user={clinician.pk} encounters=-")


def test_pages_without_patient_data_name_no_encounter(
    clinician_client,
    captured_stderr,  # noqa: F811
):
    clinician_client.get(reverse("guideline"))
    clinician_client.get("/healthz")
    assert all(line.endswith("ms") for line in lines(captured_stderr))


def test_another_clinicians_encounter_is_not_named_as_read(
    other_clinician,
    encounters,
    captured_stderr,  # noqa: F811
):
    client = Client()
    client.force_login(other_clinician)
    assert client.get(reverse("summary", args=[encounters["open"].pk])).status_code == 404
    assert lines(captured_stderr)[-1].endswith("ms")
