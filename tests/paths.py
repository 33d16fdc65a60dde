"""The pathway's happy IVIG path, shared by the tests and `make bench` (no fixtures here).

Confirmed LEMS, 70 kg, a man of 175 cm (so the dosing weight is the actual weight), no
tumour on a screen that included FDG-PET, never smoked, 3,4-DAP not enough, severe
weakness while immunosuppression starts, plasma exchange available, a renal risk.
"""

from guidance.engine import pathway


def as_shown(decision, encounter):
    """A decision as the summary page of `encounter` posts it now: with the revision the
    page shows (the published one) and the fingerprint of the answers and revision behind
    it (finalize refuses any other)."""
    from guidance.encounters import workflow as encounters
    from guidance.models import Encounter, Revision

    revision = Revision.objects.published().get()
    stored = Encounter.all_objects.get(pk=encounter.pk)  # as it is now, whatever was posted
    return {
        **decision,
        "revision_shown": str(revision.number),
        "shown_fingerprint": encounters.summary_fingerprint(stored, revision),
    }


# The path's answers as the engine stores them.
IVIG_PATH_ANSWERS = {
    "weight_kg": 70.0,
    "diagnosis_confirmed": "yes",
    "height_cm": 175.0,
    "sex": "male",
    "tumour_status": "not_found",
    "smoking": "never",
    "screen_included_pet": "yes",
    "dap_status": "inadequate",
    "weakness": "severe",
    "rapid_improvement_needed": "no",
    "immunosuppression": "starting",
    "plasma_exchange_available": "yes",
    "ivig_risk_factors": ["renal"],
}

# What a clinician posts on each step of the path.
STEP_POSTS = {
    "patient": {
        "patient_reference": "MRN-0042",
        "weight_kg": "70",
        "diagnosis_confirmed": "yes",
        "height_cm": "175",
        "sex": "male",
    },
    "tumour": {"tumour_status": "not_found", "smoking": "never", "screen_included_pet": "yes"},
    "symptomatic": {"dap_status": "inadequate"},
    "severity": {
        "weakness": "severe",
        "rapid_improvement_needed": "no",
        "immunosuppression": "starting",
    },
    "ivig": {"plasma_exchange_available": "yes", "ivig_risk_factors": ["renal"]},
}


def _answers_of_steps(steps, answers):
    fields = {field for step in steps for field in pathway.STEP_FIELDS[step]}
    return {field: value for field, value in answers.items() if field in fields}


def answers_before(step, answers=IVIG_PATH_ANSWERS):
    """The answers of the steps before `step`: posting `step` then leads on."""
    return _answers_of_steps(pathway.STEPS[: pathway.STEPS.index(step)], answers)


def answers_through(step, answers=IVIG_PATH_ANSWERS):
    """The answers of `step` and the steps before it."""
    return _answers_of_steps(pathway.STEPS[: pathway.STEPS.index(step) + 1], answers)


# The three seed cases the browser tests and the screenshot walk (docs/screenshots/) show.
SEED_CASES = {
    # Severe weakness while immunosuppression starts, plasma exchange available, renal risk.
    "ivig": dict(IVIG_PATH_ANSWERS),
    # Tumour found, a smoker, 3,4-DAP not tolerated.
    "paraneoplastic": {
        "weight_kg": 70.0,
        "diagnosis_confirmed": "yes",
        "height_cm": 175.0,
        "sex": "male",
        "tumour_status": "found",
        "smoking": "current",
        "dap_status": "not_tolerated",
        "weakness": "moderate",
        "rapid_improvement_needed": "no",
        "immunosuppression": "none",
    },
    # Moderate weakness, immunosuppression starting: IVIG only as a bridge.
    "bridge-only": {**IVIG_PATH_ANSWERS, "weakness": "moderate"},
}
