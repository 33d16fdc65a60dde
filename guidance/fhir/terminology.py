"""The pathway's own codes as published FHIR terminology (DESIGN §8, issue 25): a CodeSystem
and a ValueSet per question with choices (its answers, the codes the engine stores), and a
CodeSystem of the statement codes. All canonical under FHIR_BASE_URL, versioned with the
revision. No LOINC or SNOMED CT code is used for them: none names "3,4-DAP response
inadequate" or a statement of this guideline; local codes say what they are."""

from guidance.encounters.wording import FIELD_LABELS, VALUE_LABELS
from guidance.engine import pathway
from guidance.fhir.common import canonical, metadata, without_empty

STATEMENT_CODES_ID = "lems-ivig-statements"


def answers_id(field):
    return f"lems-ivig-{field.replace('_', '-')}"


def answers_system(base_url, field):
    return canonical(base_url, "CodeSystem", answers_id(field))


def answer_coding(field, value, base_url):
    label = VALUE_LABELS.get(field, {}).get(value)
    return {
        "system": answers_system(base_url, field),
        "code": value,
        "display": label[0] if label else value,
    }


def _title(field):
    return FIELD_LABELS.get(field) or field.replace("_", " ").capitalize()


def _name(identifier):
    return "".join(part.capitalize() for part in identifier.replace("-", " ").split())


def answer_code_system(revision, base_url, field):
    identifier = answers_id(field)
    return without_empty(
        {
            **metadata(
                revision,
                base_url,
                "CodeSystem",
                identifier,
                _name(identifier),
                f"Answers: {_title(field)}",
            ),
            "content": "complete",
            "caseSensitive": True,
            "valueSet": canonical(base_url, "ValueSet", identifier),
            "concept": [
                {
                    "code": value,
                    "display": answer_coding(field, value, base_url)["display"],
                }
                for value in pathway.CHOICES[field]
            ],
        }
    )


def answer_value_set(revision, base_url, field):
    identifier = answers_id(field)
    return without_empty(
        {
            **metadata(
                revision,
                base_url,
                "ValueSet",
                identifier,
                _name(identifier),
                f"Answers: {_title(field)}",
            ),
            "compose": {
                "include": [
                    {
                        "system": answers_system(base_url, field),
                        "version": str(revision.number),
                    }
                ]
            },
        }
    )


def statement_code_system(revision, statements, base_url):
    """The statement codes the PlanDefinition's actions and $apply's actions carry."""
    return without_empty(
        {
            **metadata(
                revision,
                base_url,
                "CodeSystem",
                STATEMENT_CODES_ID,
                "LemsIvigStatements",
                f"{revision.guideline.title}: statements",
            ),
            "content": "complete",
            "caseSensitive": True,
            "concept": [
                {
                    "code": code,
                    "display": statement_title(statements[code]),
                    "definition": statements[code].text,
                }
                for code, _ in pathway.RULES
                if code in statements
            ],
        }
    )


def statement_title(statement):
    """A readable title for a statement: its section and kind ("When to Use IVIG:
    recommendation")."""
    return f"{statement.section.title.rstrip(':')}: {statement.get_kind_display().lower()}"


def statement_coding(code, statement, base_url):
    return {
        "system": canonical(base_url, "CodeSystem", STATEMENT_CODES_ID),
        "code": code,
        "display": statement_title(statement),
    }


def terminology(revision, statements, base_url):
    """Every CodeSystem and ValueSet of the revision."""
    answers = [
        resource
        for field in pathway.CHOICES
        for resource in (
            answer_code_system(revision, base_url, field),
            answer_value_set(revision, base_url, field),
        )
    ]
    return [statement_code_system(revision, statements, base_url), *answers]
