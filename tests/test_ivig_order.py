"""The IVIG order, live before finalize (DESIGN §4): `POST /encounters/<uuid>/order/`
returns the order block (htmx) or the summary with it filled (no JavaScript), finalize
stores that block, and no IVIG figure is shown without height and sex."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from guidance.encounters.models import Encounter
from tests.pages import controls, text_of
from tests.paths import answers_before, as_shown
from tests.test_summary import print_page, summary_page

# The design's worked course: a man of 175 cm and 100 kg, dosed on his adjusted weight
# (82.3 kg): 2.0 g/kg would be 164.6 g, and 165 g would be 2.005 g/kg.
HEAVY = {"weight_kg": 100.0, "height_cm": 175.0, "sex": "male"}


def today():
    return timezone.localdate()


def in_days(days):
    return (today() + datetime.timedelta(days=days)).isoformat()


def course(**changes):
    return {
        "decision": "followed",
        "ivig_g_per_kg": "2.0",
        "ivig_days": "5",
        "course_start_date": today().isoformat(),
        **changes,
    }


def order_url(encounter):
    return reverse("order", args=[encounter.pk])


def block(page):
    found = re.search(r'<section class="ivig-order.*?</section>', page, re.S)
    assert found, "no order block"
    return found.group(0)


@pytest.fixture
def heavy(make_encounter, ivig_answers):
    ivig_answers.update(HEAVY)
    return make_encounter(answers=ivig_answers, status="complete", patient_reference="MRN-82")


def test_with_htmx_the_order_block_alone_comes_back_with_every_figure(clinician_client, heavy):
    response = clinician_client.post(
        order_url(heavy), course(dose_basis="adjusted"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<section class="ivig-order')
    assert "<html" not in page
    text = text_of(page)
    assert (
        "Dosing weight 82.3 kg, adjusted body weight (Australia's national criteria, BloodSTAR, "
        "since July 2026)" in text
    )
    assert "BMI 32.7: BMI above 30: Ontario's calculator requires a dosing weight [8]" in text
    assert "Dose chosen 2.0 g/kg" in text
    assert "Total 160 g in 5 g vials = 1.94 g/kg (165 g would exceed 2.0 g/kg)" in text
    days = re.findall(r"<li>Day (\d), (\d{4}-\d\d-\d\d): (\d+) g</li>", page)
    assert days == [
        (str(day + 1), in_days(day), str(grams)) for day, grams in enumerate((35, 35, 30, 30, 30))
    ]
    assert f"Last day {in_days(4)}" in text
    assert "Infusion rate: as the product's label says" in text
    assert "Prescriber Ada Byron" in text


def test_the_preview_stores_nothing(clinician_client, heavy):
    clinician_client.post(order_url(heavy), course(dose_basis="adjusted"), HTTP_HX_REQUEST="true")
    heavy.refresh_from_db()
    assert not heavy.is_finalized and heavy.course_start_date is None
    assert heavy.decision == ""


def test_without_javascript_preview_returns_the_summary_with_the_block_and_all_typed(
    clinician_client, heavy
):
    typed = course(dose_basis="adjusted", decision_note="Ward 4B", baseline_scale="qmg")
    response = clinician_client.post(order_url(heavy), typed)
    assert response.status_code == 200
    page = response.content.decode()
    assert "For this patient" in page
    assert "160 g in 5 g vials = 1.94 g/kg" in text_of(block(page))
    assert "Ward 4B" in page
    assert controls(page, "ivig_g_per_kg")[0]["value"] == "2.0"
    assert controls(page, "course_start_date")[0]["value"] == today().isoformat()
    # Only the course is checked: the baseline's missing score, not the decision's reason.
    assert "Enter the baseline score on the chosen scale." in text_of(page)
    assert "Choose what was decided." not in text_of(page)


def test_bad_course_values_get_the_finalize_messages_and_no_order(clinician_client, heavy):
    response = clinician_client.post(
        order_url(heavy), course(dose_basis="adjusted", ivig_g_per_kg="2.5", ivig_days="6")
    )
    page = response.content.decode()
    assert "The dose must be at most 2.0 g/kg." in text_of(page)
    assert "The guideline gives the dose over 2 to 5 days: at most 5." in text_of(page)
    assert "Correct the course above to see the order." in text_of(block(page))


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"decision": "not_followed"}, "An IVIG course is recorded with “Followed”"),
        (
            {"ivig_g_per_kg": "", "ivig_days": "", "course_start_date": ""},
            "Enter the dose in g/kg, the number of days and the start date",
        ),
        ({"ivig_days": ""}, "Correct the course above to see the order."),
        ({"dose_basis": ""}, "Choose the weight the IVIG dose is based on"),
    ],
)
def test_without_a_whole_course_the_block_says_what_is_missing(
    clinician_client, heavy, posted, message
):
    data = {**course(dose_basis="adjusted"), **posted}
    page = clinician_client.post(order_url(heavy), data, HTTP_HX_REQUEST="true").content.decode()
    assert message in text_of(page)
    assert "g in 5 g vials" not in page


def test_finalize_stores_the_order_the_preview_showed(clinician_client, heavy):
    preview = clinician_client.post(
        order_url(heavy), course(dose_basis="adjusted"), HTTP_HX_REQUEST="true"
    ).content.decode()
    response = clinician_client.post(
        reverse("finalize", args=[heavy.pk]), as_shown(course(dose_basis="adjusted"), heavy)
    )
    assert response.status_code == 302
    heavy.refresh_from_db()
    stored = heavy.snapshot["course"]
    assert stored["rounded_total_g"] == 160
    assert stored["daily_doses_g"] == [35, 35, 30, 30, 30]
    assert stored["sentence"] == (
        "IVIG 2.0 g/kg × 82.3 kg = 164.6 g, 160 g in 5 g vials (165 g would exceed 2.0 g/kg), "
        f"over 5 days from {today().isoformat()} to {in_days(4)}: 35, 35, 30, 30, 30 g"
    )
    shown = text_of(preview)
    for page in (summary_page(clinician_client, heavy), print_page(clinician_client, heavy)):
        assert text_of(block(page)) == shown
        assert stored["sentence"] in text_of(page)


def test_a_finalized_encounter_refuses_a_preview_with_409(clinician_client, heavy):
    clinician_client.post(
        reverse("finalize", args=[heavy.pk]), as_shown(course(dose_basis="adjusted"), heavy)
    )
    response = clinician_client.post(order_url(heavy), course(dose_basis="adjusted"))
    assert response.status_code == 409


def test_another_clinicians_order_is_404_and_get_is_405(clinician_client, heavy, other_clinician):
    assert clinician_client.get(order_url(heavy)).status_code == 405
    clinician_client.force_login(other_clinician)
    assert clinician_client.post(order_url(heavy), course()).status_code == 404


def test_the_summary_wires_the_course_fields_to_the_order_and_offers_a_preview(
    clinician_client, heavy
):
    page = summary_page(clinician_client, heavy)
    assert f'hx-post="{order_url(heavy)}"' in page
    assert 'hx-target="#ivig-order"' in page
    assert re.search(rf'<button[^>]*formaction="{order_url(heavy)}"[^>]*>Preview order', page)
    # The decision form follows "For this patient", before the statements in full.
    assert (
        page.index("For this patient")
        < page.index('id="decision"')
        < page.index('class="statement-group')
    )


# --- height and sex before any IVIG figure ----------------------------------------------


@pytest.fixture
def without_height(make_encounter, ivig_answers):
    answers = {k: v for k, v in ivig_answers.items() if k not in ("height_cm", "sex")}
    answers["weight_kg"] = 250.0
    return make_encounter(answers=answers, status="complete")


def test_250_kg_without_height_shows_no_ivig_figure_only_a_link_to_give_it(
    clinician_client, without_height
):
    page = summary_page(clinician_client, without_height)
    doses = text_of(re.search(r'<section class="doses".*?</section>', page, re.S).group(0))
    assert "No IVIG dose until the height and sex are given" in doses
    assert "500" not in doses and "250-500 g" not in doses
    assert reverse("step", args=[without_height.pk, "ivig"]) in page
    assert 'name="ivig_g_per_kg"' not in page  # no course without a dose
    # The prednisone dose does not need them.
    assert "1.5 mg/kg × 250 kg = 375 mg, capped at 100 mg" in doses


def test_a_record_saved_before_heights_were_asked_cannot_be_finalized_without_one(
    clinician_client, without_height
):
    # IVIG answered, no height or sex: as encounters saved before the IVIG step asked them.
    from guidance.encounters.workflow import resume_url

    ivig_step = reverse("step", args=[without_height.pk, "ivig"])
    assert resume_url(without_height) == ivig_step
    refused = clinician_client.post(
        reverse("finalize", args=[without_height.pk]),
        as_shown({"decision": "followed"}, without_height),
    )
    assert refused.status_code == 200
    assert "Answer every step before finalizing." in text_of(refused.content.decode())
    without_height.refresh_from_db()
    assert without_height.status != Encounter.Status.FINALIZED

    given = {"plasma_exchange_available": "yes", "height_cm": "180", "sex": "male"}
    assert clinician_client.post(ivig_step, given).status_code == 302
    without_height.refresh_from_db()
    assert resume_url(without_height) == reverse("summary", args=[without_height.pk])
    assert 'name="ivig_g_per_kg"' in summary_page(clinician_client, without_height)


def test_the_ivig_step_asks_what_the_patient_step_left_blank(
    clinician_client, make_encounter, ivig_answers
):
    answers = answers_before("ivig", ivig_answers)
    del answers["height_cm"]
    encounter = make_encounter(answers=answers)
    url = reverse("step", args=[encounter.pk, "ivig"])
    page = clinician_client.get(url).content.decode()
    assert re.search(r"<label[^>]*>\s*Height \(cm\)", page)
    assert not controls(page, "sex")  # given on the patient step

    refused = clinician_client.post(url, {"plasma_exchange_available": "yes"})
    assert refused.status_code == 200
    assert "Enter the height in cm." in text_of(refused.content.decode())

    saved = clinician_client.post(url, {"plasma_exchange_available": "yes", "height_cm": "175"})
    assert saved.status_code == 302
    encounter.refresh_from_db()
    assert encounter.answers["height_cm"] == 175.0
    assert encounter.status == Encounter.Status.COMPLETE
    # The same answer as the patient step's: shown there, and the IVIG step no longer asks.
    patient = clinician_client.get(reverse("step", args=[encounter.pk, "patient"]))
    assert controls(patient.content.decode(), "height_cm")[0]["value"] == "175.0"
    assert not controls(clinician_client.get(url).content.decode(), "height_cm")


def test_the_ivig_step_asks_both_when_both_are_blank(
    clinician_client, make_encounter, ivig_answers
):
    answers = answers_before("ivig", ivig_answers)
    del answers["height_cm"], answers["sex"]
    encounter = make_encounter(answers=answers)
    page = clinician_client.get(reverse("step", args=[encounter.pk, "ivig"])).content.decode()
    assert controls(page, "height_cm") and controls(page, "sex")


# IVIG safety (DESIGN §4): a thrombosis or renal risk offers the longest course, with the
# mitigation line beside the days.


@pytest.mark.parametrize(
    "factors, offered_days, line",
    [
        (["renal"], "5", "Renal risk (risk of renal failure) recorded"),
        (["thrombosis", "renal"], "5", "Thrombosis risk"),
        (["aseptic_meningitis"], None, None),
        ([], None, None),
    ],
)
def test_a_thrombosis_or_renal_risk_offers_5_days_with_the_mitigation_line(
    clinician_client, make_encounter, ivig_answers, factors, offered_days, line
):
    ivig_answers["ivig_risk_factors"] = factors
    encounter = make_encounter(answers=ivig_answers, status="complete")
    (days,) = controls(summary_page(clinician_client, encounter), "ivig_days")
    assert days.get("value") == offered_days
    order = block(
        clinician_client.post(
            order_url(encounter), course(ivig_days="3"), HTTP_HX_REQUEST="true"
        ).content.decode()
    )
    mitigation = re.search(r'<p class="order-mitigation[^>]*>(.*?)</p>', order, re.S)
    if line:
        assert line in mitigation.group(1)
        assert "the course is offered over 5 days, the longest, by default" in mitigation.group(1)
    else:
        assert mitigation is None


def test_the_5_days_offered_alone_are_no_course(clinician_client, make_encounter, ivig_answers):
    encounter = make_encounter(answers=ivig_answers, status="complete")  # a renal risk
    decision = {"decision": "followed", "ivig_days": "5"}
    response = clinician_client.post(
        reverse("finalize", args=[encounter.pk]), as_shown(decision, encounter)
    )
    assert response.status_code == 302
    encounter.refresh_from_db()
    assert encounter.is_finalized and encounter.course_start_date is None
    assert encounter.ivig_days is None
