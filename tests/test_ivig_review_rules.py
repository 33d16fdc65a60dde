"""The IVIG course review's pure rules (guidance/ivig_review.py) and their wording: the
review window, the scales and the score change in words."""

from datetime import date, timedelta

import pytest

from guidance.encounters.wording import baseline_words, score_change_words
from guidance.engine import ivig_review

START = date(2026, 12, 1)


def on_day(day):
    return START + timedelta(days=day)


def test_the_window_is_day_14_to_28_and_the_decision_before_day_56():
    window = ivig_review.review_window(START)
    assert window.due_from == date(2026, 12, 15)
    assert window.due_until == date(2026, 12, 29)
    assert window.decide_before == date(2027, 1, 26)


@pytest.mark.parametrize(
    ("day", "state"),
    [
        (-3, "upcoming"),
        (0, "upcoming"),
        (13, "upcoming"),
        (14, "due"),
        (20, "due"),
        (28, "due"),
        (29, "overdue"),
        (56, "overdue"),
        (57, "late"),
        (400, "late"),
    ],
)
def test_a_review_is_upcoming_then_due_then_overdue_then_late(day, state):
    assert ivig_review.review_window(START).state(on_day(day)) == state


@pytest.mark.parametrize(
    ("day", "timing"),
    [
        (0, "early"),
        (10, "early"),
        (13, "early"),
        (14, "in_window"),
        (28, "in_window"),
        (29, "overdue"),
        (56, "overdue"),
        (57, "late"),
        (60, "late"),
    ],
)
def test_a_review_is_early_in_the_window_overdue_or_late_by_its_day(day, timing):
    assert ivig_review.review_window(START).timing(on_day(day)) == timing


@pytest.mark.parametrize(
    ("latest_review_day", "stopped", "awaits"),
    [
        (None, False, True),
        (0, False, True),
        (10, False, True),
        (13, False, True),
        (14, False, False),
        (60, False, False),
        (10, True, False),
        (0, True, False),
    ],
)
def test_only_a_review_from_day_14_or_one_that_stops_ivig_settles_the_course(
    latest_review_day, stopped, awaits
):
    latest = None if latest_review_day is None else on_day(latest_review_day)
    assert ivig_review.awaits_review(START, latest, stopped) is awaits


def test_due_or_overdue_means_started_at_least_14_days_ago():
    today = date(2027, 3, 1)
    latest = ivig_review.due_on_or_before(today)
    window = ivig_review.review_window(latest)
    assert window.state(today) == "due"
    assert ivig_review.review_window(latest + timedelta(days=1)).state(today) == "upcoming"


def test_the_day_of_the_course_counts_from_its_start():
    assert ivig_review.day_of_course(START, START) == 0
    assert ivig_review.day_of_course(START, date(2027, 1, 1)) == 31


@pytest.mark.parametrize(
    ("scale", "baseline", "score", "words"),
    [
        ("qmg", 18, 12, "QMG 18 → 12: 6 points better; lower is better"),
        ("qmg", 12, 18, "QMG 12 → 18: 6 points worse; lower is better"),
        ("qmg", 12, 13, "QMG 12 → 13: 1 point worse; lower is better"),
        ("qmg", 12, 12, "QMG 12 → 12: no change; lower is better"),
        ("mrc_sum", 40, 46, "MRC sum 40 → 46: 6 points better; higher is better"),
        ("mrc_sum", 46, 40, "MRC sum 46 → 40: 6 points worse; higher is better"),
        ("mrc_sum", 0, 60, "MRC sum 0 → 60: 60 points better; higher is better"),
    ],
)
def test_the_score_change_reads_with_its_direction(scale, baseline, score, words):
    assert score_change_words(ivig_review.score_change(scale, baseline, score)) == words


@pytest.mark.parametrize(
    ("scale", "score", "message"),
    [
        ("qmg", 40, "A QMG score is between 0 and 39."),
        ("qmg", -1, "A QMG score is between 0 and 39."),
        ("mrc_sum", 61, "A MRC sum score is between 0 and 60."),
        ("qmg", 1.5, "A QMG score is a whole number from 0 to 39."),
        ("qmg", True, "A QMG score is a whole number from 0 to 39."),
        ("qmg", "12", "A QMG score is a whole number from 0 to 39."),
    ],
)
def test_a_score_off_its_scale_is_refused(scale, score, message):
    with pytest.raises(ValueError, match=message):
        ivig_review.check_score(scale, score)


def test_the_ends_of_each_scale_are_scores():
    for code, scale in ivig_review.SCALES.items():
        assert ivig_review.check_score(code, scale.low) == scale.low
        assert ivig_review.check_score(code, scale.high) == scale.high


def test_a_baseline_reads_with_its_range_and_direction():
    assert baseline_words("qmg", 18) == "QMG 18 (0-39; lower is better)"
    assert baseline_words("mrc_sum", 40) == "MRC sum 40 (0-60; higher is better)"
