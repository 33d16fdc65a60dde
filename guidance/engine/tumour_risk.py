"""Tumour risk in LEMS: the DELTA-P score and the screening schedule after a negative screen.

Pure Python, no Django. The figures are DESIGN.md §4 "Tumour risk" (local content,
citations 10-13 of the guideline's references): the Dutch-English LEMS Tumour Association
Prediction score gives one point for each of six items present at onset or within 3 months
of it; the share with small-cell lung cancer (SCLC) by score is that of the prospective
cohort (Maddison 2020), beside the first study's figure where its abstract gives one
(Titulaer 2011). The schedule is the EFNS task force's (citation 12: again after 3-6
months, then every 6 months, for 2 years in LEMS), its first repeat set by the score. A
score not yet complete never vanishes: it is shown as points so far, and its schedule is
that of a high score until every item is answered.
"""

import calendar
import datetime

from guidance.engine.answers import validate

# The items in the order the score is shown; "smoking_at_diagnosis" is `smoking = current`.
ITEMS = (
    "onset_age_50_or_over",
    "weight_loss_5_percent",
    "smoking_at_diagnosis",
    "bulbar_involvement",
    "erectile_dysfunction",
    "karnofsky_below_70",
)

# Maddison P et al., Sci Rep 2020 (citation 11): prospective cohort, SCLC % by score.
PROSPECTIVE_COHORT_SIZE = 87
SCLC_PERCENT = {0: 0.0, 1: 18.8, 2: 45.0, 3: 55.5, 4: 85.7, 5: 87.5, 6: 100.0}
# Titulaer MJ et al., J Clin Oncol 2011 (citation 10), as its abstract names the cohorts.
# Each figure is a (low, high) range in %: the abstract gives 0-2.6 % for scores 0 and 1
# together, and no figure for scores 2 and 3 (None: "not reported", never zero).
DERIVATION_COHORTS = (("derivation cohort", "Dutch", 107), ("validation cohort", "British", 112))
SCORES_0_1 = (0.0, 2.6)
DERIVATION_SCLC_PERCENT = {
    0: SCORES_0_1,
    1: SCORES_0_1,
    2: None,
    3: None,
    4: (93.5, 93.5),
    5: (96.6, 96.6),
    6: (100.0, 100.0),
}
NOT_REPORTED = "not reported"

SCHEDULE_3M_THEN_6M = "3m_then_6m_2y"
SCHEDULE_6M = "6m_2y"
# The schedule in the words of the local statement `screening-schedule`.
SCHEDULE_WORDS = {
    SCHEDULE_3M_THEN_6M: "screen again at 3 and 6 months, then every 6 months up to 2 years "
    "(3, 6, 12, 18 and 24 months after the screen)",
    SCHEDULE_6M: "screen again at 6 months, then every 6 months up to 2 years "
    "(6, 12, 18 and 24 months after the screen)",
}
# Months after the last negative screen: the dates "up to 2 years" after it, 24 included.
SCHEDULE_MONTHS = {
    SCHEDULE_3M_THEN_6M: (3, 6, 12, 18, 24),
    SCHEDULE_6M: (6, 12, 18, 24),
}
# The scores for which the score's authors suggested stopping after one more negative
# screen at 6 months (citation 13): shown as their suggestion only, never as the schedule.
AUTHORS_STOP_SCORES = (0, 1)


def delta_p(answers) -> dict | None:
    """The DELTA-P score of these pathway answers, or None when it does not apply.

    None when the diagnosis is not confirmed or the tumour status is unanswered or
    `found`. Otherwise, however many items are answered::

        {"complete": every item answered (erectile dysfunction is not asked, and counts
                     0, when sex is `female`),
         "score": points so far, 0-6,
         "items": names of the items present, in the order of ITEMS,
         "missing": names of the items not yet answered, same order,
         "answered": how many of the six items are answered,
         "sclc_percent": SCLC % at that score in the prospective cohort, None until complete,
         "prospective_cohort_size": 87,
         "derivation_sclc_percent": the first study's (low, high) %, None if not reported
                                    or not complete,
         "derivation_cohorts": ((cohort, nationality, size), ...) as the study names them,
         "schedule": "3m_then_6m_2y" (score 3 or more, or incomplete) | "6m_2y",
         "authors_stop_suggestion": True for a complete score of 0 or 1}

    Bad answers raise the engine's AnswerError (a ValueError naming the field).
    """
    return delta_p_of_valid(validate(answers))


