"""What a clinician is shown for one encounter: statements that apply, why, doses, references.

`build` returns plain, JSON-ready data. The summary page, the print page and the PDF all
render this same structure, and finalizing stores it as the encounter's snapshot, so a
finalized encounter shows exactly what was shown when it was finalized. It reads an
`Assessment` and a revision and changes nothing: which revision an encounter records is
`guidance.encounters`' business.
"""

from django.db.models import Prefetch
from django.utils import timezone

from guidance import pathway
from guidance.models import Statement, StatementCitation, published_revision_q
from guidance.wording import (
    DEVINE_BASE,
    DOSING_WEIGHT_REASONS,
    GROUPS,
    STEP_TITLES,
    answer_label,
    format_number,
    priority_reasons,
    screen_due_line,
    tumour_risk_lines,
)

# The summary: a dict of plain data, as stored in an encounter's snapshot.
Summary = dict


def statements_by_code(revision, codes):
    """The statements of `codes`, with their sections and ordered citations (two queries)."""
    links = StatementCitation.objects.select_related("citation")
    statements = (
        Statement.objects.filter(revision=revision, code__in=codes)
        .select_related("section")
        .prefetch_related(Prefetch("citation_links", queryset=links))
    )
    return {statement.code: statement for statement in statements}


def answered_steps(assessment):
    """The applicable steps, each with its answers as the clinician reads them."""
    answers = assessment.answers
    return [
        {
            "step": step,
            "title": STEP_TITLES[step],
            "answers": [
                answer_label(field, answers[field])
                for field in pathway.STEP_FIELDS[step]
                if answers.get(field) not in (None, "")
            ],
        }
        for step in assessment.steps
    ]


def _reference(citation):
    return {
        "number": citation.number,
        "vancouver": citation.vancouver,
        "doi": citation.doi,
        "doi_url": citation.doi_url,
        "pmid": citation.pmid,
        "pubmed_url": citation.pubmed_url,
        "url": citation.url,
    }


def statement_facts(statement, citations):
    """What every page shows of a statement, whatever the answers (see the statement
    fragment, templates/guidance/partials/_statement.html)."""
    return {
        "code": statement.code,
        "kind": statement.kind,
        "section": statement.section.title,
        # e.g. "When to Use IVIG:", without which a bullet reads as a fragment
        "lead_in": statement.section.intro,
        "text": statement.text,
        "origin": statement.origin,
        "evidence_quality": statement.get_evidence_quality_display(),
        "verification": statement.verification,
        "verification_label": statement.get_verification_display(),
        "verification_note": statement.verification_note,
        "citations": [citation.number for citation in citations],
    }


def _statement(statement, citations, outcome):
    code = statement.code
    return {
        **statement_facts(statement, citations),
        "why": [
            "{}: {}".format(*answer_label(field, value))
            for field, value in outcome.reasons.get(code, ())
        ],
        "priority": priority_reasons(code, outcome.priority),
    }


def build(assessment, revision) -> Summary:
    """The summary of `assessment` on `revision` (which must have its guideline loaded)."""
    outcome = assessment.outcome
    statements = statements_by_code(revision, outcome.codes)
    groups = {kind: [] for kind, _ in GROUPS}
    references = {}
    for code in outcome.codes:
        statement = statements[code]
        citations = statement.ordered_citations
        for citation in citations:
            references[citation.number] = _reference(citation)
        groups[statement.kind].append(_statement(statement, citations, outcome))
    return {
        "guideline": {
            "title": revision.title,
            "revision": revision.number,
            "revision_date": timezone.localdate(revision.published_at).isoformat(),
            "disclaimer": revision.disclaimer,
        },
        "steps": answered_steps(assessment),
        "groups": [
            {"kind": kind, "title": title, "statements": groups[kind]}
            for kind, title in GROUPS
            if groups[kind]
        ],
        "references": [references[number] for number in sorted(references)],
        "doses": dose_lines(outcome.doses, assessment.answers),
        "tumour_risk": tumour_risk_summary(assessment.tumour_risk),
    }


