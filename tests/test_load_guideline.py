"""The loader: the source text word for word, citations as in the statement table, idempotent."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from guidance.engine.pathway import ALL_CODES
from guidance.models import Citation, Guideline, Section, Statement

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
LOCAL_CITATIONS_OF = {
    "out-of-scope": [], "dap-unavailable": [], "ivig-dosing-weight": [7, 8, 9],
    "prednisone-established": [], "ivig-bridge-only": [], "delta-p": [10, 11],
    "screening-schedule": [10, 12, 13],
}  # fmt: skip
# The local statements' words in guideline/statements.md, restated.
NEW_LOCAL_TEXT = {
    "prednisone-established": (
        "Immunosuppression is already established. The guideline gives prednisone as a "
        "starting regimen and does not say how to adjust an established one; the dose shown "
        "is that starting regimen, for reference."
    ),
    "ivig-bridge-only": (
        "IVIG applies here only as a bridge while immunosuppression takes effect. The "
        "guideline reserves IVIG for severe weakness and also lists bridging among the "
        "reasons to consider it; it does not say which prevails."
    ),
    "delta-p": (
        "The DELTA-P score gives one point each, at onset or within 3 months of it, for: age "
        "50 or over, smoking at diagnosis, weight loss of 5 % or more, bulbar involvement, "
        "erectile dysfunction, and a Karnofsky performance status below 70. It predicts "
        "small-cell lung cancer in LEMS; the chance for this patient's score is shown beside it."
    ),
    "screening-schedule": (
        "After a negative screen (CT of the thorax, then FDG-PET if it is negative), the "
        "score's authors suggest: score 3 or more, screen again at 3 months, then every 6 "
        "months for at least 2 years; score 2, every 6 months for at least 2 years; score "
        "0-1, once more at 6 months, and stop if it is negative. New or persisting symptoms "
        "call for a new screen at any time."
    ),
}
RELEASE_CODES = ["prednisone-established", "ivig-bridge-only", "delta-p", "screening-schedule"]


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
    assert len(loaded) == 34


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
    assert Citation.objects.count() == 14
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
    assert local == set(LOCAL_CITATIONS_OF)
    for code, numbers in LOCAL_CITATIONS_OF.items():
        assert citation_numbers(Statement.objects.get(code=code)) == numbers, code


def test_the_new_local_statements_are_the_statement_tables_words(guideline):
    for code, text in NEW_LOCAL_TEXT.items():
        statement = Statement.objects.get(code=code)
        assert statement.text == text, code
        assert statement.section.title == "Notes added by this product"
    kinds = dict(Statement.objects.filter(code__in=NEW_LOCAL_TEXT).values_list("code", "kind"))
    assert kinds == {
        "prednisone-established": "scope",
        "ivig-bridge-only": "scope",
        "delta-p": "evidence",
        "screening-schedule": "recommendation",
    }
    # In the content file's order: after the dosing weight, as the engine returns them.
    notes = Statement.objects.filter(section__title="Notes added by this product")
    assert list(notes.values_list("code", flat=True))[2:] == [
        "ivig-dosing-weight",
        *NEW_LOCAL_TEXT,
    ]


def test_the_new_local_statements_carry_the_verification_of_the_references(guideline):
    verification = dict(
        Statement.objects.filter(code__in=NEW_LOCAL_TEXT).values_list("code", "verification")
    )
    assert verification == {
        "prednisone-established": "verified",
        "ivig-bridge-only": "verified",
        "delta-p": "verified",
        "screening-schedule": "partly",
    }
    schedule = Statement.objects.get(code="screening-schedule")
    assert "secondary source" in schedule.verification_note
    # A local statement that is "verified" says in what sense: none has an empty note.
    for statement in Statement.objects.filter(origin="local"):
        assert statement.verification_note, statement.code
    for code in ("out-of-scope", "dap-unavailable", "prednisone-established"):
        note = Statement.objects.get(code=code).verification_note
        assert "what the guideline does and does not say" in note, code


def test_the_dosing_weight_names_every_exclusion_of_its_source(guideline):
    text = Statement.objects.get(code="ivig-dosing-weight").text
    for exclusion in ("under 18", "under 152 cm", "pregnant", "lighter than the adjusted"):
        assert exclusion in text
    assert "for adults" in text
    assert "Australia's national criteria (BloodSTAR, since July 2026)" in text


def test_the_first_line_note_relies_on_its_own_citations_or_names_the_other(guideline):
    statement = Statement.objects.get(code="dap-first-line")
    assert citation_numbers(statement) == [1, 2]
    note = statement.verification_note
    # EFNS is citation 3: the note must say it leans on a source the statement does not cite.
    assert "EFNS" in note
    assert "does not cite" in note and "citation 3" in note


def test_citations_10_to_14_are_the_references_records(guideline):
    maddison = Citation.objects.get(number=11)
    assert (maddison.doi, maddison.pmid, maddison.year) == ("10.1038/s41598-020-67571-9", "", 2020)
    assert "87 patients" in maddison.note
    titulaer = Citation.objects.get(number=10)
    assert (titulaer.doi, titulaer.pmid, titulaer.journal) == ("", "", "J Clin Oncol")
    assert Citation.objects.get(number=13).url == "https://www.mdcalc.com/calc/10553"
    criteria = Citation.objects.get(number=14)
    assert criteria.url == "https://criteria.blood.gov.au/MedicalCondition/View/2465"
    assert "superseded" in criteria.title


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


def as_before_this_release(revision):
    """Remove what this release adds, as a database loaded by the previous release lacks it."""
    revision.statements.filter(code__in=RELEASE_CODES).delete()
    revision.citations.filter(number__gte=10).delete()


def test_a_release_adds_its_statements_to_the_published_revision_and_the_open_draft(
    guideline, editor
):
    from guidance.content.checks import missing_codes
    from guidance.content.revisions import published_revision, start_draft
    from guidance.models import Revision

    published = published_revision(guideline)
    as_before_this_release(published)
    draft = start_draft(guideline, editor)
    draft_statement = draft.statements.get(code="ivig-dose")
    draft_statement.text = "The editor's unfinished wording."
    draft_statement.save()
    assert set(missing_codes(published)) == set(RELEASE_CODES)
    history_before = set(Statement.history.values_list("history_id", flat=True))

    load()

    for revision in (published, draft):
        assert missing_codes(revision) == [], revision
        delta_p = revision.statements.get(code="delta-p")
        assert citation_numbers(delta_p) == [10, 11]
        assert {c.revision_id for c in delta_p.ordered_citations} == {revision.pk}
        assert revision.citations.count() == 14
    assert draft.statements.get(code="ivig-dose").text == "The editor's unfinished wording."
    assert Revision.objects.get(pk=draft.pk).status == "draft"
    # The history says where the rows came from: a release, not an editor.
    added = Statement.history.exclude(history_id__in=history_before)
    assert sorted(added.values_list("code", flat=True)) == sorted(RELEASE_CODES * 2)
    assert set(added.values_list("history_type", flat=True)) == {"+"}
    assert {entry.history_change_reason for entry in added} == {
        "Added by load_guideline: seed content of a software release."
    }


def test_a_release_run_twice_adds_nothing_the_second_time(guideline, editor):
    from guidance.content.revisions import published_revision, start_draft

    as_before_this_release(published_revision(guideline))
    start_draft(guideline, editor)
    load()
    history = Statement.history.count()
    load()
    assert Statement.history.count() == history
    assert Statement.objects.filter(code="delta-p").count() == 2


@pytest.mark.django_db
def test_the_system_check_fails_when_a_code_the_engine_needs_is_missing(guideline):
    from django.core.management.base import SystemCheckError

    call_command("check")
    Statement.objects.filter(code="pitfall-plex-equal").delete()
    with pytest.raises(SystemCheckError, match="pitfall-plex-equal"):
        call_command("check")
