"""What a clinician is shown for one encounter: statements that apply, why, doses, references.

`build` returns plain, JSON-ready data. The summary page, the print page and the PDF all
render this same structure, and finalizing stores it as the encounter's snapshot, so a
finalized encounter shows exactly what was shown when it was finalized. It reads an
`Assessment` and a revision and changes nothing: which revision an encounter records is
`guidance.encounters`' business.
"""

from django.utils import timezone

from guidance.content.models import Statement, published_revision_q
from guidance.content.presentation import lead_in, reference, statement_facts, statements_by_code
from guidance.encounters.models import Review
from guidance.encounters.wording import (
    ADVERSE_EVENT_NAMES,
    AUSTRALIAN_CRITERIA,
    DEVINE_BASE,
    DOSING_WEIGHT_REASONS,
    FIRST_CODES,
    GROUPS,
    IVIG_ROUTES,
    ONTARIO_CALCULATOR,
    PLAN_LINES,
    PLAN_NAMES,
    PLAN_TREATMENTS,
    PLASMA_EXCHANGE_AVAILABLE,
    PREDNISONE_FOR_REFERENCE,
    STEP_TITLES,
    answer_label,
    baseline_words,
    format_number,
    ivig_course_sentence,
    priority_reasons,
    score_change_words,
    screen_due_line,
    tumour_risk_lines,
)
from guidance.engine import dosing, ivig_review, pathway
from guidance.engine.dap_dosing import dap_dose_lines

# The summary: a dict of plain data, as stored in an encounter's snapshot.
Summary = dict


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
    first_codes = first_statement_codes(outcome)
    first = {}
    groups = {kind: [] for kind, _ in GROUPS}
    references = {}
    for code in outcome.codes:
        statement = statements[code]
        citations = statement.ordered_citations
        for citation in citations:
            references[citation.number] = reference(citation)
        shown = _statement(statement, citations, outcome)
        if code in first_codes:
            first[code] = shown
        else:
            groups[statement.kind].append(shown)
    return {
        "guideline": {
            "title": revision.title,
            "revision": revision.number,
            "revision_date": timezone.localdate(revision.published_at).isoformat(),
            "disclaimer": revision.disclaimer,
        },
        "steps": answered_steps(assessment),
        # "For this patient": the plan in short, then (after the doses) what comes first.
        "plan": plan(assessment),
        "first": [first[code] for code in first_codes],
        "groups": [
            {"kind": kind, "title": title, "statements": groups[kind]}
            for kind, title in GROUPS
            if groups[kind]
        ],
        "references": [references[number] for number in sorted(references)],
        "doses": dose_lines(outcome.doses, assessment.answers, outcome.codes),
        "tumour_risk": tumour_risk_summary(assessment.tumour_risk),
    }


def tumour_risk_summary(risk, today=None):
    """The DELTA-P score and screening plan in words (None when it does not apply),
    with `due_line` for "For this patient" when the next screen is due within 3 months or
    overdue as of `today` (the day the summary is built, which a snapshot keeps)."""
    if risk is None:
        return None
    return {
        **tumour_risk_lines(risk),
        "due_line": screen_due_line(
            risk["next"], today or timezone.localdate(), pet_now=risk.get("pet_now", False)
        ),
    }


def first_statement_codes(outcome):
    """The codes "For this patient" shows in full, in DESIGN §4's order: scope and tumour
    statements first, then the pitfalls that are high priority for this patient."""
    first = [code for code in FIRST_CODES if code in outcome.codes]
    first += [code for code in outcome.codes if code in outcome.priority and code not in first]
    return first


