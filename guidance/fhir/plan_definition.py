"""The published revision's statements as a PlanDefinition, and the guideline bundle that
carries it with the Questionnaire."""

from django.utils import timezone

from guidance.engine import pathway
from guidance.fhir.common import (
    PLAN_DEFINITION_ID,
    QUESTIONNAIRE_ID,
    canonical,
    metadata,
    without_empty,
)
from guidance.fhir.conditions import fhirpath
from guidance.fhir.extensions import statement_extension, structure_definitions
from guidance.fhir.questionnaire import question_codes, questionnaire
from guidance.fhir.terminology import statement_coding, statement_title, terminology


def _related_artifact(citation):
    """A citation, with its DOI, PubMed ID and address where it has them."""
    identifiers = [
        f"doi:{citation.doi}" if citation.doi else "",
        citation.pmid and f"PMID: {citation.pmid}",
    ]
    text = " ".join(
        [citation.vancouver, *(identifier + "." for identifier in identifiers if identifier)]
    )
    return without_empty(
        {
            "type": "citation",
            "label": str(citation.number),
            "display": citation.title,
            "citation": text,
            "url": citation.doi_url or citation.pubmed_url or citation.url,
        }
    )


def _action(statement, condition, base_url):
    return without_empty(
        {
            "id": statement.code,
            "extension": [statement_extension(statement, base_url)],
            "title": statement_title(statement),
            "code": [{"coding": [statement_coding(statement.code, statement, base_url)]}],
            "description": statement.text,
            "documentation": [
                _related_artifact(citation) for citation in statement.ordered_citations
            ],
            "condition": [
                {
                    "kind": "applicability",
                    "expression": {
                        "language": "text/fhirpath",
                        "expression": fhirpath(condition),
                    },
                }
            ],
            "input": [{"type": "QuestionnaireResponse"}],
        }
    )


def plan_definition(revision, statements, base_url):
    """One action per statement code, in the engine's order; `statements` by code."""
    guideline = revision.guideline
    return without_empty(
        {
            **metadata(
                revision,
                base_url,
                "PlanDefinition",
                PLAN_DEFINITION_ID,
                "LemsIvigGuideline",
                guideline.title,
            ),
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                        "code": "eca-rule",
                    }
                ]
            },
            "description": guideline.scope_note,
            "usage": guideline.disclaimer,
            # The conditions read answers to this Questionnaire.
            "relatedArtifact": [
                {
                    "type": "depends-on",
                    "display": "The pathway's questions",
                    "resource": f"{canonical(base_url, 'Questionnaire', QUESTIONNAIRE_ID)}"
                    f"|{revision.number}",
                }
            ],
            "action": [
                _action(statements[code], condition, base_url)
                for code, condition in pathway.RULES
                if code in statements
            ],
        }
    )


def guideline_resources(revision, statements, base_url):
    """Every conformance resource of a revision: question codes, the answers' and statements'
    CodeSystems and ValueSets, the Questionnaire and the PlanDefinition."""
    return [
        *structure_definitions(revision, base_url),
        question_codes(revision, base_url),
        *terminology(revision, statements, base_url),
        questionnaire(revision, base_url),
        plan_definition(revision, statements, base_url),
    ]


def guideline_bundle(revision, statements, base_url):
    """The published revision as a `collection` of its conformance resources."""
    resources = guideline_resources(revision, statements, base_url)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": [{"fullUrl": resource["url"], "resource": resource} for resource in resources],
    }


# The QuestionnaireResponse
