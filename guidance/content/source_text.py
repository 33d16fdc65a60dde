"""The source's own wording of the guideline's statements, to tell a clinician when an
editor changed it (DESIGN §3 "Edited locally").

The seed content file holds each guideline statement (origin `guideline`) as the source text
words it; the 27 are checked against the source text by the tests. A statement of origin
`guideline` whose text differs from it (beyond spacing) is edited locally.
"""

import functools
from pathlib import Path

import yaml

SEED_FILE = Path(__file__).with_name("lems_ivig.yaml")


def _words(text):
    return " ".join(text.split())


@functools.cache
def source_texts():
    """{code: the source's wording} for the guideline's own statements."""
    content = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    return {
        statement["code"]: _words(statement["text"])
        for section in content["sections"]
        for statement in section["statements"]
        if statement.get("origin") == "guideline"
    }


def edited_locally(code, origin, text):
    """Whether a statement of the guideline reads other than the source words it."""
    source = source_texts().get(code)
    return origin == "guideline" and source is not None and _words(text) != source
