"""Tests of the pathway engine (guidance/pathway.py) against DESIGN.md §4.

The rules are checked over every combination of answers, unanswered included, against a
restatement of the rules table written here in the table's own predicates (C, P, N, U, S,
D0, DI, DX, SEV, RAP, BR, IS, IVIG), independently of how the engine encodes them: every
answer that decides a code, the FDG-PET question included, and every subset of the IVIG
risk factors.
"""

import datetime
import itertools
import math

import pytest

from guidance.engine.dap_dosing import dap_dose
from guidance.engine.dosing import ivig_dose, prednisone_dose
from guidance.engine.pathway import (
    ALL_CODES,
    CHOICES,
    HEIGHT_RANGE_CM,
    LOCAL_CODES,
    PATIENT_REFERENCE_MAX_LENGTH,
    REQUIRED_FIELDS,
    STEP_FIELDS,
    STEPS,
    WEIGHT_RANGE_KG,
    AnswerError,
    Outcome,
    applicable_steps,
    evaluate,
    validate,
)

# The table of guideline/statements.md, in its (the source text's) order.
GUIDELINE_CODES = (
    "ivig-reserved",
    "dap-first-line",
    "dap-qmg-benefit",
    "dap-cmap-benefit",
    "dap-evidence-quality",
    "ivig-when-refractory",
    "ivig-when-rapid",
    "ivig-when-bridge",
    "ivig-dose",
    "ivig-strength-benefit",
    "ivig-cmap-ns",
    "ivig-duration",
    "prednisone",
    "steroid-sparing",
    "bridge-ivig-plex",
    "anti-tumour-priority",
    "smoker-screening",
    "tumour-therapy-helps",
    "concurrent-treatment",
    "ivig-single-rct",
    "ivig-rct-primary-outcome",
    "ivig-evidence-lower",
    "pitfall-ivig-first-line",
    "pitfall-ivig-long-term",
    "pitfall-delay-screening",
    "pitfall-ivig-risks",
    "pitfall-plex-equal",
)
LATER_LOCAL_CODES = (
    "ivig-dosing-weight",
    "prednisone-established",
    "ivig-bridge-only",
    "delta-p",
    "screening-schedule",
    "screen-pet-now",
    "ivig-before-treatment",
    "ivig-risk-mitigation",
    "dap-titration",
)
CANONICAL_ORDER = ("out-of-scope", "dap-unavailable", *GUIDELINE_CODES, *LATER_LOCAL_CODES)
DELTA_P_ITEMS = (
    "onset_age_50_or_over",
    "weight_loss_5_percent",
    "bulbar_involvement",
    "erectile_dysfunction",
    "karnofsky_below_70",
)

# The answers that decide which codes show, with None for "not answered yet".
DECIDING_VALUES = {
    "diagnosis_confirmed": (None, "yes", "no"),
    "tumour_status": (None, "found", "not_found", "not_screened"),
    "smoking": (None, "current", "former", "never"),
    "screen_included_pet": (None, "yes", "no"),
    "dap_status": (None, "not_started", "adequate", "inadequate", "not_tolerated"),
    "weakness": (None, "mild", "moderate", "severe"),
    "rapid_improvement_needed": (None, "yes", "no"),
    "immunosuppression": (None, "none", "starting", "established"),
}
# Every subset of the IVIG risk factors; none ticked is the empty one.
RISK_FACTOR_SETS = tuple(
    factors
    for size in range(4)
    for factors in itertools.combinations(("thrombosis", "renal", "aseptic_meningitis"), size)
)

IVIG_FOR_SEVERE_WEAKNESS = {
    "weight_kg": 70,
    "diagnosis_confirmed": "yes",
    "tumour_status": "not_found",
    "smoking": "never",
    "screen_included_pet": "yes",
    "dap_status": "inadequate",
    "weakness": "severe",
    "rapid_improvement_needed": "no",
    "immunosuppression": "none",
    "plasma_exchange_available": "no",
}


