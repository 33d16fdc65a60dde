"""The clinic's words for what pages show: questions, answers, step titles, doses' reasons.

Labels and hints restate the guideline's own terms; where the guideline gives no
definition (e.g. grades of weakness), the hint says so rather than inventing one. Forms,
the summary, print and PDF all take their wording from here.
"""

import datetime

from guidance.engine import ivig_review
from guidance.engine.tumour_risk import NOT_REPORTED, SCHEDULE_WORDS, add_months

FIELD_LABELS = {
    "patient_reference": "Patient reference (optional)",
    "weight_kg": "Actual body weight (kg)",
    "diagnosis_confirmed": "Is LEMS confirmed?",
    "height_cm": "Height (cm, optional)",
    "sex": "Sex (optional)",
    "pregnant": "Pregnant?",
    "tumour_status": "Tumour screening",
    "smoking": "Smoking",
    "screen_included_pet": "Did the negative screen include FDG-PET?",
    # The DELTA-P items: "at onset" is the legend of their fieldset (TUMOUR_RISK_LEGEND).
    "onset_age_50_or_over": "Age 50 or over",
    "weight_loss_5_percent": "Weight loss of 5 % or more",
    "bulbar_involvement": "Bulbar involvement",
    "erectile_dysfunction": "Erectile dysfunction",
    "karnofsky_below_70": "Karnofsky performance status below 70",
    "last_negative_screen_date": "Date of the last negative screen (optional)",
    "dap_status": "3,4-diaminopyridine (3,4-DAP)",
    "weakness": "Weakness",
    "rapid_improvement_needed": "Is rapid short-term improvement needed?",
    "immunosuppression": "Immunosuppression",
    "plasma_exchange_available": "Is plasma exchange available for this patient?",
    "ivig_risk_factors": "IVIG risk factors (tick any that apply)",
}

# Height and sex as the IVIG step asks them when the patient step left them blank.
IVIG_STEP_LABELS = {"height_cm": "Height (cm)", "sex": "Sex"}
IVIG_STEP_HINT = (
    "Needed before any IVIG dose is shown: the dosing weight is worked out from them "
    "(Australia's national criteria make height mandatory)."
)

# The DELTA-P items the tumour step asks (yes/no, each optional), and what counts for each.
TUMOUR_RISK_ITEMS = (
    "onset_age_50_or_over",
    "weight_loss_5_percent",
    "bulbar_involvement",
    "erectile_dysfunction",
    "karnofsky_below_70",
)
TUMOUR_RISK_LEGEND = "DELTA-P score: at onset or within 3 months of it"
TUMOUR_RISK_INTRO = (
    "Each item scores one point; smoking at diagnosis (current smoker, above) is the sixth. "
    "The score predicts small-cell lung cancer and sets the screening schedule."
)
FIELD_HINTS = {
    "onset_age_50_or_over": "At onset or within 3 months of it.",
    "weight_loss_5_percent": "At onset or within 3 months of it.",
    "bulbar_involvement": "Dysarthria, dysphagia, chewing or neck weakness; at onset or "
    "within 3 months of it.",
    "erectile_dysfunction": "At onset or within 3 months of it.",
    "karnofsky_below_70": "Below 70: needs help with daily activities; at onset or within "
    "3 months of it.",
    "last_negative_screen_date": "CT of the thorax (and FDG-PET if it was negative): not "
    "in the future, at most 3 years ago. It turns the schedule into dates.",
}

