"""The proof that the exported guideline agrees with the engine (DESIGN.md §8).

Each PlanDefinition condition, taken from the export of the loaded guideline and compiled
once with fhirpathpy's R4 model, is evaluated on the QuestionnaireResponse of an answer set;
the actions whose condition holds must be exactly `pathway.evaluate(answers).codes`, in
order. Each answer set is tried as a FHIR form sends it (only questions that apply) and with
every answer given kept, stale ones included, which the conditions must ignore as the
engine does. CI checks a fixed, seeded sample; `make fhir-proof` checks every answer set.
"""

import json
import os
import random
import time

import fhirpathpy
import pytest
from fhirpathpy.models import models

from guidance import fhir
from guidance.content.presentation import statements_by_code
from guidance.encounters.workflow import published_revision
from guidance.engine import pathway
from tests.fhir_answer_sets import complete_answer_sets, deciding_fields, partial_answer_sets
from tests.test_pathway import RISK_FACTOR_SETS, every_combination

BASE_URL = "https://lems.example/fhir"
SEED = 17


@pytest.fixture
def conditions(guideline):
    """(code, expression) of each PlanDefinition action, and each distinct expression
    compiled once (many codes share one rule, e.g. the thirteen that apply with IVIG)."""
    revision = published_revision()
    plan = fhir.plan_definition(revision, statements_by_code(revision, pathway.ALL_CODES), BASE_URL)
    expressions = [
        (action["id"], action["condition"][0]["expression"]["expression"])
        for action in plan["action"]
    ]
    compiled = {
        expression: fhirpathpy.compile(expression, models["r4"]) for _, expression in expressions
    }
    return expressions, compiled


def selected_codes(conditions, response):
    expressions, compiled = conditions
    holds = {expression: holds(response) == [True] for expression, holds in compiled.items()}
    return tuple(code for code, expression in expressions if holds[expression])


def disagreements(conditions, answer_sets):
    """The answer sets on which the conditions select other codes than the engine."""
    wrong, seen = [], set()
    for answers in answer_sets:
        expected = pathway.evaluate(answers).codes
        for applicable_only in (False, True):
            response = fhir.questionnaire_response(
                answers, questionnaire_version=1, base_url=BASE_URL, applicable_only=applicable_only
            )
            # Answer sets that differ only in answers a form leaves out send the same
            # response: with the same expected codes, one check settles them all.
            key = (json.dumps(response, sort_keys=True), expected)
            if key in seen:
                continue
            seen.add(key)
            selected = selected_codes(conditions, response)
            if selected != expected:
                wrong.append((answers, applicable_only, selected, expected))
    return wrong, len(seen)


def test_every_statement_code_has_a_condition(conditions):
    expressions, _ = conditions
    assert [code for code, _ in expressions] == list(pathway.ALL_CODES)


def test_the_conditions_select_exactly_the_engines_codes_on_a_seeded_sample(conditions):
    rng = random.Random(SEED)
    complete = rng.sample(list(complete_answer_sets()), 1000)
    partial = rng.sample(list(partial_answer_sets()), 300)
    wrong, _ = disagreements(conditions, complete + partial)
    assert wrong == []
    reached = {code for answers in complete + partial for code in pathway.evaluate(answers).codes}
    assert reached == set(pathway.ALL_CODES)


def test_a_condition_that_disagrees_is_caught(conditions):
    # The proof can fail: give out-of-scope the rule of dap-first-line and it notices.
    expressions, compiled = conditions
    swapped = [
        (code, expressions[3][1] if code == "out-of-scope" else e) for code, e in expressions
    ]
    answers = {"weight_kg": 70, "diagnosis_confirmed": "no"}
    wrong, _ = disagreements((swapped, compiled), [answers])
    assert wrong != []


def test_the_answer_sets_cover_the_engines_exhaustive_test():
    fields = deciding_fields()
    covered = {
        tuple(sorted(answers.items()))
        for answers in partial_answer_sets()
        if "ivig_risk_factors" not in answers
    }
    complete = list(complete_answer_sets())
    covered |= {
        tuple(sorted((field, answers[field]) for field in fields if field != "ivig_risk_factors"))
        for answers in complete
        if not answers.get("ivig_risk_factors")
    }
    missing = [
        answers
        for answers in every_combination()
        if tuple(sorted((field, value) for field, value in answers.items() if value)) not in covered
    ]
    assert missing == []
    # And every subset of the risk factors, with everything else given.
    subsets = {tuple(answers["ivig_risk_factors"]) for answers in complete}
    assert subsets == set(RISK_FACTOR_SETS)


@pytest.mark.skipif(not os.environ.get("FHIR_PROOF"), reason="make fhir-proof: every answer set")
def test_the_conditions_select_exactly_the_engines_codes_on_every_answer_set(conditions):
    started = time.perf_counter()
    complete = list(complete_answer_sets())
    partial = list(partial_answer_sets())
    wrong, responses = disagreements(conditions, complete + partial)
    assert wrong == []
    seconds = time.perf_counter() - started
    print(
        f"\nFHIR proof: {len(complete)} complete and {len(partial)} partial answer sets "
        f"({responses} distinct QuestionnaireResponses, as a form sends them and with "
        f"stale answers kept), {len(conditions[0])} conditions ({len(conditions[1])} distinct): "
        f"all agree with the engine ({seconds:.0f} s)"
    )
