"""What a clinician is shown for one encounter: statements that apply, why, doses, references.

`build` returns plain, JSON-ready data. The summary page, the print page and the PDF all
render this same structure, and finalizing stores it as the encounter's snapshot, so a
finalized encounter shows exactly what was shown when it was finalized. It reads an
`Assessment` and a revision and changes nothing: which revision an encounter records is
`guidance.encounters`' business.
"""

import datetime

from django.utils import timezone

from guidance.content.presentation import statement_facts, statements_by_code
from guidance.content.rendered import revision_content
from guidance.encounters.models import Review
from guidance.encounters.wording import (
    ADVERSE_EVENT_NAMES,
    AUSTRALIAN_CRITERIA,
    BMI_ABOVE_30,
    DEVINE_BASE,
    DOSE_BASIS_WORDS,
    DOSING_WEIGHT_REASONS,
    FIRST_CODES,
    GROUPS,
    INFUSION_RATE,
    IVIG_ROUTES,
    LEGEND,
    MITIGATION_ORDER_LINE,
    ONTARIO_CALCULATOR,
    ORDER_MESSAGES,
    PLAN_LABELS,
    PLAN_LINES,
    PLAN_NAMES,
    PLAN_TREATMENTS,
    PREDNISONE_FOR_REFERENCE,
    REVIEW_ORDER_MESSAGES,
    REVIEW_TIMING_NAMES,
    STEP_TITLES,
    VALUE_LABELS,
    answer_label,
    baseline_words,
    format_number,
    ivig_course_sentence,
    ivig_needs_line,
    next_course_words,
    priority_reasons,
    score_change_words,
    screen_due_line,
    tumour_risk_lines,
)
from guidance.engine import dosing, ivig_review, pathway
from guidance.engine.dap_dosing import dap_dose_lines
from guidance.engine.rule_words import rule_words

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


def why_words(code, reasons):
    """Why a statement is shown: its rule in words (guidance/engine/rule_words.py), then
    the answers that made it apply, e.g. "3,4-DAP is not enough ... and weakness is severe
    (answered: 3,4-DAP: Inadequate response; Weakness: Severe)"."""
    answered = "; ".join("{}: {}".format(*answer_label(field, value)) for field, value in reasons)
    return [f"{rule_words(code)} (answered: {answered})" if answered else rule_words(code)]


def _statement(facts, outcome):
    code = facts["code"]
    return {
        **facts,
        "why": why_words(code, outcome.reasons.get(code, ())),
        "priority": priority_reasons(code, outcome.priority),
    }


