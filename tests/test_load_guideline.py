"""The loader: the source text word for word, citations as in the statement table, idempotent."""

import io
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db.models import Q

from guidance.engine.pathway import ALL_CODES
from guidance.models import Citation, Guideline, Section, Statement, StatementCitation

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
    "screening-schedule": [10, 11, 12, 13], "screen-pet-now": [12],
    "ivig-before-treatment": [15, 16], "ivig-risk-mitigation": [15], "dap-titration": [17, 18],
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
        "After a negative screen (CT of the thorax, then FDG-PET if the CT is negative), "
        "screen again after 3-6 months and then every 6 months; in LEMS, for 2 years (EFNS "
        "task force). A DELTA-P score of 3 or more, or a score not yet complete, brings the "
        "first repeat to 3 months; a score of 0-2, to 6 months. The score's authors suggested "
        "that scores 0-1 may stop after one more negative screen at 6 months; in the "
        "prospective cohort, 18.8 % of patients with score 1 had small-cell lung cancer. New "
        "or persisting symptoms call for a new screen at any time."
    ),
    "screen-pet-now": (
        "The negative screen was a CT only. The EFNS task force follows a negative CT of the "
        "thorax with FDG-PET: arrange it now, and count the screening schedule from it."
    ),
    "ivig-before-treatment": (
        "Before the first infusion: check renal function (creatinine, urea) and that the "
        "patient is not volume depleted; ask about IgA deficiency with antibodies against IgA, "
        "which raises the risk of severe hypersensitivity; take a baseline haemoglobin, since "
        "haemolysis can follow."
    ),
    "ivig-risk-mitigation": (
        "Risk factors for thrombosis or renal failure are recorded. The boxed warning of "
        "immune globulin products advises the minimum dose and infusion rate practicable and "
        "adequate hydration before the infusion; with a renal risk, a product without sucrose "
        "and renal function monitored; watch for signs of thrombosis."
    ),
    "dap-titration": (
        "Amifampridine (3,4-DAP) as labelled: start with 15-30 mg a day in 3-5 divided doses "
        "(EU label: 15 mg a day); raise the daily dose by 5 mg every 3-4 days (EU: every 4-5 "
        "days) as response and tolerance allow; at most 20 mg in one dose and 100 mg a day "
        "(EU: 60 mg, 80 mg in exceptional cases). Start at the lowest dose with renal or "
        "hepatic impairment; do not use after seizures."
    ),
}
# What the two releases before this one added (issue 21: the first four; issue 24: the rest).
RELEASE_CODES = [
    "prednisone-established",
    "ivig-bridge-only",
    "delta-p",
    "screening-schedule",
    "screen-pet-now",
    "ivig-before-treatment",
    "ivig-risk-mitigation",
    "dap-titration",
]


def load(file=None):
    """Run the loader as IT does; returns what it printed."""
    out = io.StringIO()
    options = {"file": file} if file else {}
    call_command("load_guideline", verbosity=0, stdout=out, **options)
    return out.getvalue()


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
    assert len(loaded) == 38


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
    assert Citation.objects.count() == 18
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
        "screen-pet-now": "recommendation",
        "ivig-before-treatment": "recommendation",
        "ivig-risk-mitigation": "warning",
        "dap-titration": "recommendation",
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
        "screen-pet-now": "verified",
        "ivig-before-treatment": "partly",
        "ivig-risk-mitigation": "partly",
        "dap-titration": "partly",
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


def test_a_statement_deleted_from_the_published_revision_is_not_added_back(guideline):
    """What a revision lost stays lost: the check names it for an editor to restore through
    a draft (the loader cannot tell a removal the team wanted from one it did not)."""
    from django.core.checks import Error

    from guidance.content.checks import statement_codes_present

    Statement.objects.get(code="ivig-duration").delete()
    load()
    assert not Statement.objects.filter(code="ivig-duration").exists()
    [error] = statement_codes_present(None)
    assert isinstance(error, Error) and "ivig-duration" in error.msg


def as_before_this_release(revision):
    """Remove what this release adds, as a database loaded by the previous release lacks it:
    its rows and their history records."""
    statements = Statement.history.filter(code__in=RELEASE_CODES).values("id")
    citations = Citation.history.filter(number__gte=10).values("id")
    revision.statements.filter(code__in=RELEASE_CODES).delete()
    revision.citations.filter(number__gte=10).delete()
    StatementCitation.history.filter(
        Q(statement_id__in=statements) | Q(citation_id__in=citations)
    ).delete()
    Statement.history.filter(code__in=RELEASE_CODES).delete()
    Citation.history.filter(number__gte=10).delete()


