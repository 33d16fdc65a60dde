"""`PlanDefinition/$apply`: a QuestionnaireResponse in, the pathway's plan out (DESIGN §8).

The answers are read from the response's items (nested as the Questionnaire's, by linkId),
evaluated by the engine, and returned as a CarePlan whose contained RequestGroup holds one
action per statement that applies, in the engine's order: the statement's text, markers,
citations and priority as the summary shows them, and the doses' lines. Nothing is decided
here: the codes are exactly `pathway.evaluate(answers).codes`.
"""

import uuid

from django.utils import timezone

from guidance.encounters.summary import dose_lines
from guidance.engine import pathway
from guidance.fhir.common import PLAN_DEFINITION_ID, canonical, without_empty
from guidance.fhir.extensions import statement_extension
from guidance.fhir.plan_definition import _related_artifact
from guidance.fhir.terminology import statement_coding, statement_title

VALUE_KEYS = ("valueCoding", "valueDecimal", "valueInteger", "valueDate", "valueString")
MAX_ITEMS = 200
# The questions that take several answers (the Questionnaire's `repeats`).
LIST_FIELDS = ("ivig_risk_factors",)


class ApplyError(ValueError):
    """The request cannot be applied; the message says why, for the OperationOutcome."""


def operation_outcome(message, code="invalid"):
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    }


def _value(answer, link_id):
    present = [key for key in VALUE_KEYS if key in answer]
    if len(present) != 1:
        raise ApplyError(f"The answer to {link_id!r} needs exactly one value[x] of {VALUE_KEYS}.")
    value = answer[present[0]]
    if present[0] == "valueCoding":
        if not isinstance(value, dict) or not isinstance(value.get("code"), str):
            raise ApplyError(f"The answer to {link_id!r} is a Coding without a code.")
        return value["code"]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ApplyError(f"The answer to {link_id!r} is not a {present[0]}.")
    return value


def answers_of(response):
    """The engine's answers from a QuestionnaireResponse's items (groups are walked)."""
    if not isinstance(response, dict) or response.get("resourceType") != "QuestionnaireResponse":
        raise ApplyError("Send a QuestionnaireResponse in the parameter 'questionnaireResponse'.")
    answers = {}
    pending = list(response.get("item") or [])
    seen = 0
    while pending:
        item = pending.pop(0)
        seen += 1
        if seen > MAX_ITEMS or not isinstance(item, dict):
            raise ApplyError("The QuestionnaireResponse's items are not the pathway's.")
        link_id = item.get("linkId")
        pending.extend(item.get("item") or [])
        if "answer" not in item:
            continue
        if link_id not in pathway.STEP_OF_FIELD:
            raise ApplyError(f"Unknown question {link_id!r}.")
        values = [_value(answer, link_id) for answer in item["answer"] or []]
        if link_id in LIST_FIELDS:
            answers[link_id] = values
        elif len(values) == 1:
            answers[link_id] = values[0]
        elif values:
            raise ApplyError(f"The question {link_id!r} takes one answer.")
    return answers


def parameters_response(parameters):
    """The QuestionnaireResponse and the optional subject of a Parameters resource."""
    if not isinstance(parameters, dict) or parameters.get("resourceType") != "Parameters":
        raise ApplyError("Send a Parameters resource.")
    by_name = {}
    for parameter in parameters.get("parameter") or []:
        if isinstance(parameter, dict) and isinstance(parameter.get("name"), str):
            by_name.setdefault(parameter["name"], parameter)
    response = (by_name.get("questionnaireResponse") or {}).get("resource")
    subject = (by_name.get("subject") or {}).get("valueString")
    return response, subject if isinstance(subject, str) and len(subject) <= 200 else None


def _action(code, statement, outcome, base_url):
    priority = outcome.priority.get(code)
    markers = [
        statement.get_kind_display(),
        *(["Local"] if statement.origin == "local" else []),
        *(
            [statement.get_verification_display()]
            if statement.verification != statement.Verification.VERIFIED
            else []
        ),
        *(["High priority"] if priority else []),
    ]
    return without_empty(
        {
            "id": code,
            "extension": [statement_extension(statement, base_url)],
            "title": statement_title(statement),
            "description": statement.text,
            "textEquivalent": f"{statement.text} ({', '.join(markers)})",
            "priority": "urgent" if priority else "routine",
            "code": [{"coding": [statement_coding(code, statement, base_url)]}],
            "documentation": [
                _related_artifact(citation) for citation in statement.ordered_citations
            ],
        }
    )


def _dose_texts(outcome, answers):
    """The doses' lines as the summary writes them out."""
    lines = dose_lines(outcome.doses, pathway.validate(answers), outcome.codes)
    texts = []
    if ivig := lines.get("ivig"):
        texts.append(f"IVIG on actual body weight: {ivig['actual']}")
        dosing = ivig["dosing"]
        if dosing["basis"] == "adjusted":
            texts.append(
                f"IVIG on adjusted body weight: {dosing['arithmetic']}; "
                f"in 5 g vials: {dosing['vials']}"
            )
    if prednisone := lines.get("prednisone"):
        label = lines.get("prednisone_label")
        texts.append(f"Prednisone{f' ({label})' if label else ''}: {prednisone}")
    return texts


def care_plan(answers, revision, statements, base_url, subject=None):
    """The CarePlan for `answers` on the published `revision` (`statements` by code)."""
    outcome = pathway.evaluate(answers)
    plan_url = f"{canonical(base_url, 'PlanDefinition', PLAN_DEFINITION_ID)}|{revision.number}"
    group = {
        "resourceType": "RequestGroup",
        "id": "plan",
        "instantiatesCanonical": [plan_url],
        "status": "draft",
        "intent": "proposal",
        "subject": {"display": subject or "the patient of the QuestionnaireResponse"},
        # Every code has its statement in a published revision (`manage.py check` says so).
        "action": [
            _action(code, statements[code], outcome, base_url)
            for code in outcome.codes
            if code in statements
        ],
    }
    return without_empty(
        {
            "resourceType": "CarePlan",
            "id": str(uuid.uuid4()),
            "contained": [group],
            "instantiatesCanonical": [plan_url],
            "status": "draft",
            "intent": "proposal",
            "title": revision.title,
            "subject": group["subject"],
            "created": timezone.now().isoformat(),
            "activity": [{"reference": {"reference": "#plan"}}],
            "note": [{"text": text} for text in _dose_texts(outcome, answers)],
        }
    )