def build(assessment, revision) -> Summary:
    """The summary of `assessment` on `revision` (which must have its guideline loaded).
    The revision's statements and references are read once per published revision
    (guidance/content/rendered.py); only what the answers make of them is worked out here."""
    outcome = assessment.outcome
    content = revision_content(revision)
    statements = content["statements"]
    first_codes = first_statement_codes(outcome)
    first = {}
    groups = {kind: [] for kind, _ in GROUPS}
    references = {}
    for code in outcome.codes:
        facts = statements[code]
        for number in facts["citations"]:
            references[number] = content["references"][number]
        shown = _statement(facts, outcome)
        if code in first_codes:
            first[code] = shown
        else:
            groups[facts["kind"]].append(shown)
    risk = tumour_risk_summary(assessment.tumour_risk)
    return {
        "guideline": {
            "title": revision.title,
            "revision": revision.number,
            "revision_date": timezone.localdate(revision.published_at).isoformat(),
            "disclaimer": revision.disclaimer,
        },
        "steps": answered_steps(assessment),
        # "For this patient": the plan in short, then (after the doses) what comes first.
        "plan": plan(assessment, statements, due_line=risk["due_line"] if risk else ""),
        "first": [first[code] for code in first_codes],
        "groups": [
            {"kind": kind, "title": title, "statements": groups[kind]}
            for kind, title in GROUPS
            if groups[kind]
        ],
        "references": [references[number] for number in sorted(references)],
        "doses": dose_lines(outcome.doses, assessment.answers, outcome.codes),
        "tumour_risk": risk,
        "legend": [list(pair) for pair in LEGEND],
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


def _markers(code, statements, priority):
    """The markers of the statement a plan line stands for (the words of _statement.html)."""
    statement = statements.get(code)
    if statement is None:  # no statements given: the markers the answers decide
        return {
            "origin": "",
            "verification": "verified",
            "verification_label": "",
            "priority": priority_reasons(code, priority),
        }
    return {
        "origin": statement["origin"],
        "verification": statement["verification"],
        "verification_label": statement["verification_label"],
        "priority": priority_reasons(code, priority),
    }


def plan_marker_words(markers):
    """[(kind, words)] of a plan line's markers (`_markers`), in the words and order of
    _statement.html: Local, the verification when not confirmed, High priority. The summary's
    lines (the `plan_markers` tag) and the FHIR narrative read the same list."""
    words = []
    if markers.get("origin") == "local":
        words.append(("local", "Local"))
    if markers.get("verification") not in (None, "", "verified"):
        words.append(("verification", markers["verification_label"]))
    if markers.get("priority"):
        words.append(("priority", "High priority"))
    return words


def _tumour_line(codes, answers, tumour_risk, due_line):
    """(code, text) of the tumour line, or None: treatment first when a tumour is found,
    else what the screening needs now (DESIGN §4 "One reconciled plan")."""
    if "anti-tumour-priority" in codes:
        return "anti-tumour-priority", PLAN_LINES["anti-tumour-priority"]
    if "screen-pet-now" in codes:
        return "screen-pet-now", PLAN_LINES["screen-pet-now"]
    screening = next(
        (
            code
            for code in ("screening-schedule", "pitfall-delay-screening", "smoker-screening")
            if code in codes
        ),
        None,
    )
    if screening is None:
        return None
    if answers.get("tumour_status") == "not_screened":
        return screening, PLAN_LINES["screen-now"]
    if tumour_risk and tumour_risk.get("next") and not due_line:
        return screening, PLAN_LINES["next-screen"].format(date=tumour_risk["next"].isoformat())
    return None


def _ivig_line(codes, answers):
    """(label, code, text) of the one short-term line: IVIG and plasma exchange reconciled
    while `pitfall-plex-equal` applies, IVIG alone only where plasma exchange is not
    available."""
    routes = [code for code in IVIG_ROUTES if code in codes]
    if answers.get("plasma_exchange_available") == "no" or "pitfall-plex-equal" not in codes:
        text = PLAN_LINES["ivig"].format(routes=" and ".join(IVIG_ROUTES[r] for r in routes))
        label = PLAN_LABELS["ivig-no-plex"] if "pitfall-plex-equal" in codes else "IVIG"
        return label, routes[0] if routes else "ivig-reserved", text
    text = PLAN_LINES["pitfall-plex-equal"]
    factors = answers.get("ivig_risk_factors") or ()
    if factors:
        _, named = answer_label("ivig_risk_factors", factors)
        text += " " + PLAN_LINES["risk-factors"].format(factors=named)
    return PLAN_LABELS["ivig-or-plex"], "pitfall-plex-equal", text


def plan(assessment, statements=None, due_line=""):
    """What to do, one line per treatment or action, each linked (by `code`) to the
    statement it stands for and carrying that statement's markers (DESIGN §4 "One
    reconciled plan"). Worked out from the codes that apply (and, for plasma exchange,
    whether it is available), never from formatted text; the words are in
    guidance/encounters/wording.py. `statements` (facts by code, as `revision_content`
    gives them) give the markers."""
    statements = statements or {}
    outcome = assessment.outcome
    codes = set(outcome.codes)
    answers = assessment.answers
    lines = {}
    if tumour := _tumour_line(codes, answers, assessment.tumour_risk, due_line):
        lines["tumour"] = tumour
    if "dap-unavailable" in codes:
        lines["dap"] = ("dap-unavailable", PLAN_LINES["dap-unavailable"])
    elif "dap-first-line" in codes:
        lines["dap"] = ("dap-first-line", PLAN_LINES["dap-first-line"])
    if "prednisone-established" in codes:
        lines["prednisone"] = ("prednisone-established", PLAN_LINES["prednisone-established"])
    elif "prednisone" in codes:
        lines["prednisone"] = ("prednisone", PLAN_LINES["prednisone"])
    if "steroid-sparing" in codes:
        lines["steroid_sparing"] = ("steroid-sparing", PLAN_LINES["steroid-sparing"])
    labels = dict(PLAN_TREATMENTS)
    caveat = None
    if "ivig-reserved" in codes or "ivig-bridge-only" in codes:
        labels["ivig"], code, text = _ivig_line(codes, answers)
        lines["ivig"] = (code, text)
        if "ivig-bridge-only" in codes:
            caveat = {
                "code": "ivig-bridge-only",
                "text": PLAN_LINES["ivig-bridge-only"],
                "markers": _markers("ivig-bridge-only", statements, outcome.priority),
            }
    return [
        {
            "treatment": name,
            "label": labels[name],
            "code": lines[name][0],
            "text": lines[name][1],
            "markers": _markers(lines[name][0], statements, outcome.priority),
            "caveat": caveat if name == "ivig" else None,
        }
        for name, _ in PLAN_TREATMENTS
        if name in lines
    ]


def dose_lines(doses, answers, codes=()):
    """The doses with their arithmetic written out for the patient's weight."""
    lines = {}
    if ivig := doses.get("ivig"):
        lines["ivig"] = ivig_lines(ivig, answers)
    if needs := doses.get("ivig_needs"):
        lines["ivig_needs"] = ivig_needs_line(needs)
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
    bmi = ivig.get("bmi")
    return {
        "actual": actual,
        "dosing": dosing,
        "bmi": format_number(bmi) if bmi is not None else "",
        # Above 30 Ontario's calculator doses on a dosing weight (citation 8).
        "bmi_note": BMI_ABOVE_30 if bmi is not None and bmi > 30 else "",
    }


def prednisone_line(prednisone, answers):
    weight = format_number(float(answers["weight_kg"]))
    text = f"1.5 mg/kg × {weight} kg = {format_number(prednisone['by_weight_mg'])} mg"
    if prednisone["capped"]:
        text += ", capped at 100 mg"
    return text + ", on alternate days"


def prescriber_name(user):
    """The prescriber on the order: the clinician's full name, else the user name."""
    return user.get_full_name() or user.get_username()


def mitigation_line(outcome):
    """The `ivig-risk-mitigation` line beside the order's days, or "" when it does not apply."""
    factors = outcome.priority.get("ivig-risk-mitigation")
    if not factors:
        return ""
    names = [VALUE_LABELS["ivig_risk_factors"][factor][0] for factor in factors]
    return MITIGATION_ORDER_LINE.format(factors=" and ".join(names))


def order_lines(assessment, dose_basis, g_per_kg, days, start_date, prescriber):
    """The IVIG order a pharmacist or nurse acts on (DESIGN §4 "The IVIG order, live before
    finalize"): the course on the dosing weight of `dose_basis`, in 5 g vials never above
    2.0 g/kg, day by day. Plain data: the live block, the snapshot, print, PDF and FHIR all
    read it, with the `ivig-risk-mitigation` line when it applies."""
    ivig = assessment.outcome.doses["ivig"]
    if dose_basis == "adjusted":
        dosing_weight_kg = ivig["adjusted_weight_kg"]
    else:
        dose_basis = "actual"
        dosing_weight_kg = float(assessment.answers["weight_kg"])
    course = dosing.ivig_course(g_per_kg, days, dosing_weight_kg)
    dates = [start_date + datetime.timedelta(days=day) for day in range(course["days"])]
    bmi = ivig.get("bmi")
    return {
        **course,
        "daily_doses_g": list(course["daily_doses_g"]),  # as the snapshot's JSON holds it
        "start_date": start_date.isoformat(),
        "end_date": dates[-1].isoformat(),
        "dose_basis": dose_basis,
        "dosing_weight": f"{format_number(course['dosing_weight_kg'])} kg",
        "basis_words": DOSE_BASIS_WORDS[dose_basis],
        "bmi": format_number(bmi) if bmi is not None else "",
        "bmi_note": BMI_ABOVE_30 if bmi is not None and bmi > 30 else "",
        "days_given": [
            {"date": day.isoformat(), "grams": grams}
            for day, grams in zip(dates, course["daily_doses_g"], strict=True)
        ],
        "rate": INFUSION_RATE,
        "prescriber": prescriber,
        "mitigation_line": mitigation_line(assessment.outcome),
        "sentence": ivig_course_sentence(course, start_date),
    }


def order_preview(assessment, form, prescriber):
    """The order block as the decision form stands (posted or not): {"order": the order or
    None, "message": what is missing when there is none}. `form` is a validated
    DecisionForm; its course fields are read, the rest of it is the form's business."""
    if "ivig" not in assessment.outcome.doses:
        return {"order": None, "message": ORDER_MESSAGES["no_ivig"]}
    if form is None or not form.is_bound:
        return {"order": None, "message": ORDER_MESSAGES["empty"]}
    cleaned = getattr(form, "cleaned_data", {})
    if form.data.get("decision") not in ("followed", "partly"):
        return {"order": None, "message": ORDER_MESSAGES["decision"]}
    if any(field in form.errors for field in ("ivig_g_per_kg", "ivig_days", "course_start_date")):
        return {"order": None, "message": ORDER_MESSAGES["errors"]}
    if "dose_basis" in form.fields and not cleaned.get("dose_basis"):
        return {"order": None, "message": ORDER_MESSAGES["dose_basis"]}
    values = [cleaned.get(field) for field in ("ivig_g_per_kg", "ivig_days", "course_start_date")]
    if any(value is None for value in values):
        return {"order": None, "message": ORDER_MESSAGES["empty"]}
    g_per_kg, days, start_date = values
    order = order_lines(
        assessment, cleaned.get("dose_basis") or "actual", g_per_kg, days, start_date, prescriber
    )
    return {"order": order, "message": ""}


def course_lines(encounter, assessment, prescriber=None):
    """The IVIG course recorded with the decision: its order (on the recorded dose basis,
    the adjusted weight when the clinician chose it, else the actual weight) prescribed by
    `prescriber` (the encounter's clinician unless given), with its review window; None
    when no course was recorded."""
    if encounter.course_start_date is None:
        return None
    course = order_lines(
        assessment,
        encounter.dose_basis,
        encounter.ivig_g_per_kg,
        encounter.ivig_days,
        encounter.course_start_date,
        prescriber_name(prescriber or encounter.owner),
    )
    return {**course, **_window_and_baseline(encounter)}


def _window_and_baseline(course):
    """The review window and baseline of `course` (the encounter for the first course, or a
    further `Course`: both hold the start date and baseline under the same names)."""
    window = ivig_review.review_window(course.course_start_date)
    baseline = None
    if course.baseline_scale:
        baseline = {
            "scale": course.baseline_scale,
            "score": course.baseline_score,
            "text": baseline_words(course.baseline_scale, course.baseline_score),
        }
    return {
        "review_due_from": window.due_from.isoformat(),
        "review_due_until": window.due_until.isoformat(),
        "decide_before": window.decide_before.isoformat(),
        "baseline": baseline,
    }


def next_course_order(assessment, encounter, next_course, prescriber):
    """The order of a further course (`next_course`: the review form's cleaned course
    fields), on the dose basis recorded with the decision, prescribed by `prescriber`."""
    return order_lines(
        assessment,
        encounter.dose_basis,
        next_course["ivig_g_per_kg"],
        next_course["ivig_days"],
        next_course["course_start_date"],
        prescriber,
    )


def next_course_preview(assessment, encounter, form, prescriber):
    """The order block of the next course as the review form stands (posted or not):
    {"order": the order or None, "message": what is missing when there is none}, as
    `order_preview` gives it on the decision form."""
    if form is None or not form.is_bound:
        return {"order": None, "message": REVIEW_ORDER_MESSAGES["empty"]}
    if form.data.get("plan") != Review.Plan.REPEAT_COURSE:
        return {"order": None, "message": REVIEW_ORDER_MESSAGES["plan"]}
    if any(field in form.errors for field in ("ivig_g_per_kg", "ivig_days", "course_start_date")):
        return {"order": None, "message": ORDER_MESSAGES["errors"]}
    next_course = getattr(form, "next_course", None)
    if next_course is None:
        return {"order": None, "message": REVIEW_ORDER_MESSAGES["empty"]}
    return {
        "order": next_course_order(assessment, encounter, next_course, prescriber),
        "message": "",
    }


def further_course_lines(course):
    """A further course (a `Course`) as the summary, print, PDF and FHIR read it: its order
    as stored when the review took it, its number, window, baseline and (so far) no review."""
    return {
        **course.order,
        **_window_and_baseline(course),
        "number": course.number,
        "ordered_on": course.ordered_by.review_date.isoformat(),
        "reviews": [],
    }


def courses_shown(snapshot):
    """Every course of a snapshot in order, each {"number", "course", "reviews", "several"
    (whether there is more than one)}: the first
    (recorded with the decision; none without a course), then the further ones."""
    if not snapshot or not snapshot.get("course"):
        return []
    further = snapshot.get("courses", [])
    several = bool(further)
    return [
        {
            "number": 1,
            "course": snapshot["course"],
            "reviews": snapshot.get("reviews", []),
            "several": several,
        },
        *(
            {
                "number": course["number"],
                "course": course,
                "reviews": course["reviews"],
                "several": several,
            }
            for course in further
        ),
    ]


def review_lines(encounter, review, course=None, next_course=None):
    """One review of a course (`course`: the encounter for the first, else a `Course`) as
    the summary, print and PDF show it, with the further course it took (`next_course`, a
    `Course`) when its plan repeats the course. The pitfalls it makes high priority are
    quoted from the encounter's snapshot: the statements as they were shown when the first
    course was prescribed."""
    course = course or encounter
    start = course.course_start_date
    change = None
    if course.baseline_scale and review.score is not None:
        change = score_change_words(
            ivig_review.score_change(course.baseline_scale, course.baseline_score, review.score)
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
    timing = ivig_review.review_window(start).timing(review.review_date)
    return {
        "date": review.review_date.isoformat(),
        "day": ivig_review.day_of_course(start, review.review_date),
        "timing": timing,
        "timing_words": REVIEW_TIMING_NAMES[timing],
        "score_change": change,
        "adverse_events": adverse,
        "response": review.get_response_display(),
        "plan": PLAN_NAMES[review.plan],
        "next_course": next_course_words(review.plan, next_course),
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


def panel_statements(assessment, revision):
    """What already applies, for the panel beside a step's form: the text with the same
    markers as on the summary, and no evidence (its citations and reasons are on the
    summary). The statements are those of `revision` (the published one), read once per
    revision (guidance/content/rendered.py)."""
    outcome = assessment.outcome
    if not outcome.codes:
        return []
    statements = revision_content(revision)["statements"]
    return [
        {**statements[code], "priority": priority_reasons(code, outcome.priority)}
        for code in outcome.codes
        if statements[code]["kind"] != "evidence"
    ]