# (label, hint) for each value of each choice field.
VALUE_LABELS = {
    "diagnosis_confirmed": {
        "yes": ("Yes, confirmed", "By VGCC antibodies and/or neurophysiology"),
        "no": ("No, not yet confirmed", "The pathway is for confirmed LEMS"),
    },
    "sex": {
        "female": ("Female", "Only used for the ideal-weight formula"),
        "male": ("Male", "Only used for the ideal-weight formula"),
    },
    "pregnant": {"yes": ("Yes", ""), "no": ("No", "")},
    "tumour_status": {
        "found": (
            "Tumour found",
            "Paraneoplastic LEMS (typically small cell lung cancer)",
        ),
        "not_found": ("Screened, no tumour found", "Non-paraneoplastic so far"),
        "not_screened": ("Not screened yet", "Cancer screening still to be done"),
    },
    "smoking": {
        "current": ("Current smoker", ""),
        "former": ("Former smoker", ""),
        "never": ("Never smoked", ""),
    },
    "screen_included_pet": {
        "yes": ("Yes, CT and FDG-PET", ""),
        "no": ("No, CT only", ""),
    },
    **{item: {"yes": ("Yes", ""), "no": ("No", "")} for item in TUMOUR_RISK_ITEMS},
    "dap_status": {
        "not_started": ("Not started", "3,4-DAP has not been tried yet"),
        "adequate": ("Adequate response", "Symptoms controlled by 3,4-DAP alone"),
        "inadequate": (
            "Inadequate response",
            "Taking 3,4-DAP, but weakness is not sufficiently controlled by it alone",
        ),
        "not_tolerated": ("Not tolerated or contraindicated", "3,4-DAP cannot be used"),
    },
    "weakness": {
        "mild": ("Mild", ""),
        "moderate": ("Moderate", ""),
        "severe": (
            "Severe",
            "The guideline does not define grades: your clinical judgment",
        ),
    },
    "rapid_improvement_needed": {
        "yes": ("Yes", "Rapid short-term improvement is needed"),
        "no": ("No", ""),
    },
    "immunosuppression": {
        "none": ("None", "Not started"),
        "starting": ("Starting", "Started, waiting for it to take effect"),
        "established": ("Established", "Already at therapeutic effect"),
    },
    "plasma_exchange_available": {
        "yes": ("Yes, available", ""),
        "no": ("No, not available", ""),
    },
    "ivig_risk_factors": {
        # The risk factors of the immune globulin products' boxed warning and labels
        # (DESIGN.md §4 "IVIG safety", citations 15-16).
        "thrombosis": (
            "Thrombosis risk",
            "Advanced age, prolonged immobilisation, hypercoagulable conditions (active "
            "cancer among them), earlier venous or arterial thrombosis, oestrogens, "
            "indwelling vascular catheters, hyperviscosity, cardiovascular risk factors",
        ),
        "renal": (
            "Renal risk (risk of renal failure)",
            "Any renal insufficiency, diabetes, age over 65, volume depletion, sepsis, "
            "paraproteinaemia, nephrotoxic drugs",
        ),
        "aseptic_meningitis": ("Aseptic meningitis risk", ""),
    },
}

# Short names of the answers, for the summary's answer list and each statement's "Why".
ANSWER_NAMES = {
    "diagnosis_confirmed": "LEMS confirmed",
    "sex": "Sex",
    "pregnant": "Pregnant",
    "tumour_status": "Tumour",
    "smoking": "Smoking",
    "screen_included_pet": "Negative screen included FDG-PET",
    "onset_age_50_or_over": "Age 50 or over at onset",
    "weight_loss_5_percent": "Weight loss of 5 % or more",
    "bulbar_involvement": "Bulbar involvement",
    "erectile_dysfunction": "Erectile dysfunction",
    "karnofsky_below_70": "Karnofsky below 70",
    "last_negative_screen_date": "Last negative screen",
    "dap_status": "3,4-DAP",
    "weakness": "Weakness",
    "rapid_improvement_needed": "Rapid improvement needed",
    "immunosuppression": "Immunosuppression",
    "plasma_exchange_available": "Plasma exchange available",
}

STEP_TITLES = {
    "patient": "Patient",
    "tumour": "Tumour screening",
    "symptomatic": "Symptomatic treatment",
    "severity": "Severity",
    "ivig": "IVIG",
}


def answer_label(field, value):
    """How an answer reads on the summary, e.g. ("Weight", "70 kg")."""
    if field == "weight_kg":
        return "Weight", f"{format_number(value)} kg"
    if field == "height_cm":
        return "Height", f"{format_number(value)} cm"
    if field == "last_negative_screen_date":
        return ANSWER_NAMES[field], str(value)
    if field == "ivig_risk_factors":
        # The answer is a list; a reason names one factor of it (ivig-risk-mitigation).
        factors = [value] if isinstance(value, str) else value
        names = [VALUE_LABELS[field][factor][0] for factor in factors]
        return "IVIG risk factors", ", ".join(names) or "None"
    return ANSWER_NAMES[field], VALUE_LABELS[field][value][0]


