"""Tests of the dose arithmetic (guidance/dosing.py) against DESIGN.md §4, "Doses" and
"Dosing weight and vials".

Expected figures are worked out by hand in the comments, so a reader can check them.
"""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from guidance.engine.dosing import (
    body_mass_index,
    daily_split,
    ivig_course,
    ivig_dose,
    ivig_doses,
    prednisone_dose,
)


def devine_and_adjusted(weight_kg, height_cm, sex):
    """The design's formulas restated: IBW rounded to 0.1, adjusted from the rounded IBW."""
    base = {"male": Decimal(50), "female": Decimal("45.5")}[sex]
    inches = Decimal(str(height_cm)) / Decimal("2.54")
    ideal = (base + Decimal("2.3") * (inches - 60)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    adjusted = ideal + Decimal("0.4") * (Decimal(str(weight_kg)) - ideal)
    return float(ideal), float(adjusted.quantize(Decimal("0.1"), ROUND_HALF_UP))


# IVIG on actual weight (the seed's figures)


@pytest.mark.parametrize(
    ("weight", "total_g", "daily_g"),
    [
        (30, (30.0, 60.0), (6.0, 30.0)),
        (66.7, (66.7, 133.4), (13.3, 66.7)),  # 66.7 / 5 = 13.34
        (100, (100.0, 200.0), (20.0, 100.0)),
        (250, (250.0, 500.0), (50.0, 250.0)),
    ],
)
def test_ivig_is_1_to_2_g_per_kg_over_2_to_5_days_at_boundary_weights(weight, total_g, daily_g):
    dose = ivig_dose(weight)
    assert dose["total_g"] == total_g
    assert dose["days"] == (2, 5)
    assert dose["daily_g"] == daily_g


def test_ivig_without_height_or_sex_doses_on_actual_weight():
    dose = ivig_dose(66.7)
    assert dose["ideal_weight_kg"] is None
    assert dose["adjusted_weight_kg"] is None
    assert dose["dosing_weight_kg"] == 66.7
    assert dose["dosing_weight_basis"] == "actual"
    assert dose["dosing_weight_reason"] == "height_or_sex_missing"
    assert dose["adjusted_total_g"] == dose["total_g"]
    assert dose["adjusted_daily_g"] == dose["daily_g"]
    assert dose["vials_total_g"] == (65, 130)  # 66.7 -> 65 g; 135 g would exceed 133.4 g


# Prednisone


@pytest.mark.parametrize(
    ("weight", "mg", "capped"),
    [
        (30, 45.0, False),
        (66.6, 99.9, False),
        (66.7, 100.0, True),  # 1.5 x 66.7 = 100.05 mg, over the 100 mg maximum
        (100, 100.0, True),
        (250, 100.0, True),
    ],
)
def test_prednisone_is_1_5_mg_per_kg_up_to_100_mg(weight, mg, capped):
    dose = prednisone_dose(weight)
    assert (dose["mg"], dose["capped"]) == (mg, capped)


def test_prednisone_accepts_a_weight_given_as_text():
    assert prednisone_dose("40") == {"mg": 60.0, "by_weight_mg": 60.0, "capped": False}


@pytest.mark.parametrize(("weight", "by_weight"), [(66.7, 100.1), (70, 105.0), (250, 375.0)])
def test_prednisone_keeps_the_dose_by_weight_before_the_cap_for_the_arithmetic(weight, by_weight):
    assert prednisone_dose(weight)["by_weight_mg"] == by_weight


# Dosing weight


def test_the_worked_example_male_175_cm_100_kg_doses_on_82_3_kg():
    dose = ivig_dose(100, height_cm=175, sex="male")
    # 175 cm = 68.90 in; 50 + 2.3 x 8.90 = 70.46 -> 70.5; 70.5 + 0.4 x 29.5 = 82.3
    assert dose["ideal_weight_kg"] == 70.5
    assert dose["adjusted_weight_kg"] == 82.3
    assert dose["dosing_weight_kg"] == 82.3
    assert dose["dosing_weight_basis"] == "adjusted"
    assert dose["dosing_weight_reason"] == "adjusted"
    assert dose["adjusted_total_g"] == (82.3, 164.6)
    assert dose["adjusted_daily_g"] == (16.5, 82.3)  # 82.3 / 5 = 16.46
    # 164.6 g to the nearest 5 g is 165 g, over 2.0 g/kg of 82.3 kg: the step below
    assert dose["vials_total_g"] == (80, 160)
    assert dose["total_g"] == (100.0, 200.0)


def test_a_woman_answered_not_pregnant_doses_on_adjusted_weight():
    dose = ivig_dose(90, height_cm=165, sex="female", pregnant="no")
    # 165 cm = 64.96 in; 45.5 + 2.3 x 4.96 = 56.91 -> 56.9; 56.9 + 0.4 x 33.1 = 70.14 -> 70.1
    assert dose["ideal_weight_kg"] == 56.9
    assert dose["dosing_weight_kg"] == 70.1
    assert dose["dosing_weight_basis"] == "adjusted"
    assert dose["adjusted_total_g"] == (70.1, 140.2)
    assert dose["vials_total_g"] == (70, 140)


def test_a_man_needs_no_pregnancy_answer_for_the_adjusted_weight():
    assert ivig_dose(100, height_cm=175, sex="male", pregnant=None)["dosing_weight_basis"] == (
        "adjusted"
    )


def test_height_151_9_cm_doses_on_actual_weight():
    dose = ivig_dose(100, height_cm=151.9, sex="male")
    assert dose["dosing_weight_basis"] == "actual"
    assert dose["dosing_weight_reason"] == "under_152_cm"
    assert dose["dosing_weight_kg"] == 100.0
    assert dose["adjusted_total_g"] == (100.0, 200.0)
    assert dose["vials_total_g"] == (100, 200)
    assert dose["adjusted_weight_kg"] is not None


def test_height_152_cm_doses_on_adjusted_weight():
    dose = ivig_dose(100, height_cm=152, sex="male")
    # 152 cm = 59.84 in, just under 60: 50 + 2.3 x -0.16 = 49.64 -> 49.6
    # 49.6 + 0.4 x 50.4 = 69.76 -> 69.8
    assert dose["ideal_weight_kg"] == 49.6
    assert dose["dosing_weight_basis"] == "adjusted"
    assert dose["dosing_weight_kg"] == 69.8
    assert dose["adjusted_total_g"] == (69.8, 139.6)
    assert dose["vials_total_g"] == (70, 135)  # 140 g would exceed 139.6 g


def test_actual_weight_equal_to_adjusted_weight_doses_on_actual_weight():
    dose = ivig_dose(70.5, height_cm=175, sex="male")
    assert dose["adjusted_weight_kg"] == 70.5
    assert dose["dosing_weight_basis"] == "actual"
    assert dose["dosing_weight_reason"] == "actual_not_above_adjusted"


def test_actual_weight_just_above_adjusted_weight_doses_on_adjusted_weight():
    dose = ivig_dose(70.7, height_cm=175, sex="male")
    # 70.5 + 0.4 x 0.2 = 70.58 -> 70.6, below 70.7
    assert dose["dosing_weight_basis"] == "adjusted"
    assert dose["dosing_weight_kg"] == 70.6


def test_pregnancy_doses_on_actual_weight():
    dose = ivig_dose(90, height_cm=165, sex="female", pregnant="yes")
    assert dose["dosing_weight_basis"] == "actual"
    assert dose["dosing_weight_reason"] == "pregnant"
    assert dose["dosing_weight_kg"] == 90.0
    assert dose["adjusted_weight_kg"] == 70.1


def test_a_woman_not_asked_about_pregnancy_doses_on_actual_weight():
    dose = ivig_dose(90, height_cm=165, sex="female")
    assert dose["dosing_weight_basis"] == "actual"
    assert dose["dosing_weight_reason"] == "pregnancy_not_answered"
    assert dose["vials_total_g"] == (90, 180)


@pytest.mark.parametrize(
    ("height_cm", "sex"), [(None, "male"), (175, None), (None, None), (175, "")]
)
def test_missing_height_or_sex_doses_on_actual_weight(height_cm, sex):
    dose = ivig_dose(100, height_cm=height_cm, sex=sex, pregnant="no")
    assert dose["ideal_weight_kg"] is None
    assert dose["adjusted_weight_kg"] is None
    assert dose["dosing_weight_basis"] == "actual"
    assert dose["dosing_weight_reason"] == "height_or_sex_missing"
    assert dose["dosing_weight_kg"] == 100.0


def test_30_kg_is_below_the_adjusted_weight_and_doses_on_actual_weight():
    dose = ivig_dose(30, height_cm=175, sex="male")
    # 70.5 + 0.4 x (30 - 70.5) = 54.3
    assert dose["adjusted_weight_kg"] == 54.3
    assert dose["dosing_weight_reason"] == "actual_not_above_adjusted"
    assert dose["adjusted_total_g"] == (30.0, 60.0)
    assert dose["vials_total_g"] == (30, 60)


def test_250_kg_doses_on_adjusted_weight():
    dose = ivig_dose(250, height_cm=175, sex="male")
    # 70.5 + 0.4 x 179.5 = 142.3
    assert dose["dosing_weight_kg"] == 142.3
    assert dose["adjusted_total_g"] == (142.3, 284.6)
    assert dose["adjusted_daily_g"] == (28.5, 142.3)  # 142.3 / 5 = 28.46
    assert dose["vials_total_g"] == (140, 280)  # 285 g would exceed 284.6 g
    assert dose["total_g"] == (250.0, 500.0)


def test_the_printed_arithmetic_reproduces_across_heights_weights_and_sexes():
    wrong = []
    for sex in ("female", "male"):
        for height_cm in range(152, 231, 3):
            for weight_kg in range(30, 251, 7):
                dose = ivig_dose(weight_kg, height_cm=height_cm, sex=sex, pregnant="no")
                ideal, adjusted = devine_and_adjusted(weight_kg, height_cm, sex)
                on_adjusted = weight_kg > adjusted
                dosing = adjusted if on_adjusted else float(weight_kg)
                low, high = dose["vials_total_g"]
                if (
                    (dose["ideal_weight_kg"], dose["adjusted_weight_kg"]) != (ideal, adjusted)
                    or dose["dosing_weight_basis"] != ("adjusted" if on_adjusted else "actual")
                    or dose["dosing_weight_kg"] != dosing
                    or dose["adjusted_total_g"] != (dosing, round(2 * dosing, 1))
                    or low % 5
                    or high % 5
                    or abs(low - dosing) > 2.5
                    or not 0 <= 2 * dosing - high < 5
                ):
                    wrong.append((sex, height_cm, weight_kg, dose))
    assert wrong == []


# Rounding half up


def test_a_dose_on_a_half_tenth_rounds_up():
    dose = ivig_dose(30.25)
    assert dose["total_g"] == (30.3, 60.5)
    assert dose["daily_g"] == (6.1, 30.3)  # 30.25 / 5 = 6.05


@pytest.mark.parametrize(("weight", "mg"), [(30.3, 45.5), (33.3, 50.0), (34.3, 51.5)])
def test_a_prednisone_dose_on_a_half_tenth_rounds_up_despite_binary_floats(weight, mg):
    # 1.5 x 33.3 = 49.95 mg exactly, but 49.949999... in binary floating point
    assert prednisone_dose(weight) == {"mg": mg, "by_weight_mg": mg, "capped": False}


def test_a_total_half_way_between_vial_steps_rounds_up():
    dose = ivig_dose(100.5, height_cm=175, sex="male")
    # 70.5 + 0.4 x 30 = 82.5 g; halfway between 80 and 85
    assert dose["adjusted_total_g"] == (82.5, 165.0)
    assert dose["vials_total_g"] == (85, 165)  # 165 g is exactly 2.0 g/kg: allowed


def test_doses_are_floats_and_vials_whole_grams():
    dose = ivig_dose(100, height_cm=175, sex="male")
    figures = [
        *dose["total_g"],
        *dose["daily_g"],
        *dose["adjusted_total_g"],
        *dose["adjusted_daily_g"],
        dose["ideal_weight_kg"],
        dose["adjusted_weight_kg"],
        dose["dosing_weight_kg"],
    ]
    assert all(type(figure) is float for figure in figures)
    assert all(type(grams) is int for grams in dose["vials_total_g"])
    assert type(prednisone_dose(30)["mg"]) is float


# The IVIG course prescribed (DESIGN.md §4 "The IVIG course prescribed")


def test_the_course_for_70_kg_at_2_g_per_kg_over_5_days_is_28_g_a_day():
    assert ivig_course(2.0, 5, 70) == {
        "g_per_kg": 2.0,
        "days": 5,
        "dosing_weight_kg": 70.0,
        "total_g": 140.0,
        "nearest_g": 140,
        "rounded_total_g": 140,
        "capped": False,
        "real_g_per_kg": 2.0,
        "daily_doses_g": (30, 30, 30, 25, 25),
    }


def test_the_designs_course_steps_165_g_down_to_160_g_and_splits_it_in_5_g_days():
    course = ivig_course("2.0", 5, "82.3")
    # 164.6 g -> 165 g would be 2.005 g/kg, over the guideline's 2.0: the step below
    assert (course["total_g"], course["nearest_g"], course["rounded_total_g"]) == (164.6, 165, 160)
    assert course["capped"] is True
    assert course["real_g_per_kg"] == 1.94  # 160 / 82.3 = 1.944
    assert course["daily_doses_g"] == (35, 35, 30, 30, 30)


@pytest.mark.parametrize(
    ("g_per_kg", "days", "weight", "total_g", "rounded_total_g", "daily"),
    [
        (1.0, 2, 30, 30.0, 30, (15, 15)),
        (1.5, 3, 66.7, 100.1, 100, (35, 35, 30)),  # 1.5 x 66.7 = 100.05 -> 100.1 (half up)
        (1.3, 4, 51.5, 67.0, 65, (20, 15, 15, 15)),  # 66.95 -> 67.0; 67.0 -> 65 g
        (1.1, 2, 77.5, 85.3, 85, (45, 40)),  # 85.25 -> 85.3 (half up, not 85.2 via a float)
        (1.0, 5, 62.5, 62.5, 65, (15, 15, 15, 10, 10)),  # 62.5 g is half way: up to 65 g
        (2.0, 2, 250, 500.0, 500, (250, 250)),
        (2.0, 5, 31.3, 62.6, 60, (15, 15, 10, 10, 10)),  # 65 g would be 2.08 g/kg
    ],
)
def test_the_course_total_rounds_half_up_then_to_5_g_and_the_days_follow_it(
    g_per_kg, days, weight, total_g, rounded_total_g, daily
):
    course = ivig_course(g_per_kg, days, weight)
    assert course["total_g"] == total_g
    assert course["rounded_total_g"] == rounded_total_g
    assert course["daily_doses_g"] == daily


def _half_up(numerator, denominator):
    """numerator / denominator rounded half up, in whole numbers (both positive)."""
    return (2 * numerator + denominator) // (2 * denominator)


def test_every_course_stays_within_2_g_per_kg_in_whole_5_g_days():
    """Every weight 30-250 kg in 0.1 kg steps, every dose 1.0-2.0 g/kg, 2-5 days, against
    the rule restated in whole tenths: the total rounded half up to 0.1 g, then to the
    nearest 5 g, then the 5 g step below when that exceeds 2.0 g/kg of the weight."""
    wrong = []
    for weight_tenths in range(300, 2501):
        weight = f"{weight_tenths // 10}.{weight_tenths % 10}"
        for dose_tenths in range(10, 21):
            total_tenths = _half_up(weight_tenths * dose_tenths, 10)  # g x 10
            nearest = 5 * _half_up(total_tenths, 50)
            # 2.0 g/kg x weight in g is weight_tenths / 5: compared in tenths of a gram
            expected = nearest - 5 if nearest * 10 > 2 * weight_tenths else nearest
            for days in range(2, 6):
                course = ivig_course(f"{dose_tenths / 10:.1f}", days, weight)
                daily = course["daily_doses_g"]
                grams = course["rounded_total_g"]
                if (
                    grams != expected
                    or grams * 10 > 2 * weight_tenths  # never above 2.0 g/kg
                    or grams % 5
                    or len(daily) != days
                    or sum(daily) != grams
                    or any(day % 5 or day < 5 for day in daily)
                    or list(daily) != sorted(daily, reverse=True)
                    or daily[0] - daily[-1] > 5
                    or course["real_g_per_kg"] > 2.0
                ):
                    wrong.append((weight, dose_tenths, days, course))
    assert wrong == []


@pytest.mark.parametrize(
    ("total", "days", "daily"),
    [(160, 5, (35, 35, 30, 30, 30)), (140, 5, (30, 30, 30, 25, 25)), (25, 5, (5,) * 5)],
)
def test_the_days_split_the_vials_in_5_g_steps_larger_days_first(total, days, daily):
    assert daily_split(total, days) == daily


@pytest.mark.parametrize(("total", "days"), [(162, 5), (20, 5), (10, 0)])
def test_a_split_that_cannot_be_whole_5_g_days_is_refused(total, days):
    with pytest.raises(ValueError):
        daily_split(total, days)


def test_the_vial_totals_of_the_dose_box_never_exceed_2_g_per_kg():
    # 82.3 kg: 164.6 g to the nearest 5 g would be 165 g, over 2.0 g/kg
    assert ivig_dose(100, height_cm=175, sex="male")["vials_total_g"] == (80, 160)
    wrong = []
    for weight_tenths in range(300, 2501):
        weight = weight_tenths / 10
        dose = ivig_dose(weight, height_cm=170, sex="female", pregnant="no")
        low, high = dose["vials_total_g"]
        dosing = Decimal(str(dose["dosing_weight_kg"]))
        if high > 2 * dosing or high % 5 or low % 5 or 2 * dosing - high >= 5:
            wrong.append((weight, dose["vials_total_g"]))
    assert wrong == []


# Body-mass index and the answers the dosing weight needs


@pytest.mark.parametrize(
    ("weight", "height", "bmi"),
    [(100, 175, 32.7), (70, 175, 22.9), (250, 120, 173.6), (30, 230, 5.7), (70, None, None)],
)
def test_the_body_mass_index_is_weight_over_height_squared_to_0_1(weight, height, bmi):
    # 100 / 1.75^2 = 32.65 -> 32.7; 70 / 3.0625 = 22.86; 250 / 1.44 = 173.61; 30 / 5.29 = 5.67
    assert body_mass_index(weight, height) == bmi
    if height:
        assert ivig_dose(weight, height_cm=height, sex="male")["bmi"] == bmi


@pytest.mark.parametrize(
    ("height", "sex", "needs"),
    [
        (None, None, ("height_cm", "sex")),
        (None, "male", ("height_cm",)),
        (175, None, ("sex",)),
        ("", "", ("height_cm", "sex")),
    ],
)
def test_no_ivig_figure_without_height_and_sex(height, sex, needs):
    assert ivig_doses(250, height_cm=height, sex=sex) == {"ivig_needs": needs}


def test_with_height_and_sex_the_ivig_figures_are_given():
    assert ivig_doses(100, height_cm=175, sex="male") == {
        "ivig": ivig_dose(100, height_cm=175, sex="male")
    }


@pytest.mark.parametrize(
    ("g_per_kg", "days", "weight", "message"),
    [
        (2.5, 5, 70, "g_per_kg: must be between 1.0 and 2.0 g/kg"),
        (0.9, 5, 70, "g_per_kg: must be between 1.0 and 2.0 g/kg"),
        (1.25, 5, 70, "g_per_kg: must have at most one decimal"),
        ("two", 5, 70, "g_per_kg: must be a number"),
        (True, 5, 70, "g_per_kg: must be a number"),
        (2.0, 1, 70, "days: must be between 2 and 5"),
        (2.0, 6, 70, "days: must be between 2 and 5"),
        (2.0, 2.5, 70, "days: must be a whole number"),
        (2.0, 5, "nan", "dosing_weight_kg: must be a number"),
        (2.0, 5, 0, "dosing_weight_kg: must be above 0"),
    ],
)
def test_a_course_outside_the_guidelines_range_is_refused_with_a_message(
    g_per_kg, days, weight, message
):
    with pytest.raises(ValueError) as caught:
        ivig_course(g_per_kg, days, weight)
    assert str(caught.value) == message