def shown_when(answers):
    """DESIGN.md §4's rules table, row by row: code -> is its condition certainly true."""
    C = answers.get("diagnosis_confirmed") == "yes"
    not_C = answers.get("diagnosis_confirmed") == "no"
    P = answers.get("tumour_status") == "found"
    N = answers.get("tumour_status") == "not_found"
    U = answers.get("tumour_status") == "not_screened"
    S = answers.get("smoking") in ("current", "former")
    CT_ONLY = answers.get("screen_included_pet") == "no"
    FACTORS = answers.get("ivig_risk_factors") or ()
    THROMBOSIS_OR_RENAL = "thrombosis" in FACTORS or "renal" in FACTORS
    D0 = answers.get("dap_status") == "not_started"
    DI = answers.get("dap_status") == "inadequate"
    DX = answers.get("dap_status") == "not_tolerated"
    SEV = answers.get("weakness") == "severe"
    RAP = answers.get("rapid_improvement_needed") == "yes"
    BR = answers.get("immunosuppression") == "starting"
    ESTABLISHED = answers.get("immunosuppression") == "established"
    MILD_OR_MODERATE = answers.get("weakness") in ("mild", "moderate")
    NO_RAP = answers.get("rapid_improvement_needed") == "no"
    IS = DI or DX
    IVIG = IS and (SEV or RAP or BR)
    return {
        "out-of-scope": not_C,
        "dap-first-line": C,
        "dap-qmg-benefit": C,
        "dap-cmap-benefit": C,
        "dap-evidence-quality": C,
        "dap-unavailable": C and DX,
        "smoker-screening": C and S and (U or N),
        "pitfall-delay-screening": not_C or (C and U) or (C and N and CT_ONLY),
        "anti-tumour-priority": C and P,
        "tumour-therapy-helps": C and P,
        "concurrent-treatment": C and P,
        "prednisone": C and IS,
        "steroid-sparing": C and IS and N,
        "ivig-reserved": C and IVIG,
        "ivig-when-refractory": C and IVIG and SEV,
        "ivig-when-rapid": C and IVIG and RAP,
        "ivig-when-bridge": C and IVIG and BR,
        "bridge-ivig-plex": C and IVIG and BR,
        "ivig-dose": C and IVIG,
        "ivig-strength-benefit": C and IVIG,
        "ivig-cmap-ns": C and IVIG,
        "ivig-duration": C and IVIG,
        "ivig-single-rct": C and IVIG,
        "ivig-rct-primary-outcome": C and IVIG,
        "ivig-evidence-lower": C and IVIG,
        "pitfall-ivig-long-term": C and IVIG,
        "pitfall-ivig-risks": C and IVIG,
        "pitfall-plex-equal": C and IVIG,
        "pitfall-ivig-first-line": C and D0 and (SEV or RAP),
        "ivig-dosing-weight": C and IVIG,
        "prednisone-established": C and IS and ESTABLISHED,
        "ivig-bridge-only": C and IS and BR and MILD_OR_MODERATE and NO_RAP,
        "delta-p": C and (N or U),
        "screening-schedule": C and (N or U),
        "screen-pet-now": C and N and CT_ONLY,
        "ivig-before-treatment": C and IVIG,
        "ivig-risk-mitigation": C and IVIG and THROMBOSIS_OR_RENAL,
        "dap-titration": C and (D0 or DI),
    }


def high_priority(answers):
    """DESIGN.md §4's high-priority warnings: code -> the risk factors behind it."""
    shown = shown_when(answers)
    factors = tuple(answers.get("ivig_risk_factors") or ())
    expected = {}
    if shown["ivig-reserved"] and factors:
        expected["pitfall-ivig-risks"] = factors
        if answers.get("plasma_exchange_available") == "yes":
            expected["pitfall-plex-equal"] = factors
    if shown["ivig-risk-mitigation"]:
        expected["ivig-risk-mitigation"] = tuple(
            factor for factor in factors if factor in ("thrombosis", "renal")
        )
    return expected


def every_combination():
    """Every combination of the answers that decide codes, none ticked as risk factors."""
    fields = tuple(DECIDING_VALUES)
    for values in itertools.product(*DECIDING_VALUES.values()):
        yield dict(zip(fields, values, strict=True))


def every_combination_with_risk_factors():
    """`every_combination` with each subset of the risk factors, plasma exchange
    available: 276,480 answer sets."""
    for answers in every_combination():
        for factors in RISK_FACTOR_SETS:
            yield {
                **answers,
                "ivig_risk_factors": list(factors),
                "plasma_exchange_available": "yes",
            }


@pytest.fixture(scope="module")
def outcomes():
    return [(answers, evaluate(answers)) for answers in every_combination()]


def answers_with(**changes):
    return {**IVIG_FOR_SEVERE_WEAKNESS, **changes}


def refusal(answers):
    with pytest.raises(AnswerError) as caught:
        validate(answers)
    return caught.value


# The contract's constants