def format_number(value):
    """70.0 -> "70", 66.7 -> "66.7"."""
    return f"{value:g}" if isinstance(value, float) else str(value)


# What to do comes first: scope, then recommendations, then warnings, then the evidence.
GROUPS = (
    ("scope", "Before you go on"),
    ("recommendation", "Recommendations"),
    ("warning", "Pitfalls to avoid"),
    ("evidence", "The evidence behind them"),
)

DEVINE_BASE = {"male": "50 kg (male)", "female": "45.5 kg (female)"}

# The sources of the dosing-weight rule, named in full wherever it is applied (citations 7, 8).
AUSTRALIAN_CRITERIA = "Australia's national criteria (BloodSTAR, since July 2026)"
ONTARIO_CALCULATOR = "Ontario's IVIG dose calculator"

DOSING_WEIGHT_REASONS = {
    "adjusted": "height and sex known, 152 cm or taller, not pregnant, and heavier than the "
    f"adjusted weight: {AUSTRALIAN_CRITERIA} dose on the adjusted weight",
    "height_or_sex_missing": "height or sex not given, so no adjusted weight can be worked out",
    "under_152_cm": f"under 152 cm: {AUSTRALIAN_CRITERIA} use the actual weight",
    "pregnant": f"pregnant: {AUSTRALIAN_CRITERIA} use the actual weight",
    "pregnancy_not_answered": "pregnancy not answered: the actual weight is used until it is",
    "actual_not_above_adjusted": "the actual weight is not above the adjusted weight, "
    "so the actual weight is used",
}

# "For this patient": what to do, one line per treatment or action, in the order of DESIGN
# §4. Each line restates the statement it links to (its code), in fewer words; none adds
# advice. Tumour treatment leads when it applies: the guideline calls it the priority.
PLAN_TREATMENTS = (
    ("tumour", "Tumour"),
    ("dap", "3,4-DAP"),
    ("prednisone", "Prednisone"),
    ("steroid_sparing", "Steroid-sparing agent"),
    ("ivig", "IVIG"),
)
# The short-term line's label: IVIG and plasma exchange reconciled as `pitfall-plex-equal`
# words it, or IVIG where plasma exchange is not available.
PLAN_LABELS = {
    "ivig-or-plex": "IVIG or plasma exchange",
    "ivig-no-plex": "IVIG (plasma exchange not available here)",
}
PLAN_LINES = {
    # dap-first-line
    "dap-first-line": "the recommended first-line symptomatic treatment.",
    # dap-unavailable
    "dap-unavailable": "not tolerated or contraindicated; the guideline's advice assumes it "
    "was tried, so what follows needs specialist judgment.",
    # anti-tumour-priority, concurrent-treatment
    "anti-tumour-priority": "anti-tumour treatment is the priority; symptomatic and "
    "immunomodulating treatments go alongside it.",
    # screen-pet-now (citation 12)
    "screen-pet-now": "FDG-PET now: the negative screen was a CT only.",
    # not screened yet: screening-schedule (citation 12), pitfall-delay-screening
    "screen-now": "Screen now: CT of the thorax, then FDG-PET if negative.",
    # screening-schedule, with the date of the last negative screen
    "next-screen": "Next screen due {date}.",
    # prednisone
    "prednisone": "1.5 mg/kg on alternate days (maximum 100 mg).",
    # prednisone-established
    "prednisone-established": "immunosuppression is already established; the guideline gives "
    "only the starting regimen, shown for reference.",
    # steroid-sparing
    "steroid-sparing": "azathioprine or cyclosporine, added in non-paraneoplastic LEMS.",
    # ivig-reserved with the "When to use IVIG" bullets that apply (ivig-when-*)
    "ivig": "short-term improvement, here for {routes}.",
    # ivig-bridge-only: the caveat, above the doses
    "ivig-bridge-only": "bridge only: the guideline reserves IVIG for severe weakness",
    # pitfall-plex-equal, in the guideline's own words
    "pitfall-plex-equal": "both give short-term improvement; choose by availability and "
    "patient factors.",
    "risk-factors": "IVIG risk factors recorded: {factors}.",
}
# The "When to use IVIG" bullets, as the reasons in the IVIG line.
IVIG_ROUTES = {
    "ivig-when-refractory": "severe weakness not responding sufficiently to 3,4-DAP alone",
    "ivig-when-rapid": "rapid short-term improvement",
    "ivig-when-bridge": "a bridge while immunosuppression takes effect",
}