def delta_p_of_valid(answers) -> dict | None:
    """`delta_p` of answers the engine has already validated (`validate`)."""
    if answers.get("diagnosis_confirmed") != "yes":
        return None
    if answers.get("tumour_status") not in ("not_found", "not_screened"):
        return None
    present, missing = {}, []
    for item in ITEMS:
        if item == "smoking_at_diagnosis":
            answer = answers.get("smoking")
            present[item] = answer == "current"
        elif item == "erectile_dysfunction" and answers.get("sex") == "female":
            answer = "no"  # not asked of a woman; a stale answer does not count
            present[item] = False
        else:
            answer = answers.get(item)
            present[item] = answer == "yes"
        if answer is None:
            missing.append(item)
    items = tuple(item for item in ITEMS if present[item])
    score = len(items)
    complete = not missing
    return {
        "complete": complete,
        "score": score,
        "items": items,
        "missing": tuple(missing),
        "answered": len(ITEMS) - len(missing),
        "sclc_percent": SCLC_PERCENT[score] if complete else None,
        "prospective_cohort_size": PROSPECTIVE_COHORT_SIZE,
        "derivation_sclc_percent": DERIVATION_SCLC_PERCENT[score] if complete else None,
        "derivation_cohorts": DERIVATION_COHORTS,
        "schedule": schedule_for(score, complete=complete),
        "authors_stop_suggestion": complete and score in AUTHORS_STOP_SCORES,
    }


def plan(answers) -> dict | None:
    """What the pathway shows of tumour risk for validated answers, or None when the score
    does not apply: `delta_p`'s result and

        "screen_now": True when not screened yet (the schedule starts from that screen),
        "pet_now": True when the negative screen was a CT only: FDG-PET is due now and the
                   schedule starts from it, so a CT-only screen's date sets no dates,
        "last_negative_screen": the ISO date of the last negative screen, or None,
        "next", "dates": the screens due after it (`screening_dates`), or None and ().

    A screen date counts only with `tumour_status = not_found`: a stale one left from
    before the status changed sets no dates.
    """
    risk = delta_p_of_valid(answers)
    if risk is None:
        return None
    not_found = answers["tumour_status"] == "not_found"
    pet_now = not_found and answers.get("screen_included_pet") == "no"
    screened_on = None
    if not_found and not pet_now:
        screened_on = answers.get("last_negative_screen_date")
    due = {"next": None, "dates": ()}
    if screened_on is not None:
        due = screening_dates(risk["schedule"], datetime.date.fromisoformat(screened_on))
    return {
        **risk,
        "screen_now": answers["tumour_status"] == "not_screened",
        "pet_now": pet_now,
        "last_negative_screen": screened_on,
        **due,
    }


def schedule_for(score: int, *, complete: bool = True) -> str:
    """The screening schedule after a negative screen for a DELTA-P score; a score not yet
    complete is treated as high risk (its points so far can only rise)."""
    if score >= 3 or not complete:
        return SCHEDULE_3M_THEN_6M
    return SCHEDULE_6M


def screening_dates(schedule: str, last_negative_screen) -> dict:
    """The screens due after a negative screen on `last_negative_screen` (a date or ISO text).

    Returns {"next": the first date, "dates": every date up to 2 years after the screen}.
    Each date is counted from the screen date itself, not from the date before it, and a
    day the month lacks becomes that month's last day: 31 August + 6 months is 28 (or 29)
    February, and + 12 months is 31 August again.
    """
    if schedule not in SCHEDULE_MONTHS:
        raise ValueError(f"schedule: {schedule!r} is not one of {', '.join(SCHEDULE_MONTHS)}")
    if not isinstance(last_negative_screen, datetime.date):
        # The engine's own check and message, so a form shows the same words.
        iso = validate({"last_negative_screen_date": last_negative_screen})
        last_negative_screen = datetime.date.fromisoformat(iso["last_negative_screen_date"])
    dates = tuple(add_months(last_negative_screen, months) for months in SCHEDULE_MONTHS[schedule])
    return {"next": dates[0], "dates": dates}


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved on by whole calendar months, kept within the month it lands in."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
