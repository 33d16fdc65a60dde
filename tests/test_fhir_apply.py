"""`POST /fhir/PlanDefinition/<id>/$apply` (DESIGN §8): a QuestionnaireResponse in, a CarePlan
of what applies out, evaluated by the engine; signed-in clinicians and token holders only,
rate-limited, bad input answered with an OperationOutcome."""

import json
import os
import random

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from fhir.resources.R4B import get_fhir_model_class

from guidance import fhir
from guidance.engine import pathway
from guidance.fhir.apply import answers_of
from guidance.fhir.models import APPLY_RATE, ApiToken
from guidance.models import Statement
from tests.fhir_answer_sets import complete_answer_sets, partial_answer_sets
from tests.paths import IVIG_PATH_ANSWERS
from tests.test_hardening import captured_stderr  # noqa: F401

APPLY = reverse("plan_definition_apply", args=["lems-ivig-guideline"])
BASE = "http://testserver/fhir"


def parameters(answers, **extra):
    response = fhir.questionnaire_response(answers, questionnaire_version=1, base_url=BASE)
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "questionnaireResponse", "resource": response},
            *({"name": name, "valueString": value} for name, value in extra.items()),
        ],
    }


def post(client, body, token=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(APPLY, data, content_type="application/fhir+json", **headers)


@pytest.fixture
def token(clinician):
    _, raw = ApiToken.issue(clinician, "EHR")
    return raw


def action_codes(care_plan):
    (group,) = care_plan["contained"]
    return [action["id"] for action in group.get("action", [])]


def test_a_token_holder_gets_the_plan_the_engine_gives(guideline, token):
    response = post(Client(), parameters(IVIG_PATH_ANSWERS, subject="Patient/123"), token)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    plan = json.loads(response.content)
    get_fhir_model_class("CarePlan").model_validate(plan)
    get_fhir_model_class("RequestGroup").model_validate(plan["contained"][0])
    outcome = pathway.evaluate(IVIG_PATH_ANSWERS)
    assert action_codes(plan) == list(outcome.codes)
    (group,) = plan["contained"]
    dose = next(action for action in group["action"] if action["id"] == "ivig-dose")
    published = Statement.objects.get(revision__status="published", code="ivig-dose")
    assert dose["description"] == published.text
    assert [artifact["label"] for artifact in dose["documentation"]] == [
        str(link.citation.number) for link in published.citation_links.all()
    ]
    assert "Partly confirmed" in dose["textEquivalent"]
    assert plan["subject"] == {"display": "Patient/123"}
    assert any(note["text"].startswith("IVIG on actual body weight") for note in plan["note"])


def test_high_priority_warnings_are_urgent(guideline, token):
    answers = dict(IVIG_PATH_ANSWERS, ivig_risk_factors=["renal"])
    plan = json.loads(post(Client(), parameters(answers), token).content)
    priorities = {action["id"]: action["priority"] for action in plan["contained"][0]["action"]}
    assert priorities["pitfall-ivig-risks"] == "urgent"
    assert priorities["ivig-dose"] == "routine"


def test_a_signed_in_clinician_calls_it_with_the_csrf_token(clinician, guideline):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clinician)
    assert post(client, parameters(IVIG_PATH_ANSWERS)).status_code == 403
    client.get(reverse("home"))
    csrf = client.cookies["csrftoken"].value
    response = post(client, parameters(IVIG_PATH_ANSWERS), HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200


def test_editors_and_strangers_are_refused(editor_client, guideline):
    assert post(editor_client, parameters(IVIG_PATH_ANSWERS)).status_code == 403
    anonymous = post(Client(), parameters(IVIG_PATH_ANSWERS))
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(anonymous.content)["resourceType"] == "OperationOutcome"
    assert post(Client(), parameters(IVIG_PATH_ANSWERS), "lems_made-up").status_code == 401


def test_a_revoked_token_or_an_inactive_account_is_refused(guideline, clinician, token):
    assert post(Client(), parameters(IVIG_PATH_ANSWERS), token).status_code == 200
    clinician.is_active = False
    clinician.save()
    assert post(Client(), parameters(IVIG_PATH_ANSWERS), token).status_code == 401
    clinician.is_active = True
    clinician.save()
    ApiToken.objects.get().revoke()
    assert post(Client(), parameters(IVIG_PATH_ANSWERS), token).status_code == 401


def test_the_token_is_stored_only_as_a_hash_and_never_logged(
    guideline,
    token,
    captured_stderr,  # noqa: F811
):
    stored = ApiToken.objects.get()
    assert token not in (stored.key_hash, stored.shown_start) and len(stored.key_hash) == 64
    post(Client(), parameters(IVIG_PATH_ANSWERS), token)
    post(Client(), "not json", token)
    post(Client(), parameters(IVIG_PATH_ANSWERS), token + "x")
    log = captured_stderr.getvalue()
    assert log.count("POST /fhir/PlanDefinition/lems-ivig-guideline/$apply") == 3
    assert token not in log and token[12:20] not in log


@pytest.mark.parametrize(
    "body, status, says",
    [
        ("not json", 400, "not JSON"),
        ({"resourceType": "Patient"}, 400, "Parameters"),
        ({"resourceType": "Parameters", "parameter": []}, 400, "QuestionnaireResponse"),
        (
            {
                "resourceType": "Parameters",
                "parameter": [
                    {
                        "name": "questionnaireResponse",
                        "resource": {
                            "resourceType": "QuestionnaireResponse",
                            "item": [{"linkId": "shoe_size", "answer": [{"valueDecimal": 9}]}],
                        },
                    }
                ],
            },
            400,
            "shoe_size",
        ),
        (
            parameters({**IVIG_PATH_ANSWERS, "weight_kg": "70"}),
            200,
            "CarePlan",
        ),
    ],
)
def test_bad_input_gets_an_operation_outcome_never_a_500(guideline, token, body, status, says):
    response = post(Client(), body, token)
    assert response.status_code == status
    assert says in response.content.decode()


def test_an_out_of_range_answer_names_its_field(guideline, token):
    body = parameters(IVIG_PATH_ANSWERS)
    weight = next(
        item
        for group in body["parameter"][0]["resource"]["item"]
        for item in group.get("item", [])
        if item["linkId"] == "weight_kg"
    )
    weight["answer"] = [{"valueDecimal": 500}]
    response = post(Client(), body, token)
    assert response.status_code == 400
    outcome = json.loads(response.content)
    get_fhir_model_class("OperationOutcome").model_validate(outcome)
    assert "weight_kg" in outcome["issue"][0]["diagnostics"]


def test_an_unknown_plan_definition_or_a_get_is_refused(guideline, token):
    other = reverse("plan_definition_apply", args=["other-plan"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().post(other, "{}", content_type="application/json", **headers).status_code == 404
    assert Client().get(APPLY, **headers).status_code == 405


def test_calls_beyond_the_rate_are_throttled(guideline, token):
    client = Client()
    body = parameters({"weight_kg": 70, "diagnosis_confirmed": "no"})
    statuses = [post(client, body, token).status_code for _ in range(APPLY_RATE + 1)]
    assert statuses[:APPLY_RATE] == [200] * APPLY_RATE
    assert statuses[-1] == 429


def test_the_command_issues_and_revokes_a_token(guideline, clinician, capsys):
    call_command("issue_fhir_token", clinician.username, "--name", "EHR")
    raw = capsys.readouterr().out.strip()
    assert post(Client(), parameters(IVIG_PATH_ANSWERS), raw).status_code == 200
    call_command("issue_fhir_token", clinician.username, "--revoke", raw[:12])
    assert post(Client(), parameters(IVIG_PATH_ANSWERS), raw).status_code == 401


def test_apply_returns_exactly_the_engines_codes_over_the_answer_sets(guideline):
    """The proof of issue 17 extended to $apply: the answers read back from the response
    evaluate to the engine's codes, and the CarePlan lists exactly them, in order."""
    from guidance.content.presentation import statements_by_code
    from guidance.encounters.workflow import published_revision

    revision = published_revision()
    statements = statements_by_code(revision, pathway.ALL_CODES)
    rng = random.Random(17)
    answer_sets = rng.sample(list(complete_answer_sets()), 400) + rng.sample(
        list(partial_answer_sets()), 200
    )
    for answers in answer_sets:
        response = fhir.questionnaire_response(answers, questionnaire_version=1, base_url=BASE)
        read = answers_of(response)
        plan = fhir.apply.care_plan(read, revision, statements, BASE)
        assert action_codes(plan) == list(pathway.evaluate(answers).codes), answers


@pytest.mark.skipif(not os.environ.get("FHIR_PROOF"), reason="make fhir-proof: every answer set")
def test_apply_returns_exactly_the_engines_codes_on_every_answer_set(guideline):
    from guidance.content.presentation import statements_by_code
    from guidance.encounters.workflow import published_revision

    revision = published_revision()
    statements = statements_by_code(revision, pathway.ALL_CODES)
    wrong = []
    for answers in [*complete_answer_sets(), *partial_answer_sets()]:
        response = fhir.questionnaire_response(answers, questionnaire_version=1, base_url=BASE)
        plan = fhir.apply.care_plan(answers_of(response), revision, statements, BASE)
        if action_codes(plan) != list(pathway.evaluate(answers).codes):
            wrong.append(answers)
    assert wrong == []
