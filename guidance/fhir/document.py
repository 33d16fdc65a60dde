"""A finalized encounter as a FHIR `document` Bundle: Composition, the Patient (only its
pseudonymous reference) and the clinician as Practitioner, QuestionnaireResponse, the IVIG
courses as MedicationRequests (one per course, in order), the DELTA-P and review scores as
Observations.

`encounter_document` builds the content; `guidance.fhir.versions` stamps each distinct
content with its own identifier and time, and names the document it replaces.
"""

import datetime
import uuid

from django.conf import settings
from django.utils import timezone

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
from guidance.fhir.extensions import GUIDELINE_REVISION
from guidance.fhir.extensions import url as extension_url
from guidance.fhir.narrative import SECTIONS
from guidance.fhir.questionnaire import questionnaire_response


def _resource_uuid(encounter, kind):
    """A fixed id per encounter and resource: downloading twice gives the same document."""
    return str(uuid.uuid5(encounter.pk, kind))


# LOINC 18776-5 "Plan of care note": the document is the plan the pathway gave for this
# patient, with the clinician's decision (the code C-CDA's Care Plan document uses).
DOCUMENT_TYPE = {
    "coding": [{"system": "http://loinc.org", "code": "18776-5", "display": "Plan of care note"}],
    "text": "LEMS IVIG pathway summary",
}


def _full_url(encounter, kind):
    return f"urn:uuid:{_resource_uuid(encounter, kind)}"


def patient(encounter):
    """The patient as the pseudonymous reference the clinician typed, and nothing else (no
    name, no date of birth); None when none was typed."""
    if not encounter.patient_reference:
        return None
    return {
        "resourceType": "Patient",
        "id": _resource_uuid(encounter, "Patient"),
        "identifier": [
            {"system": settings.PATIENT_IDENTIFIER_SYSTEM, "value": encounter.patient_reference}
        ],
    }


def practitioner(encounter):
    """The clinician who finalized it: the name the app knows, and the account."""
    owner = encounter.owner
    name = owner.get_full_name()
    return {
        "resourceType": "Practitioner",
        "id": _resource_uuid(encounter, "Practitioner"),
        "identifier": [
            {"system": f"{settings.FHIR_BASE_URL}/sid/user", "value": owner.get_username()}
        ],
        "name": [{"text": name or owner.get_username()}],
    }


def _subject(encounter):
    if not encounter.patient_reference:
        return {}
    return {"subject": {"reference": _full_url(encounter, "Patient")}}


def _author(encounter):
    return {
        "reference": _full_url(encounter, "Practitioner"),
        "display": encounter.owner.get_full_name() or encounter.owner.get_username(),
    }


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


def _dose_quantity(grams):
    return {"doseQuantity": {"value": grams, "unit": "g", "system": UCUM, "code": "g"}}


def _daily_doses(course):
    """(date, grams) of each day of the course: the order's days, or, for a course
    finalized before the order existed, its one daily dose on each day."""
    if "days_given" in course:
        return [(day["date"], day["grams"]) for day in course["days_given"]]
    start = datetime.date.fromisoformat(course["start_date"])
    return [
        ((start + datetime.timedelta(days=day)).isoformat(), course["daily_g"])
        for day in range(course["days"])
    ]


def course_status(days, reviews, today):
    """The course's MedicationRequest status: `stopped` once a review's plan stopped IVIG,
    `completed` after its last day, else `active`; with the reason for `stopped`."""
    stop = next((review for review in reviews if review.plan == ivig_review.STOP_PLAN), None)
    if stop is not None:
        return "stopped", f"A review on {stop.review_date.isoformat()} stopped IVIG."
    last_day = datetime.date.fromisoformat(days[-1][0])
    return ("completed" if today > last_day else "active"), None


def _courses(encounter):
    """Each course in order as (number, its snapshot's words, the source of its start and
    baseline: the encounter for the first, else the `Course`, and its `Review` rows)."""
    course = encounter.snapshot.get("course")
    if not course:
        return []
    reviews = list(encounter.reviews.all())
    courses = [(1, course, encounter, [review for review in reviews if review.course_id is None])]
    shown = {each["number"]: each for each in encounter.snapshot.get("courses", [])}
    if shown:
        for further in encounter.further_courses.all():
            mine = [review for review in reviews if review.course_id == further.pk]
            courses.append((further.number, shown[further.number], further, mine))
    return courses


def _request_id(encounter, number):
    # The first course keeps the id it had before further courses existed.
    kind = "MedicationRequest" if number == 1 else f"MedicationRequest/{number}"
    return _resource_uuid(encounter, kind)


