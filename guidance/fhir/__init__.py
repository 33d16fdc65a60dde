"""The guideline and finalized encounters as FHIR R4 resources (DESIGN.md §8), as plain dicts.

`guideline_bundle` is a `collection` of the published revision: a Questionnaire (the
pathway's steps as groups, each question an item coded with its field name) and a
PlanDefinition (one action per statement code, whose applicability condition is the
engine's rule in FHIRPath over the QuestionnaireResponse). `encounter_document` is a
`document` of a finalized encounter, built from its snapshot (what the clinician saw) and
its course reviews: a Composition, the answers, the IVIG course as a MedicationRequest,
the DELTA-P score and each review score as Observations.

Nothing clinical is restated here: steps, questions, values, ranges and rules come from
guidance/pathway.py, labels from guidance/wording.py, statements and citations from the
revision. Plain `enableWhen` holds one AND or one OR of answers, so a condition that ANDs
several ORs (the IVIG step: confirmed, and 3,4-DAP inadequate or not tolerated, and severe
weakness or rapid improvement or bridging) becomes groups nested one in another, one level
per OR, the item itself carrying the innermost: every renderer of R4 understands that, where
the SDC `enableWhenExpression` extension needs an SDC-aware one.
"""

from guidance.fhir.common import FHIR_JSON, canonical  # noqa: F401
from guidance.fhir.conditions import enable_levels, engine_condition, fhirpath  # noqa: F401
from guidance.fhir.document import encounter_document  # noqa: F401
from guidance.fhir.narrative import doses_section, plan_section  # noqa: F401
from guidance.fhir.plan_definition import (  # noqa: F401
    guideline_bundle,
    guideline_resources,
    plan_definition,
)
from guidance.fhir.questionnaire import questionnaire, questionnaire_response, response_items  # noqa: F401
from guidance.fhir.versions import issued_document  # noqa: F401
