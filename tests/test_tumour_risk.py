"""Tests of the DELTA-P score and the screening dates (guidance/tumour_risk.py) against
DESIGN.md §4 "Tumour risk".

The score is checked over every combination of the items, smoking, sex, tumour status and
diagnosis, unanswered included (an incomplete score is shown as points so far, scheduled as
high risk), against the design's table restated here row by row; the plan over every
combination of the status, the FDG-PET answer and a screen date.
"""

import datetime
import itertools

import pytest

from guidance.engine.pathway import AnswerError, validate
from guidance.engine.tumour_risk import (
    ITEMS,
    SCHEDULE_WORDS,
    add_months,
    delta_p,
    plan,
    schedule_for,
    screening_dates,
)

ASKED_ITEMS = (
    "onset_age_50_or_over",
    "weight_loss_5_percent",
    "bulbar_involvement",
    "erectile_dysfunction",
    "karnofsky_below_70",
)

# DESIGN.md §4: score -> (SCLC % in Maddison 2020, n = 87; Titulaer 2011's figure as a
# (low, high) range, or "not reported"; the schedule after a negative screen).
TABLE = {
    0: (0, (0, 2.6), "6m_2y"),
    1: (18.8, (0, 2.6), "6m_2y"),
    2: (45.0, "not reported", "6m_2y"),
    3: (55.5, "not reported", "3m_then_6m_2y"),
    4: (85.7, (93.5, 93.5), "3m_then_6m_2y"),
    5: (87.5, (96.6, 96.6), "3m_then_6m_2y"),
    6: (100, (100, 100), "3m_then_6m_2y"),
}
COHORTS = (("derivation cohort", "Dutch", 107), ("validation cohort", "British", 112))

VALUES = {
    "diagnosis_confirmed": (None, "yes", "no"),
    "tumour_status": (None, "found", "not_found", "not_screened"),
    "smoking": (None, "current", "former", "never"),
    "sex": (None, "female", "male"),
    **dict.fromkeys(ASKED_ITEMS, (None, "yes", "no")),
}

SMOKER_OF_62 = {
    "diagnosis_confirmed": "yes",
    "sex": "male",
    "tumour_status": "not_found",
    "smoking": "current",
    "onset_age_50_or_over": "yes",
    "weight_loss_5_percent": "yes",
    "bulbar_involvement": "no",
    "erectile_dysfunction": "no",
    "karnofsky_below_70": "no",
}


def expected_score(answers):
    """The design restated: None when it does not apply; an incomplete score as points so
    far, with what is missing and the high-risk schedule; a complete one as the table's row."""
    if answers["diagnosis_confirmed"] != "yes":
        return None
    if answers["tumour_status"] not in ("not_found", "not_screened"):
        return None
    woman = answers["sex"] == "female"
    needed = [item for item in ASKED_ITEMS if not (woman and item == "erectile_dysfunction")]
    missing = [item for item in needed if answers[item] is None]
    if answers["smoking"] is None:
        missing.append("smoking_at_diagnosis")
    points = {item: answers[item] == "yes" for item in needed}
    points["smoking_at_diagnosis"] = answers["smoking"] == "current"
    order = [
        "onset_age_50_or_over",
        "weight_loss_5_percent",
        "smoking_at_diagnosis",
        "bulbar_involvement",
        "erectile_dysfunction",
        "karnofsky_below_70",
    ]
    items = tuple(item for item in order if points.get(item))
    if missing:
        return {
            "complete": False,
            "score": len(items),
            "items": items,
            "missing": tuple(item for item in order if item in missing),
            "answered": 6 - len(missing),
            "sclc_percent": None,
            "derivation_sclc_percent": None,
            "schedule": "3m_then_6m_2y",
            "authors_stop_suggestion": False,
        }
    prospective, derivation, schedule = TABLE[len(items)]
    return {
        "complete": True,
        "score": len(items),
        "items": items,
        "missing": (),
        "answered": 6,
        "sclc_percent": prospective,
        "derivation_sclc_percent": None if derivation == "not reported" else derivation,
        "schedule": schedule,
        "authors_stop_suggestion": len(items) <= 1,
    }


def every_combination():
    for values in itertools.product(*VALUES.values()):
        yield dict(zip(VALUES, values, strict=True))