def medication_requests(encounter, today=None):
    """One MedicationRequest per IVIG course, in order (`medication_request`), each with its
    `Review` rows: [(request, course source, reviews)]; none without a course."""
    return [
        (
            medication_request(
                encounter,
                course,
                number,
                reviews,
                today,
                authored_on=encounter.finalized_at if number == 1 else source.created_at,
            ),
            source,
            reviews,
        )
        for number, course, source, reviews in _courses(encounter)
    ]


def medication_request(encounter, course, number, reviews, today=None, authored_on=None):
    """One IVIG course (`course`: the snapshot's words of it, the first recorded with the
    decision or a further one a review took) as its order words it. Intent `plan`; the
    status follows the course (`course_status`, on its own `reviews`), so the document
    changes, and gets a new version, when the course ends or a review stops it. One dosage
    instruction per day (`sequence` 1, 2, ...): the days' grams differ by up to 5 g."""
    days = _daily_doses(course)
    status, stopped_because = course_status(days, reviews, today or timezone.localdate())
    weight_basis = f"Dosing weight {format_number(course['dosing_weight_kg'])} kg"
    if encounter.dose_basis:
        weight_basis += f": {encounter.get_dose_basis_display()}"
    text = f"{course['sentence']}. {weight_basis}."
    if course.get("rate"):
        text += f" {course['rate'][:1].upper()}{course['rate'][1:]}."
    if course.get("prescriber"):
        text += f" Prescriber: {course['prescriber']}."
    if number > 1:
        text = f"Course {number}, taken by the review on {course['ordered_on']}: {text}"
    return {
        "resourceType": "MedicationRequest",
        "id": _request_id(encounter, number),
        "status": status,
        **({"statusReason": {"text": stopped_because}} if stopped_because else {}),
        "intent": "plan",
        "medicationCodeableConcept": IVIG_MEDICATION,
        **_patient(encounter),
        "authoredOn": (authored_on or encounter.finalized_at).isoformat(),
        "requester": _author(encounter),
        "note": [{"text": text}],
        "dosageInstruction": [
            {
                "sequence": day_number,
                "text": f"Day {day_number}, {date}: {format_number(grams)} g",
                # One infusion on that day.
                "timing": {
                    "repeat": {
                        "boundsPeriod": {"start": date, "end": date},
                        "count": 1,
                        "frequency": 1,
                        "period": 1,
                        "periodUnit": "d",
                    }
                },
                "route": INTRAVENOUS,
                "doseAndRate": [_dose_quantity(grams)],
            }
            for day_number, (date, grams) in enumerate(days, start=1)
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


def review_observations(course_request, course, reviews, encounter):
    """One Observation per review of one course with a score, on that course's baseline
    scale (none when it has no baseline: a review then takes no score), each `basedOn` the
    course's MedicationRequest."""
    if not course.baseline_scale:
        return []
    scale = ivig_review.SCALES[course.baseline_scale]
    baseline = baseline_words(course.baseline_scale, course.baseline_score)
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
                            course.baseline_scale, course.baseline_score, review.score
                        )
                    )
                    + f" (baseline {baseline})"
                }
            ],
        }
        for review in reviews
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
        # The revision it was made on (an extension of ours: R4's Composition has no element).
        "extension": [
            {
                "url": extension_url(base_url, GUIDELINE_REVISION),
                "valueCanonical": f"{plan_url}|{guideline['revision']}",
            }
        ],
        "status": "final",
        "type": DOCUMENT_TYPE,
        **_subject(encounter),
        "date": encounter.finalized_at.isoformat(),
        "author": [_author(encounter)],
        "title": f"{guideline['title']}: summary",
        "section": [section for section in sections if section is not None],
    }


def encounter_document(encounter, base_url):
    """A finalized encounter as a `document` Bundle: the Composition, then what it cites:
    the answers, the IVIG courses (one MedicationRequest each, in order), the DELTA-P score
    and the review scores."""
    response = encounter_response(encounter, base_url)
    courses = medication_requests(encounter)
    delta_p = delta_p_observation(encounter, response)
    reviews = [
        observation
        for request, source, course_reviews in courses
        for observation in review_observations(request, source, course_reviews, encounter)
    ]
    requests = [request for request, _, _ in courses]
    links = {
        "response": [_reference(response)],
        "course": [_reference(request) for request in requests],
        "delta_p": [_reference(delta_p)] if delta_p else [],
        "reviews": [_reference(review) for review in reviews],
    }
    people = [practitioner(encounter), *([subject] if (subject := patient(encounter)) else [])]
    resources = [
        *people,
        response,
        *requests,
        *([delta_p] if delta_p else []),
    ]
    first = composition(encounter, base_url, links)
    return {
        "resourceType": "Bundle",
        # `identifier` and `timestamp` are the version's: guidance.fhir.versions stamps them.
        "type": "document",
        "entry": [
            {"fullUrl": _reference(resource), "resource": resource}
            for resource in (first, *resources, *reviews)
        ],
    }
