"""Dose arithmetic of the LEMS IVIG pathway: IVIG (with its dosing weight and vial totals),
the IVIG course a clinician prescribes, and alternate-day prednisone.

Plain functions over numbers, no Django. The figures come from DESIGN.md §4 ("Doses" and
"Dosing weight and vials"): IVIG 1-2 g/kg over 2-5 days, prednisone 1.5 mg/kg on alternate
days to at most 100 mg, and the local dosing-weight rule (Devine ideal body weight,
adjusted body weight, Australian exclusions, Ontario's rounding to the nearest 5 g, never
above the guideline's 2.0 g/kg, body-mass index) and "The IVIG course prescribed" (the total
in 5 g vials split into whole 5 g days). No IVIG figure without height and sex:
`ivig_doses` says which is missing instead.

Arithmetic runs in Decimal on the decimal text of each input, so a dose that lands exactly
on a half (1.5 x 33.3 kg = 49.95 mg) rounds up, not down through a binary float's
49.949999... Results are rounded half up to 0.1 and returned as floats; vials are grams.
"""

from decimal import ROUND_HALF_UP, Decimal

IVIG_DAYS = (2, 5)
PREDNISONE_MG_PER_KG = Decimal("1.5")
PREDNISONE_MAX_MG = Decimal(100)

CM_PER_INCH = Decimal("2.54")
DEVINE_BASE_KG = {"male": Decimal(50), "female": Decimal("45.5")}
DEVINE_BASE_INCHES = Decimal(60)
DEVINE_KG_PER_INCH = Decimal("2.3")
ADJUSTMENT_FRACTION = Decimal("0.4")
# BloodSTAR doses on actual weight below this height (references.md, citation 7).
ADJUSTED_WEIGHT_MIN_HEIGHT_CM = Decimal(152)
VIAL_STEP_G = Decimal(5)

TENTH = Decimal("0.1")
# The course a clinician prescribes: the guideline's 1-2 g/kg over 2-5 days.
COURSE_G_PER_KG_RANGE = (Decimal("1.0"), Decimal("2.0"))
COURSE_DAYS_RANGE = (2, 5)
# The guideline's maximum: no total in vials may exceed it (DESIGN §4).
MAX_G_PER_KG = Decimal("2.0")
# What the dosing weight needs before any IVIG figure is shown (citation 7).
IVIG_NEEDS = ("height_cm", "sex")


def ivig_doses(weight_kg, height_cm=None, sex=None, pregnant=None) -> dict:
    """The IVIG entry of the pathway's doses: `{"ivig": ivig_dose(...)}` once height and sex
    are known, else `{"ivig_needs": (the missing fields, in IVIG_NEEDS' order)}` and no
    figure at all (Australia's criteria make height mandatory: a 250 kg patient without a
    height would otherwise get 500 g)."""
    given = {"height_cm": height_cm, "sex": sex}
    missing = tuple(field for field in IVIG_NEEDS if given[field] in (None, ""))
    if missing:
        return {"ivig_needs": missing}
    return {"ivig": ivig_dose(weight_kg, height_cm=height_cm, sex=sex, pregnant=pregnant)}


def body_mass_index(weight_kg, height_cm):
    """Weight / (height in m)^2, rounded half up to 0.1; None without a height."""
    if height_cm in (None, ""):
        return None
    metres = _decimal(height_cm) / 100
    return _float(_decimal(weight_kg) / (metres * metres))


def ivig_dose(weight_kg, height_cm=None, sex=None, pregnant=None) -> dict:
    """IVIG totals on actual weight, plus the dosing weight and its totals and vials.

    `height_cm`, `sex` (`female`/`male`) and `pregnant` (`yes`/`no`) are optional; without
    them the dosing weight is the actual weight.
    """
    actual = _decimal(weight_kg)
    ideal = _ideal_body_weight(height_cm, sex)
    adjusted = None if ideal is None else _tenth(ideal + ADJUSTMENT_FRACTION * (actual - ideal))
    reason = _dosing_weight_reason(actual, adjusted, height_cm, sex, pregnant)
    dosing_weight = adjusted if reason == "adjusted" else actual
    low_total, high_total = _tenth(dosing_weight), _tenth(2 * dosing_weight)
    max_total = MAX_G_PER_KG * dosing_weight
    return {
        "total_g": (_float(actual), _float(2 * actual)),
        "days": IVIG_DAYS,
        "daily_g": (_float(actual / 5), _float(actual)),
        "ideal_weight_kg": None if ideal is None else float(ideal),
        "adjusted_weight_kg": None if adjusted is None else float(adjusted),
        "dosing_weight_kg": _float(dosing_weight),
        "dosing_weight_basis": "adjusted" if reason == "adjusted" else "actual",
        "dosing_weight_reason": reason,
        "adjusted_total_g": (float(low_total), float(high_total)),
        "adjusted_daily_g": (_float(dosing_weight / 5), _float(dosing_weight)),
        "vials_total_g": (
            vial_total(low_total, max_total)["grams"],
            vial_total(high_total, max_total)["grams"],
        ),
        "bmi": body_mass_index(actual, height_cm),
    }