# What each marker means, one line each, on the summary, print and PDF.
LEGEND = (
    ("Local", "added by this product where the guideline is silent; not in the guideline."),
    ("Partly confirmed", "the cited sources confirmed only part of the statement."),
    ("Not confirmed", "the cited sources that were read did not confirm the statement."),
    (
        "High priority",
        "a warning that this patient's answers make pressing (the reasons follow it).",
    ),
    (
        "Not graded in the source",
        "the guideline gives no evidence grade for its statements, and none is added here.",
    ),
)

# No IVIG figure without height and sex (DESIGN §4 "Dosing weight and vials", citation 7).
IVIG_NEEDS_NAMES = {"height_cm": "height", "sex": "sex"}


def ivig_needs_line(needs):
    """Why no IVIG dose is shown yet, e.g. "No IVIG dose until the height and sex are
    given: ..." (`needs` as the engine's `doses["ivig_needs"]`)."""
    missing = " and ".join(IVIG_NEEDS_NAMES[field] for field in needs)
    return (
        f"No IVIG dose until the {missing} {'are' if len(needs) > 1 else 'is'} given: the "
        "dosing weight is worked out from height and sex (Australia's national criteria "
        "make height mandatory)."
    )


# Ontario's calculator asks for a dosing weight above a BMI of 30 (citation 8).
BMI_ABOVE_30 = "BMI above 30: Ontario's calculator requires a dosing weight"
# The order's basis, as it reads on the order (the labels on the decision form are the
# model's choices).
DOSE_BASIS_WORDS = {
    "actual": "actual body weight",
    "adjusted": "adjusted body weight (Australia's national criteria, BloodSTAR, since July 2026)",
}
# The guideline gives no infusion rate: the product's label does.
INFUSION_RATE = "infusion rate: as the product's label says"
# Beside the order's days when `ivig-risk-mitigation` applies (DESIGN §4 "IVIG safety"): the
# course defaults to its longest, and the warning's advice is pointed to, not restated.
MITIGATION_ORDER_LINE = (
    "{factors} recorded: the course is offered over 5 days, the longest, by default; see the "
    "high-priority warning on the minimum dose and infusion rate practicable and hydration "
    "before the infusion (the boxed warning of immune globulin products) [15]."
)
# The order block before it can show grams.
ORDER_MESSAGES = {
    "no_ivig": "No IVIG order: IVIG does not apply, or its dose needs the height and sex.",
    "empty": "Enter the dose in g/kg, the number of days and the start date: the order, day "
    "by day, shows here.",
    "decision": "An IVIG course is recorded with “Followed” or “Partly followed”: choose one "
    "to see the order.",
    "errors": "Correct the course above to see the order.",
    "dose_basis": "Choose the weight the IVIG dose is based on to see the order.",
}

# The statements that come first clinically, before the plan's details (DESIGN §4); then
# the high-priority pitfalls, in the pathway's order.
FIRST_CODES = (
    "screen-pet-now",  # first: FDG-PET is due now (DESIGN §4 "Tumour risk")
    "out-of-scope",
    "anti-tumour-priority",
    "smoker-screening",
    "pitfall-delay-screening",
)

# The prednisone dose with prednisone-established: the starting regimen, not an instruction.
PREDNISONE_FOR_REFERENCE = "starting regimen (for reference)"


def priority_reasons(code, priority):
    """Why a warning is high priority for this patient, in the clinician's words."""
    if code not in priority:
        return []
    reasons = [VALUE_LABELS["ivig_risk_factors"][factor][0] for factor in priority[code]]
    if code == "pitfall-plex-equal":
        reasons.append("plasma exchange available")
    return reasons


def ivig_course_sentence(course, start_date):
    """The course prescribed as it prints (DESIGN §4), e.g. "IVIG 2.0 g/kg × 82.3 kg =
    164.6 g, 160 g in 5 g vials (165 g would exceed 2.0 g/kg), over 5 days from 2026-12-01
    to 2026-12-05: 35, 35, 30, 30, 30 g" (`course` as `dosing.ivig_course` returns it)."""
    end_date = start_date + datetime.timedelta(days=course["days"] - 1)
    capped = f" ({course['nearest_g']} g would exceed 2.0 g/kg)" if course["capped"] else ""
    daily = ", ".join(str(grams) for grams in course["daily_doses_g"])
    return (
        f"IVIG {course['g_per_kg']:.1f} g/kg × {format_number(course['dosing_weight_kg'])} kg"
        f" = {format_number(course['total_g'])} g, {course['rounded_total_g']} g in 5 g vials"
        f"{capped}, over {course['days']} days from {start_date.isoformat()} to"
        f" {end_date.isoformat()}: {daily} g"
    )


