"""The clinic's words for what pages show: questions, answers, step titles, doses' reasons.

Labels and hints restate the guideline's own terms; where the guideline gives no
definition (e.g. grades of weakness), the hint says so rather than inventing one. Forms,
the summary, print and PDF all take their wording from here.
"""

FIELD_LABELS = {
    "patient_reference": "Patient reference (optional)",
    "weight_kg": "Actual body weight (kg)",
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

# "For this patient": which treatments apply, one line each, in the order of DESIGN §4.
# Each line restates the statement it links to (its code), in fewer words; none adds advice.
# Tumour treatment leads when it applies: the guideline calls it the priority.
PLAN_TREATMENTS = (
    ("tumour", "Tumour treatment"),
    ("dap", "3,4-DAP"),
    ("prednisone", "Prednisone"),
    ("steroid_sparing", "Steroid-sparing agent"),
    ("ivig", "IVIG"),
    ("plasma_exchange", "Plasma exchange"),
)
PLAN_LINES = {
    # dap-first-line
    "dap-first-line": "the recommended first-line symptomatic treatment.",
    # dap-unavailable
    "dap-unavailable": "not tolerated or contraindicated; the guideline's advice assumes it "
    "was tried, so what follows needs specialist judgment.",
    # anti-tumour-priority, concurrent-treatment
    "anti-tumour-priority": "anti-tumour treatment is the priority; symptomatic and "
    "immunomodulating treatments go alongside it.",
    # prednisone
    "prednisone": "1.5 mg/kg on alternate days (maximum 100 mg).",
    # prednisone-established
    "prednisone-established": "immunosuppression is already established; the guideline gives "
    "only the starting regimen, shown for reference.",
    # steroid-sparing
    "steroid-sparing": "azathioprine or cyclosporine, added in non-paraneoplastic LEMS.",
    # ivig-reserved with the "When to use IVIG" bullets that apply (ivig-when-*)
    "ivig": "short-term improvement, here for {routes}.",
    # ivig-bridge-only
    "ivig-bridge-only": "only as a bridge while immunosuppression takes effect; the guideline "
    "reserves IVIG for severe weakness and does not say which prevails.",
    # pitfall-plex-equal
    "pitfall-plex-equal": "as effective as IVIG in the short term; choose by availability and "
    "patient factors.",
}
# The "When to use IVIG" bullets, as the reasons in the IVIG line.
IVIG_ROUTES = {
    "ivig-when-refractory": "severe weakness not responding sufficiently to 3,4-DAP alone",
    "ivig-when-rapid": "rapid short-term improvement",
    "ivig-when-bridge": "a bridge while immunosuppression takes effect",
}
PLASMA_EXCHANGE_AVAILABLE = "Available for this patient."

# The statements that come first clinically, before the plan's details (DESIGN §4); then
# the high-priority pitfalls, in the pathway's order.
FIRST_CODES = (
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