def test_a_release_adds_the_statements_the_pathway_needs_to_the_published_revision_and_the_draft(
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

    output = load()

    for revision in (published, draft):
        assert missing_codes(revision) == [], revision
        delta_p = revision.statements.get(code="delta-p")
        assert citation_numbers(delta_p) == [10, 11]
        assert {c.revision_id for c in delta_p.ordered_citations} == {revision.pk}
    # Citation 14 is cited by none of them: the pathway does not need it, so it waits in the
    # draft for review and clinicians see it once that is published.
    assert sorted(published.citations.values_list("number", flat=True)) == [
        *range(1, 14),
        *range(15, 19),
    ]
    assert draft.citations.count() == 18
    assert "new citation 14" in output
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


# --- IT runs the loader on an installation with history (issue 21, item 4) -----------------

SEED_CHANGE = "Changed by load_guideline: seed content of a software release."
NEW_SCHEDULE = (
    "After a negative screen (CT of the thorax, then FDG-PET if it is negative), screen "
    "again every 6 months for 2 years, starting at 3 months when the score is 3 or more."
)


def release_changing(tmp_path, code, **fields):
    """The content file of a release that changes `code`'s seed fields."""
    content = yaml.safe_load((CONTENT / "lems_ivig.yaml").read_text(encoding="utf-8"))
    for section in content["sections"]:
        for statement in section["statements"]:
            if statement["code"] == code:
                statement.update(fields)
    path = tmp_path / "lems_ivig.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


def publish_draft(draft, editor, reviewer):
    from guidance.content.revisions import publish, submit_for_review

    submit_for_review(draft, editor, "Reviewed change.")
    return publish(draft, reviewer)


def content_of(revision):
    """Everything a revision holds, to compare before and after a run."""
    return {
        "revision": dict(
            type(revision).objects.filter(pk=revision.pk).values("status", "change_summary")[0]
        ),
        "statements": list(revision.statements.order_by("code").values()),
        "citations": list(revision.citations.order_by("number").values()),
        "links": sorted(
            StatementCitation.objects.filter(statement__revision=revision).values_list(
                "statement__code", "citation__number", "order"
            )
        ),
    }


def test_a_citation_deleted_in_a_reviewed_revision_does_not_come_back(
    guideline, draft, editor, reviewer
):
    from guidance.content.revisions import open_draft, published_revision, start_draft

    risks = draft.statements.get(code="pitfall-ivig-risks")
    risks.citation_links.all().delete()
    draft.citations.get(number=6).delete()
    publish_draft(draft, editor, reviewer)

    output = load()

    published = published_revision(guideline)
    assert published.pk == draft.pk
    assert not published.citations.filter(number=6).exists()
    assert citation_numbers(published.statements.get(code="pitfall-ivig-risks")) == []
    assert open_draft(guideline) is None  # nothing waits for review
    assert "added 0 guidelines, 0 citations, 0 sections, 0 statements" in output
    # Nor into the next draft.
    next_draft = start_draft(guideline, editor)
    load()
    assert not next_draft.citations.filter(number=6).exists()


def test_a_citation_link_removed_in_a_reviewed_revision_does_not_come_back(
    guideline, draft, editor, reviewer
):
    from guidance.content.revisions import open_draft, published_revision

    draft.statements.get(code="ivig-dose").citation_links.filter(citation__number=5).delete()
    publish_draft(draft, editor, reviewer)

    load()

    published = published_revision(guideline)
    assert citation_numbers(published.statements.get(code="ivig-dose")) == [2]
    assert open_draft(guideline) is None


def test_a_revision_in_review_is_left_unchanged_and_gets_the_release_once_returned(
    guideline, editor, reviewer, tmp_path
):
    """Submitted under the previous release, in review when IT runs this one."""
    from guidance.content.checks import missing_codes
    from guidance.content.revisions import published_revision, return_to_editor, start_draft
    from guidance.models import Revision

    published = published_revision(guideline)
    as_before_this_release(published)
    in_review = start_draft(guideline, editor)
    in_review.change_summary = "Reworded the bridging statement."
    in_review.status = Revision.Status.IN_REVIEW
    in_review.save()
    before = content_of(in_review)
    history = Statement.history.filter(revision_id=in_review.pk).count()
    revision_history = in_review.history.count()

    output = load(release_changing(tmp_path, "ivig-duration", text=NEW_SCHEDULE))

    assert content_of(in_review) == before
    assert Statement.history.filter(revision_id=in_review.pk).count() == history
    assert in_review.history.count() == revision_history
    assert missing_codes(published) == []  # the pathway has what it can show
    assert "Revision 2 is in review: left unchanged" in output
    assert "cannot be published without them" in output
    assert "new seed text of statement ivig-duration" in output
    assert Revision.objects.count() == 2  # no second open draft

    return_to_editor(in_review, reviewer, "Wait for the release.")
    output = load(release_changing(tmp_path, "ivig-duration", text=NEW_SCHEDULE))
    assert missing_codes(in_review) == []
    assert in_review.statements.get(code="ivig-duration").text == NEW_SCHEDULE
    assert in_review.citations.count() == 18
    assert published.statements.get(code="ivig-duration").text != NEW_SCHEDULE


def test_a_changed_seed_text_lands_in_a_new_draft_not_in_the_published_revision(
    guideline, tmp_path
):
    from guidance.content.revisions import open_draft, published_revision
    from guidance.models import Revision

    published = published_revision(guideline)
    shown = published.statements.get(code="screening-schedule").text
    release = release_changing(tmp_path, "screening-schedule", text=NEW_SCHEDULE)

    output = load(release)

    assert published.statements.get(code="screening-schedule").text == shown
    draft = open_draft(guideline)
    assert (draft.number, draft.status, draft.drafted_by) == (2, "draft", None)
    statement = draft.statements.get(code="screening-schedule")
    assert statement.text == NEW_SCHEDULE
    assert citation_numbers(statement) == [10, 11, 12, 13]
    latest = statement.history.first()
    assert (latest.history_type, latest.history_change_reason) == ("~", SEED_CHANGE)
    reasons = Revision.history.filter(id=draft.pk).values_list("history_change_reason", flat=True)
    assert set(reasons) >= {
        "Draft started by load_guideline: seed content of a software release.",
        "Content changed by load_guideline: seed content of a software release.",
    }
    assert "Revision 2 (draft) holds this release's changes" in output
    assert "new seed text of statement screening-schedule (text)" in output
    # The other statements are a plain copy of the published revision.
    assert draft.statements.exclude(text__in=published.statements.values("text")).count() == 1


def test_a_changed_seed_text_lands_in_the_open_draft_beside_the_editors_work(
    guideline, draft, tmp_path
):
    from guidance.models import Revision

    bridge = draft.statements.get(code="ivig-when-bridge")
    bridge.text = "The editor's unfinished wording."
    bridge.save()

    load(release_changing(tmp_path, "screening-schedule", text=NEW_SCHEDULE))

    assert draft.statements.get(code="screening-schedule").text == NEW_SCHEDULE
    assert draft.statements.get(code="ivig-when-bridge").text == "The editor's unfinished wording."
    assert Revision.objects.count() == 2


def test_a_seed_text_an_editor_is_rewording_in_the_draft_is_left_to_the_editor(
    guideline, draft, tmp_path
):
    schedule = draft.statements.get(code="screening-schedule")
    schedule.text = "The editor's own schedule."
    schedule.save()

    output = load(release_changing(tmp_path, "screening-schedule", text=NEW_SCHEDULE))

    assert draft.statements.get(code="screening-schedule").text == "The editor's own schedule."
    assert "has its own wording of statement screening-schedule (text)" in output


def test_a_seed_text_the_reviewers_turned_down_is_not_proposed_again(
    guideline, editor, reviewer, tmp_path
):
    from guidance.content.revisions import open_draft

    release = release_changing(tmp_path, "screening-schedule", text=NEW_SCHEDULE)
    load(release)
    draft = open_draft(guideline)
    schedule = draft.statements.get(code="screening-schedule")
    schedule.text = Statement.objects.get(code="screening-schedule", revision__number=1).text
    schedule.save()
    publish_draft(draft, editor, reviewer)

    load(release)

    assert open_draft(guideline) is None


def test_a_release_with_a_changed_seed_text_run_twice_changes_nothing_the_second_time(
    guideline, tmp_path
):
    from guidance.models import Revision

    release = release_changing(tmp_path, "screening-schedule", text=NEW_SCHEDULE)
    load(release)
    before = {
        model.__name__: model.history.count()
        for model in (Revision, Section, Citation, Statement, StatementCitation)
    }

    output = load(release)

    assert {
        model.__name__: model.history.count()
        for model in (Revision, Section, Citation, Statement, StatementCitation)
    } == before
    assert output.strip() == (
        "Guideline loaded: added 0 guidelines, 0 citations, 0 sections, 0 statements, "
        "0 citation links, 0 changes."
    )


def test_a_fresh_database_gets_the_whole_seed_as_published_revision_1(guideline):
    from guidance.models import Revision

    # Children first: statements protect their sections, links their citations.
    for model in (StatementCitation, Statement, Citation, Section, Revision, Guideline):
        model.objects.all().delete()
        model.history.all().delete()

    load()

    [revision] = Revision.objects.all()
    assert (revision.number, revision.status) == (1, "published")
    assert revision.statements.count() == 38
    assert revision.citations.count() == 18
    assert revision.sections.count() == Section.objects.count()
    assert citation_numbers(revision.statements.get(code="screening-schedule")) == [
        10,
        11,
        12,
        13,
    ]
    reasons = set(Statement.history.values_list("history_change_reason", flat=True))
    assert reasons == {"Added by load_guideline: seed content of a software release."}


# --- This release (issue 24) on an installation loaded by the one before -------------------

NEW_CODES = ["screen-pet-now", "ivig-before-treatment", "ivig-risk-mitigation", "dap-titration"]
PREVIOUS_SCHEDULE = {
    "citations": [10, 12, 13],
    "verification_note": (
        "The schedule by score is from a secondary source (citation 13, which gives it as "
        "suggested by the study authors); the CT-then-FDG-PET approach is from citation 12, "
        "whose full text was not read."
    ),
    "text": NEW_LOCAL_TEXT["screening-schedule"].replace("18.8", "(the previous wording)"),
}
PREVIOUS_CITATION_12 = {
    "doi": "",
    "pmid": "",
    "note": "Confidence: medium. CT of the thorax first, FDG-PET if negative (full text not read).",
}


def previous_release(tmp_path):
    """The content file of the release before this one: without the four new statements
    and citations 15-18, with the earlier screening schedule and citation 12."""
    content = yaml.safe_load((CONTENT / "lems_ivig.yaml").read_text(encoding="utf-8"))
    content["citations"] = [c for c in content["citations"] if c["number"] < 15]
    for citation in content["citations"]:
        if citation["number"] == 12:
            citation.update(PREVIOUS_CITATION_12)
    for section in content["sections"]:
        section["statements"] = [s for s in section["statements"] if s["code"] not in NEW_CODES]
        for statement in section["statements"]:
            if statement["code"] == "screening-schedule":
                statement.update(PREVIOUS_SCHEDULE)
    path = tmp_path / "previous.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def installed_by_the_previous_release(guideline, tmp_path):
    from guidance.models import Revision

    for model in (StatementCitation, Statement, Citation, Section, Revision, Guideline):
        model.objects.all().delete()
        model.history.all().delete()
    load(previous_release(tmp_path))
    return Revision.objects.get()


def test_this_release_gives_the_pathway_its_new_statements_and_drafts_the_changed_schedule(
    installed_by_the_previous_release,
):
    from guidance.content.checks import missing_codes
    from guidance.content.revisions import open_draft

    published = installed_by_the_previous_release
    assert set(missing_codes(published)) == set(NEW_CODES)

    output = load()

    # What the pathway can now show is there at once, with its citations, for clinicians.
    assert missing_codes(published) == []
    for code in NEW_CODES:
        statement = published.statements.get(code=code)
        assert statement.text == NEW_LOCAL_TEXT[code]
        assert citation_numbers(statement) == LOCAL_CITATIONS_OF[code]
        assert {c.revision_id for c in statement.ordered_citations} == {published.pk}
    # The changed schedule and citation 12 wait in a draft, as seed content of a release.
    schedule = published.statements.get(code="screening-schedule")
    assert schedule.text == PREVIOUS_SCHEDULE["text"]
    assert citation_numbers(schedule) == [10, 12, 13]
    assert published.citations.get(number=12).note == PREVIOUS_CITATION_12["note"]
    draft = open_draft(published.guideline)
    assert (draft.number, draft.status) == (2, "draft")
    drafted = draft.statements.get(code="screening-schedule")
    assert drafted.text == NEW_LOCAL_TEXT["screening-schedule"]
    assert citation_numbers(drafted) == [10, 11, 12, 13]
    assert "prospective cohort" in drafted.verification_note
    assert drafted.history.first().history_change_reason == SEED_CHANGE
    efns = draft.citations.get(number=12)
    assert (efns.doi, efns.pmid) == ("10.1111/j.1468-1331.2010.03220.x", "20880069")
    assert "Abstract read" in efns.note
    assert "new seed text of statement screening-schedule" in output
    # Run again: nothing more.
    history = Statement.history.count()
    load()
    assert Statement.history.count() == history


def test_each_new_citation_says_what_was_read_and_where(guideline):
    for number in (15, 16, 17, 18):
        citation = Citation.objects.get(number=number)
        assert citation.url.startswith("https://"), number
        assert "Read" in citation.note, number
        # Each says what it did not find, too, so no statement leans on it for that.
        assert re.search(r"[Nn]ot read|not in the", citation.note), number
    assert "100 mg" in Citation.objects.get(number=17).note
    assert "60 mg" in Citation.objects.get(number=18).note
    mitigation = Statement.objects.get(code="ivig-risk-mitigation")
    assert mitigation.kind == "warning"
