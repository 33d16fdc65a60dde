"""Every published revision's conformance resources resolvable by canonical URL and version,
and every coding the exports carry names its system (issue 25)."""

import json

import pytest
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from guidance.content.revisions import publish, start_draft, submit_for_review
from guidance.engine import pathway
from guidance.fhir.extensions import HIGH_PRIORITY_WHEN
from guidance.fhir.models import ApiToken
from guidance.fhir.terminology import answers_id
from tests.paths import IVIG_PATH_ANSWERS
from tests.test_fhir import document, every_item, guideline_bundle, resource_of
from tests.test_fhir_apply import parameters, post
from tests.test_fhir_course import prescribe  # noqa: F401

BASE = "http://localhost:8000/fhir"


def read(client, path, **headers):
    response = client.get(path, **headers)
    return response.status_code, json.loads(response.content)


@pytest.fixture
def revision_2(guideline, editor, reviewer):
    draft = start_draft(guideline, editor)
    draft.statements.filter(code="ivig-dose").update(text="Revision 2's dose wording.")
    return publish(submit_for_review(draft, editor, "Reworded the dose."), reviewer)


def test_each_revision_is_read_by_id_and_version(clinician_client, revision_2):
    status, current = read(clinician_client, "/fhir/PlanDefinition/lems-ivig-guideline")
    assert status == 200 and current["version"] == "2"
    status, first = read(clinician_client, "/fhir/PlanDefinition/lems-ivig-guideline/_history/1")
    assert status == 200 and first["version"] == "1"
    get_fhir_model_class("PlanDefinition").model_validate(first)
    texts = {action["id"]: action["description"] for action in first["action"]}
    assert texts["ivig-dose"] != "Revision 2's dose wording."
    status, _ = read(clinician_client, "/fhir/PlanDefinition/lems-ivig-guideline/_history/9")
    assert status == 404


def test_a_response_pointing_at_revision_1_still_resolves(clinician_client, revision_2):
    response = fhir_response_of_revision_1()
    url, version = response["questionnaire"].split("|")
    status, bundle = read(clinician_client, f"/fhir/Questionnaire?url={url}&version={version}")
    assert status == 200 and bundle["type"] == "searchset" and bundle["total"] == 1
    assert bundle["entry"][0]["resource"]["version"] == "1"
    status, both = read(clinician_client, f"/fhir/Questionnaire?url={url}")
    assert [entry["resource"]["version"] for entry in both["entry"]] == ["2", "1"]
    status, piped = read(clinician_client, f"/fhir/Questionnaire?url={url}|2")
    assert [entry["resource"]["version"] for entry in piped["entry"]] == ["2"]


def fhir_response_of_revision_1():
    from guidance import fhir

    return fhir.questionnaire_response(IVIG_PATH_ANSWERS, questionnaire_version=1, base_url=BASE)


def test_every_code_system_and_value_set_resolves(clinician_client, guideline):
    for field in pathway.CHOICES:
        for kind in ("CodeSystem", "ValueSet"):
            status, resource = read(clinician_client, f"/fhir/{kind}/{answers_id(field)}")
            assert status == 200, (kind, field)
            get_fhir_model_class(kind).model_validate(resource)
    status, statements = read(clinician_client, "/fhir/CodeSystem/lems-ivig-statements")
    assert {concept["code"] for concept in statements["concept"]} == set(pathway.ALL_CODES)


def test_reading_needs_a_sign_in_or_a_token(guideline, clinician):
    path = "/fhir/Questionnaire/lems-ivig-pathway"
    assert Client().get(path).status_code == 401
    _, raw = ApiToken.issue(clinician, "EHR")
    assert Client().get(path, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert Client().get("/fhir/Patient/x", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 404
    bad = Client().get("/fhir/Questionnaire?url=x&version=two", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert bad.status_code == 400


def codings(value):
    """Every Coding in a resource (a dict with a code inside a `coding` list)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ("coding",) and isinstance(inner, list):
                yield from inner
            if key == "valueCoding":
                yield inner
            yield from codings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from codings(inner)


def test_every_coding_names_its_system(clinician_client, clinician, prescribe):  # noqa: F811
    bundle = guideline_bundle(clinician_client)
    _, record = document(clinician_client, prescribe(started_days_ago=20))
    _, raw = ApiToken.issue(clinician, "EHR")
    plan = json.loads(post(Client(), parameters(IVIG_PATH_ANSWERS), raw).content)
    found = list(codings(bundle)) + list(codings(record)) + list(codings(plan))
    assert len(found) > 100
    assert [coding for coding in found if not coding.get("system")] == []
    questionnaire = resource_of(bundle, "Questionnaire")
    dap = next(item for item in every_item(questionnaire["item"]) if item["linkId"] == "dap_status")
    assert (
        dap["answerOption"][0]["valueCoding"]["system"] == f"{BASE}/CodeSystem/lems-ivig-dap-status"
    )


def test_the_high_priority_table_names_exactly_the_codes_the_engine_marks():
    from tests.fhir_answer_sets import complete_answer_sets

    marked = {
        code for answers in complete_answer_sets() for code in pathway.evaluate(answers).priority
    }
    assert marked == set(HIGH_PRIORITY_WHEN)


def test_the_document_names_its_revision_with_an_extension_defined_here(
    clinician_client,
    prescribe,  # noqa: F811
):
    _, record = document(clinician_client, prescribe(started_days_ago=20))
    (extension,) = resource_of(record, "Composition")["extension"]
    status, definition = read(clinician_client, "/fhir/StructureDefinition/lems-guideline-revision")
    assert status == 200 and extension["url"] == definition["url"]
    assert extension["valueCanonical"].endswith("/PlanDefinition/lems-ivig-guideline|1")
    get_fhir_model_class("StructureDefinition").model_validate(definition)