def test_every_combination_scores_as_the_design_table_incomplete_ones_included():
    wrong, scored, incomplete = [], set(), set()
    for answers in every_combination():
        result = delta_p(answers)
        expected = expected_score(answers)
        if expected is None or result is None:
            if result != expected:
                wrong.append((answers, result, expected))
            continue
        shown = {key: result[key] for key in expected}
        if shown != expected:
            wrong.append((answers, result, expected))
        if (result["prospective_cohort_size"], result["derivation_cohorts"]) != (87, COHORTS):
            wrong.append((answers, "cohorts", result))
        (scored if result["complete"] else incomplete).add(result["score"])
    assert wrong == []
    assert scored == set(range(7))
    assert incomplete == set(range(6))  # an incomplete score has at most 5 points


def test_the_worked_example_scores_3_with_55_5_percent_and_the_3_month_schedule():
    result = delta_p(SMOKER_OF_62)
    assert result["score"] == 3
    assert result["items"] == (
        "onset_age_50_or_over",
        "weight_loss_5_percent",
        "smoking_at_diagnosis",
    )
    assert result["sclc_percent"] == 55.5
    assert result["derivation_sclc_percent"] is None  # not reported for a score of 3
    assert result["schedule"] == "3m_then_6m_2y"


def test_a_former_smoker_scores_no_smoking_point():
    assert delta_p({**SMOKER_OF_62, "smoking": "former"})["score"] == 2


def test_a_womans_stale_erectile_dysfunction_answer_scores_nothing():
    woman = {**SMOKER_OF_62, "sex": "female", "erectile_dysfunction": "yes"}
    assert "erectile_dysfunction" not in delta_p(woman)["items"]
    assert delta_p({**SMOKER_OF_62, "erectile_dysfunction": "yes"})["score"] == 4


def test_the_items_are_in_the_designs_order_with_smoking_after_weight_loss():
    all_present = {**SMOKER_OF_62, **dict.fromkeys(ASKED_ITEMS, "yes")}
    assert delta_p(all_present)["items"] == ITEMS
    assert ITEMS.index("smoking_at_diagnosis") == ITEMS.index("weight_loss_5_percent") + 1


def test_a_found_tumour_or_an_unconfirmed_diagnosis_has_no_score():
    assert delta_p({**SMOKER_OF_62, "tumour_status": "found"}) is None
    assert delta_p({**SMOKER_OF_62, "diagnosis_confirmed": "no"}) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("bulbar_involvement", "maybe"), ("smoking", "sometimes"), ("karnofsky_below_70", 65)],
)
def test_a_bad_value_is_refused_naming_the_field(field, value):
    with pytest.raises(AnswerError) as caught:
        delta_p({**SMOKER_OF_62, field: value})
    assert caught.value.field == field


def test_every_schedule_has_its_words():
    assert {schedule_for(score) for score in range(7)} == set(SCHEDULE_WORDS)


# The dates


def test_the_worked_example_is_due_at_3_months_then_every_6_months_to_2_years():
    dates = screening_dates("3m_then_6m_2y", datetime.date(2026, 12, 1))
    assert dates == {
        "next": datetime.date(2027, 3, 1),
        "dates": (
            datetime.date(2027, 3, 1),
            datetime.date(2027, 6, 1),
            datetime.date(2027, 12, 1),
            datetime.date(2028, 6, 1),
            datetime.date(2028, 12, 1),
        ),
    }


def test_score_2_is_every_6_months_up_to_2_years_after_the_screen():
    dates = screening_dates("6m_2y", "2026-06-15")
    assert dates["dates"] == (
        datetime.date(2026, 12, 15),
        datetime.date(2027, 6, 15),
        datetime.date(2027, 12, 15),
        datetime.date(2028, 6, 15),
    )


@pytest.mark.parametrize("score", [0, 1, 2])
def test_scores_0_to_2_are_screened_for_2_years_and_0_1_carry_the_authors_suggestion(score):
    result = delta_p({**SMOKER_OF_62, **SCORE_OF[score]})
    assert result["score"] == score
    assert result["schedule"] == "6m_2y"
    dates = screening_dates(result["schedule"], "2026-11-30")["dates"]
    assert dates[-1] == datetime.date(2028, 11, 30)  # 2 years, whatever the score
    assert result["authors_stop_suggestion"] is (score <= 1)


SCORE_OF = {
    0: {"smoking": "never", "onset_age_50_or_over": "no", "weight_loss_5_percent": "no"},
    1: {"smoking": "never", "onset_age_50_or_over": "yes", "weight_loss_5_percent": "no"},
    2: {"smoking": "former"},
}


