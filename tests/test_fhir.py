"""The FHIR R4 exports (guidance/fhir.py, /guideline/fhir/, /encounters/<uuid>/fhir/).

Every resource is validated with fhir.resources' R4B models; the invariants those models do
not check (more than one enableWhen needs enableBehavior, a document has an identifier and
its Composition first, narrative is well-formed XHTML) are checked here. Whether the
PlanDefinition's conditions agree with the engine is tests/test_fhir_proof.py.
"""

import itertools
import json
import re
import xml.etree.ElementTree as ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from fhir.resources.R4B import get_fhir_model_class

from guidance import fhir
from guidance.engine import pathway
from guidance.models import AccessLog, Encounter, Statement
from tests.fhir_answer_sets import complete_answer_sets, partial_answer_sets
from tests.paths import as_shown

XHTML_DIV = "{http://www.w3.org/1999/xhtml}div"


def validated(bundle):
    """Each resource of the bundle, validated with its own R4B model (the Bundle model
    takes its entries' resources as any Resource)."""
    get_fhir_model_class("Bundle").model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return bundle


def resource_of(bundle, kind):
    (resource,) = [
        entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind
    ]
    return resource


def every_item(items):
    for item in items:
        yield item
        yield from every_item(item.get("item", []))


def guideline_bundle(client):
    response = client.get(reverse("guideline_fhir"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    return validated(json.loads(response.content))


# /guideline/fhir/


def test_the_guideline_export_needs_a_signed_in_user(client, guideline):
    response = client.get(reverse("guideline_fhir"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_editor_may_read_the_guideline_export(editor_client):
    assert resource_of(guideline_bundle(editor_client), "PlanDefinition")["status"] == "active"


def test_the_guideline_export_is_a_collection_of_the_published_revision(clinician_client, settings):
    settings.FHIR_BASE_URL = "https://lems.hospital.example/fhir"
    bundle = guideline_bundle(clinician_client)
    assert bundle["type"] == "collection"
    questionnaire = resource_of(bundle, "Questionnaire")
    plan = resource_of(bundle, "PlanDefinition")
    for resource in (questionnaire, plan):
        assert resource["version"] == "1"
        assert resource["status"] == "active"
        assert resource["url"].startswith("https://lems.hospital.example/fhir/")
    assert (
        questionnaire["url"] == "https://lems.hospital.example/fhir/Questionnaire/lems-ivig-pathway"
    )


def test_a_new_published_revision_gives_its_number_as_the_version(
    clinician_client, draft, editor, reviewer
):
    from guidance.content.revisions import publish, submit_for_review

    submit_for_review(draft, editor, "Revision 2 for the export test.")
    publish(draft, reviewer)
    bundle = guideline_bundle(clinician_client)
    assert {entry["resource"]["version"] for entry in bundle["entry"]} == {"2"}


def test_the_questionnaire_has_the_steps_as_groups_and_each_field_coded_by_its_name(
    clinician_client,
):
    questionnaire = resource_of(guideline_bundle(clinician_client), "Questionnaire")
    items = list(every_item(questionnaire["item"]))
    steps = [item["linkId"] for item in items if item["linkId"] in pathway.STEPS]
    assert steps == list(pathway.STEPS)
    questions = [item for item in items if item.get("type") != "group"]
    fields = [field for fields in pathway.STEP_FIELDS.values() for field in fields]
    assert [item["linkId"] for item in questions] == [f for f in fields if f != "patient_reference"]
    for item in questions:
        assert item["code"][0]["code"] == item["linkId"]
        if item["linkId"] in pathway.CHOICES:
            codes = [option["valueCoding"]["code"] for option in item["answerOption"]]
            assert codes == list(pathway.CHOICES[item["linkId"]])


def test_required_questions_are_the_engines_required_answers(clinician_client):
    questionnaire = resource_of(guideline_bundle(clinician_client), "Questionnaire")
    required = {
        item["linkId"] for item in every_item(questionnaire["item"]) if item.get("required")
    }
    assert required == {field for fields in pathway.REQUIRED_FIELDS.values() for field in fields}


def test_weight_and_height_are_decimals_with_the_engines_limits(clinician_client):
    questionnaire = resource_of(guideline_bundle(clinician_client), "Questionnaire")
    by_id = {item["linkId"]: item for item in every_item(questionnaire["item"])}
    for field, limits, unit in (
        ("weight_kg", pathway.WEIGHT_RANGE_KG, "kg"),
        ("height_cm", pathway.HEIGHT_RANGE_CM, "cm"),
    ):
        item = by_id[field]
        assert item["type"] == "decimal"
        extensions = {
            extension["url"].rsplit("/", 1)[1]: extension for extension in item["extension"]
        }
        bounds = {name: extensions[name]["valueDecimal"] for name in ("minValue", "maxValue")}
        assert bounds == {"minValue": limits[0], "maxValue": limits[1]}
        assert (
            extensions["questionnaire-unit"]["valueCoding"]["system"] == "http://unitsofmeasure.org"
        )
        assert extensions["questionnaire-unit"]["valueCoding"]["code"] == unit


def test_more_than_one_enable_when_always_says_how_they_combine(clinician_client):
    questionnaire = resource_of(guideline_bundle(clinician_client), "Questionnaire")
    conditional = [item for item in every_item(questionnaire["item"]) if "enableWhen" in item]
    assert conditional
    for item in conditional:
        if len(item["enableWhen"]) > 1:  # FHIR invariant que-12
            assert item["enableBehavior"] in ("all", "any")


def test_the_plan_definition_has_one_action_per_statement_code_with_its_text_and_citations(
    clinician_client, guideline
):
    plan = resource_of(guideline_bundle(clinician_client), "PlanDefinition")
    actions = plan["action"]
    assert [action["id"] for action in actions] == list(pathway.ALL_CODES)
    statements = {
        statement.code: statement
        for statement in Statement.objects.filter(revision__guideline=guideline).prefetch_related(
            "citation_links__citation"
        )
    }
    cited_with_doi = 0
    for action in actions:
        statement = statements[action["id"]]
        assert action["description"] == statement.text
        assert [artifact["label"] for artifact in action.get("documentation", [])] == [
            str(citation.number) for citation in statement.ordered_citations
        ]
        for artifact, citation in zip(
            action.get("documentation", []), statement.ordered_citations, strict=True
        ):
            assert artifact["type"] == "citation"
            if citation.doi:
                cited_with_doi += 1
                assert artifact["url"] == f"https://doi.org/{citation.doi}"
                assert f"doi:{citation.doi}" in artifact["citation"]
            if citation.pmid:
                assert f"PMID: {citation.pmid}" in artifact["citation"]
        (condition,) = action["condition"]
        assert condition["kind"] == "applicability"
        assert condition["expression"]["language"] == "text/fhirpath"
        assert action["title"] != statement.code and statement.section.title in action["title"]
        (extension,) = action["extension"]
        parts = {part["url"]: part for part in extension["extension"]}
        assert parts["origin"]["valueCode"] == statement.origin
        assert parts["verification"]["valueCode"] == statement.verification
        assert parts["evidenceQuality"]["valueCode"] == statement.evidence_quality
        assert parts["editedLocally"]["valueBoolean"] is False
    assert cited_with_doi > 0


def test_each_extension_used_is_defined_by_a_structure_definition_in_the_bundle(
    clinician_client, guideline
):
    bundle = guideline_bundle(clinician_client)
    defined = {
        entry["resource"]["url"]: entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "StructureDefinition"
    }
    used = {
        extension["url"]
        for action in resource_of(bundle, "PlanDefinition")["action"]
        for extension in action.get("extension", [])
    }
    assert used and used <= set(defined)
    for definition in defined.values():
        parts = {
            element["sliceName"]
            for element in definition["differential"]["element"]
            if "sliceName" in element
        }
        for action in resource_of(bundle, "PlanDefinition")["action"]:
            for extension in action["extension"]:
                if extension["url"] == definition["url"]:
                    assert {part["url"] for part in extension["extension"]} <= parts


def test_markup_in_a_statement_reaches_the_export_as_text_not_as_narrative(
    clinician_client, guideline
):
    Statement.objects.filter(code="dap-first-line").update(text="<script>alert(1)</script> 3,4-DAP")
    plan = resource_of(guideline_bundle(clinician_client), "PlanDefinition")
    (action,) = [action for action in plan["action"] if action["id"] == "dap-first-line"]
    assert (
        action["description"] == "<script>alert(1)</script> 3,4-DAP"
    )  # JSON text, escaped by JSON


def test_an_and_inside_an_or_is_refused_rather_than_exported_wrong():
    condition = pathway.AnyOf(
        pathway.AllOf(pathway.CONFIRMED, pathway.TUMOUR_FOUND), pathway.SMOKER
    )
    with pytest.raises(ValueError):
        fhir.enable_levels(condition)


def test_the_ivig_step_nests_one_group_per_alternative():
    levels = fhir.enable_levels(pathway.STEP_CONDITIONS["ivig"])
    assert [behaviour for behaviour, _ in levels] == ["all", "any", "any"]
    assert levels[0][1] == (pathway.CONFIRMED,)


# The Questionnaire's enableWhen against the engine's applicable steps


def enabled_link_ids(questionnaire, response):
    """The items a FHIR form enables for these answers (R4 Questionnaire.item.enableWhen):
    an item is enabled when its parent is and its enableWhen holds, and the answer of a
    disabled question counts as not given. The specification's rules for an unanswered
    question: `exists` false holds, `=` and `!=` do not (as HAPI's evaluator and SDC
    renderers apply them)."""
    parents, items = {}, {}
    for item in every_item(questionnaire["item"]):
        items[item["linkId"]] = item
        for child in item.get("item", []):
            parents[child["linkId"]] = item["linkId"]
    answers = {
        item["linkId"]: {
            answer["valueCoding"]["code"] for answer in item["answer"] if "valueCoding" in answer
        }
        for item in every_item(response["item"])
        if "answer" in item
    }
    memo = {}

    def enabled(link_id):
        if link_id not in memo:
            item = items[link_id]
            parent = parents.get(link_id)
            checks = []
            for condition in item.get("enableWhen", []):
                question = condition["question"]
                given = answers.get(question, set()) if enabled(question) else set()
                if condition["operator"] == "exists":
                    checks.append(bool(given) == condition["answerBoolean"])
                elif condition["operator"] == "=":
                    checks.append(condition["answerCoding"]["code"] in given)
                else:  # "!=": some answer other than it; never while unanswered
                    checks.append(bool(given - {condition["answerCoding"]["code"]}))
            own = not checks or (
                any(checks) if item.get("enableBehavior") == "any" else all(checks)
            )
            memo[link_id] = own and (parent is None or enabled(parent))
        return memo[link_id]

    return {link_id for link_id in items if enabled(link_id)}


def test_the_questionnaire_enables_exactly_the_engines_applicable_steps(guideline):
    from guidance.encounters.workflow import published_revision

    questionnaire = fhir.questionnaire(published_revision(), "https://lems.example/fhir")
    checked, wrong = 0, []
    for answers in itertools.chain(
        partial_answer_sets(questions=True), complete_answer_sets(questions=True)
    ):
        response = fhir.questionnaire_response(
            answers,
            questionnaire_version=1,
            base_url="https://lems.example/fhir",
            applicable_only=False,
        )
        enabled = enabled_link_ids(questionnaire, response)
        steps = [step for step in pathway.STEPS if step in enabled]
        if steps != pathway.applicable_steps(answers):
            wrong.append((answers, steps))
        for field, condition in pathway.QUESTION_CONDITIONS.items():
            step = pathway.STEP_OF_FIELD[field]
            expected = step in steps and condition.reasons(answers) is not None
            if (field in enabled) != expected:
                wrong.append((answers, field))
        checked += 1
    assert wrong == []
    assert checked > 10_000


def test_the_delta_p_and_fdg_pet_questions_are_asked_while_a_tumour_may_still_be_found(
    guideline,
):
    from guidance.encounters.workflow import published_revision

    questionnaire = fhir.questionnaire(published_revision(), "https://lems.example/fhir")
    delta_p = {"onset_age_50_or_over", "weight_loss_5_percent", "bulbar_involvement"}
    for tumour_status, sex, expected in (
        (
            "not_found",
            "male",
            delta_p | {"erectile_dysfunction", "last_negative_screen_date", "screen_included_pet"},
        ),
        ("not_screened", None, delta_p | {"erectile_dysfunction"}),
        ("not_screened", "female", delta_p),
        ("found", "male", set()),
    ):
        answers = {"diagnosis_confirmed": "yes", "tumour_status": tumour_status, "sex": sex}
        response = fhir.questionnaire_response(
            answers, questionnaire_version=1, base_url="https://x.example"
        )
        enabled = enabled_link_ids(questionnaire, response)
        asked = {field for field in pathway.QUESTION_CONDITIONS if field in enabled}
        assert asked - {"pregnant", "karnofsky_below_70"} == expected


def test_no_enable_when_depends_on_how_a_filler_reads_an_unanswered_question(clinician_client):
    questionnaire = resource_of(guideline_bundle(clinician_client), "Questionnaire")
    operators = {
        condition["operator"]
        for item in every_item(questionnaire["item"])
        for condition in item.get("enableWhen", [])
    }
    assert operators == {"=", "exists"}


def test_the_erectile_dysfunction_question_shows_while_sex_is_not_given(guideline):
    from guidance.encounters.workflow import published_revision

    questionnaire = fhir.questionnaire(published_revision(), "https://lems.example/fhir")
    for sex, shown in ((None, True), ("male", True), ("female", False)):
        answers = {"diagnosis_confirmed": "yes", "tumour_status": "not_screened", "sex": sex}
        response = fhir.questionnaire_response(
            answers, questionnaire_version=1, base_url="https://x.example"
        )
        assert ("erectile_dysfunction" in enabled_link_ids(questionnaire, response)) is shown


def test_the_pregnancy_question_is_enabled_only_for_a_female_patient(guideline):
    from guidance.encounters.workflow import published_revision

    questionnaire = fhir.questionnaire(published_revision(), "https://lems.example/fhir")
    for sex, shown in (("female", True), ("male", False), (None, False)):
        answers = {"weight_kg": 70, "diagnosis_confirmed": "yes", "sex": sex}
        response = fhir.questionnaire_response(
            answers, questionnaire_version=1, base_url="https://x.example"
        )
        assert ("pregnant" in enabled_link_ids(questionnaire, response)) is shown


# /encounters/<uuid>/fhir/


@pytest.fixture
def finalized(clinician_client, make_encounter, ivig_answers):
    encounter = make_encounter(
        patient_reference="MRN-FHIR-3", answers=ivig_answers, status="complete"
    )
    response = clinician_client.post(
        reverse("finalize", args=[encounter.pk]),
        as_shown(
            {
                "decision": "partly",
                "decision_reason": "clinical_judgment",
                "decision_note": "Plasma exchange first <script>alert('note')</script>",
                "dose_basis": "actual",
            },
            encounter,
        ),
    )
    assert response.status_code == 302
    encounter.refresh_from_db()
    return encounter


def document(client, encounter):
    response = client.get(reverse("encounter_fhir", args=[encounter.pk]))
    assert response.status_code == 200
    return response, validated(json.loads(response.content))


def narrative(section):
    div = section["text"]["div"]
    element = ElementTree.fromstring(div)  # well-formed XHTML, or this raises
    assert element.tag == XHTML_DIV
    return div, " ".join("".join(element.itertext()).split())


def test_the_document_is_served_as_fhir_json_for_download_without_the_patient_reference(
    clinician_client, finalized
):
    response, bundle = document(clinician_client, finalized)
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="lems-summary-{finalized.pk}.json"'
    )
    assert "MRN-FHIR-3" not in response["Content-Disposition"]


def test_the_document_bundle_starts_with_its_composition_and_holds_the_answers(
    clinician_client, finalized, settings
):
    settings.FHIR_BASE_URL = "https://lems.hospital.example/fhir"
    _, bundle = document(clinician_client, finalized)
    assert bundle["type"] == "document"
    assert bundle["identifier"]["system"] == "urn:ietf:rfc:3986"
    assert bundle["identifier"]["value"].startswith("urn:uuid:")
    assert bundle["entry"][0]["resource"]["resourceType"] == "Composition"
    assert [entry["resource"]["resourceType"] for entry in bundle["entry"]] == [
        "Composition",
        "Practitioner",
        "Patient",
        "QuestionnaireResponse",
    ]
    response = resource_of(bundle, "QuestionnaireResponse")
    assert (
        response["questionnaire"]
        == "https://lems.hospital.example/fhir/Questionnaire/lems-ivig-pathway|1"
    )
    composition = resource_of(bundle, "Composition")
    assert composition["type"]["coding"] == [
        {"system": "http://loinc.org", "code": "18776-5", "display": "Plan of care note"}
    ]
    author_url = bundle["entry"][1]["fullUrl"]
    assert composition["author"] == [{"reference": author_url, "display": "Ada Byron"}]
    assert resource_of(bundle, "Practitioner")["name"] == [{"text": "Ada Byron"}]
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    references = {
        entry["reference"]
        for section in composition["section"]
        for entry in section.get("entry", [])
    }
    people = {entry["fullUrl"] for entry in bundle["entry"][:3]}
    assert references == full_urls - people


def test_the_patient_is_only_the_pseudonymous_reference(clinician_client, finalized, settings):
    settings.PATIENT_IDENTIFIER_SYSTEM = "https://hospital.example/sid/mrn"
    _, bundle = document(clinician_client, finalized)
    (patient_url,) = [
        entry["fullUrl"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Patient"
    ]
    patient = resource_of(bundle, "Patient")
    assert set(patient) == {"resourceType", "id", "identifier"}
    assert patient["identifier"] == [
        {"system": "https://hospital.example/sid/mrn", "value": "MRN-FHIR-3"}
    ]
    for kind in ("Composition", "QuestionnaireResponse"):
        assert resource_of(bundle, kind)["subject"] == {"reference": patient_url}
    answers = json.dumps(resource_of(bundle, "QuestionnaireResponse")["item"])
    assert "MRN-FHIR-3" not in answers


def test_the_composition_has_a_section_for_each_part_of_the_summary(clinician_client, finalized):
    _, bundle = document(clinician_client, finalized)
    sections = {
        section["title"]: narrative(section)[1]
        for section in resource_of(bundle, "Composition")["section"]
    }
    assert list(sections) == [
        "Plan",
        "Recommendations",
        "Pitfalls to avoid",
        "Evidence and references",
        "Doses",
        # The DELTA-P items are unanswered: an incomplete score still shows (issue 24).
        "Tumour risk (DELTA-P) and screening",
        "Decision",
        "Reviews",
        "Answers",
    ]
    snapshot = finalized.snapshot
    recommendation = next(
        s for g in snapshot["groups"] for s in g["statements"] if s["kind"] == "recommendation"
    )
    assert recommendation["text"][:40] in sections["Recommendations"]
    assert "High priority: Renal risk" in sections["Plan"]
    assert snapshot["doses"]["ivig"]["actual"] in sections["Doses"]
    assert "Partly followed" in sections["Decision"]
    assert snapshot["references"][0]["vancouver"][:30] in sections["Evidence and references"]


def test_the_document_shows_what_was_finalized_not_later_edits(clinician_client, finalized):
    Statement.objects.filter(code="ivig-dose").update(
        text="Edited after the encounter was finalized."
    )
    _, bundle = document(clinician_client, finalized)
    text = json.dumps(resource_of(bundle, "Composition"))
    assert "Edited after the encounter was finalized." not in text


def test_markup_in_statements_and_notes_is_escaped_in_the_narrative(
    clinician_client, make_encounter, ivig_answers
):
    Statement.objects.filter(code="ivig-dose").update(
        text="<script>alert('statement')</script> 1-2 g/kg"
    )
    encounter = make_encounter(
        patient_reference="<b>MRN</b>", answers=ivig_answers, status="complete"
    )
    clinician_client.post(
        reverse("finalize", args=[encounter.pk]),
        as_shown(
            {
                "decision": "not_followed",
                "decision_reason": "other",
                "decision_note": "<script>x</script>",
                "dose_basis": "actual",
            },
            encounter,
        ),
    )
    encounter.refresh_from_db()
    _, bundle = document(clinician_client, encounter)
    divs = [narrative(section) for section in resource_of(bundle, "Composition")["section"]]
    every_div = "".join(div for div, _ in divs)
    assert "<script" not in every_div
    assert "&lt;script&gt;alert(&#x27;statement&#x27;)&lt;/script&gt;" in every_div
    texts = " ".join(text for _, text in divs)
    assert "<script>alert('statement')</script> 1-2 g/kg" in texts
    assert "<script>x</script>" in texts


def test_every_answer_of_an_applicable_step_is_in_the_response(clinician_client, finalized):
    _, bundle = document(clinician_client, finalized)
    items = {
        item["linkId"]: item
        for item in every_item(resource_of(bundle, "QuestionnaireResponse")["item"])
    }
    for field, value in finalized.answers.items():
        answers = items[field]["answer"]
        if field in ("weight_kg", "height_cm"):
            assert answers == [{"valueDecimal": value}]
        else:
            values = value if isinstance(value, list) else [value]
            assert [answer["valueCoding"]["code"] for answer in answers] == values


def test_the_download_is_in_the_access_log_told_apart_from_the_pdf(
    clinician_client, clinician, finalized
):
    document(clinician_client, finalized)
    logged = AccessLog.objects.filter(encounter=finalized).exclude(
        action=AccessLog.Action.FINALIZED
    )
    assert list(logged.values_list("user", "action")) == [
        (clinician.pk, AccessLog.Action.DOWNLOADED_FHIR)
    ]
    assert logged.get().get_action_display() == "Downloaded FHIR document"


def test_another_clinician_gets_404_and_nothing_is_logged(finalized, other_clinician, client):
    client.force_login(other_clinician)
    response = client.get(reverse("encounter_fhir", args=[finalized.pk]))
    assert response.status_code == 404
    assert not AccessLog.objects.filter(encounter=finalized, user=other_clinician).exists()


def test_an_editor_gets_no_encounter(finalized, editor_client):
    assert editor_client.get(reverse("encounter_fhir", args=[finalized.pk])).status_code == 403


def test_an_encounter_not_yet_finalized_answers_409(clinician_client, make_encounter, ivig_answers):
    encounter = make_encounter(answers=ivig_answers, status="complete")
    response = clinician_client.get(reverse("encounter_fhir", args=[encounter.pk]))
    assert response.status_code == 409
    assert not AccessLog.objects.filter(encounter=encounter).exists()


def test_a_post_is_refused(clinician_client, finalized):
    assert clinician_client.post(reverse("encounter_fhir", args=[finalized.pk])).status_code == 405


def test_the_finalized_summary_offers_the_fhir_download_beside_the_pdf(clinician_client, finalized):
    page = clinician_client.get(reverse("summary", args=[finalized.pk])).content.decode()
    pdf_at = page.index(reverse("summary_pdf", args=[finalized.pk]))
    fhir_at = page.index(reverse("encounter_fhir", args=[finalized.pk]))
    assert 0 < fhir_at - pdf_at < 300
    assert "Download for the record (FHIR)" in page


def test_a_summary_not_finalized_offers_no_fhir_download(
    clinician_client, make_encounter, ivig_answers
):
    encounter = make_encounter(answers=ivig_answers, status="complete")
    page = clinician_client.get(reverse("summary", args=[encounter.pk])).content.decode()
    assert reverse("encounter_fhir", args=[encounter.pk]) not in page


def test_the_guideline_page_links_the_fhir_export(clinician_client):
    page = clinician_client.get(reverse("guideline")).content.decode()
    assert reverse("guideline_fhir") in page


def test_the_export_stays_within_the_query_budget(clinician_client, finalized):
    url = reverse("encounter_fhir", args=[finalized.pk])
    clinician_client.get(url)  # the session and permissions warm as for any page
    with CaptureQueriesContext(connection) as captured:
        assert clinician_client.get(url).status_code == 200
    assert len(captured) <= 12, [query["sql"] for query in captured.captured_queries]


def test_a_bad_fhir_base_url_stops_the_app_at_start_up(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from lems_site.env import env_url

    for bad in ("lems.hospital.example/fhir", "ftp://x/fhir", "https:///fhir"):
        monkeypatch.setenv("FHIR_BASE_URL", bad)
        with pytest.raises(ImproperlyConfigured):
            env_url("FHIR_BASE_URL", "http://localhost/fhir")
    monkeypatch.setenv("FHIR_BASE_URL", "https://lems.hospital.example/fhir/")
    assert env_url("FHIR_BASE_URL", "http://localhost/fhir") == "https://lems.hospital.example/fhir"


def test_encounters_stay_unchanged_by_the_export(clinician_client, finalized):
    before = Encounter.objects.get(pk=finalized.pk).updated_at
    document(clinician_client, finalized)
    assert Encounter.objects.get(pk=finalized.pk).updated_at == before


# A document is immutable: each new content is a new document that replaces the one before.


def test_the_same_content_downloaded_again_is_the_same_document(clinician_client, finalized):
    _, first = document(clinician_client, finalized)
    _, again = document(clinician_client, finalized)
    assert again["identifier"] == first["identifier"]
    assert again["timestamp"] == first["timestamp"]
    composition = resource_of(first, "Composition")
    assert composition["meta"] == {"versionId": "1"}
    assert composition["date"] == first["timestamp"]
    assert "relatesTo" not in composition


def test_a_control_character_in_an_old_snapshot_leaves_the_narrative_valid_xhtml(
    clinician_client, finalized
):
    # Forms refuse control characters (issue 21); a summary finalized before may hold one.
    finalized.decision_note = "Bell\x07 and tab\x0b here"
    finalized.save(update_fields=["decision_note"])
    _, bundle = document(clinician_client, finalized)
    texts = " ".join(
        narrative(section)[1] for section in resource_of(bundle, "Composition")["section"]
    )
    assert "Bell\ufffd and tab\ufffd here" in texts


def test_the_narrative_prints_the_cited_reference_numbers_as_text(clinician_client, finalized):
    _, bundle = document(clinician_client, finalized)
    (evidence,) = [
        s
        for s in resource_of(bundle, "Composition")["section"]
        if s["title"] == "Evidence and references"
    ]
    div, text = narrative(evidence)
    assert "value=" not in div  # FHIR's XHTML has no `li value`
    numbers = [reference["number"] for reference in finalized.snapshot["references"]]
    assert re.findall(r"<li>(\d+)\. ", div) == [str(number) for number in numbers]


def test_the_plan_in_the_narrative_carries_its_markers(clinician_client, finalized):
    _, bundle = document(clinician_client, finalized)
    (plan,) = [s for s in resource_of(bundle, "Composition")["section"] if s["title"] == "Plan"]
    _, text = narrative(plan)
    assert "Prednisone: 1.5 mg/kg on alternate days (maximum 100 mg). (Not confirmed)" in text
    assert (
        "IVIG or plasma exchange: both give short-term improvement; choose by availability and "
        "patient factors. IVIG risk factors recorded: Renal risk (risk of renal failure). "
        "(Partly confirmed, High priority)" in text
    )


# --- issue 24: the new question and codes ---------------------------------------------


def _all_items(items):
    for item in items:
        yield item
        yield from _all_items(item.get("item", []))


def test_the_fdg_pet_question_is_asked_and_required_only_after_a_negative_screen(guideline):
    from guidance.encounters.workflow import published_revision

    questionnaire = fhir.questionnaire(published_revision(), "https://lems.example/fhir")
    [item] = [i for i in _all_items(questionnaire["item"]) if i["linkId"] == "screen_included_pet"]
    assert item["text"] == "Did the negative screen include FDG-PET?"
    assert item["required"] is True
    assert [o["valueCoding"]["code"] for o in item["answerOption"]] == ["yes", "no"]
    assert item["enableWhen"] == [
        {"question": "tumour_status", "operator": "=", "answerCoding": {"code": "not_found"}}
    ]


def test_the_plan_definition_carries_the_new_codes_with_their_citations(guideline):
    from guidance.content.presentation import statements_by_code
    from guidance.encounters.workflow import published_revision

    revision = published_revision()
    plan = fhir.plan_definition(
        revision, statements_by_code(revision, pathway.ALL_CODES), "https://lems.example/fhir"
    )
    actions = {action["id"]: action for action in plan["action"]}
    expected = {
        "screen-pet-now": ["12"],
        "ivig-before-treatment": ["15", "16"],
        "ivig-risk-mitigation": ["15"],
        "dap-titration": ["17", "18"],
    }
    for code, labels in expected.items():
        assert [doc["label"] for doc in actions[code]["documentation"]] == labels, code
    mitigation = actions["ivig-risk-mitigation"]["condition"][0]["expression"]["expression"]
    assert "linkId = 'ivig_risk_factors'" in mitigation
    assert "code = 'thrombosis' or code = 'renal'" in mitigation
    pet_now = actions["screen-pet-now"]["condition"][0]["expression"]["expression"]
    assert "linkId = 'screen_included_pet')" in pet_now and "code = 'no'" in pet_now
    codes = [action["id"] for action in plan["action"]]
    assert codes[codes.index("screening-schedule") + 1 :] == list(expected)
