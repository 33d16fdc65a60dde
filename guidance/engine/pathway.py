"""The LEMS IVIG pathway as a pure decision engine: a clinician's answers in, an Outcome out.

The steps, answers, rules and order of statement codes are DESIGN.md §4; the codes are those
of guideline/statements.md. No Django here, so every combination of answers can be tested.

Each rule is a condition made only of "field == value" answers joined by AllOf and AnyOf,
never negated. An answer not yet given can therefore only leave a condition false, which is
what a partly filled pathway needs: a statement appears only once it is certainly true, and
the answers that made it true are its reasons.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from guidance.engine import tumour_risk
from guidance.engine.answers import (  # noqa: F401  (the engine's contract names them here)
    CHOICES,
    FIELD_ORDER,
    HEIGHT_RANGE_CM,
    PATIENT_REFERENCE_MAX_LENGTH,
    REQUIRED_FIELDS,
    STEP_FIELDS,
    STEP_OF_FIELD,
    STEPS,
    WEIGHT_RANGE_KG,
    AnswerError,
    validate,
)
from guidance.engine.dap_dosing import dap_dose
from guidance.engine.dosing import IVIG_NEEDS, ivig_doses, prednisone_dose


@dataclass(frozen=True)
class Outcome:
    """What the pathway shows: codes in order, doses, each code's reasons, high priority."""

    codes: tuple[str, ...]
    doses: dict
    reasons: dict[str, tuple[tuple[str, str], ...]]
    priority: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Is:
    """An answer: holds when `field` was answered `value`."""

    field: str
    value: str

    def reasons(self, answers: Mapping):
        """The answers that make this hold, or None when it does not (yet) hold. For a
        field answered with a list (the IVIG risk factors) it holds when the list holds
        `value`."""
        given = answers.get(self.field)
        held = self.value in given if isinstance(given, tuple | list) else given == self.value
        return ((self.field, self.value),) if held else None


@dataclass(frozen=True)
class IsNot:
    """Any answer but `value`, or none yet: only for which questions are asked (a rule never
    negates an answer, see above)."""

    field: str
    value: str

    def reasons(self, answers: Mapping):
        return () if answers.get(self.field) != self.value else None


class _Combination:
    """Conditions joined: compared by what they hold, so a rule can be read as data."""

    def __init__(self, *conditions):
        self.conditions = conditions

    def __eq__(self, other):
        return type(self) is type(other) and self.conditions == other.conditions

    def __hash__(self):
        return hash((type(self), self.conditions))

    def __repr__(self):
        return f"{type(self).__name__}{self.conditions!r}"


class AllOf(_Combination):
    """Holds when every condition holds; its reasons are all of theirs."""

    def reasons(self, answers: Mapping):
        found = []
        for condition in self.conditions:
            held = condition.reasons(answers)
            if held is None:
                return None
            found.extend(held)
        return tuple(found)


class AnyOf(_Combination):
    """Holds when at least one condition holds; its reasons are those of each that does."""

    def reasons(self, answers: Mapping):
        # Every alternative that holds is a reason, not only the first: a clinician
        # reading "severe weakness" should also see "rapid improvement needed".
        held = [condition.reasons(answers) for condition in self.conditions]
        found = [pair for reasons in held if reasons is not None for pair in reasons]
        return tuple(found) if found else None


