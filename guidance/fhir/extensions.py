"""The extensions the exports use where R4 has no element, each defined by a
StructureDefinition published beside the guideline's resources (canonical under
FHIR_BASE_URL; issue 25)."""

from guidance.content.source_text import edited_locally
from guidance.fhir.common import canonical, metadata, without_empty

STATEMENT = "lems-statement"
GUIDELINE_REVISION = "lems-guideline-revision"

# The parts of the statement extension: (url, value type, short description).
STATEMENT_PARTS = (
    ("kind", "code", "recommendation, evidence, warning or scope"),
    ("origin", "code", "guideline (the source text's) or local (added by this product)"),
    ("editedLocally", "boolean", "a guideline statement whose text an editor changed"),
    ("evidenceQuality", "code", "high, moderate, low, very_low or not_graded"),
    ("verification", "code", "verified, partly or not_confirmed against the cited sources"),
    ("verificationNote", "string", "what the cited sources confirmed"),
    ("highPriorityWhen", "string", "when the pathway marks it high priority for a patient"),
)


def url(base_url, identifier):
    return canonical(base_url, "StructureDefinition", identifier)


def _definition(revision, base_url, identifier, title, description, contexts, elements):
    return without_empty(
        {
            **metadata(
                revision,
                base_url,
                "StructureDefinition",
                identifier,
                "".join(part.capitalize() for part in identifier.split("-")),
                title,
            ),
            "description": description,
            "fhirVersion": "4.0.1",
            "kind": "complex-type",
            "abstract": False,
            "context": [{"type": "element", "expression": context} for context in contexts],
            "type": "Extension",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
            "derivation": "constraint",
            "differential": {"element": elements},
        }
    )


def _simple(identifier, base_url, value_type, short):
    return [
        {"id": "Extension", "path": "Extension", "short": short},
        {
            "id": "Extension.url",
            "path": "Extension.url",
            "fixedUri": url(base_url, identifier),
        },
        {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": value_type}]},
    ]


def _complex(identifier, base_url, parts, short):
    elements = [
        {"id": "Extension", "path": "Extension", "short": short},
        {
            "id": "Extension.extension",
            "path": "Extension.extension",
            "slicing": {
                "discriminator": [{"type": "value", "path": "url"}],
                "rules": "closed",
            },
        },
    ]
    for name, value_type, part_short in parts:
        slice_id = f"Extension.extension:{name}"
        elements += [
            {
                "id": slice_id,
                "path": "Extension.extension",
                "sliceName": name,
                "short": part_short,
                "min": 0,
                "max": "1",
            },
            {"id": f"{slice_id}.url", "path": "Extension.extension.url", "fixedUri": name},
            {
                "id": f"{slice_id}.value[x]",
                "path": "Extension.extension.value[x]",
                "type": [{"code": value_type}],
            },
        ]
    elements += [
        {
            "id": "Extension.url",
            "path": "Extension.url",
            "fixedUri": url(base_url, identifier),
        },
        {"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"},
    ]
    return elements


def structure_definitions(revision, base_url):
    return [
        _definition(
            revision,
            base_url,
            STATEMENT,
            "A guideline statement's attributes",
            "What a clinician sees beside a statement of the LEMS IVIG pathway: its kind, "
            "origin, whether an editor changed the source's wording, evidence quality, "
            "verification against the cited sources and when it is high priority.",
            ["PlanDefinition.action", "RequestGroup.action"],
            _complex(STATEMENT, base_url, STATEMENT_PARTS, "A statement's attributes"),
        ),
        _definition(
            revision,
            base_url,
            GUIDELINE_REVISION,
            "The guideline revision a document was made on",
            "The PlanDefinition (canonical URL and version) whose revision the summary shows.",
            ["Composition"],
            _simple(GUIDELINE_REVISION, base_url, "canonical", "The guideline revision"),
        ),
    ]


# When the engine marks a statement high priority (guidance/engine/pathway.py `evaluate`;
# tests/test_fhir_canonical.py checks this table against it).
HIGH_PRIORITY_WHEN = {
    "pitfall-ivig-risks": "when IVIG applies and an IVIG risk factor is recorded",
    "pitfall-plex-equal": "when IVIG applies, an IVIG risk factor is recorded and plasma "
    "exchange is available",
    "ivig-risk-mitigation": "whenever it applies (IVIG with a thrombosis or renal risk factor)",
}


def statement_extension(statement, base_url):
    high_priority_when = HIGH_PRIORITY_WHEN.get(statement.code, "")
    values = {
        "kind": ("valueCode", statement.kind),
        "origin": ("valueCode", statement.origin),
        "editedLocally": (
            "valueBoolean",
            edited_locally(statement.code, statement.origin, statement.text),
        ),
        "evidenceQuality": ("valueCode", statement.evidence_quality),
        "verification": ("valueCode", statement.verification),
        "verificationNote": ("valueString", statement.verification_note),
        "highPriorityWhen": ("valueString", high_priority_when),
    }
    return {
        "url": url(base_url, STATEMENT),
        "extension": [
            {"url": name, key: value}
            for name, (key, value) in values.items()
            if value not in ("", None)
        ],
    }
