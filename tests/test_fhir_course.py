"""The IVIG course, the DELTA-P score and the course reviews in the FHIR document
(DESIGN.md §8): the MedicationRequest, the Observations, the Reviews narrative, and the
query budget of an encounter with ten reviews."""

import datetime
import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guidance.encounters import summary
from guidance.encounters.wording import format_number
from guidance.engine import pathway
from guidance.models import Review
from tests import test_ivig_review
from tests.test_fhir import document, narrative, resource_of
from tests.test_ivig_review import days_ago, post_review

# The IVIG review tests' fixture: an encounter finalized with a course (QMG 18 baseline).
prescribe = test_ivig_review.prescribe

ATC = "http://www.whocc.no/atc"
DELTA_P_ANSWERS = {
    "sex": "male",
    "smoking": "current",
    "onset_age_50_or_over": "yes",
    "weight_loss_5_percent": "no",
    "bulbar_involvement": "yes",
    "erectile_dysfunction": "no",
    "karnofsky_below_70": "no",
}


def resources_of(bundle, kind):
    return [
        entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind
    ]


def section(bundle, title):
    (found,) = [s for s in resource_of(bundle, "Composition")["section"] if s["title"] == title]
    return found


def references(found):
    return [entry["reference"] for entry in found.get("entry", [])]


def full_url(bundle, resource):
    (url,) = [entry["fullUrl"] for entry in bundle["entry"] if entry["resource"] is resource]
    return url


def test_the_course_is_a_planned_medication_request_with_its_daily_dose_days_and_start(
    clinician_client, prescribe
):
    encounter = prescribe(started_days_ago=20)  # 2.0 g/kg × 70 kg = 140 g over 5 days
    _, bundle = document(clinician_client, encounter)
    request = resource_of(bundle, "MedicationRequest")
    assert request["intent"] == "plan"
    assert request["status"] == "active"
    assert request["subject"] == {"identifier": {"value": "MRN-0042"}}
    assert request["medicationCodeableConcept"]["coding"][0] == {
        "system": ATC,
        "code": "J06BA02",
        "display": "immunoglobulins, normal human, for intravascular adm.",
    }
    (dosage,) = request["dosageInstruction"]
    assert dosage["doseAndRate"][0]["doseQuantity"] == {
        "value": 28.0,
        "unit": "g",
        "system": "http://unitsofmeasure.org",
        "code": "g",
    }
    repeat = dosage["timing"]["repeat"]
    start = days_ago(20)
    assert repeat["count"] == 5
    assert (repeat["frequency"], repeat["period"], repeat["periodUnit"]) == (1, 1, "d")
    assert repeat["boundsPeriod"] == {
        "start": start.isoformat(),
        "end": (start + datetime.timedelta(days=4)).isoformat(),
    }
    assert encounter.snapshot["course"]["sentence"] in dosage["text"]
    assert "Dosing weight 70 kg: Actual body weight" in dosage["text"]
    doses = section(bundle, "Doses")
    assert references(doses) == [full_url(bundle, request)]
    assert encounter.snapshot["course"]["sentence"] in narrative(doses)[1]


def test_the_course_on_the_adjusted_weight_says_so(clinician_client, prescribe):
    encounter = prescribe(height_cm=160.0, sex="female", weight_kg=100.0)
    # As if finalized on the adjusted weight: the course as the summary then words it.
    encounter.dose_basis = encounter.DoseBasis.ADJUSTED
    encounter.snapshot["course"] = summary.course_lines(
        encounter, pathway.assess(encounter.answers)
    )
    encounter.save()
    _, bundle = document(clinician_client, encounter)
    (dosage,) = resource_of(bundle, "MedicationRequest")["dosageInstruction"]
    weight = encounter.snapshot["course"]["dosing_weight_kg"]
    assert weight < 100
    assert (
        f"Dosing weight {format_number(weight)} kg: "
        "Adjusted body weight (Australia's national criteria, BloodSTAR)" in dosage["text"]
    )
    daily = dosage["doseAndRate"][0]["doseQuantity"]["value"]
    assert daily == encounter.snapshot["course"]["daily_g"] < 40.0  # 200 g on 100 kg


def test_each_review_score_is_an_observation_and_each_review_is_in_the_narrative(
    clinician_client, prescribe
):
    encounter = prescribe(started_days_ago=20)  # baseline QMG 18
    post_review(clinician_client, encounter, review_date=days_ago(6).isoformat(), score="12")
    post_review(
        clinician_client,
        encounter,
        review_date=days_ago(1).isoformat(),
        score="20",
        adverse_events=["renal"],
        response="worse",
        plan="plasma_exchange",
        note="<script>alert('review')</script>\nSecond line",
    )
    _, bundle = document(clinician_client, encounter)
    observations = resources_of(bundle, "Observation")
    assert [o["valueInteger"] for o in observations] == [12, 20]
    assert [o["effectiveDateTime"] for o in observations] == [
        days_ago(6).isoformat(),
        days_ago(1).isoformat(),
    ]
    course_url = full_url(bundle, resource_of(bundle, "MedicationRequest"))
    for observation in observations:
        assert observation["code"] == {"text": "QMG score"}
        assert observation["status"] == "final"
        assert observation["subject"] == {"identifier": {"value": "MRN-0042"}}
        assert observation["basedOn"] == [{"reference": course_url}]
    assert observations[0]["note"][0]["text"].startswith(
        "QMG 18 → 12: 6 points better; lower is better"
    )
    assert observations[1]["note"][0]["text"].startswith("QMG 18 → 20: 2 points worse")

    reviews = section(bundle, "Reviews")
    assert references(reviews) == [full_url(bundle, o) for o in observations]
    div, text = narrative(reviews)
    assert f"Review on {days_ago(6).isoformat()}, day 14 after the course start" in text
    assert "Score: QMG 18 → 12: 6 points better; lower is better" in text
    assert "Adverse events: None" in text
    assert "Response: Improved" in text
    assert "Plan: Stop IVIG" in text
    assert f"Review on {days_ago(1).isoformat()}, day 19 after the course start" in text
    assert "Adverse events: Renal (kidney) problem" in text
    assert "Response: Worse" in text
    assert "Plan: Plasma exchange" in text
    assert "High priority with this review: Renal (kidney) problem" in text
    assert "Baseline for the review: QMG 18 (0-39; lower is better)" in text
    # The note is text: its markup escaped, its line break kept.
    assert "<script" not in div
    assert "&lt;script&gt;alert(&#x27;review&#x27;)&lt;/script&gt;<br/>Second line" in div
    assert "<script>alert('review')</script>Second line" in text