# The predicates of DESIGN.md §4, under their letters there.
CONFIRMED = Is("diagnosis_confirmed", "yes")  # C
NOT_CONFIRMED = Is("diagnosis_confirmed", "no")  # not C (unknown is neither)
TUMOUR_FOUND = Is("tumour_status", "found")  # P
TUMOUR_NOT_FOUND = Is("tumour_status", "not_found")  # N
NOT_SCREENED = Is("tumour_status", "not_screened")  # U
SMOKER = AnyOf(Is("smoking", "current"), Is("smoking", "former"))  # S
DAP_NOT_STARTED = Is("dap_status", "not_started")  # D0
DAP_INADEQUATE = Is("dap_status", "inadequate")  # DI
DAP_NOT_TOLERATED = Is("dap_status", "not_tolerated")  # DX
SEVERE_WEAKNESS = Is("weakness", "severe")  # SEV
RAPID_IMPROVEMENT = Is("rapid_improvement_needed", "yes")  # RAP
AWAITING_IMMUNOSUPPRESSION = Is("immunosuppression", "starting")  # BR
IMMUNOSUPPRESSION_ESTABLISHED = Is("immunosuppression", "established")
NOT_SEVERE_WEAKNESS = AnyOf(Is("weakness", "mild"), Is("weakness", "moderate"))
NO_RAPID_IMPROVEMENT = Is("rapid_improvement_needed", "no")
SCREENING_OPEN = AnyOf(TUMOUR_NOT_FOUND, NOT_SCREENED)  # N or U
CT_ONLY_SCREEN = Is("screen_included_pet", "no")
THROMBOSIS_OR_RENAL_RISK = AnyOf(
    Is("ivig_risk_factors", "thrombosis"), Is("ivig_risk_factors", "renal")
)
SYMPTOMATIC_NOT_ENOUGH = AnyOf(DAP_INADEQUATE, DAP_NOT_TOLERATED)  # IS
IVIG_INDICATED = AllOf(  # IVIG
    SYMPTOMATIC_NOT_ENOUGH,
    AnyOf(SEVERE_WEAKNESS, RAPID_IMPROVEMENT, AWAITING_IMMUNOSUPPRESSION),
)

_WITH_IVIG = AllOf(CONFIRMED, IVIG_INDICATED)

# In the order codes are returned: scope statements, the source text, other local ones.
# The three "when to use IVIG" rules read "C and IVIG and X" in DESIGN.md; since X is one of
# IVIG's own alternatives that is the same as "C and IS and X", written so here so that the
# reasons name only the answer behind that route, not the other routes to IVIG.
RULES = (
    ("out-of-scope", NOT_CONFIRMED),
    ("dap-unavailable", AllOf(CONFIRMED, DAP_NOT_TOLERATED)),
    ("ivig-reserved", _WITH_IVIG),
    ("dap-first-line", CONFIRMED),
    ("dap-qmg-benefit", CONFIRMED),
    ("dap-cmap-benefit", CONFIRMED),
    ("dap-evidence-quality", CONFIRMED),
    ("ivig-when-refractory", AllOf(CONFIRMED, SYMPTOMATIC_NOT_ENOUGH, SEVERE_WEAKNESS)),
    ("ivig-when-rapid", AllOf(CONFIRMED, SYMPTOMATIC_NOT_ENOUGH, RAPID_IMPROVEMENT)),
    (
        "ivig-when-bridge",
        AllOf(CONFIRMED, SYMPTOMATIC_NOT_ENOUGH, AWAITING_IMMUNOSUPPRESSION),
    ),
    ("ivig-dose", _WITH_IVIG),
    ("ivig-strength-benefit", _WITH_IVIG),
    ("ivig-cmap-ns", _WITH_IVIG),
    ("ivig-duration", _WITH_IVIG),
    ("prednisone", AllOf(CONFIRMED, SYMPTOMATIC_NOT_ENOUGH)),
    ("steroid-sparing", AllOf(CONFIRMED, SYMPTOMATIC_NOT_ENOUGH, TUMOUR_NOT_FOUND)),
    (
        "bridge-ivig-plex",
        AllOf(CONFIRMED, SYMPTOMATIC_NOT_ENOUGH, AWAITING_IMMUNOSUPPRESSION),
    ),
    ("anti-tumour-priority", AllOf(CONFIRMED, TUMOUR_FOUND)),
    # One negative screen does not end the intensive screening of a smoker.
    ("smoker-screening", AllOf(CONFIRMED, SCREENING_OPEN, SMOKER)),
    ("tumour-therapy-helps", AllOf(CONFIRMED, TUMOUR_FOUND)),
    ("concurrent-treatment", AllOf(CONFIRMED, TUMOUR_FOUND)),
    ("ivig-single-rct", _WITH_IVIG),
    ("ivig-rct-primary-outcome", _WITH_IVIG),
    ("ivig-evidence-lower", _WITH_IVIG),
    (
        "pitfall-ivig-first-line",
        AllOf(CONFIRMED, DAP_NOT_STARTED, AnyOf(SEVERE_WEAKNESS, RAPID_IMPROVEMENT)),
    ),
    ("pitfall-ivig-long-term", _WITH_IVIG),
    # Not confirmed: suspected, and screening is not to wait for the diagnosis; a CT-only
    # negative screen is not the whole screen either.
    (
        "pitfall-delay-screening",
        AnyOf(
            NOT_CONFIRMED,
            AllOf(CONFIRMED, NOT_SCREENED),
            AllOf(CONFIRMED, TUMOUR_NOT_FOUND, CT_ONLY_SCREEN),
        ),
    ),
    ("pitfall-ivig-risks", _WITH_IVIG),
    ("pitfall-plex-equal", _WITH_IVIG),
    ("ivig-dosing-weight", _WITH_IVIG),
    (
        "prednisone-established",
        AllOf(CONFIRMED, SYMPTOMATIC_NOT_ENOUGH, IMMUNOSUPPRESSION_ESTABLISHED),
    ),
    # IVIG by the bridging route alone: neither severe weakness nor rapid improvement.
    (
        "ivig-bridge-only",
        AllOf(
            CONFIRMED,
            SYMPTOMATIC_NOT_ENOUGH,
            AWAITING_IMMUNOSUPPRESSION,
            NOT_SEVERE_WEAKNESS,
            NO_RAPID_IMPROVEMENT,
        ),
    ),
    ("delta-p", AllOf(CONFIRMED, SCREENING_OPEN)),
    ("screening-schedule", AllOf(CONFIRMED, SCREENING_OPEN)),
    ("screen-pet-now", AllOf(CONFIRMED, TUMOUR_NOT_FOUND, CT_ONLY_SCREEN)),
    ("ivig-before-treatment", _WITH_IVIG),
    ("ivig-risk-mitigation", AllOf(_WITH_IVIG, THROMBOSIS_OR_RENAL_RISK)),
    ("dap-titration", AllOf(CONFIRMED, AnyOf(DAP_NOT_STARTED, DAP_INADEQUATE))),
)