def tumour_risk_summary(risk, today=None):
    """The DELTA-P score and screening plan in words (None until the score is complete),
    with `due_line` for "For this patient" when the next screen is due within 3 months or
    overdue as of `today` (the day the summary is built, which a snapshot keeps)."""
    if risk is None:
        return None
    return {
        **tumour_risk_lines(risk),
        "due_line": screen_due_line(risk["next"], today or timezone.localdate()),
    }


def dose_lines(doses, answers):
    """The doses with their arithmetic written out for the patient's weight."""
    lines = {}
    if ivig := doses.get("ivig"):
        lines["ivig"] = ivig_lines(ivig, answers)
    if prednisone := doses.get("prednisone"):
        lines["prednisone"] = prednisone_line(prednisone, answers)
    return lines


def _range(pair, unit):
    low, high = (format_number(value) for value in pair)
    return f"{low}-{high} {unit}"


def ivig_lines(ivig, answers):
    weight = format_number(float(answers["weight_kg"]))
    low_daily, high_daily = (format_number(value) for value in ivig["daily_g"])
    actual = (
        f"{weight} kg × 1-2 g/kg = {_range(ivig['total_g'], 'g')} in total, "
        f"over 2-5 days: {low_daily}-{high_daily} g a day"
    )
    dosing = {
        "basis": ivig["dosing_weight_basis"],
        "reason": DOSING_WEIGHT_REASONS[ivig["dosing_weight_reason"]],
        "dosing_weight_kg": format_number(ivig["dosing_weight_kg"]),
        "total": _range(ivig["adjusted_total_g"], "g"),
        "vials": _range(ivig["vials_total_g"], "g"),
    }
    if ivig["ideal_weight_kg"] is not None:
        ideal = format_number(ivig["ideal_weight_kg"])
        adjusted = format_number(ivig["adjusted_weight_kg"])
        dosing["ideal_arithmetic"] = (
            f"Ideal body weight (Devine): {DEVINE_BASE[answers['sex']]} + 2.3 kg × "
            f"({format_number(float(answers['height_cm']))} cm ÷ 2.54 − 60 in) = {ideal} kg"
        )
        dosing["adjusted_arithmetic"] = (
            f"Adjusted body weight: {ideal} kg + 0.4 × ({weight} kg − {ideal} kg) = {adjusted} kg"
        )
    low_daily, high_daily = (format_number(value) for value in ivig["adjusted_daily_g"])
    dosing["arithmetic"] = (
        f"{dosing['dosing_weight_kg']} kg × 1-2 g/kg = {dosing['total']} in total, "
        f"over 2-5 days: {low_daily}-{high_daily} g a day; to the nearest 5 g: {dosing['vials']}"
    )
    return {"actual": actual, "dosing": dosing}


def prednisone_line(prednisone, answers):
    weight = format_number(float(answers["weight_kg"]))
    text = f"1.5 mg/kg × {weight} kg = {format_number(prednisone['by_weight_mg'])} mg"
    if prednisone["capped"]:
        text += ", capped at 100 mg"
    return text + ", on alternate days"


def panel_statements(assessment):
    """What already applies, for the panel beside a step's form: text only, one query, and
    no evidence (its citations and reasons are on the summary)."""
    codes = assessment.outcome.codes
    if not codes:
        return []
    # Joined to the published revision (a subquery took twice as long on SQLite), unordered:
    # the panel keeps the outcome's order.
    statements = (
        Statement.objects.filter(published_revision_q("revision__"), code__in=codes)
        .order_by()
        .only("code", "kind", "text")
    )
    by_code = {statement.code: statement for statement in statements}
    return [
        {
            "code": code,
            "kind": by_code[code].kind,
            "kind_label": by_code[code].get_kind_display(),
            "text": by_code[code].text,
        }
        for code in codes
        if by_code[code].kind != "evidence"
    ]


def guideline_sections(revision):
    """The revision's sections, each with `shown_statements` as the guideline page shows
    them (three queries)."""
    sections = list(revision.sections.prefetch_related("statements__citation_links__citation"))
    for section in sections:
        section.shown_statements = [
            {
                **statement_facts(statement, statement.ordered_citations),
                "kind_label": statement.get_kind_display(),
            }
            for statement in section.statements.all()
        ]
    return sections
