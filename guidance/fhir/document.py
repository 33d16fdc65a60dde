"""A finalized encounter as a FHIR `document` Bundle: Composition, QuestionnaireResponse, the
IVIG course as a MedicationRequest, the DELTA-P and review scores as Observations."""

import datetime
import uuid

from guidance.encounters.wording import (
    DELTA_P_ITEM_NAMES,
    baseline_words,
    format_number,
    score_change_words,
)
from guidance.engine import ivig_review, tumour_risk
from guidance.fhir.common import (
    DELTA_P_CODE,
    INTRAVENOUS,
    IVIG_MEDICATION,
    OBSERVATION_CATEGORY,
    PLAN_DEFINITION_ID,
    UCUM,
    canonical,
)
from guidance.fhir.narrative import SECTIONS
from guidance.fhir.questionnaire import questionnaire_response


def _resource_uuid(encounter, kind):
    """A fixed id per encounter and resource: downloading twice gives the same document."""
    return str(uuid.uuid5(encounter.pk, kind))


def _subject(encounter):
    # Only the pseudonymous reference the clinician typed: no name, no date of birth.
    if not encounter.patient_reference:
        return {}
    return {"subject": {"identifier": {"value": encounter.patient_reference}}}


def _author(encounter):
    return {"display": encounter.owner.get_full_name() or encounter.owner.get_username()}


def encounter_response(encounter, base_url):
    """The answers the summary was evaluated on, against the revision's Questionnaire."""
    return {
        "id": _resource_uuid(encounter, "QuestionnaireResponse"),
        **questionnaire_response(
            encounter.answers,
            questionnaire_version=encounter.snapshot["guideline"]["revision"],
            base_url=base_url,
            **_subject(encounter),
            authored=encounter.finalized_at.isoformat(),
            author=_author(encounter),
        ),
    }


def _reference(resource):
    return f"urn:uuid:{resource['id']}"


def _patient(encounter):
    # MedicationRequest must name its subject: without a reference, a display says so.
    return _subject(encounter) or {"subject": {"display": "No patient reference recorded"}}


def medication_request(encounter):
    """The IVIG course recorded with the decision, as the snapshot words it; None without
    one. Intent `plan` and status `active`: the course as decided when the encounter was
    finalized (reviews, and what they decide next, are Observations and narrative)."""
    course = encounter.snapshot.get("course")
    if not course:
        return None
    start = datetime.date.fromisoformat(course["start_date"])
    days = course["days"]
    weight_basis = f"Dosing weight {format_number(course['dosing_weight_kg'])} kg"
    if encounter.dose_basis:
        weight_basis += f": {encounter.get_dose_basis_display()}"
    return {
        "resourceType": "MedicationRequest",
        "id": _resource_uuid(encounter, "MedicationRequest"),
        "status": "active",
        "intent": "plan",
        "medicationCodeableConcept": IVIG_MEDICATION,
        **_patient(encounter),
        "authoredOn": encounter.finalized_at.isoformat(),
        "requester": _author(encounter),
        "dosageInstruction": [
            {
                "text": f"{course['sentence']}. {weight_basis}.",
                # One infusion a day on `days` days in a row, from the start date.
                "timing": {
                    "repeat": {
                        "boundsPeriod": {
                            "start": start.isoformat(),
                            "end": (start + datetime.timedelta(days=days - 1)).isoformat(),
                        },
                        "count": days,
                        "frequency": 1,
                        "period": 1,
                        "periodUnit": "d",
                    }
                },
                "route": INTRAVENOUS,
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": course["daily_g"],
                            "unit": "g",
                            "system": UCUM,
                            "code": "g",
                        }
                    }
                ],
            }
        ],
    }


