"""The pathway's questions and the answers it accepts: the steps, their fields and values,
and `validate`, which checks and normalises a set of answers (DESIGN.md §4 "Steps and
answers", "Engine contract"). Plain Python; the rules that read the answers are in
`guidance.engine.pathway`, the DELTA-P score in `guidance.engine.tumour_risk`.
"""

import datetime
import math
import re
from collections.abc import Mapping
from decimal import Decimal

STEPS = ("patient", "tumour", "symptomatic", "severity", "ivig")

STEP_FIELDS = {
    "patient": (
        "patient_reference",
        "weight_kg",
        "diagnosis_confirmed",
        "height_cm",
        "sex",
        "pregnant",
    ),
    "tumour": (
        "tumour_status",
        "smoking",
        # Asked, and then required, only when tumour_status = not_found (pathway.py).
        "screen_included_pet",
        # The DELTA-P items (DESIGN.md §4 "Tumour risk"), scored in guidance/tumour_risk.py.
        "onset_age_50_or_over",
        "weight_loss_5_percent",
        "bulbar_involvement",
        "erectile_dysfunction",
        "karnofsky_below_70",
        "last_negative_screen_date",
    ),
    "symptomatic": ("dap_status",),
    "severity": ("weakness", "rapid_improvement_needed", "immunosuppression"),
    "ivig": ("plasma_exchange_available", "ivig_risk_factors"),
}

CHOICES = {
    "diagnosis_confirmed": ("yes", "no"),
    "sex": ("female", "male"),
    "pregnant": ("yes", "no"),
    "tumour_status": ("found", "not_found", "not_screened"),
    "smoking": ("current", "former", "never"),
    "screen_included_pet": ("yes", "no"),
    "onset_age_50_or_over": ("yes", "no"),
    "weight_loss_5_percent": ("yes", "no"),
    "bulbar_involvement": ("yes", "no"),
    "erectile_dysfunction": ("yes", "no"),
    "karnofsky_below_70": ("yes", "no"),
    "dap_status": ("not_started", "adequate", "inadequate", "not_tolerated"),
    "weakness": ("mild", "moderate", "severe"),
    "rapid_improvement_needed": ("yes", "no"),
    "immunosuppression": ("none", "starting", "established"),
    "plasma_exchange_available": ("yes", "no"),
    "ivig_risk_factors": ("thrombosis", "renal", "aseptic_meningitis"),
}

_OPTIONAL_FIELDS = (
    "patient_reference",
    "height_cm",
    "sex",
    "pregnant",
    "onset_age_50_or_over",
    "weight_loss_5_percent",
    "bulbar_involvement",
    "erectile_dysfunction",
    "karnofsky_below_70",
    "last_negative_screen_date",
    "ivig_risk_factors",
)
REQUIRED_FIELDS = {
    step: tuple(field for field in fields if field not in _OPTIONAL_FIELDS)
    for step, fields in STEP_FIELDS.items()
}

WEIGHT_RANGE_KG = (30, 250)
HEIGHT_RANGE_CM = (120, 230)
PATIENT_REFERENCE_MAX_LENGTH = 64

STEP_OF_FIELD = {field: step for step, fields in STEP_FIELDS.items() for field in fields}
FIELD_ORDER = {field: position for position, field in enumerate(STEP_OF_FIELD)}


class AnswerError(ValueError):
    """A bad answer. The message starts with the field; `problem` is the rest, for a form."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def validate(answers: Mapping) -> dict:
    """The answers checked and normalised; raises AnswerError (a ValueError) on a bad one.

    Every answer is checked, also in steps that do not apply, so a stale bad value cannot
    hide. Not answered (None or "") is left out; weight and height become floats, the
    risk factors a tuple in the order of CHOICES, and the screen date an ISO date string
    (a `datetime.date` is accepted too).
    """
    unknown = sorted(str(field) for field in answers if field not in STEP_OF_FIELD)
    if unknown:
        raise AnswerError(unknown[0], "unknown field")

    normalised = {}
    for field in STEP_OF_FIELD:
        value = answers.get(field)
        if value is None or value == "":
            continue
        if field == "weight_kg":
            normalised[field] = _number_in_range(field, value, WEIGHT_RANGE_KG, "kg")
        elif field == "height_cm":
            normalised[field] = _number_in_range(field, value, HEIGHT_RANGE_CM, "cm")
        elif field == "patient_reference":
            normalised[field] = _patient_reference(value)
        elif field == "ivig_risk_factors":
            normalised[field] = _risk_factors(value)
        elif field == "last_negative_screen_date":
            normalised[field] = _iso_date(field, value)
        else:
            normalised[field] = _choice(field, value)

    if normalised.get("pregnant") == "yes" and normalised.get("sex") == "male":
        raise AnswerError("pregnant", "cannot be yes when sex is male")
    return normalised


def _choice(field: str, value) -> str:
    allowed = CHOICES[field]
    if value not in allowed:
        raise AnswerError(field, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _number_in_range(field: str, value, bounds: tuple, unit: str) -> float:
    low, high = bounds
    # bool is an int to Python, but True kg is no weight.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise AnswerError(field, "must be a number")
    try:
        number = float(value)
    except ValueError:
        raise AnswerError(field, "must be a number") from None
    if not math.isfinite(number):
        raise AnswerError(field, "must be a number")
    if not low <= number <= high:
        raise AnswerError(field, f"must be between {low} and {high} {unit}")
    return number


def _iso_date(field: str, value) -> str:
    # Only the shape is the engine's: "not in the future" depends on today, the form's job.
    if isinstance(value, datetime.datetime):
        raise AnswerError(field, "must be a date, not a date and time")
    if isinstance(value, datetime.date):
        return value.isoformat()
    # fromisoformat alone would also take "20261201" and week dates such as "2026-W49-2".
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise AnswerError(field, "must be a date written YYYY-MM-DD")
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise AnswerError(field, "must be a date written YYYY-MM-DD") from None


def _patient_reference(value) -> str:
    if not isinstance(value, str):
        raise AnswerError("patient_reference", "must be text")
    if len(value) > PATIENT_REFERENCE_MAX_LENGTH:
        raise AnswerError(
            "patient_reference",
            f"must be at most {PATIENT_REFERENCE_MAX_LENGTH} characters",
        )
    return value


def _risk_factors(value) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        raise AnswerError("ivig_risk_factors", "must be a list")
    for factor in value:
        _choice("ivig_risk_factors", factor)
    return tuple(factor for factor in CHOICES["ivig_risk_factors"] if factor in value)