def test_steps_and_their_fields_are_those_of_the_design():
    assert STEPS == ("patient", "tumour", "symptomatic", "severity", "ivig")
    assert STEP_FIELDS == {
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
            "screen_included_pet",
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


def test_every_step_requires_all_but_its_optional_answers():
    assert REQUIRED_FIELDS == {
        "patient": ("weight_kg", "diagnosis_confirmed"),
        "tumour": ("tumour_status", "smoking", "screen_included_pet"),
        "symptomatic": ("dap_status",),
        "severity": ("weakness", "rapid_improvement_needed", "immunosuppression"),
        "ivig": ("plasma_exchange_available",),
    }


def test_choices_are_the_values_of_the_design_table():
    assert CHOICES == {
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


def test_limits_are_adult_weight_and_height_and_a_64_character_reference():
    assert WEIGHT_RANGE_KG == (30, 250)
    assert HEIGHT_RANGE_CM == (120, 230)
    assert PATIENT_REFERENCE_MAX_LENGTH == 64


def test_all_codes_are_scope_then_the_guideline_table_then_local_ones():
    assert ALL_CODES == CANONICAL_ORDER
    assert len(set(ALL_CODES)) == 38
    assert LOCAL_CODES == (
        "out-of-scope",
        "dap-unavailable",
        "ivig-dosing-weight",
        "prednisone-established",
        "ivig-bridge-only",
        "delta-p",
        "screening-schedule",
        "screen-pet-now",
        "ivig-before-treatment",
        "ivig-risk-mitigation",
        "dap-titration",
    )


# The rules table over every combination of answers


def test_every_combination_shows_exactly_the_codes_of_the_rules_table_in_order(outcomes):
    wrong = []
    for answers, outcome in outcomes:
        shown = shown_when(answers)
        expected = tuple(code for code in CANONICAL_ORDER if shown[code])
        if outcome.codes != expected:
            wrong.append((answers, outcome.codes, expected))
    assert wrong == []


def test_every_combination_with_every_risk_factor_subset_shows_the_rules_codes_and_priority():
    # The full product, one pass, nothing kept: the codes in order and the high-priority
    # warnings of each answer set against the restatement.
    wrong, count, reached = [], 0, set()
    for answers in every_combination_with_risk_factors():
        count += 1
        outcome = evaluate(answers)
        shown = shown_when(answers)
        expected = tuple(code for code in CANONICAL_ORDER if shown[code])
        if outcome.codes != expected or outcome.priority != high_priority(answers):
            wrong.append(answers)
        reached.update(outcome.codes)
    assert count == 276_480
    assert wrong == []
    assert reached == set(CANONICAL_ORDER)


def test_the_combinations_reach_every_code_but_the_mitigation_that_needs_a_risk_factor(outcomes):
    reached = {code for _, outcome in outcomes for code in outcome.codes}
    assert reached == set(CANONICAL_ORDER) - {"ivig-risk-mitigation"}


def test_the_tumour_risk_answers_change_no_code(outcomes):
    all_yes = {**dict.fromkeys(DELTA_P_ITEMS, "yes"), "last_negative_screen_date": "2026-06-30"}
    all_no = dict.fromkeys(DELTA_P_ITEMS, "no")
    wrong = [
        answers
        for answers, outcome in outcomes[::7]  # a spread sample: the full set is checked above
        for extra in (all_yes, all_no)
        if evaluate({**answers, **extra}).codes != outcome.codes
    ]
    assert wrong == []


def test_the_established_immunosuppression_note_comes_with_the_prednisone_dose():
    outcome = evaluate(answers_with(immunosuppression="established"))
    assert outcome.codes[-5:] == (
        "prednisone-established",
        "delta-p",
        "screening-schedule",
        "ivig-before-treatment",
        "dap-titration",
    )
    assert outcome.reasons["prednisone-established"] == (
        ("diagnosis_confirmed", "yes"),
        ("dap_status", "inadequate"),
        ("immunosuppression", "established"),
    )
    assert outcome.doses["prednisone"] == prednisone_dose(70)


def test_ivig_as_a_bridge_only_needs_rapid_improvement_answered_no():
    bridge = {
        "diagnosis_confirmed": "yes",
        "dap_status": "inadequate",
        "weakness": "moderate",
        "immunosuppression": "starting",
    }
    assert "ivig-bridge-only" not in evaluate(bridge).codes
    outcome = evaluate({**bridge, "rapid_improvement_needed": "no"})
    assert "ivig-bridge-only" in outcome.codes
    assert "ivig-when-bridge" in outcome.codes
    assert "ivig-bridge-only" not in evaluate({**bridge, "rapid_improvement_needed": "yes"}).codes


def test_answers_from_later_steps_do_not_change_the_codes_for_the_ivig_step():
    # Aseptic meningitis is no thrombosis or renal risk: no mitigation warning.
    with_ivig_answers = answers_with(
        plasma_exchange_available="yes", ivig_risk_factors=["aseptic_meningitis"], sex="female"
    )
    assert evaluate(with_ivig_answers).codes == evaluate(IVIG_FOR_SEVERE_WEAKNESS).codes


def test_every_code_has_reasons_and_every_reason_is_an_answer_given(outcomes):
    wrong = []
    for answers, outcome in outcomes:
        if tuple(outcome.reasons) != outcome.codes:
            wrong.append((answers, "reasons keys", tuple(outcome.reasons)))
        for code, reasons in outcome.reasons.items():
            if not reasons or any(not _given(answers, field, value) for field, value in reasons):
                wrong.append((answers, code, reasons))
    assert wrong == []


def _given(answers, field, value):
    given = answers.get(field)
    return value in given if isinstance(given, list) else given == value


def test_the_ivig_step_applies_exactly_when_the_ivig_statements_show(outcomes):
    wrong = [
        answers
        for answers, outcome in outcomes
        if ("ivig" in applicable_steps(answers)) != ("ivig-reserved" in outcome.codes)
    ]
    assert wrong == []


# Partial answers


def test_nothing_is_shown_before_the_diagnosis_is_answered():
    outcome = evaluate({"weight_kg": 70, "dap_status": "inadequate", "weakness": "severe"})
    assert outcome == Outcome(codes=(), doses={}, reasons={}, priority={})


def test_a_confirmed_diagnosis_alone_shows_the_first_line_statements():
    assert evaluate({"diagnosis_confirmed": "yes"}).codes == (
        "dap-first-line",
        "dap-qmg-benefit",
        "dap-cmap-benefit",
        "dap-evidence-quality",
    )


def test_ivig_shows_on_severe_weakness_before_the_other_severity_answers():
    outcome = evaluate(
        {"diagnosis_confirmed": "yes", "dap_status": "not_tolerated", "weakness": "severe"}
    )
    assert "ivig-reserved" in outcome.codes
    assert "ivig-when-refractory" in outcome.codes
    assert "ivig-when-rapid" not in outcome.codes


def test_only_the_patient_step_applies_before_any_answer():
    assert applicable_steps({}) == ["patient"]


def test_a_confirmed_diagnosis_opens_the_tumour_and_symptomatic_steps():
    assert applicable_steps({"diagnosis_confirmed": "yes"}) == ["patient", "tumour", "symptomatic"]


def test_an_unconfirmed_diagnosis_keeps_only_the_patient_step():
    assert applicable_steps({"diagnosis_confirmed": "no", "dap_status": "inadequate"}) == [
        "patient"
    ]


@pytest.mark.parametrize("dap_status", ["not_started", "inadequate", "not_tolerated"])
def test_severity_applies_once_3_4_dap_is_not_adequate(dap_status):
    steps = applicable_steps({"diagnosis_confirmed": "yes", "dap_status": dap_status})
    assert steps == ["patient", "tumour", "symptomatic", "severity"]


def test_severity_does_not_apply_when_3_4_dap_is_adequate():
    steps = applicable_steps({"diagnosis_confirmed": "yes", "dap_status": "adequate"})
    assert steps == ["patient", "tumour", "symptomatic"]


def test_ivig_step_applies_once_ivig_is_indicated():
    assert applicable_steps(IVIG_FOR_SEVERE_WEAKNESS) == list(STEPS)


def test_ivig_step_waits_for_an_answer_that_indicates_ivig():
    answers = {"diagnosis_confirmed": "yes", "dap_status": "inadequate", "weakness": "mild"}
    assert applicable_steps(answers) == ["patient", "tumour", "symptomatic", "severity"]


def test_ivig_step_does_not_apply_when_3_4_dap_was_not_started():
    answers = answers_with(dap_status="not_started")
    assert applicable_steps(answers) == ["patient", "tumour", "symptomatic", "severity"]


# Answers of steps that no longer apply


def test_an_unconfirmed_diagnosis_shows_only_out_of_scope_whatever_else_was_answered():
    outcome = evaluate(
        answers_with(
            diagnosis_confirmed="no",
            tumour_status="not_screened",
            smoking="current",
            plasma_exchange_available="yes",
            ivig_risk_factors=["renal"],
        )
    )
    # Not confirmed is suspected LEMS: cancer screening is not to wait for the diagnosis.
    assert outcome == Outcome(
        codes=("out-of-scope", "pitfall-delay-screening"),
        doses={},
        reasons={
            "out-of-scope": (("diagnosis_confirmed", "no"),),
            "pitfall-delay-screening": (("diagnosis_confirmed", "no"),),
        },
        priority={},
    )


def test_adequate_3_4_dap_makes_severity_and_ivig_answers_irrelevant():
    outcome = evaluate(
        answers_with(
            dap_status="adequate",
            rapid_improvement_needed="yes",
            immunosuppression="starting",
            plasma_exchange_available="yes",
            ivig_risk_factors=["thrombosis"],
        )
    )
    assert outcome.codes == (
        "dap-first-line",
        "dap-qmg-benefit",
        "dap-cmap-benefit",
        "dap-evidence-quality",
        "delta-p",  # the tumour was screened for, none found: the score applies
        "screening-schedule",
    )
    assert outcome.priority == {}
    assert outcome.doses == {}


def test_risk_factors_are_ignored_once_ivig_is_no_longer_indicated():
    answers = answers_with(weakness="mild", ivig_risk_factors=["renal"])
    answers["plasma_exchange_available"] = "yes"
    outcome = evaluate(answers)
    assert "pitfall-ivig-risks" not in outcome.codes
    assert outcome.priority == {}
    assert "ivig" not in outcome.doses


# Reasons


def test_ivig_when_refractory_is_explained_by_diagnosis_3_4_dap_and_severe_weakness():
    reasons = evaluate(IVIG_FOR_SEVERE_WEAKNESS).reasons
    assert reasons["ivig-when-refractory"] == (
        ("diagnosis_confirmed", "yes"),
        ("dap_status", "inadequate"),
        ("weakness", "severe"),
    )


def test_each_route_to_ivig_names_only_its_own_answer():
    reasons = evaluate(
        answers_with(rapid_improvement_needed="yes", immunosuppression="starting")
    ).reasons
    assert reasons["ivig-when-refractory"] == (
        ("diagnosis_confirmed", "yes"),
        ("dap_status", "inadequate"),
        ("weakness", "severe"),
    )
    assert reasons["ivig-when-rapid"] == (
        ("diagnosis_confirmed", "yes"),
        ("dap_status", "inadequate"),
        ("rapid_improvement_needed", "yes"),
    )
    assert reasons["ivig-when-bridge"] == (
        ("diagnosis_confirmed", "yes"),
        ("dap_status", "inadequate"),
        ("immunosuppression", "starting"),
    )
    assert reasons["bridge-ivig-plex"] == reasons["ivig-when-bridge"]


def test_ivig_statements_name_every_route_to_ivig_that_holds():
    reasons = evaluate(
        answers_with(
            dap_status="not_tolerated",
            rapid_improvement_needed="yes",
            immunosuppression="starting",
        )
    ).reasons
    expected = (
        ("diagnosis_confirmed", "yes"),
        ("dap_status", "not_tolerated"),
        ("weakness", "severe"),
        ("rapid_improvement_needed", "yes"),
        ("immunosuppression", "starting"),
    )
    assert reasons["ivig-reserved"] == expected
    assert reasons["ivig-dosing-weight"] == expected
    assert reasons["pitfall-plex-equal"] == expected


def test_ivig_statements_leave_out_routes_that_do_not_hold():
    reasons = evaluate(answers_with(weakness="moderate", immunosuppression="starting")).reasons
    assert reasons["ivig-dose"] == (
        ("diagnosis_confirmed", "yes"),
        ("dap_status", "inadequate"),
        ("immunosuppression", "starting"),
    )


def test_prednisone_is_explained_without_the_severity_answers():
    reasons = evaluate(IVIG_FOR_SEVERE_WEAKNESS).reasons
    assert reasons["prednisone"] == (("diagnosis_confirmed", "yes"), ("dap_status", "inadequate"))


def test_steroid_sparing_names_the_screening_that_found_no_tumour():
    reasons = evaluate(IVIG_FOR_SEVERE_WEAKNESS).reasons
    assert reasons["steroid-sparing"] == (
        ("diagnosis_confirmed", "yes"),
        ("tumour_status", "not_found"),
        ("dap_status", "inadequate"),
    )


def test_smoker_screening_names_the_kind_of_smoker():
    reasons = evaluate(
        {"diagnosis_confirmed": "yes", "tumour_status": "not_screened", "smoking": "former"}
    ).reasons
    assert reasons["smoker-screening"] == (
        ("diagnosis_confirmed", "yes"),
        ("tumour_status", "not_screened"),
        ("smoking", "former"),
    )
    assert reasons["pitfall-delay-screening"] == (
        ("diagnosis_confirmed", "yes"),
        ("tumour_status", "not_screened"),
    )


def test_first_line_pitfall_names_3_4_dap_not_started_and_the_pressing_need():
    reasons = evaluate(
        answers_with(dap_status="not_started", weakness="mild", rapid_improvement_needed="yes")
    ).reasons
    assert reasons["pitfall-ivig-first-line"] == (
        ("diagnosis_confirmed", "yes"),
        ("dap_status", "not_started"),
        ("rapid_improvement_needed", "yes"),
    )


def test_dap_unavailable_is_explained_by_3_4_dap_not_tolerated():
    reasons = evaluate({"diagnosis_confirmed": "yes", "dap_status": "not_tolerated"}).reasons
    assert reasons["dap-unavailable"] == (
        ("diagnosis_confirmed", "yes"),
        ("dap_status", "not_tolerated"),
    )


# Priority


def test_risk_factors_make_the_ivig_risks_warning_high_priority():
    outcome = evaluate(answers_with(ivig_risk_factors=["renal", "thrombosis"]))
    assert outcome.priority == {
        "pitfall-ivig-risks": ("thrombosis", "renal"),
        "ivig-risk-mitigation": ("thrombosis", "renal"),
    }


def test_available_plasma_exchange_with_risk_factors_also_raises_the_plasma_exchange_warning():
    outcome = evaluate(
        answers_with(plasma_exchange_available="yes", ivig_risk_factors=["aseptic_meningitis"])
    )
    assert outcome.priority == {
        "pitfall-ivig-risks": ("aseptic_meningitis",),
        "pitfall-plex-equal": ("aseptic_meningitis",),
    }


@pytest.mark.parametrize("no_risk_factors", [[], (), None, ""])
def test_without_risk_factors_nothing_is_high_priority(no_risk_factors):
    outcome = evaluate(
        answers_with(plasma_exchange_available="yes", ivig_risk_factors=no_risk_factors)
    )
    assert outcome.priority == {}


def test_priority_follows_ivig_risk_factors_and_plasma_exchange_in_every_combination():
    deciding = {
        "diagnosis_confirmed": (None, "yes", "no"),
        "dap_status": (None, "adequate", "inadequate", "not_tolerated"),
        "weakness": (None, "mild", "severe"),
        "immunosuppression": (None, "starting"),
        "plasma_exchange_available": (None, "yes", "no"),
    }
    wrong = []
    for values in itertools.product(*deciding.values(), RISK_FACTOR_SETS):
        answers = dict(zip((*deciding, "ivig_risk_factors"), values, strict=True))
        if evaluate(answers).priority != high_priority(answers):
            wrong.append(answers)
    assert wrong == []


def test_a_renal_or_thrombosis_risk_makes_the_mitigation_a_high_priority_warning():
    outcome = evaluate(answers_with(ivig_risk_factors=["aseptic_meningitis", "renal"]))
    assert "ivig-risk-mitigation" in outcome.codes
    assert outcome.priority["ivig-risk-mitigation"] == ("renal",)
    assert outcome.reasons["ivig-risk-mitigation"] == (
        ("diagnosis_confirmed", "yes"),
        ("dap_status", "inadequate"),
        ("weakness", "severe"),
        ("ivig_risk_factors", "renal"),
    )
    both = evaluate(answers_with(ivig_risk_factors=["renal", "thrombosis"]))
    assert both.priority["ivig-risk-mitigation"] == ("thrombosis", "renal")
    only_meningitis = evaluate(answers_with(ivig_risk_factors=["aseptic_meningitis"]))
    assert "ivig-risk-mitigation" not in only_meningitis.codes
    assert "ivig-risk-mitigation" not in only_meningitis.priority


# The tumour work-up after a CT-only screen


def test_a_smoker_after_a_ct_only_negative_screen_is_told_fdg_pet_now_and_keeps_screening():
    outcome = evaluate(
        answers_with(smoking="current", tumour_status="not_found", screen_included_pet="no")
    )
    for code in ("smoker-screening", "pitfall-delay-screening", "screen-pet-now"):
        assert code in outcome.codes
    assert outcome.reasons["screen-pet-now"] == (
        ("diagnosis_confirmed", "yes"),
        ("tumour_status", "not_found"),
        ("screen_included_pet", "no"),
    )
    assert outcome.reasons["smoker-screening"] == (
        ("diagnosis_confirmed", "yes"),
        ("tumour_status", "not_found"),
        ("smoking", "current"),
    )


def test_after_a_screen_with_fdg_pet_no_pet_now_and_no_delay_warning_but_smokers_keep_screening():
    outcome = evaluate(
        answers_with(smoking="former", tumour_status="not_found", screen_included_pet="yes")
    )
    assert "screen-pet-now" not in outcome.codes
    assert "pitfall-delay-screening" not in outcome.codes
    assert "smoker-screening" in outcome.codes


def test_a_stale_pet_answer_counts_only_with_tumour_not_found():
    for status in ("found", "not_screened"):
        outcome = evaluate(answers_with(tumour_status=status, screen_included_pet="no"))
        assert "screen-pet-now" not in outcome.codes


def test_the_pet_question_is_required_only_while_it_is_asked():
    from guidance.engine.pathway import assess, required_fields

    answers = {k: v for k, v in IVIG_FOR_SEVERE_WEAKNESS.items() if k != "screen_included_pet"}
    assert "tumour" not in assess(answers).answered
    assert required_fields("tumour", validate(answers)) == (
        "tumour_status",
        "smoking",
        "screen_included_pet",
    )
    assert "tumour" in assess({**answers, "screen_included_pet": "no"}).answered
    for status in ("found", "not_screened"):
        assert "tumour" in assess({**answers, "tumour_status": status}).answered


# 3,4-DAP titration


@pytest.mark.parametrize(
    ("dap_status", "shown"),
    [("not_started", True), ("inadequate", True), ("adequate", False), ("not_tolerated", False)],
)
def test_3_4_dap_titration_shows_while_3_4_dap_is_started_or_raised(dap_status, shown):
    outcome = evaluate({"diagnosis_confirmed": "yes", "dap_status": dap_status})
    assert ("dap-titration" in outcome.codes) is shown
    if shown:
        assert outcome.reasons["dap-titration"] == (
            ("diagnosis_confirmed", "yes"),
            ("dap_status", dap_status),
        )


# Doses through the pathway


def test_ivig_indicated_gives_ivig_and_prednisone_doses_on_the_patients_weight():
    doses = evaluate(answers_with(weight_kg="66.7", height_cm=175, sex="male")).doses
    assert doses == {
        "ivig": ivig_dose(66.7, height_cm=175, sex="male"),
        "prednisone": prednisone_dose(66.7),
        "dap": dap_dose(),  # 3,4-DAP inadequate: raised as its labels allow
    }
    assert doses["prednisone"] == {"mg": 100.0, "by_weight_mg": 100.1, "capped": True}


@pytest.mark.parametrize(
    ("given", "needs"),
    [({}, ("height_cm", "sex")), ({"sex": "male"}, ("height_cm",)), ({"height_cm": 175}, ("sex",))],
)
def test_without_height_and_sex_ivig_gives_no_figure_and_names_what_it_needs(given, needs):
    doses = evaluate(answers_with(weight_kg=250, **given)).doses
    assert doses["ivig_needs"] == needs
    assert "ivig" not in doses
    assert "prednisone" in doses


def test_ivig_dose_uses_height_sex_and_pregnancy_for_the_dosing_weight():
    answers = answers_with(weight_kg=90, height_cm="165", sex="female", pregnant="no")
    ivig = evaluate(answers).doses["ivig"]
    assert ivig == ivig_dose(90, height_cm=165, sex="female", pregnant="no")
    assert ivig["dosing_weight_basis"] == "adjusted"
    assert ivig["dosing_weight_kg"] == 70.1
    assert ivig["vials_total_g"] == (70, 140)
    assert ivig["bmi"] == 33.1  # 90 / 1.65^2 = 33.06


def test_inadequate_3_4_dap_without_ivig_gives_prednisone_and_3_4_dap_doses_only():
    doses = evaluate(answers_with(weakness="mild")).doses
    assert doses == {
        "prednisone": {"mg": 100.0, "by_weight_mg": 105.0, "capped": True},
        "dap": dap_dose(),
    }


def test_3_4_dap_not_started_gives_its_labels_figures_without_a_weight():
    doses = evaluate({"diagnosis_confirmed": "yes", "dap_status": "not_started"}).doses
    assert doses == {"dap": dap_dose()}
    us, eu = doses["dap"]["us"], doses["dap"]["eu"]
    assert (us["start_mg_a_day"], us["divided_doses"]) == ((15, 30), (3, 5))
    assert (us["raise_mg_a_day"], us["raise_every_days"]) == (5, (3, 4))
    assert (us["max_single_mg"], us["max_mg_a_day"]) == (20, 100)
    assert (eu["start_mg_a_day"], eu["raise_every_days"]) == ((15, 15), (4, 5))
    assert (eu["max_mg_a_day"], eu["exceptional_max_mg_a_day"], eu["max_single_mg"]) == (60, 80, 20)
    assert doses["dap"]["renal_or_hepatic_impairment"] == "lowest_start"
    assert doses["dap"]["after_seizures"] == "do_not_use"


def test_3_4_dap_doses_come_exactly_with_the_titration_statement(outcomes):
    wrong = [
        answers
        for answers, outcome in outcomes
        if ("dap" in outcome.doses) != ("dap-titration" in outcome.codes)
    ]
    assert wrong == []


def test_no_dose_without_immunotherapy():
    assert evaluate(answers_with(dap_status="adequate")).doses == {}


def test_no_dose_when_the_diagnosis_is_not_confirmed():
    assert evaluate(answers_with(diagnosis_confirmed="no")).doses == {}


def test_no_dose_without_a_weight_though_the_statements_show():
    outcome = evaluate(answers_with(weight_kg=None))
    assert "ivig-dose" in outcome.codes
    assert "prednisone" in outcome.codes
    assert outcome.doses == {"dap": dap_dose()}  # 3,4-DAP's figures need no weight


# Validation


def test_answers_are_normalised():
    assert validate(
        {
            "patient_reference": "A-17",
            "weight_kg": "66.7",
            "height_cm": 170,
            "diagnosis_confirmed": "yes",
            "sex": "",
            "pregnant": None,
            "ivig_risk_factors": ["renal", "thrombosis", "renal"],
        }
    ) == {
        "patient_reference": "A-17",
        "weight_kg": 66.7,
        "height_cm": 170.0,
        "diagnosis_confirmed": "yes",
        "ivig_risk_factors": ("thrombosis", "renal"),
    }


def test_weight_accepts_whole_numbers_and_numeric_text():
    assert validate({"weight_kg": "70"})["weight_kg"] == 70.0
    assert isinstance(validate({"weight_kg": 70})["weight_kg"], float)


@pytest.mark.parametrize("weight", [30, 250, "30", "250.0", 30.0])
def test_weight_at_the_limits_is_accepted(weight):
    assert validate({"weight_kg": weight})["weight_kg"] == float(weight)


def test_weight_below_30_kg_is_refused():
    error = refusal({"weight_kg": 29.9})
    assert error.field == "weight_kg"
    assert str(error) == "weight_kg: must be between 30 and 250 kg"


def test_weight_above_250_kg_is_refused():
    assert str(refusal({"weight_kg": "250.1"})) == "weight_kg: must be between 30 and 250 kg"


@pytest.mark.parametrize(
    "weight", ["abc", "70kg", float("nan"), "nan", float("inf"), "-inf", True, False, [70]]
)
def test_weight_that_is_not_a_finite_number_is_refused(weight):
    error = refusal({"weight_kg": weight})
    assert error.field == "weight_kg"
    assert str(error) == "weight_kg: must be a number"


@pytest.mark.parametrize("height", [120, "230", 175.5])
def test_height_within_120_to_230_cm_is_accepted(height):
    assert validate({"height_cm": height})["height_cm"] == float(height)


@pytest.mark.parametrize("height", [119.9, "230.1", "tall", math.inf, True])
def test_height_outside_the_range_or_not_a_number_is_refused(height):
    error = refusal({"height_cm": height})
    assert error.field == "height_cm"
    assert str(error).startswith("height_cm: ")


def test_a_64_character_reference_is_accepted():
    assert validate({"patient_reference": "x" * 64}) == {"patient_reference": "x" * 64}


def test_a_65_character_reference_is_refused_without_echoing_it():
    error = refusal({"patient_reference": "x" * 65})
    assert error.field == "patient_reference"
    assert "xxx" not in str(error)
    assert str(error).startswith("patient_reference: ")


def test_a_reference_that_is_not_text_is_refused():
    assert refusal({"patient_reference": 1234}).field == "patient_reference"


def test_an_unknown_field_is_refused():
    error = refusal({"weight_kg": 70, "bmi": 24})
    assert error.field == "bmi"
    assert str(error) == "bmi: unknown field"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("diagnosis_confirmed", "maybe"),
        ("diagnosis_confirmed", "Yes"),
        ("sex", "other"),
        ("pregnant", True),
        ("tumour_status", "suspected"),
        ("smoking", "occasional"),
        ("dap_status", "stopped"),
        ("weakness", "extreme"),
        ("rapid_improvement_needed", 1),
        ("immunosuppression", "planned"),
        ("plasma_exchange_available", "soon"),
        ("onset_age_50_or_over", "62"),
        ("weight_loss_5_percent", True),
        ("bulbar_involvement", "Yes"),
        ("erectile_dysfunction", "unknown"),
        ("karnofsky_below_70", 60),
    ],
)
def test_an_unknown_value_is_refused(field, value):
    error = refusal({field: value})
    assert error.field == field
    assert str(error).startswith(f"{field}: ")