# Which steps apply (DESIGN.md §4); the patient step always does. Each condition is whole,
# repeating what the steps before it need, so it reads, and exports to FHIR, on its own.
STEP_CONDITIONS = {
    "tumour": CONFIRMED,
    "symptomatic": CONFIRMED,
    # dap_status answered and not adequate
    "severity": AllOf(
        CONFIRMED,
        AnyOf(*(Is("dap_status", value) for value in CHOICES["dap_status"] if value != "adequate")),
    ),
    "ivig": _WITH_IVIG,
}

# Questions asked only on some answers of their own step, beyond the step's condition.
# The DELTA-P items are asked while a tumour may still be found (DESIGN.md §4 "Tumour risk").
_DELTA_P_ASKED = SCREENING_OPEN
QUESTION_CONDITIONS = {
    "pregnant": Is("sex", "female"),
    "onset_age_50_or_over": _DELTA_P_ASKED,
    "weight_loss_5_percent": _DELTA_P_ASKED,
    "bulbar_involvement": _DELTA_P_ASKED,
    "erectile_dysfunction": AllOf(_DELTA_P_ASKED, IsNot("sex", "female")),
    "karnofsky_below_70": _DELTA_P_ASKED,
    "last_negative_screen_date": TUMOUR_NOT_FOUND,
    "screen_included_pet": TUMOUR_NOT_FOUND,
}

