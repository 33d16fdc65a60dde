"""Answer sets for the FHIR proof, generated from guidance/pathway.py's own tables.

A deciding field is one that some condition reads: a rule's or a step's (what decides the
codes), and with `questions=True` also a question's (what decides the form). Every value of
each (every subset of the IVIG risk factors), and for partial sets also "not answered", is
combined with every value of the others.
The other fields cannot change which codes apply; complete sets give them seeded values so
the QuestionnaireResponse carries every kind of answer.
"""

import itertools
import random

from guidance.engine import pathway

FIELD_ORDER = [field for fields in pathway.STEP_FIELDS.values() for field in fields]
WEIGHT_KG = 70


def answers_read(condition):
    if isinstance(condition, (pathway.Is, pathway.IsNot)):
        yield condition
    else:
        for part in condition.conditions:
            yield from answers_read(part)


def every_condition(questions):
    yield from (condition for _, condition in pathway.RULES)
    yield from pathway.STEP_CONDITIONS.values()
    if questions:
        yield from pathway.QUESTION_CONDITIONS.values()


def deciding_fields(questions=False):
    read = {
        answer.field
        for condition in every_condition(questions)
        for answer in answers_read(condition)
    }
    return sorted(read, key=FIELD_ORDER.index)


def _values(field):
    """The answers a field can take: its choices, or for the risk factors (a list) every
    subset of them, none ticked included."""
    if field == "ivig_risk_factors":
        factors = pathway.CHOICES[field]
        return tuple(
            list(subset)
            for size in range(len(factors) + 1)
            for subset in itertools.combinations(factors, size)
        )
    return pathway.CHOICES[field]


def _combinations(with_unanswered, questions):
    fields = deciding_fields(questions)
    options = [((None,) if with_unanswered else ()) + _values(field) for field in fields]
    for values in itertools.product(*options):
        yield {
            field: value for field, value in zip(fields, values, strict=True) if value is not None
        }


def _other_answers(rng, questions):
    deciding = set(deciding_fields(questions))
    answers = {"weight_kg": WEIGHT_KG}
    for field in FIELD_ORDER:
        if field in deciding or field == "weight_kg":
            continue
        if field == "ivig_risk_factors":
            factors = pathway.CHOICES[field]
            answers[field] = [factor for factor in factors if rng.random() < 0.5]
        elif field in pathway.CHOICES:
            answers[field] = rng.choice((None, *pathway.CHOICES[field]))
        elif field == "height_cm":
            answers[field] = rng.choice((None, 150, 175.5))
        elif field.endswith("_date"):
            answers[field] = rng.choice((None, "2026-06-01"))
    return answers


def complete_answer_sets(questions=False, seed=17):
    """Every combination of the deciding answers, all given, at one weight."""
    rng = random.Random(seed)
    for deciding in _combinations(with_unanswered=False, questions=questions):
        answers = {**_other_answers(rng, questions), **deciding}
        while True:
            try:
                pathway.validate(answers)
                break
            except pathway.AnswerError as error:  # e.g. a seeded pregnancy for a male patient
                answers.pop(error.field)
        yield answers


def partial_answer_sets(questions=False):
    """Every combination of the deciding answers with at least one not given."""
    deciding = set(deciding_fields(questions))
    for answers in _combinations(with_unanswered=True, questions=questions):
        if set(answers) != deciding:
            try:
                pathway.validate(answers)
            except pathway.AnswerError:
                continue
            yield answers