def test_an_unknown_value_in_a_step_that_does_not_apply_is_refused():
    answers = {"diagnosis_confirmed": "no", "weakness": "extreme"}
    with pytest.raises(AnswerError) as caught:
        evaluate(answers)
    assert caught.value.field == "weakness"
    with pytest.raises(ValueError, match="^weakness: "):
        applicable_steps(answers)


def test_pregnancy_in_a_male_patient_is_a_contradiction_named_on_pregnant():
    error = refusal({"sex": "male", "pregnant": "yes"})
    assert error.field == "pregnant"
    assert str(error).startswith("pregnant: ")


def test_not_pregnant_male_and_pregnant_female_are_accepted():
    assert validate({"sex": "male", "pregnant": "no"}) == {"sex": "male", "pregnant": "no"}
    assert validate({"sex": "female", "pregnant": "yes"}) == {"sex": "female", "pregnant": "yes"}


@pytest.mark.parametrize(
    "screen_date",
    ["2026-02-30", "30/11/2026", "20261130", "2026-W49-1", "2026-11-30T10:00", 20261130,
     datetime.datetime(2026, 11, 30, 10, 0)],
)  # fmt: skip
def test_a_screen_date_that_is_not_an_iso_date_is_refused(screen_date):
    error = refusal({"last_negative_screen_date": screen_date})
    assert error.field == "last_negative_screen_date"
    assert str(error).startswith("last_negative_screen_date: must be a date")