def test_a_review_without_a_baseline_has_no_score_observation(clinician_client, prescribe):
    encounter = prescribe(baseline=())
    post_review(clinician_client, encounter, score="")
    assert Review.objects.filter(encounter=encounter).count() == 1
    _, bundle = document(clinician_client, encounter)
    assert resources_of(bundle, "Observation") == []
    reviews = section(bundle, "Reviews")
    assert references(reviews) == []
    text = narrative(reviews)[1]
    assert "day 20 after the course start" in text
    assert "Score:" not in text


def test_a_course_not_yet_reviewed_says_so(clinician_client, prescribe):
    _, bundle = document(clinician_client, prescribe())
    assert "No IVIG course review recorded." in narrative(section(bundle, "Reviews"))[1]


def test_the_delta_p_score_is_an_observation_with_its_items(clinician_client, prescribe):
    encounter = prescribe(**DELTA_P_ANSWERS)  # age, smoking and bulbar: 3 of 6
    _, bundle = document(clinician_client, encounter)
    (observation,) = [
        o for o in resources_of(bundle, "Observation") if o["code"]["text"].startswith("DELTA-P")
    ]
    assert observation["valueInteger"] == 3
    assert "coding" not in observation["code"]  # no standard code: text only
    assert observation["category"][0]["coding"][0]["code"] == "survey"
    assert {c["code"]["text"]: c["valueBoolean"] for c in observation["component"]} == {
        "age 50 or over": True,
        "weight loss of 5 % or more": False,
        "smoking at diagnosis": True,
        "bulbar involvement": True,
        "erectile dysfunction": False,
        "Karnofsky performance status below 70": False,
    }
    assert "55.5 %" in observation["note"][0]["text"]
    response_url = full_url(bundle, resource_of(bundle, "QuestionnaireResponse"))
    assert observation["derivedFrom"] == [{"reference": response_url}]
    risk = section(bundle, "Tumour risk (DELTA-P) and screening")
    assert references(risk) == [full_url(bundle, observation)]
    assert "DELTA-P score 3 of 6" in narrative(risk)[1]


def test_an_incomplete_delta_p_score_is_a_section_as_points_so_far_but_no_observation(
    clinician_client, prescribe
):
    _, bundle = document(clinician_client, prescribe())  # the DELTA-P items unanswered
    assert resources_of(bundle, "Observation") == []  # no score to observe yet
    sections = resource_of(bundle, "Composition")["section"]
    [risk] = [s for s in sections if s["title"] == "Tumour risk (DELTA-P) and screening"]
    text = narrative(risk)[1]
    assert "DELTA-P incomplete: 1 of 6 items answered" in text
    assert "at least 0 points so far" in text


def test_every_resource_the_sections_cite_is_in_the_bundle_and_nothing_else(
    clinician_client, prescribe
):
    encounter = prescribe(started_days_ago=20, **DELTA_P_ANSWERS)
    post_review(clinician_client, encounter, review_date=days_ago(3).isoformat())
    _, bundle = document(clinician_client, encounter)
    cited = [
        reference
        for found in resource_of(bundle, "Composition")["section"]
        for reference in references(found)
    ]
    assert sorted(cited) == sorted(entry["fullUrl"] for entry in bundle["entry"][1:])
    assert [entry["resource"]["resourceType"] for entry in bundle["entry"]] == [
        "Composition",
        "QuestionnaireResponse",
        "MedicationRequest",
        "Observation",
        "Observation",
    ]


def test_the_export_of_an_encounter_with_ten_reviews_stays_within_the_query_budget(
    clinician_client, prescribe
):
    encounter = prescribe(started_days_ago=40, **DELTA_P_ANSWERS)
    for day in range(10):
        review_date = days_ago(20 - day).isoformat()
        response = post_review(clinician_client, encounter, review_date=review_date)
        assert response.status_code == 302
    url = reverse("encounter_fhir", args=[encounter.pk])
    clinician_client.get(url)  # the session and permissions warm as for any page
    with CaptureQueriesContext(connection) as captured:
        response = clinician_client.get(url)
    assert response.status_code == 200
    assert len(captured) <= 12, [query["sql"] for query in captured.captured_queries]
    bundle = json.loads(response.content)
    assert len(resources_of(bundle, "Observation")) == 11  # ten reviews and DELTA-P
