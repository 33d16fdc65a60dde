"""Names, canonical URLs and metadata every FHIR resource of the app shares."""

from guidance.engine import pathway

QUESTIONNAIRE_ID = "lems-ivig-pathway"
PLAN_DEFINITION_ID = "lems-ivig-guideline"
QUESTION_CODES_ID = "lems-ivig-questions"
FHIR_JSON = "application/fhir+json"
XHTML = "http://www.w3.org/1999/xhtml"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
# Standard codes only where one names exactly what is meant: WHO ATC J06BA02 is normal
# human immunoglobulin for intravascular use, SNOMED CT 47625008 the intravenous route.
# DELTA-P, QMG and the MRC sum score have no LOINC or SNOMED CT code we could cite, so
# their Observations name them in `code.text` only (no local code passed off as standard).
IVIG_MEDICATION = {
    "coding": [
        {
            "system": "http://www.whocc.no/atc",
            "code": "J06BA02",
            "display": "immunoglobulins, normal human, for intravascular adm.",
        }
    ],
    "text": "IVIG (intravenous immunoglobulin)",
}
INTRAVENOUS = {
    "coding": [
        {"system": "http://snomed.info/sct", "code": "47625008", "display": "Intravenous route"}
    ],
    "text": "Intravenous",
}
DELTA_P_CODE = {"text": "DELTA-P score (Dutch-English LEMS Tumour Association Prediction)"}

# The patient is the resource's subject (by its pseudonymous identifier), not an answer.
NOT_QUESTIONS = ("patient_reference",)
RANGES = {"weight_kg": pathway.WEIGHT_RANGE_KG, "height_cm": pathway.HEIGHT_RANGE_CM}


def is_date(field):
    return field.endswith("_date")


def canonical(base_url, kind, resource_id):
    return f"{base_url.rstrip('/')}/{kind}/{resource_id}"


# Conditions as nested enableWhen levels


def metadata(revision, base_url, kind, resource_id, name, title):
    guideline = revision.guideline
    return {
        "resourceType": kind,
        "id": resource_id,
        "url": canonical(base_url, kind, resource_id),
        "version": str(revision.number),
        "name": name,
        "title": title,
        "status": "active",
        "date": revision.published_at.isoformat() if revision.published_at else None,
        "publisher": guideline.developer or None,
    }


def without_empty(resource):
    return {key: value for key, value in resource.items() if value not in (None, "", [])}