def _scale_direction(scale):
    return "higher is better" if scale.higher_is_better else "lower is better"


def baseline_words(scale_code, score):
    """E.g. "QMG 18 (0-39; lower is better)"."""
    scale = ivig_review.SCALES[scale_code]
    return f"{scale.name} {score} ({scale.low}-{scale.high}; {_scale_direction(scale)})"


def score_change_words(change):
    """E.g. "QMG 18 → 12: 6 points better; lower is better" (an `ivig_review.ScoreChange`)."""
    scale = change.scale
    points = abs(change.points)
    if change.direction == "unchanged":
        how = "no change"
    else:
        how = f"{points} point{'s' if points != 1 else ''} {change.direction}"
    return f"{scale.name} {change.baseline} → {change.score}: {how}; {_scale_direction(scale)}"


# How a review's adverse events and plan read on the summary, print and PDF (the form's
# labels also say where to put the details).
ADVERSE_EVENT_NAMES = {
    "thrombosis": "Thrombosis",
    "renal": "Renal (kidney) problem",
    "aseptic_meningitis": "Aseptic meningitis",
    "infusion_reaction": "Infusion reaction",
    "other": "Other (see the note)",
}
PLAN_NAMES = {
    "repeat_course": "Repeat the IVIG course",
    "stop": "Stop IVIG",
    "plasma_exchange": "Plasma exchange",
    "escalate_immunosuppression": "Escalate immunosuppression",
    "other": "Other (see the note)",
}


# A course awaiting its review, on the worklist, the summary and the review page; and a
# recorded review's timing against its course's window (DESIGN §5 "The IVIG course review").
# The order block of the next course on the review form (DESIGN §5), when there is no order.
REVIEW_ORDER_MESSAGES = {
    "plan": "A further IVIG course is recorded with the plan “Repeat the IVIG course”: "
    "choose it to enter the next course and see its order.",
    "empty": "Enter the next course's dose in g/kg, number of days and start date: its "
    "order, day by day, shows here. Without them the review records no further course.",
}
NO_FURTHER_COURSE = "No further course recorded"


def next_course_words(plan, next_course):
    """What a review says of the course after it: with the plan "repeat the course", the
    further course it took (a `Course`, e.g. "Course 2, from 2026-12-10"), or that none was
    recorded; nothing with another plan."""
    if plan != "repeat_course":
        return ""
    if next_course is None:
        return NO_FURTHER_COURSE
    return f"Course {next_course.number}, from {next_course.course_start_date.isoformat()}"


REVIEW_STATE_NAMES = {
    "upcoming": "Upcoming",
    "due": "Due",
    "overdue": "Overdue",
    "late": "Late: benefit declining",
}
REVIEW_TIMING_NAMES = {
    "early": "Early: before day 14, the review is still due from day 14",
    "in_window": "",
    "overdue": "Overdue: after day 28",
    "late": "Late: benefit declining, after day 56",
}

# The DELTA-P items as the local statement `delta-p` names them, in the score's order.
DELTA_P_ITEM_NAMES = {
    "onset_age_50_or_over": "age 50 or over",
    "weight_loss_5_percent": "weight loss of 5 % or more",
    "smoking_at_diagnosis": "smoking at diagnosis",
    "bulbar_involvement": "bulbar involvement",
    "erectile_dysfunction": "erectile dysfunction",
    "karnofsky_below_70": "Karnofsky performance status below 70",
}
TUMOUR_RISK_HEADING = "Tumour risk (DELTA-P) and screening"
SCREEN_NOW = "Screen now (CT of the thorax, then FDG-PET if it is negative)"
NEW_SYMPTOMS = "New or persisting symptoms call for a new screen at any time."


