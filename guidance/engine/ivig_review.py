"""The IVIG course review in plain Python: the objective scales, the review window and the
change in score (DESIGN §4 "The IVIG course prescribed", §5 "The IVIG course review").

No Django here. IVIG's benefit peaks at 2-4 weeks and is declining by 8 (citation 5, the
source's `ivig-duration`), so a course is due for review from day 14 to day 28 after its
start, overdue after day 28, and the decision on what next is due before day 56.

The window holds (DESIGN §5): a review before day 14 is recorded but marked early and
leaves the course awaiting its review; only a review on or after day 14, or one whose plan
is to stop IVIG, settles it. From day 29 a course (or a review) is overdue, from day 57
late: the benefit is declining.
"""

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Scale:
    code: str
    name: str
    low: int
    high: int
    higher_is_better: bool


# QMG: Quantitative Myasthenia Gravis score, higher is worse; MRC sum score, higher is better.
SCALES = {
    "qmg": Scale("qmg", "QMG", 0, 39, higher_is_better=False),
    "mrc_sum": Scale("mrc_sum", "MRC sum", 0, 60, higher_is_better=True),
}

DUE_FROM_DAY = 14
DUE_UNTIL_DAY = 28
DECIDE_BEFORE_DAY = 56

UPCOMING, DUE, OVERDUE, LATE = "upcoming", "due", "overdue", "late"
# A review's timing, against the window of its course.
EARLY, IN_WINDOW = "early", "in_window"
# The plan that ends the course's wait for a review whatever the day.
STOP_PLAN = "stop"


@dataclass(frozen=True)
class ReviewWindow:
    course_start: date
    due_from: date
    due_until: date
    decide_before: date

    def state(self, today: date) -> str:
        """`upcoming` before day 14, `due` from day 14 to day 28, `overdue` from day 29 to
        day 56, `late` from day 57 (past "decide before": benefit declining)."""
        if today < self.due_from:
            return UPCOMING
        if today <= self.due_until:
            return DUE
        if today <= self.decide_before:
            return OVERDUE
        return LATE

    def timing(self, review_date: date) -> str:
        """A review on `review_date`: `early` before day 14, `in_window` from day 14 to 28,
        `overdue` from day 29 to 56, `late` from day 57."""
        state = self.state(review_date)
        if state == UPCOMING:
            return EARLY
        if state == DUE:
            return IN_WINDOW
        return state


def review_window(course_start: date) -> ReviewWindow:
    """The dates the review of a course started on `course_start` falls due."""
    return ReviewWindow(
        course_start=course_start,
        due_from=course_start + timedelta(days=DUE_FROM_DAY),
        due_until=course_start + timedelta(days=DUE_UNTIL_DAY),
        decide_before=course_start + timedelta(days=DECIDE_BEFORE_DAY),
    )


def awaits_review(course_start: date, latest_review: date | None, stopped: bool) -> bool:
    """Whether a course started on `course_start` still awaits its review, given the date
    of its latest review (None without any) and whether any review stopped IVIG. A review
    on or after day 14 settles it, and one that stops IVIG does whatever its day; an early
    one is recorded but leaves the course awaiting. The latest review speaks for all: if it
    is early, so were the ones before it."""
    if stopped:
        return False
    return latest_review is None or latest_review < review_window(course_start).due_from


def due_on_or_before(today: date) -> date:
    """The latest course start whose review is due or overdue on `today` (for a query)."""
    return today - timedelta(days=DUE_FROM_DAY)


def day_of_course(course_start: date, on: date) -> int:
    """The day after the course start `on` falls: the start itself is day 0."""
    return (on - course_start).days


def check_score(scale_code: str, score) -> int:
    """`score` as an int on its scale; ValueError saying the range otherwise."""
    scale = SCALES[scale_code]
    if isinstance(score, bool) or not isinstance(score, int):
        raise ValueError(
            f"A {scale.name} score is a whole number from {scale.low} to {scale.high}."
        )
    if not scale.low <= score <= scale.high:
        raise ValueError(f"A {scale.name} score is between {scale.low} and {scale.high}.")
    return score


@dataclass(frozen=True)
class ScoreChange:
    scale: Scale
    baseline: int
    score: int

    @property
    def points(self) -> int:
        """How many points better (positive) or worse (negative), on the scale's direction."""
        difference = self.score - self.baseline
        return difference if self.scale.higher_is_better else -difference

    @property
    def direction(self) -> str:
        if self.points > 0:
            return "better"
        if self.points < 0:
            return "worse"
        return "unchanged"


def score_change(scale_code: str, baseline: int, score: int) -> ScoreChange:
    return ScoreChange(
        SCALES[scale_code], check_score(scale_code, baseline), check_score(scale_code, score)
    )
