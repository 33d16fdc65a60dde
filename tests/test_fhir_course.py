"""The IVIG course, the DELTA-P score and the course reviews in the FHIR document
(DESIGN.md §8): the MedicationRequest, the Observations, the Reviews narrative, and the
query budget of an encounter with ten reviews."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guidance.encounters import summary
from guidance.encounters.wording import format_number
from guidance.engine import pathway
from guidance.models import Review
from tests import test_ivig_review
from tests.test_fhir import document, narrative, resource_of
from tests.test_ivig_review import a_review, days_ago, post_review, review_url

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
    assert request["status"] == "completed"  # its last day was 16 days ago
    assert request["subject"] == {"reference": full_url(bundle, resource_of(bundle, "Patient"))}
    assert request["requester"]["reference"] == full_url(
        bundle, resource_of(bundle, "Practitioner")
    )
    assert request["medicationCodeableConcept"]["coding"][0] == {
        "system": ATC,
        "code": "J06BA02",
        "display": "immunoglobulins, normal human, for intravascular adm.",
    }
    # One dosage instruction a day, in order, with the order's grams: 30, 30, 30, 25, 25 g.
    dosages = request["dosageInstruction"]
    assert [dosage["sequence"] for dosage in dosages] == [1, 2, 3, 4, 5]
    assert [dosage["doseAndRate"][0]["doseQuantity"] for dosage in dosages] == [
        {"value": grams, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"}
        for grams in (30, 30, 30, 25, 25)
    ]
    start = days_ago(20)
    for day, dosage in enumerate(dosages):
        repeat = dosage["timing"]["repeat"]
        date = (start + datetime.timedelta(days=day)).isoformat()
        assert repeat["boundsPeriod"] == {"start": date, "end": date}
        assert repeat["count"] == 1
        assert (repeat["frequency"], repeat["period"], repeat["periodUnit"]) == (1, 1, "d")
    note = request["note"][0]["text"]
    assert encounter.snapshot["course"]["sentence"] in note
    assert "Dosing weight 70 kg: Actual body weight" in note
    assert "Infusion rate: as the product's label says." in note
    assert "Prescriber: " in note
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
    request = resource_of(bundle, "MedicationRequest")
    weight = encounter.snapshot["course"]["dosing_weight_kg"]
    assert weight < 100
    assert (
        f"Dosing weight {format_number(weight)} kg: "
        "Adjusted body weight (Australia's national criteria, BloodSTAR)"
        in request["note"][0]["text"]
    )
    daily = [d["doseAndRate"][0]["doseQuantity"]["value"] for d in request["dosageInstruction"]]
    assert daily == encounter.snapshot["course"]["daily_doses_g"]
    assert sum(daily) < 200  # 200 g on 100 kg
    assert sum(daily) <= 2 * weight


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
        assert observation["subject"] == {
            "reference": full_url(bundle, resource_of(bundle, "Patient"))
        }
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
    composition = resource_of(bundle, "Composition")
    cited = [reference for found in composition["section"] for reference in references(found)] + [
        composition["subject"]["reference"],
        composition["author"][0]["reference"],
    ]
    assert sorted(cited) == sorted(entry["fullUrl"] for entry in bundle["entry"][1:])
    assert [entry["resource"]["resourceType"] for entry in bundle["entry"]] == [
        "Composition",
        "Practitioner",
        "Patient",
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


def test_a_review_makes_a_new_document_that_replaces_the_one_before(clinician_client, prescribe):
    encounter = prescribe(started_days_ago=20)
    _, first = document(clinician_client, encounter)
    _, again = document(clinician_client, encounter)
    assert again["identifier"] == first["identifier"]
    assert again["timestamp"] == first["timestamp"]
    post_review(clinician_client, encounter, review_date=days_ago(3).isoformat())
    _, second = document(clinician_client, encounter)
    assert second["identifier"]["value"] != first["identifier"]["value"]
    assert second["timestamp"] > first["timestamp"]
    before, after = resource_of(first, "Composition"), resource_of(second, "Composition")
    assert after["identifier"] == before["identifier"]
    assert (before["meta"], after["meta"]) == ({"versionId": "1"}, {"versionId": "2"})
    assert after["date"] == second["timestamp"]
    assert "relatesTo" not in before
    assert after["relatesTo"] == [{"code": "replaces", "targetIdentifier": first["identifier"]}]
    _, third = document(clinician_client, encounter)
    assert third["identifier"] == second["identifier"]


@pytest.mark.parametrize(
    "started_days_ago, review_plan, status",
    [
        (0, None, "active"),
        (4, None, "active"),  # day 5 of 5 is today
        (5, None, "completed"),
        (20, "repeat_course", "completed"),
        (2, "stop", "stopped"),
    ],
)
def test_the_medication_request_status_follows_the_course(
    clinician_client, prescribe, started_days_ago, review_plan, status
):
    encounter = prescribe(started_days_ago=started_days_ago)
    if review_plan:
        review = a_review(encounter, plan=review_plan, review_date=days_ago(0).isoformat())
        if review_plan == "repeat_course":
            review["note"] = "Another course."
        assert clinician_client.post(review_url(encounter), review).status_code == 302
    _, bundle = document(clinician_client, encounter)
    request = resource_of(bundle, "MedicationRequest")
    assert request["status"] == status
    assert ("statusReason" in request) is (status == "stopped")