def test_a_screen_date_is_kept_as_an_iso_string_also_when_given_as_a_date():
    for given in ("2026-11-30", datetime.date(2026, 11, 30)):
        assert validate({"last_negative_screen_date": given}) == {
            "last_negative_screen_date": "2026-11-30"
        }


def test_the_tumour_risk_items_are_optional_yes_or_no():
    answers = dict.fromkeys(DELTA_P_ITEMS, "yes")
    assert validate(answers) == answers
    assert validate(dict.fromkeys(DELTA_P_ITEMS, "")) == {}


def test_an_unknown_risk_factor_is_refused():
    error = refusal({"ivig_risk_factors": ["renal", "headache"]})
    assert error.field == "ivig_risk_factors"
    assert "headache" in str(error)


@pytest.mark.parametrize("risk_factors", ["renal", {"renal"}, 3])
def test_risk_factors_that_are_not_a_list_are_refused(risk_factors):
    error = refusal({"ivig_risk_factors": risk_factors})
    assert error.field == "ivig_risk_factors"
    assert str(error) == "ivig_risk_factors: must be a list"


def test_an_empty_risk_factor_list_means_none():
    assert validate({"ivig_risk_factors": []}) == {"ivig_risk_factors": ()}


def test_an_answer_error_is_a_value_error_with_the_problem_for_a_form():
    error = refusal({"weight_kg": 20})
    assert isinstance(error, ValueError)
    assert error.problem == "must be between 30 and 250 kg"


def test_evaluate_refuses_bad_answers():
    with pytest.raises(ValueError, match="^weight_kg: "):
        evaluate(answers_with(weight_kg=251))