def ivig_course(g_per_kg, days, dosing_weight_kg) -> dict:
    """The IVIG course prescribed: g/kg (1.0-2.0, one decimal) over `days` (2-5).

    Returns {"g_per_kg", "days", "dosing_weight_kg", "total_g" (g/kg x weight, rounded half
    up to 0.1), "nearest_g" (that total to the nearest 5 g), "rounded_total_g" (the total in
    5 g vials: the nearest 5 g, or the 5 g step below when the nearest would exceed 2.0 g/kg
    of the dosing weight; an int), "capped" (it was stepped down), "real_g_per_kg" (what
    the vials are per kg, to 0.01), "daily_doses_g" (the vials split into whole 5 g days,
    as equal as possible, larger days first)}: 2.0 g/kg x 82.3 kg = 164.6 g; 165 g would be
    2.005 g/kg, so 160 g (1.94 g/kg), over 5 days 35, 35, 30, 30, 30 g.
    A value outside its range raises ValueError naming the argument.
    """
    dose = _course_number("g_per_kg", g_per_kg)
    low, high = COURSE_G_PER_KG_RANGE
    if not low <= dose <= high:
        raise ValueError(f"g_per_kg: must be between {low} and {high} g/kg")
    if dose != dose.quantize(TENTH):
        raise ValueError("g_per_kg: must have at most one decimal")
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValueError("days: must be a whole number")
    if not COURSE_DAYS_RANGE[0] <= days <= COURSE_DAYS_RANGE[1]:
        raise ValueError(f"days: must be between {COURSE_DAYS_RANGE[0]} and {COURSE_DAYS_RANGE[1]}")
    weight = _course_number("dosing_weight_kg", dosing_weight_kg)
    if weight <= 0:
        raise ValueError("dosing_weight_kg: must be above 0")
    total = _tenth(dose * weight)
    vials = vial_total(total, MAX_G_PER_KG * weight)
    real = (Decimal(vials["grams"]) / weight).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {
        "g_per_kg": float(dose),
        "days": days,
        "dosing_weight_kg": float(weight),
        "total_g": float(total),
        "nearest_g": vials["nearest"],
        "rounded_total_g": vials["grams"],
        "capped": vials["capped"],
        "real_g_per_kg": float(real),
        "daily_doses_g": daily_split(vials["grams"], days),
    }


def vial_total(grams, max_grams) -> dict:
    """`grams` to the nearest 5 g (half up), or the 5 g step below when that would exceed
    `max_grams` (2.0 g/kg of the dosing weight): {"grams", "nearest", "capped"}."""
    nearest = _nearest_vial_step(_decimal(grams))
    rounded = nearest
    while rounded > _decimal(max_grams) and rounded > VIAL_STEP_G:
        rounded -= int(VIAL_STEP_G)
    return {"grams": rounded, "nearest": nearest, "capped": rounded != nearest}


def daily_split(total_g: int, days: int) -> tuple[int, ...]:
    """A total in whole 5 g steps over `days` days: as equal as possible, larger days
    first, summing to the total (160 g over 5 days: 35, 35, 30, 30, 30)."""
    steps, step = divmod(int(total_g), int(VIAL_STEP_G))
    if step or days < 1 or steps < days:
        raise ValueError("total_g: must be a multiple of 5 g, at least 5 g a day")
    each, larger = divmod(steps, days)
    return tuple(
        (each + 1) * int(VIAL_STEP_G) if day < larger else each * int(VIAL_STEP_G)
        for day in range(days)
    )


def prednisone_dose(weight_kg) -> dict:
    """Prednisone in mg on alternate days: 1.5 mg/kg, at most 100 mg."""
    by_weight = PREDNISONE_MG_PER_KG * _decimal(weight_kg)
    return {
        "mg": _float(min(by_weight, PREDNISONE_MAX_MG)),
        "by_weight_mg": _float(by_weight),
        "capped": by_weight > PREDNISONE_MAX_MG,
    }


def _ideal_body_weight(height_cm, sex):
    if height_cm is None or sex not in DEVINE_BASE_KG:
        return None
    inches = _decimal(height_cm) / CM_PER_INCH
    # Rounded here, before the adjusted weight, so the summary's printed arithmetic
    # (IBW + 0.4 x (actual - IBW)) reproduces its result exactly.
    return _tenth(DEVINE_BASE_KG[sex] + DEVINE_KG_PER_INCH * (inches - DEVINE_BASE_INCHES))


def _dosing_weight_reason(actual, adjusted, height_cm, sex, pregnant) -> str:
    if adjusted is None:
        return "height_or_sex_missing"
    if _decimal(height_cm) < ADJUSTED_WEIGHT_MIN_HEIGHT_CM:
        return "under_152_cm"
    if pregnant == "yes":
        return "pregnant"
    # A woman's pregnancy is an exclusion, so "not asked" cannot stand in for "no".
    if sex == "female" and pregnant != "no":
        return "pregnancy_not_answered"
    if actual <= adjusted:
        return "actual_not_above_adjusted"
    return "adjusted"


def _course_number(name: str, number) -> Decimal:
    if isinstance(number, bool) or not isinstance(number, (int, float, Decimal, str)):
        raise ValueError(f"{name}: must be a number")
    try:
        amount = _decimal(number)
    except ArithmeticError:  # decimal.InvalidOperation
        raise ValueError(f"{name}: must be a number") from None
    if not amount.is_finite():
        raise ValueError(f"{name}: must be a number")
    return amount


def _decimal(number) -> Decimal:
    return Decimal(str(number))


def _tenth(amount: Decimal) -> Decimal:
    return amount.quantize(TENTH, rounding=ROUND_HALF_UP)


def _float(amount: Decimal) -> float:
    return float(_tenth(amount))


def _nearest_vial_step(grams: Decimal) -> int:
    steps = (grams / VIAL_STEP_G).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(steps * VIAL_STEP_G)