ALL_CODES = tuple(code for code, _ in RULES)
LOCAL_CODES = (
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


@dataclass(frozen=True)
class Assessment:
    """Everything the pathway says about one set of answers, worked out once per request.

    `answers` are the answers as given (what the clinician reads back), `steps` the steps
    asked, in order, `answered` those of them with every required answer, `outcome`
    what applies, and `tumour_risk` the DELTA-P score with the screening plan
    (`tumour_risk.plan`; None when the score does not apply, points so far while it is
    incomplete). Pages, the step navigation and the summary read this; none validates
    again.
    """

    answers: Mapping
    steps: tuple[str, ...]
    answered: frozenset[str]
    outcome: Outcome
    tumour_risk: dict | None = None

    @property
    def complete(self) -> bool:
        """Every step asked has its answers: the encounter can be finalized."""
        return len(self.answered) == len(self.steps)

    def next_step(self, after: str | None = None) -> str | None:
        """The first step after `after` still missing an answer; None: the summary."""
        start = self.steps.index(after) + 1 if after in self.steps else 0
        return next((step for step in self.steps[start:] if step not in self.answered), None)


def assess(answers: Mapping) -> Assessment:
    """The answers validated once (AnswerError on a bad one), and all that follows from them."""
    valid = validate(answers)
    steps = tuple(_applicable_steps(valid))
    answered = frozenset(
        step
        for step in steps
        if all(valid.get(field) is not None for field in required_fields(step, valid))
    )
    return Assessment(
        answers=answers,
        steps=steps,
        answered=answered,
        outcome=_outcome(valid, steps),
        tumour_risk=tumour_risk.plan(valid),
    )


def required_fields(step: str, answers: Mapping) -> tuple[str, ...]:
    """The answers `step` needs given validated `answers`: a required question asked only
    on some answers (the FDG-PET question) is required only while it is asked. The `ivig`
    step also needs height and sex, optional on the `patient` step: no IVIG dose without
    them (DESIGN.md §4), so answers saved without them leave the step to answer."""
    required = tuple(
        field
        for field in REQUIRED_FIELDS[step]
        if field not in QUESTION_CONDITIONS
        or QUESTION_CONDITIONS[field].reasons(answers) is not None
    )
    return required + IVIG_NEEDS if step == "ivig" else required


def evaluate(answers: Mapping) -> Outcome:
    """The statements that apply to these answers, why, their doses and high-priority ones."""
    valid = validate(answers)
    return _outcome(valid, _applicable_steps(valid))


def applicable_steps(answers: Mapping) -> list[str]:
    """The steps the clinician is asked, in order, given the answers so far."""
    return _applicable_steps(validate(answers))


def _outcome(answers: Mapping, steps) -> Outcome:
    relevant = {field: value for field, value in answers.items() if STEP_OF_FIELD[field] in steps}

    reasons = {}
    for code, condition in RULES:
        held = condition.reasons(relevant)
        if held is not None:
            reasons[code] = _in_pathway_order(held)

    # Risk factors are answers of the ivig step, so they are only here when IVIG applies.
    priority = {}
    risk_factors = relevant.get("ivig_risk_factors", ())
    if risk_factors:
        priority["pitfall-ivig-risks"] = risk_factors
        if relevant.get("plasma_exchange_available") == "yes":
            priority["pitfall-plex-equal"] = risk_factors
    if "ivig-risk-mitigation" in reasons:
        priority["ivig-risk-mitigation"] = tuple(
            factor for factor in risk_factors if factor in ("thrombosis", "renal")
        )

    doses = {}
    weight_kg = relevant.get("weight_kg")
    if weight_kg is not None:
        if "ivig" in steps:
            # No IVIG figure without height and sex: `ivig_needs` names what is missing.
            doses.update(
                ivig_doses(
                    weight_kg,
                    height_cm=relevant.get("height_cm"),
                    sex=relevant.get("sex"),
                    pregnant=relevant.get("pregnant"),
                )
            )
        if "prednisone" in reasons:
            doses["prednisone"] = prednisone_dose(weight_kg)
    # The same for every adult: no weight needed.
    if "dap-titration" in reasons:
        doses["dap"] = dap_dose()

    return Outcome(codes=tuple(reasons), doses=doses, reasons=reasons, priority=priority)


def _applicable_steps(answers: Mapping) -> list[str]:
    return [
        step
        for step in STEPS
        if step not in STEP_CONDITIONS or STEP_CONDITIONS[step].reasons(answers) is not None
    ]


def _in_pathway_order(pairs) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(dict.fromkeys(pairs), key=lambda pair: FIELD_ORDER[pair[0]]))
