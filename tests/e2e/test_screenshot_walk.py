"""The screenshot walk (issue 26): the three seed cases as a clinician sees them, every step,
the summary and the print page, at 1280 and 390 px, into docs/screenshots/ with an index
(docs/SCREENSHOTS.md), so a reader sees the pages without running the app.

Run by `make screenshots` (SCREENSHOT_WALK=1); skipped in `make test`, whose browser tests
already walk these pages. The PNGs are reduced to 256 colours to keep the repository small.
"""

import os
from pathlib import Path

import pytest
from PIL import Image

from guidance.engine import pathway
from guidance.models import Encounter
from tests.e2e.pages import sign_in
from tests.paths import SEED_CASES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.environ.get("SCREENSHOT_WALK"), reason="make screenshots: the walk into docs/"
    ),
]

DOCS = Path(__file__).resolve().parents[2] / "docs"
SHOTS = DOCS / "screenshots"
WIDTHS = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}
CASE_WORDS = {
    "ivig": "IVIG: severe weakness while immunosuppression starts, plasma exchange available, "
    "a renal risk factor",
    "paraneoplastic": "Paraneoplastic: a tumour found, a current smoker, 3,4-DAP not tolerated",
    "bridge-only": "Bridge only: moderate weakness while immunosuppression starts",
}


def shot(page, name, full_page):
    path = SHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page)
    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    reduced.save(path, optimize=True)
    return path.name


def test_walk_the_seed_cases_into_docs(page, clinician):
    SHOTS.mkdir(exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    sign_in(page, clinician.username)
    index = [
        "# Screenshots: the three seed cases",
        "",
        "Made by `make screenshots` (tests/e2e/test_screenshot_walk.py) on the pages as they",
        "are: each step (the first screen), the summary and the print page (whole), at 1280 and",
        "390 px wide. Refresh them with `make screenshots` after a change to a page.",
    ]
    for case, answers in SEED_CASES.items():
        encounter = Encounter.objects.create(
            owner=clinician, answers=answers, status="complete", patient_reference=f"SEED-{case}"
        )
        pages = [
            (f"step {number}: {step}", f"/encounters/{encounter.pk}/{step}/", False)
            for number, step in enumerate(pathway.applicable_steps(answers), start=1)
        ]
        pages += [
            ("summary", f"/encounters/{encounter.pk}/", True),
            ("print", f"/encounters/{encounter.pk}/print/", True),
        ]
        index += ["", f"## {CASE_WORDS[case]}", "", "| page | 1280 px | 390 px |", "|---|---|---|"]
        for title, url, full_page in pages:
            page.goto(url)
            names = []
            for width, size in WIDTHS.items():
                page.set_viewport_size(size)
                slug = title.split(":")[-1].strip().replace(" ", "-")
                names.append(shot(page, f"{case}-{slug}-{width}", full_page))
            index.append(
                f"| {title} | " + " | ".join(f"[{n}](screenshots/{n})" for n in names) + " |"
            )
    (DOCS / "SCREENSHOTS.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    assert len(list(SHOTS.glob("*.png"))) >= 3 * 2 * 4