PET_NOW = (
    "FDG-PET now: the negative screen was a CT only; the screening schedule counts from the "
    "screen that includes FDG-PET"
)
AUTHORS_STOP_SUGGESTION = (
    "The score's authors suggested that scores 0-1 may stop after one more negative screen "
    "at 6 months: their suggestion, not this schedule. The prospective cohort found "
    "small-cell lung cancer in 18.8 % of patients with score 1, and the EFNS task force "
    "screens LEMS for 2 years."
)


def _percent_range(low_high):
    low, high = low_high
    if low == high:
        return f"{format_number(low)} %"
    return f"{format_number(low)}-{format_number(high)} % (given for scores 0 and 1 together)"


def tumour_risk_lines(risk):
    """The DELTA-P result in words, as plain JSON-ready data for the panel, summary, print,
    PDF and the snapshot (dates as ISO text). `risk` is `tumour_risk.plan`'s result; an
    incomplete score reads as points so far, with the items not yet answered."""
    items = [DELTA_P_ITEM_NAMES[item] for item in risk["items"]]
    derivation = risk["derivation_sclc_percent"]
    cohorts = ", ".join(
        f"{cohort} {size} {nationality} patients"
        for cohort, nationality, size in risk["derivation_cohorts"]
    )
    if risk["complete"]:
        score = f"DELTA-P score {risk['score']} of 6"
        sclc = (
            f"Small-cell lung cancer in {format_number(risk['sclc_percent'])} % of the "
            f"prospective cohort with this score (Maddison 2020, "
            f"{risk['prospective_cohort_size']} patients)"
        )
        first_study = f"Titulaer 2011 ({cohorts}): " + (
            NOT_REPORTED if derivation is None else _percent_range(derivation)
        )
        schedule = f"After a negative screen: {SCHEDULE_WORDS[risk['schedule']]}."
    else:
        missing = ", ".join(DELTA_P_ITEM_NAMES[item] for item in risk["missing"])
        score = (
            f"DELTA-P incomplete: {risk['answered']} of 6 items answered (not answered: "
            f"{missing}); at least {risk['score']} "
            f"{'point' if risk['score'] == 1 else 'points'} so far"
        )
        sclc = "Small-cell lung cancer share: shown once every item is answered"
        first_study = f"Titulaer 2011 ({cohorts})"
        schedule = (
            f"After a negative screen, as for a high score until the score is complete: "
            f"{SCHEDULE_WORDS[risk['schedule']]}."
        )
    lines = {
        "heading": TUMOUR_RISK_HEADING,
        "score": score,
        "items": ", ".join(items) if items else "none of the six items",
        "sclc": sclc,
        "sclc_shown": risk["complete"],
        "derivation": first_study,
        "schedule": schedule,
        "authors_suggestion": AUTHORS_STOP_SUGGESTION if risk["authors_stop_suggestion"] else "",
        "screen_now": SCREEN_NOW + "; the schedule applies from that screen."
        if risk["screen_now"]
        else "",
        "pet_now": PET_NOW + "." if risk.get("pet_now") else "",
        "last_negative_screen": risk["last_negative_screen"] or "",
        "next": risk["next"].isoformat() if risk["next"] else "",
        "dates": [day.isoformat() for day in risk["dates"]],
        "new_symptoms": NEW_SYMPTOMS,
        "next_line": "",
        "dates_line": "",
    }
    if risk["next"]:
        lines["next_line"] = (
            f"Last negative screen {risk['last_negative_screen']}: "
            f"next screen due {risk['next'].isoformat()}."
        )
        lines["dates_line"] = "Screens due up to 2 years after it: {}.".format(
            ", ".join(lines["dates"])
        )
    return lines


# "For this patient" names the next screen when it is this close, or past.
SCREEN_DUE_WITHIN_MONTHS = 3


def screen_due_line(next_screen, today, *, pet_now=False):
    """The "For this patient" line on the next tumour screen: FDG-PET now after a CT-only
    screen; else the next screen when it is due within 3 months or overdue; else ""."""
    if pet_now:
        return PET_NOW + "."
    if next_screen is None:
        return ""
    if next_screen < today:
        return f"Tumour screen overdue: the next screen was due {next_screen.isoformat()}."
    if next_screen <= add_months(today, SCREEN_DUE_WITHIN_MONTHS):
        return f"Next tumour screen due {next_screen.isoformat()} (within 3 months)."
    return ""
