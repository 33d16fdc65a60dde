"""What a clinician is shown for one encounter: statements that apply, why, doses, references.

`build_summary` returns plain, JSON-ready data. The summary page, the print page and the
PDF all render this same structure, and finalizing stores it as the encounter's snapshot,
so a finalized encounter shows exactly what was shown when it was finalized. Statements
are always those of the published revision: a draft never reaches a clinician.
"""

from django.db.models import Prefetch
from django.utils import timezone

from guidance import pathway
from guidance.forms import STEP_TITLES, VALUE_LABELS, answer_label, format_number
from guidance.models import Revision, Statement, StatementCitation

GUIDELINE_SLUG = "lems-ivig"

# What to do comes first: scope, then recommendations, then warnings, then the evidence.
GROUPS = (
    ("scope", "Before you go on"),
    ("recommendation", "Recommendations"),
    ("warning", "Pitfalls to avoid"),
    ("evidence", "The evidence behind them"),
)


def current_revision():
    """The published revision of the guideline, with its guideline (one query)."""
    return Revision.objects.select_related("guideline").get(
        guideline__slug=GUIDELINE_SLUG, status=Revision.Status.PUBLISHED
    )


def statements_by_code(revision, codes):
    """The statements of `codes`, with their sections and ordered citations (two queries)."""
    links = StatementCitation.objects.select_related("citation")
    statements = (
        Statement.objects.filter(revision=revision, code__in=codes)
        .select_related("section")
        .prefetch_related(Prefetch("citation_links", queryset=links))
    )
    return {statement.code: statement for statement in statements}


def answered_steps(answers):
    """The applicable steps, each with its answers as the clinician reads them."""
    steps = []
    for step in pathway.applicable_steps(answers):
        rows = [
            answer_label(field, answers[field])
            for field in pathway.STEP_FIELDS[step]
            if answers.get(field) not in (None, "")
        ]
        steps.append({"step": step, "title": STEP_TITLES[step], "answers": rows})
    return steps


def build_summary(encounter, revision=None):
    """The summary on the published revision (or `revision`), which the encounter records."""
    revision = revision or current_revision()
    encounter.revision = revision
    outcome = pathway.evaluate(encounter.answers)
    statements = statements_by_code(revision, outcome.codes)
    groups = {kind: [] for kind, _ in GROUPS}
    references = {}
    for code in outcome.codes:
        statement = statements[code]
        citations = statement.ordered_citations
        for citation in citations:
            references[citation.number] = {
                "number": citation.number,
                "vancouver": citation.vancouver,
                "doi": citation.doi,
                "doi_url": citation.doi_url,
                "pmid": citation.pmid,
                "pubmed_url": citation.pubmed_url,
                "url": citation.url,
            }
        groups[statement.kind].append(
            {
                "code": code,
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
                "why": [
                    "{}: {}".format(*answer_label(field, value))
                    for field, value in outcome.reasons.get(code, ())
                ],
                "priority": priority_reasons(code, outcome.priority),
            }
        )
    return {
        "guideline": {
            "title": revision.title,
            "revision": revision.number,
            "revision_date": timezone.localdate(revision.published_at).isoformat(),
            "disclaimer": revision.disclaimer,
        },
        "steps": answered_steps(encounter.answers),
        "groups": [
            {"kind": kind, "title": title, "statements": groups[kind]}
            for kind, title in GROUPS
            if groups[kind]
        ],
        "references": [references[number] for number in sorted(references)],
        "doses": dose_lines(outcome.doses, encounter.answers),
    }


def priority_reasons(code, priority):
    """Why a warning is high priority for this patient, in the clinician's words."""
    if code not in priority:
        return []
    reasons = [VALUE_LABELS["ivig_risk_factors"][factor][0] for factor in priority[code]]
    if code == "pitfall-plex-equal":
        reasons.append("plasma exchange available")
    return reasons


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


DEVINE_BASE = {"male": "50 kg (male)", "female": "45.5 kg (female)"}

DOSING_WEIGHT_REASONS = {
    "adjusted": "height and sex known, 152 cm or taller, not pregnant, and heavier than the "
    "adjusted weight: the national criteria dose on the adjusted weight",
    "height_or_sex_missing": "height or sex not given, so no adjusted weight can be worked out",
    "under_152_cm": "under 152 cm: the national criteria use the actual weight",
    "pregnant": "pregnant: the national criteria use the actual weight",
    "pregnancy_not_answered": "pregnancy not answered: the actual weight is used until it is",
    "actual_not_above_adjusted": "the actual weight is not above the adjusted weight, "
    "so the actual weight is used",
}