def _category(code, display):
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def delta_p_observation(encounter, response):
    """The DELTA-P score shown on the summary, None when it was not computed. The score and
    its items come from the engine on the encounter's answers (read-only once finalized),
    the words on the SCLC share and the schedule from the snapshot."""
    shown = encounter.snapshot.get("tumour_risk")
    risk = tumour_risk.delta_p(encounter.answers) if shown else None
    if risk is None or not risk["complete"]:
        return None  # an incomplete score is in the narrative only, as points so far
    return {
        "resourceType": "Observation",
        "id": _resource_uuid(encounter, "Observation/delta-p"),
        "status": "final",
        "category": _category("survey", "Survey"),
        "code": DELTA_P_CODE,
        **_subject(encounter),
        "effectiveDateTime": encounter.finalized_at.isoformat(),
        "valueInteger": risk["score"],
        "note": [{"text": f"{shown['sclc']}; {shown['derivation']}. {shown['schedule']}"}],
        "derivedFrom": [{"reference": _reference(response)}],
        # One component per item, present or not, in the score's order.
        "component": [
            {"code": {"text": DELTA_P_ITEM_NAMES[item]}, "valueBoolean": item in risk["items"]}
            for item in tumour_risk.ITEMS
        ],
    }


def review_observations(encounter, course_request):
    """One Observation per review with a score, on the baseline's scale (none when no
    baseline was recorded: a review then takes no score)."""
    if course_request is None or not encounter.baseline_scale:
        return []
    scale = ivig_review.SCALES[encounter.baseline_scale]
    baseline = baseline_words(encounter.baseline_scale, encounter.baseline_score)
    return [
        {
            "resourceType": "Observation",
            "id": _resource_uuid(encounter, f"Observation/review/{review.pk}"),
            "basedOn": [{"reference": _reference(course_request)}],
            "status": "final",
            "category": _category("exam", "Exam"),
            "code": {"text": f"{scale.name} score"},
            **_subject(encounter),
            "effectiveDateTime": review.review_date.isoformat(),
            "valueInteger": review.score,
            "note": [
                {
                    "text": score_change_words(
                        ivig_review.score_change(
                            encounter.baseline_scale, encounter.baseline_score, review.score
                        )
                    )
                    + f" (baseline {baseline})"
                }
            ],
        }
        for review in encounter.reviews.all()
        if review.score is not None
    ]


def composition(encounter, base_url, links):
    snapshot = encounter.snapshot
    guideline = snapshot["guideline"]
    plan_url = canonical(base_url, "PlanDefinition", PLAN_DEFINITION_ID)
    sections = (build(snapshot, encounter, links) for build in SECTIONS)
    return {
        "resourceType": "Composition",
        "id": _resource_uuid(encounter, "Composition"),
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/cqf-relatedArtifact",
                "valueRelatedArtifact": {
                    "type": "depends-on",
                    "display": f"{guideline['title']}, revision {guideline['revision']} "
                    f"({guideline['revision_date']})",
                    "resource": f"{plan_url}|{guideline['revision']}",
                },
            }
        ],
        "status": "final",
        "type": {"text": "LEMS IVIG pathway summary"},
        **_subject(encounter),
        "date": encounter.finalized_at.isoformat(),
        "author": [_author(encounter)],
        "title": f"{guideline['title']}: summary",
        "section": [section for section in sections if section is not None],
    }


def encounter_document(encounter, base_url):
    """A finalized encounter as a `document` Bundle: the Composition, then what it cites:
    the answers, the IVIG course, the DELTA-P score and the review scores."""
    response = encounter_response(encounter, base_url)
    course = medication_request(encounter)
    delta_p = delta_p_observation(encounter, response)
    reviews = review_observations(encounter, course)
    links = {
        "response": [_reference(response)],
        "course": [_reference(course)] if course else [],
        "delta_p": [_reference(delta_p)] if delta_p else [],
        "reviews": [_reference(review) for review in reviews],
    }
    resources = [response, *([course] if course else []), *([delta_p] if delta_p else [])]
    first = composition(encounter, base_url, links)
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{encounter.pk}"},
        "type": "document",
        "timestamp": encounter.finalized_at.isoformat(),
        "entry": [
            {"fullUrl": _reference(resource), "resource": resource}
            for resource in (first, *resources, *reviews)
        ],
    }
