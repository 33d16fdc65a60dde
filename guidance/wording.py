"""The clinic's words for what pages show: questions, answers, step titles, doses' reasons.

Labels and hints restate the guideline's own terms; where the guideline gives no
definition (e.g. grades of weakness), the hint says so rather than inventing one. Forms,
the summary, print and PDF all take their wording from here.
"""

from guidance import ivig_review

FIELD_LABELS = {
    "patient_reference": "Patient reference (optional)",
    "weight_kg": "Weight (kg)",
    "diagnosis_confirmed": "Is LEMS confirmed?",
    "height_cm": "Height (cm, optional)",
    "sex": "Sex (optional)",
    "pregnant": "Pregnant?",
    "tumour_status": "Tumour screening",
    "smoking": "Smoking",
    "dap_status": "3,4-diaminopyridine (3,4-DAP)",
    "weakness": "Weakness",
    "rapid_improvement_needed": "Is rapid short-term improvement needed?",
    "immunosuppression": "Immunosuppression",
    "plasma_exchange_available": "Is plasma exchange available for this patient?",
    "ivig_risk_factors": "IVIG risk factors (tick any that apply)",
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
        "thrombosis": ("Thrombosis risk", ""),
        "renal": ("Renal risk (risk of renal failure)", ""),
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
    if field == "ivig_risk_factors":
        names = [VALUE_LABELS[field][factor][0] for factor in value]
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


def priority_reasons(code, priority):
    """Why a warning is high priority for this patient, in the clinician's words."""
    if code not in priority:
        return []
    reasons = [VALUE_LABELS["ivig_risk_factors"][factor][0] for factor in priority[code]]
    if code == "pitfall-plex-equal":
        reasons.append("plasma exchange available")
    return reasons


def ivig_course_sentence(course, start_date):
    """The course prescribed as it prints, e.g. "IVIG 2.0 g/kg × 70 kg = 140 g, 140 g to the
    nearest 5 g, over 5 days: 28.0 g a day, from 2026-12-01" (`course` as
    `dosing.ivig_course` returns it)."""
    return (
        f"IVIG {course['g_per_kg']:.1f} g/kg × {format_number(course['dosing_weight_kg'])} kg"
        f" = {format_number(course['total_g'])} g, {course['rounded_total_g']} g to the nearest"
        f" 5 g, over {course['days']} days: {course['daily_g']:.1f} g a day,"
        f" from {start_date.isoformat()}"
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
