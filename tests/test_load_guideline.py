"""The loader: the source text word for word, citations as in the statement table, idempotent."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from guidance.models import Citation, Guideline, Section, Statement
from guidance.pathway import ALL_CODES

CONTENT = Path(__file__).resolve().parent.parent / "guidance" / "content"
SOURCE_LINES = (CONTENT / "lems-ivig-guideline.txt").read_text(encoding="utf-8").splitlines()

# The statement table of the guideline notes (code: citation numbers), restated here so the
# test checks the data file against an independent copy.
CITATIONS_OF = {
    "ivig-reserved": [1, 2], "dap-first-line": [1, 2], "dap-qmg-benefit": [2],
    "dap-cmap-benefit": [2], "dap-evidence-quality": [2], "ivig-when-refractory": [3, 4],
    "ivig-when-rapid": [2, 5], "ivig-when-bridge": [3], "ivig-dose": [2, 5],
    "ivig-strength-benefit": [2, 5], "ivig-cmap-ns": [5], "ivig-duration": [2, 5],
    "prednisone": [3], "steroid-sparing": [3, 4], "bridge-ivig-plex": [3, 4],
    "anti-tumour-priority": [1, 4], "smoker-screening": [3], "tumour-therapy-helps": [4],
    "concurrent-treatment": [1], "ivig-single-rct": [2, 5], "ivig-rct-primary-outcome": [2, 5],
    "ivig-evidence-lower": [2], "pitfall-ivig-first-line": [1, 2],
    "pitfall-ivig-long-term": [2, 5], "pitfall-delay-screening": [3, 4],
    "pitfall-ivig-risks": [6], "pitfall-plex-equal": [3, 4],
}  # fmt: skip


def load():
    call_command("load_guideline", verbosity=0, stdout=io.StringIO())


def citation_numbers(statement):
    return [citation.number for citation in statement.ordered_citations]


def test_every_guideline_statement_is_the_source_text_word_for_word(guideline):
    statements = Statement.objects.filter(origin="guideline")
    assert statements.count() == 27
    for statement in statements:
        marker = ", ".join(str(n) for n in citation_numbers(statement))
        line = f"{statement.text} {marker}"
        assert line in SOURCE_LINES or f"- {line}" in SOURCE_LINES, statement.code


def test_every_source_line_with_citations_is_a_statement(guideline):
    cited_lines = [line for line in SOURCE_LINES if re.search(r" \d(, \d)*$", line)]
    assert len(cited_lines) == 27
    texts = set(Statement.objects.values_list("text", flat=True))
    for line in cited_lines:
        assert re.sub(r"^- | \d(, \d)*$", "", line) in texts, line


def test_citations_of_each_statement_are_those_of_the_statement_table(guideline):
    for code, numbers in CITATIONS_OF.items():
        assert citation_numbers(Statement.objects.get(code=code)) == numbers, code


def test_every_code_the_engine_can_return_is_loaded(guideline):
    loaded = set(Statement.objects.values_list("code", flat=True))
    assert set(ALL_CODES) <= loaded
    assert len(loaded) == 30


def test_sections_keep_the_source_order_and_lead_in_sentences(guideline):
    titles = list(Section.objects.values_list("title", flat=True))
    assert titles[:3] == [
        "IVIG for Lambert-Eaton Myasthenic Syndrome",
        "First-Line Symptomatic Treatment",
        "Role of IVIG as Second-Line Treatment",
    ]
    assert titles[-1] == "Notes added by this product"
    evidence = Section.objects.get(title="Evidence Quality and Limitations")
    assert evidence.intro == "The evidence base for IVIG in LEMS is limited but consistent:"


def test_citations_have_no_doi_or_pmid_that_the_references_do_not_give(guideline):
    assert Citation.objects.count() == 9
    skeie = Citation.objects.get(number=3)
    assert (skeie.doi, skeie.pmid) == ("", "")
    bain = Citation.objects.get(number=5)
    assert (bain.doi, bain.pmid) == ("", "8797464")
    cochrane = Citation.objects.get(number=2)
    assert cochrane.doi == "10.1002/14651858.CD003279.pub3"
    assert cochrane.vancouver == (
        "Keogh M, Sedehizadeh S, Maddison P. Treatment for Lambert-Eaton myasthenic syndrome. "
        "Cochrane Database Syst Rev. 2011;(2):CD003279."
    )


def test_verification_and_notes_are_seeded(guideline):
    prednisone = Statement.objects.get(code="prednisone")
    assert prednisone.verification == "not_confirmed"
    assert "not found in the cited guideline" in prednisone.verification_note
    assert Statement.objects.get(code="dap-qmg-benefit").verification == "verified"


def test_local_statements_are_marked_local(guideline):
    local = set(Statement.objects.filter(origin="local").values_list("code", flat=True))
    assert local == {"out-of-scope", "dap-unavailable", "ivig-dosing-weight"}
    dosing = Statement.objects.get(code="ivig-dosing-weight")
    assert citation_numbers(dosing) == [7, 8, 9]


def test_a_second_run_changes_nothing(guideline):
    before = {
        "statements": list(Statement.objects.values()),
        "history": Statement.history.count(),
        "citations": list(Citation.objects.values()),
    }
    load()
    assert list(Statement.objects.values()) == before["statements"]
    assert Statement.history.count() == before["history"]
    assert list(Citation.objects.values()) == before["citations"]
    assert Guideline.objects.count() == 1


def test_an_editors_change_is_never_overwritten(guideline):
    statement = Statement.objects.get(code="ivig-dose")
    statement.text = "Edited by the guideline lead."
    statement.save()
    Citation.objects.filter(number=1).update(title="Corrected title")
    load()
    assert Statement.objects.get(code="ivig-dose").text == "Edited by the guideline lead."
    assert Citation.objects.get(number=1).title == "Corrected title"


def test_a_deleted_statement_is_restored(guideline):
    Statement.objects.get(code="ivig-duration").delete()
    load()
    assert citation_numbers(Statement.objects.get(code="ivig-duration")) == [2, 5]


@pytest.mark.django_db
def test_the_system_check_fails_when_a_code_the_engine_needs_is_missing(guideline):
    from django.core.management.base import SystemCheckError

    call_command("check")
    Statement.objects.filter(code="pitfall-plex-equal").delete()
    with pytest.raises(SystemCheckError, match="pitfall-plex-equal"):
        call_command("check")
