"""Tests of the DELTA-P score and the screening dates (guidance/tumour_risk.py) against
DESIGN.md §4 "Tumour risk".

The score is checked over every combination of the items, smoking, sex, tumour status and
diagnosis, unanswered included, against the design's table restated here row by row.
"""

import datetime
import itertools

import pytest

from guidance.engine.pathway import AnswerError
from guidance.engine.tumour_risk import (
    ITEMS,
    SCHEDULE_WORDS,
    add_months,
    delta_p,
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

# DESIGN.md §4: score -> (SCLC % in Maddison 2020, n = 87; Titulaer 2011's figure, or
# "not reported"; the schedule after a negative screen).
TABLE = {
    0: (0, 0, "6m_once"),
    1: (18.8, 2.6, "6m_once"),
    2: (45.0, "not reported", "6m_2y"),
    3: (55.5, "not reported", "3m_then_6m_2y"),
    4: (85.7, 93.5, "3m_then_6m_2y"),
    5: (87.5, 96.6, "3m_then_6m_2y"),
    6: (100, 100, "3m_then_6m_2y"),
}

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
    """The design restated: None until it applies and is complete, else the table's row."""
    if answers["diagnosis_confirmed"] != "yes":
        return None
    if answers["tumour_status"] not in ("not_found", "not_screened"):
        return None
    woman = answers["sex"] == "female"
    needed = [item for item in ASKED_ITEMS if not (woman and item == "erectile_dysfunction")]
    if answers["smoking"] is None or any(answers[item] is None for item in needed):
        return None
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
    prospective, derivation, schedule = TABLE[len(items)]
    return {
        "score": len(items),
        "items": items,
        "sclc_percent": prospective,
        "derivation_sclc_percent": None if derivation == "not reported" else derivation,
        "schedule": schedule,
    }


def every_combination():
    for values in itertools.product(*VALUES.values()):
        yield dict(zip(VALUES, values, strict=True))


def test_every_combination_scores_as_the_design_table():
    wrong, scored = [], set()
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
        if (result["prospective_cohort_size"], result["derivation_cohorts"]) != (
            87,
            (("Dutch", 107), ("British", 112)),
        ):
            wrong.append((answers, "cohorts", result))
        scored.add(result["score"])
    assert wrong == []
    assert scored == set(range(7))


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
            datetime.date(2027, 9, 1),
            datetime.date(2028, 3, 1),
            datetime.date(2028, 9, 1),
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


def test_score_0_or_1_is_once_more_at_6_months():
    assert screening_dates("6m_once", "2026-11-30") == {
        "next": datetime.date(2027, 5, 30),
        "dates": (datetime.date(2027, 5, 30),),
    }


def test_the_31st_lands_on_the_last_day_of_a_shorter_month_without_drifting():
    dates = screening_dates("3m_then_6m_2y", "2026-08-31")["dates"]
    # Each date is counted from 31 August: 30 November, then 31 May (not 30 May).
    assert dates == (
        datetime.date(2026, 11, 30),
        datetime.date(2027, 5, 31),
        datetime.date(2027, 11, 30),
        datetime.date(2028, 5, 31),
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
        assert screen < dates[0] and dates[-1] <= datetime.date(2028, 8, 31)


@pytest.mark.parametrize("screen", ["2026-02-30", "1 Dec 2026", 20261201])
def test_a_bad_screen_date_is_refused_naming_the_field(screen):
    with pytest.raises(AnswerError) as caught:
        screening_dates("6m_2y", screen)
    assert caught.value.field == "last_negative_screen_date"


def test_an_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="^schedule: "):
        screening_dates("yearly", datetime.date(2026, 12, 1))
