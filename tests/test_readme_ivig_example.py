"""The README's worked IVIG example (the dosing weight and the order) against the print page:
each line of the README's block is on the print page of that case, finalized with that
course (its dates moved to start today: a course cannot start in the past)."""

import datetime
import re
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from tests.pages import text_of
from tests.paths import as_shown

README = Path(__file__).resolve().parent.parent / "README.md"
# The README's course starts on 2026-12-01: each of its dates, counted from that day.
README_START = datetime.date(2026, 12, 1)


def readme_lines():
    example = README.read_text(encoding="utf-8").split("<!-- worked-example:ivig-order", 1)[1]
    block = example.split("```")[1]
    return [line for line in block.splitlines() if line.strip()]


def moved_to(start, line):
    """The line with its dates as they are for a course starting on `start`."""

    def move(found):
        day = datetime.date.fromisoformat(found.group(0))
        return (start + (day - README_START)).isoformat()

    return re.sub(r"\d{4}-\d{2}-\d{2}", move, line)


def test_the_readme_worked_ivig_example_is_what_the_print_page_shows(
    clinician_client, clinician, make_encounter, ivig_answers
):
    clinician.first_name, clinician.last_name = "Ada", "Byron"
    clinician.save()
    ivig_answers.update(weight_kg=100.0, height_cm=175.0, sex="male")
    encounter = make_encounter(answers=ivig_answers, status="complete")
    start = timezone.localdate()
    response = clinician_client.post(
        reverse("finalize", args=[encounter.pk]),
        as_shown(
            {
                "decision": "followed",
                "dose_basis": "adjusted",
                "ivig_g_per_kg": "2.0",
                "ivig_days": "5",
                "course_start_date": start.isoformat(),
            },
            encounter,
        ),
    )
    assert response.status_code == 302
    printed = text_of(clinician_client.get(reverse("print", args=[encounter.pk])).content.decode())
    # text_of leaves a space where markup stood, before a colon or inside a bracket.
    printed = re.sub(r" ([:\]])", r"\1", printed).replace("[ ", "[")

    lines = readme_lines()
    assert len(lines) == 8
    for line in lines:
        assert moved_to(start, line) in printed, line