def test_an_incomplete_score_is_shown_as_points_so_far_and_scheduled_as_high_risk():
    partial = {**SMOKER_OF_62, "smoking": "never", "weight_loss_5_percent": None}
    partial["bulbar_involvement"] = partial["karnofsky_below_70"] = None
    result = delta_p(partial)
    assert result["complete"] is False
    assert result["score"] == 1  # age 50 or over
    assert result["answered"] == 3
    assert result["missing"] == (
        "weight_loss_5_percent",
        "bulbar_involvement",
        "karnofsky_below_70",
    )
    assert result["sclc_percent"] is None
    assert result["schedule"] == "3m_then_6m_2y"
    assert result["authors_stop_suggestion"] is False


def test_an_unanswered_smoking_question_leaves_the_score_incomplete():
    result = delta_p({**SMOKER_OF_62, "smoking": None})
    assert result["complete"] is False
    assert result["missing"] == ("smoking_at_diagnosis",)


# The plan: when the schedule starts, and from which screen

PLAN_VALUES = {
    "tumour_status": ("found", "not_found", "not_screened"),
    "screen_included_pet": (None, "yes", "no"),
    "last_negative_screen_date": (None, "2026-09-01"),
}


def test_the_plan_over_every_status_pet_answer_and_screen_date():
    wrong = []
    for values in itertools.product(*PLAN_VALUES.values()):
        answers = {**SMOKER_OF_62, **dict(zip(PLAN_VALUES, values, strict=True))}
        result = plan(validate(answers))
        status, pet, screened_on = values
        if status == "found":
            if result is not None:
                wrong.append((values, result))
            continue
        pet_now = status == "not_found" and pet == "no"
        dated = status == "not_found" and not pet_now and screened_on is not None
        expected = {
            "screen_now": status == "not_screened",
            "pet_now": pet_now,
            "last_negative_screen": screened_on if dated else None,
            "next": datetime.date(2026, 12, 1) if dated else None,  # score 3: 3 months
        }
        if {key: result[key] for key in expected} != expected:
            wrong.append((values, result))
    assert wrong == []


def test_after_a_ct_only_screen_no_next_screen_is_dated_from_it():
    result = plan(
        {
            **SMOKER_OF_62,
            **dict.fromkeys(ASKED_ITEMS, "yes"),
            "screen_included_pet": "no",
            "last_negative_screen_date": "2026-11-01",
        }
    )
    assert result["pet_now"] is True
    assert result["next"] is None and result["dates"] == ()


def test_the_31st_lands_on_the_last_day_of_a_shorter_month_without_drifting():
    dates = screening_dates("3m_then_6m_2y", "2026-08-31")["dates"]
    # Each date is counted from 31 August: 30 November, then 28 February, then 31 August
    # (not 28 August).
    assert dates == (
        datetime.date(2026, 11, 30),
        datetime.date(2027, 2, 28),
        datetime.date(2027, 8, 31),
        datetime.date(2028, 2, 29),
        datetime.date(2028, 8, 31),
    )


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 8, 31), 6, datetime.date(2027, 2, 28)),
        (datetime.date(2027, 8, 31), 6, datetime.date(2028, 2, 29)),  # leap year
        (datetime.date(2028, 2, 29), 12, datetime.date(2029, 2, 28)),
        (datetime.date(2026, 10, 31), 3, datetime.date(2027, 1, 31)),  # across the year
        (datetime.date(2026, 1, 15), 24, datetime.date(2028, 1, 15)),
    ],
)
def test_adding_months(day, months, expected):
    assert add_months(day, months) == expected


def test_every_date_is_after_the_screen_and_at_most_2_years_on():
    screen = datetime.date(2026, 8, 31)
    for schedule in SCHEDULE_WORDS:
        dates = screening_dates(schedule, screen)["dates"]
        assert list(dates) == sorted(dates)
        assert screen < dates[0] and dates[-1] == datetime.date(2028, 8, 31)


@pytest.mark.parametrize("screen", ["2026-02-30", "1 Dec 2026", 20261201])
def test_a_bad_screen_date_is_refused_naming_the_field(screen):
    with pytest.raises(AnswerError) as caught:
        screening_dates("6m_2y", screen)
    assert caught.value.field == "last_negative_screen_date"


def test_an_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="^schedule: "):
        screening_dates("yearly", datetime.date(2026, 12, 1))