def plan(assessment):
    """Which treatments apply, one line each, linked (by `code`) to the statement it sums up.

    Worked out from the codes that apply (and, for plasma exchange, whether it is
    available), never from formatted text; the words are in guidance/wording.py.
    """
    codes = set(assessment.outcome.codes)
    lines = {}
    if "dap-unavailable" in codes:
        lines["dap"] = ("dap-unavailable", PLAN_LINES["dap-unavailable"])
    elif "dap-first-line" in codes:
        lines["dap"] = ("dap-first-line", PLAN_LINES["dap-first-line"])
    if "anti-tumour-priority" in codes:
        lines["tumour"] = ("anti-tumour-priority", PLAN_LINES["anti-tumour-priority"])
    if "prednisone-established" in codes:
        lines["prednisone"] = ("prednisone-established", PLAN_LINES["prednisone-established"])
    elif "prednisone" in codes:
        lines["prednisone"] = ("prednisone", PLAN_LINES["prednisone"])
    if "steroid-sparing" in codes:
        lines["steroid_sparing"] = ("steroid-sparing", PLAN_LINES["steroid-sparing"])
    if "ivig-bridge-only" in codes:
        lines["ivig"] = ("ivig-bridge-only", PLAN_LINES["ivig-bridge-only"])
    elif "ivig-reserved" in codes:
        routes = [code for code in IVIG_ROUTES if code in codes]
        text = PLAN_LINES["ivig"].format(routes=" and ".join(IVIG_ROUTES[r] for r in routes))
        lines["ivig"] = (routes[0] if routes else "ivig-reserved", text)
    if "pitfall-plex-equal" in codes:
        text = PLAN_LINES["pitfall-plex-equal"]
        if assessment.answers.get("plasma_exchange_available") == "yes":
            text += " " + PLASMA_EXCHANGE_AVAILABLE
        lines["plasma_exchange"] = ("pitfall-plex-equal", text)
    return [
        {"treatment": name, "label": label, "code": lines[name][0], "text": lines[name][1]}
        for name, label in PLAN_TREATMENTS
        if name in lines
    ]


def dose_lines(doses, answers, codes=()):
    """The doses with their arithmetic written out for the patient's weight."""
    lines = {}
    if ivig := doses.get("ivig"):
        lines["ivig"] = ivig_lines(ivig, answers)
    if prednisone := doses.get("prednisone"):
        lines["prednisone"] = prednisone_line(prednisone, answers)
        if "prednisone-established" in codes:
            lines["prednisone_label"] = PREDNISONE_FOR_REFERENCE
    if dap := doses.get("dap"):
        lines["dap"] = dap_dose_lines(dap)  # templates/guidance/partials/_dap_dose.html
    return lines


def _range(pair, unit):
    low, high = (format_number(value) for value in pair)
    return f"{low}-{high} {unit}"


def ivig_lines(ivig, answers):
    """The IVIG totals on actual weight and, when it is offered, on the adjusted weight.

    Where the adjusted weight is not offered, no adjusted figure is given at all (not even
    its arithmetic): only the one-line reason, and the actual weight's vial totals.
    """
    weight = format_number(float(answers["weight_kg"]))
    low_daily, high_daily = (format_number(value) for value in ivig["daily_g"])
    actual = (
        f"{weight} kg × 1-2 g/kg = {_range(ivig['total_g'], 'g')} in total, "
        f"over 2-5 days: {low_daily}-{high_daily} g a day"
    )
    offered = ivig["dosing_weight_basis"] == "adjusted"
    dosing = {
        "basis": ivig["dosing_weight_basis"],
        "reason": DOSING_WEIGHT_REASONS[ivig["dosing_weight_reason"]],
        "dosing_weight_kg": format_number(ivig["dosing_weight_kg"]),
        "total": _range(ivig["adjusted_total_g"], "g"),
        "vials": _range(ivig["vials_total_g"], "g"),
        "criteria": AUSTRALIAN_CRITERIA,
        "calculator": ONTARIO_CALCULATOR,
    }
    if offered:
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
            f"over 2-5 days: {low_daily}-{high_daily} g a day"
        )
    return {"actual": actual, "dosing": dosing}


def prednisone_line(prednisone, answers):
    weight = format_number(float(answers["weight_kg"]))
    text = f"1.5 mg/kg × {weight} kg = {format_number(prednisone['by_weight_mg'])} mg"
    if prednisone["capped"]:
        text += ", capped at 100 mg"
    return text + ", on alternate days"


def course_lines(encounter, assessment):
    """The IVIG course recorded with the decision, on its dose basis (the adjusted weight
    when the clinician chose it, else the actual weight), with its review window; None
    when no course was recorded."""
    if encounter.course_start_date is None:
        return None
    ivig = assessment.outcome.doses["ivig"]
    if encounter.dose_basis == encounter.DoseBasis.ADJUSTED:
        dosing_weight_kg = ivig["adjusted_weight_kg"]
    else:
        dosing_weight_kg = float(assessment.answers["weight_kg"])
    course = dosing.ivig_course(encounter.ivig_g_per_kg, encounter.ivig_days, dosing_weight_kg)
    window = ivig_review.review_window(encounter.course_start_date)
    baseline = None
    if encounter.baseline_scale:
        baseline = {
            "scale": encounter.baseline_scale,
            "score": encounter.baseline_score,
            "text": baseline_words(encounter.baseline_scale, encounter.baseline_score),
        }
    return {
        **course,
        "start_date": encounter.course_start_date.isoformat(),
        "sentence": ivig_course_sentence(course, encounter.course_start_date),
        "review_due_from": window.due_from.isoformat(),
        "review_due_until": window.due_until.isoformat(),
        "decide_before": window.decide_before.isoformat(),
        "baseline": baseline,
    }


def review_lines(encounter, review):
    """One review of the course as the summary, print and PDF show it. The pitfalls it
    makes high priority are quoted from the encounter's snapshot: the statements as they
    were shown when the course was prescribed."""
    start = encounter.course_start_date
    change = None
    if encounter.baseline_scale and review.score is not None:
        change = score_change_words(
            ivig_review.score_change(
                encounter.baseline_scale, encounter.baseline_score, review.score
            )
        )
    adverse = [ADVERSE_EVENT_NAMES[event] for event in review.adverse_events]
    pitfalls = []
    if (
        review.plan == Review.Plan.REPEAT_COURSE
        and encounter.answers.get("immunosuppression") == "none"
    ):
        pitfalls.append(
            _shown_statement(
                encounter, "pitfall-ivig-long-term", ["a repeat course without immunosuppression"]
            )
        )
    if adverse:
        pitfalls.append(_shown_statement(encounter, "pitfall-ivig-risks", adverse))
    return {
        "date": review.review_date.isoformat(),
        "day": ivig_review.day_of_course(start, review.review_date),
        "score_change": change,
        "adverse_events": adverse,
        "response": review.get_response_display(),
        "plan": PLAN_NAMES[review.plan],
        "note": review.note,
        "pitfalls": pitfalls,
    }


def _shown_statement(encounter, code, priority):
    # Shown in its group, or first, under "For this patient" (high-priority pitfalls).
    shown_statements = [
        *encounter.snapshot.get("first", []),
        *(
            statement
            for group in encounter.snapshot.get("groups", [])
            for statement in group["statements"]
        ),
    ]
    shown = next((each for each in shown_statements if each["code"] == code), None)
    if shown is None:
        # Not among what was shown (it always is when IVIG applies): the encounter's revision.
        statement = statements_by_code(encounter.revision, [code])[code]
        shown = statement_facts(statement, statement.ordered_citations)
    return {
        "code": code,
        "text": shown["text"],
        "citations": shown["citations"],
        "priority": priority,
    }


def panel_statements(assessment):
    """What already applies, for the panel beside a step's form: the text with the same
    markers as on the summary, two queries, and no evidence (its citations and reasons are
    on the summary)."""
    outcome = assessment.outcome
    if not outcome.codes:
        return []
    # Joined to the published revision (a subquery took twice as long on SQLite), unordered:
    # the panel keeps the outcome's order.
    statements = (
        Statement.objects.filter(published_revision_q("revision__"), code__in=outcome.codes)
        .order_by()
        .select_related("section")
        .only(
            "code",
            "kind",
            "text",
            "origin",
            "verification",
            "verification_note",
            "section__title",
            "section__intro",
        )
    )
    by_code = {statement.code: statement for statement in statements}
    return [
        {
            "code": code,
            "kind": by_code[code].kind,
            "kind_label": by_code[code].get_kind_display(),
            "lead_in": lead_in(by_code[code].section),
            "text": by_code[code].text,
            "origin": by_code[code].origin,
            "verification": by_code[code].verification,
            "verification_label": by_code[code].get_verification_display(),
            "verification_note": by_code[code].verification_note,
            "priority": priority_reasons(code, outcome.priority),
        }
        for code in outcome.codes
        if by_code[code].kind != "evidence"
    ]
