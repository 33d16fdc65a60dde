"""What the clinician acts on comes first, and a statement carries the same markers everywhere.

"For this patient" opens the summary, the print page and the PDF: the plan in short, the
doses, then the statements that come first clinically (DESIGN §4). The dose box names its
sources and shows no adjusted figure when none is offered; the PDF heads every page with
the patient reference and holds the decision on page 1.
"""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from guidance.encounters.wording import format_number
from guidance.engine import dosing, pathway
from tests.pages import article, shown_codes, text_of
from tests.paths import IVIG_PATH_ANSWERS, as_shown
from tests.test_summary import print_page, summary_page

# Paraneoplastic LEMS in a smoker who cannot take 3,4-DAP (the second case).
PARANEOPLASTIC = {
    "weight_kg": 70.0,
    "diagnosis_confirmed": "yes",
    "tumour_status": "found",
    "smoking": "current",
    "dap_status": "not_tolerated",
    "weakness": "moderate",
    "rapid_improvement_needed": "no",
    "immunosuppression": "none",
}


def for_this_patient(page):
    found = re.search(
        r'<section class="for-this-patient".*?</section>\s*(?=<section class="statement-group'
        r'|<section class="decision"|</div>)',
        page,
        re.S,
    )
    assert found, "no For this patient block"
    return found.group(0)


PLAN_MARKERS = r'<span class="markers plan-markers">.*?</span>\s*</span>'


def plan_lines(page):
    """(treatment, linked code, text without its markers) of each line of the plan, in order."""
    return [
        (
            treatment,
            code,
            re.sub(
                r" ([:.,;])",
                r"\1",
                text_of(
                    re.sub(r'<span class="markers plan-markers">.*?</span>\s*</span>', "", body)
                ),
            ),
        )
        for treatment, code, body in re.findall(
            r'<li class="plan-([a-z_]+)" data-code="([a-z0-9-]+)">(.*?)</li>', page, re.S
        )
    ]


def plan_markers(page):
    """{treatment: the marker words of its line (the caveat's first, when it has one)}."""
    return {
        treatment: re.findall(r'<span class="marker marker-[a-z]+">([^<]+)</span>', body)
        for treatment, body in re.findall(
            r'<li class="plan-([a-z_]+)" [^>]*>(.*?)</li>', page, re.S
        )
    }


def doses_of(page):
    return text_of(re.search(r'<section class="doses".*?</section>', page, re.S).group(0))


def markers(fragment):
    """The marker words and the lead-in of one statement as a page shows them."""
    found = re.search(r'<p class="markers[^"]*">(.*?)</p>', fragment, re.S)
    lead_in = re.search(r'<span class="lead-in">(.*?)</span>', fragment, re.S)
    return text_of(found.group(1)), lead_in.group(1) if lead_in else ""


def panel_statement(page, code):
    found = re.search(
        rf'<div class="panel-statement[^"]*" data-code="{code}">(.*?)</div>', page, re.S
    )
    return None if found is None else found.group(1)


@pytest.fixture
def paraneoplastic(make_encounter):
    return make_encounter(
        answers=dict(PARANEOPLASTIC), status="complete", patient_reference="MRN-PARA-3"
    )


@pytest.fixture
def ivig_encounter(make_encounter, ivig_answers):
    return make_encounter(answers=ivig_answers, status="complete", patient_reference="MRN-0042")


def finalize(client, encounter, **extra):
    response = client.post(
        reverse("finalize", args=[encounter.pk]),
        as_shown(
            {"decision": "followed", "decision_note": "Oncology referral today.", **extra},
            encounter,
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    encounter.refresh_from_db()
    return encounter


# --- the plan ----------------------------------------------------------------------------


def test_the_paraneoplastic_case_puts_anti_tumour_treatment_before_3_4_dap(
    clinician_client, paraneoplastic
):
    for page in (
        summary_page(clinician_client, paraneoplastic),
        print_page(clinician_client, paraneoplastic),
    ):
        block = for_this_patient(page)
        assert [line[:2] for line in plan_lines(block)] == [
            ("tumour", "anti-tumour-priority"),
            ("dap", "dap-unavailable"),
            ("prednisone", "prednisone"),
        ]
        # Each line carries the markers of the statement it stands for.
        assert plan_markers(block) == {
            "tumour": ["Partly confirmed"],
            "dap": ["Local"],
            "prednisone": ["Not confirmed"],
        }
        # 3,4-DAP's line says it cannot be used here, not that it is first-line.
        assert "not tolerated or contraindicated" in plan_lines(block)[1][2]
        codes = shown_codes(page)
        assert codes[0] == "anti-tumour-priority"
        assert codes.index("anti-tumour-priority") < codes.index("dap-first-line")
        assert "anti-tumour-priority" in shown_codes(block)
        assert "dap-first-line" not in shown_codes(block)


def test_each_statement_is_shown_once_in_full(clinician_client, paraneoplastic, ivig_encounter):
    for encounter in (paraneoplastic, ivig_encounter):
        codes = shown_codes(summary_page(clinician_client, encounter))
        assert sorted(codes) == sorted(pathway.evaluate(encounter.answers).codes)


def test_every_plan_line_links_to_a_statement_shown_below(clinician_client, ivig_encounter):
    page = summary_page(clinician_client, ivig_encounter)
    lines = plan_lines(for_this_patient(page))
    assert [treatment for treatment, _, _ in lines] == [
        "dap",
        "prednisone",
        "steroid_sparing",
        "ivig",
    ]
    for _, code, _ in lines:
        assert code in shown_codes(page), code
    texts = {treatment: text for treatment, _, text in lines}
    # Plasma exchange available, and pitfall-plex-equal high priority: one reconciled line,
    # never IVIG alone beside the warning.
    assert texts["ivig"] == (
        "IVIG or plasma exchange: both give short-term improvement; choose by availability and "
        "patient factors. IVIG risk factors recorded: Renal risk (risk of renal failure)."
    )
    assert plan_markers(for_this_patient(page))["ivig"] == ["Partly confirmed", "High priority"]
    assert "as effective as IVIG" not in page


def test_without_plasma_exchange_the_plan_says_ivig_and_why(
    clinician_client, make_encounter, ivig_answers
):
    ivig_answers["plasma_exchange_available"] = "no"
    encounter = make_encounter(answers=ivig_answers, status="complete")
    lines = {
        t: (code, text) for t, code, text in plan_lines(summary_page(clinician_client, encounter))
    }
    assert lines["ivig"] == (
        "ivig-when-refractory",
        "IVIG (plasma exchange not available here): short-term improvement, here for severe "
        "weakness not responding sufficiently to 3,4-DAP alone and a bridge while "
        "immunosuppression takes effect.",
    )


def test_ivig_as_a_bridge_only_says_so_in_the_plan_above_the_doses(
    clinician_client, make_encounter, ivig_answers
):
    ivig_answers["weakness"] = "moderate"
    encounter = make_encounter(answers=ivig_answers, status="complete")
    page = summary_page(clinician_client, encounter)
    lines = {t: (code, text) for t, code, text in plan_lines(page)}
    assert lines["ivig"][0] == "pitfall-plex-equal"
    assert lines["ivig"][1].startswith(
        "IVIG or plasma exchange: bridge only: the guideline reserves IVIG for severe weakness; "
        "both give short-term improvement"
    )
    assert '<a href="#s-ivig-bridge-only">' in for_this_patient(page)
    assert plan_markers(page)["ivig"][0] == "Local"
    assert page.index("bridge only: the guideline reserves") < page.index('class="doses"')


def test_the_ivig_case_shows_the_doses_and_the_renal_pitfall_before_any_evidence(
    clinician_client, ivig_encounter
):
    for page in (
        summary_page(clinician_client, ivig_encounter),
        print_page(clinician_client, ivig_encounter),
    ):
        first_evidence = page.index("kind-evidence")
        assert page.index("70-140 g in total") < first_evidence
        assert page.index("14-70 g a day") < first_evidence
        renal = page.index('id="s-pitfall-ivig-risks"')
        assert renal < first_evidence
        assert "Renal risk (risk of renal failure)" in text_of(article(page, "pitfall-ivig-risks"))
        assert page.index("For this patient") < page.index("70-140 g in total") < renal


def test_with_immunosuppression_established_prednisone_is_a_starting_regimen_for_reference(
    clinician_client, make_encounter, ivig_answers
):
    ivig_answers.update(immunosuppression="established", weakness="severe")
    encounter = make_encounter(answers=ivig_answers, status="complete")
    page = summary_page(clinician_client, encounter)
    assert (
        "Prednisone, starting regimen (for reference): 1.5 mg/kg × 70 kg = 105 mg, "
        "capped at 100 mg, on alternate days" in doses_of(page)
    )
    lines = {t: code for t, code, _ in plan_lines(page)}
    assert lines["prednisone"] == "prednisone-established"

    ivig_answers["immunosuppression"] = "starting"
    starting = make_encounter(answers=ivig_answers, status="complete")
    assert "for reference" not in doses_of(summary_page(clinician_client, starting))


def test_a_summary_without_a_confirmed_diagnosis_leads_with_the_scope_note(
    clinician_client, make_encounter
):
    encounter = make_encounter(
        answers={"weight_kg": 70, "diagnosis_confirmed": "no"}, status="complete"
    )
    page = summary_page(clinician_client, encounter)
    block = for_this_patient(page)
    # Suspected LEMS: cancer screening is not to wait for the diagnosis.
    assert shown_codes(block) == ["out-of-scope", "pitfall-delay-screening"]
    assert plan_lines(block) == []
    assert "Doses for this patient" not in block


def test_a_screening_smoker_reads_the_screening_statements_first(clinician_client, make_encounter):
    answers = dict(PARANEOPLASTIC, tumour_status="not_screened", dap_status="adequate")
    encounter = make_encounter(answers=answers, status="complete")
    block = for_this_patient(summary_page(clinician_client, encounter))
    assert shown_codes(block) == ["smoker-screening", "pitfall-delay-screening"]


# --- the dose box ------------------------------------------------------------------------


def test_a_150_cm_woman_is_shown_no_adjusted_figure_and_why(
    clinician_client, make_encounter, ivig_answers
):
    ivig_answers.update(height_cm=150.0, sex="female", pregnant="no")
    encounter = make_encounter(answers=ivig_answers, status="complete")
    page = summary_page(clinician_client, encounter)
    doses = doses_of(page)

    would_be = dosing.ivig_dose(70, 150, "female", "no")
    assert would_be["dosing_weight_reason"] == "under_152_cm"
    for figure in (would_be["adjusted_weight_kg"], would_be["ideal_weight_kg"]):
        assert f"{format_number(figure)} kg" not in doses
    assert "Adjusted body weight" not in doses
    assert "Ideal body weight" not in doses
    assert (
        "No adjusted weight offered: under 152 cm: Australia's national criteria "
        "(BloodSTAR, since July 2026) use the actual weight." in doses
    )
    assert (
        "to the nearest 5 g (Ontario's IVIG dose calculator), at most 2.0 g/kg: 70-140 g" in doses
    )
    assert 'name="dose_basis"' not in page


def test_the_dose_box_never_says_national_criteria_alone(clinician_client, make_encounter):
    for extra in ({}, {"height_cm": 175.0, "sex": "male", "weight_kg": 100.0}):
        answers = dict(pathway_answers(), **extra)
        page = summary_page(clinician_client, make_encounter(answers=answers, status="complete"))
        doses = doses_of(page)
        assert doses.count("national criteria") == doses.count("Australia's national criteria")


def pathway_answers():
    return {k: list(v) if isinstance(v, list) else v for k, v in IVIG_PATH_ANSWERS.items()}


def test_the_patient_step_asks_for_the_actual_body_weight(clinician_client, make_encounter):
    encounter = make_encounter()
    page = clinician_client.get(reverse("step", args=[encounter.pk, "patient"])).content.decode()
    assert re.search(r"<label[^>]*>\s*Actual body weight \(kg\)", page)


# --- the same markers everywhere ---------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "pitfall-ivig-risks",
            ("Warning High priority for this patient: Renal risk (risk of renal failure)", ""),
        ),
        ("ivig-when-bridge", ("Recommendation Not confirmed", "When to Use IVIG:")),
        ("ivig-when-refractory", ("Recommendation Partly confirmed", "When to Use IVIG:")),
        ("ivig-dosing-weight", ("Recommendation Local", "")),
        (
            "prednisone",
            (
                "Recommendation Not confirmed",
                "For patients inadequately controlled by symptomatic treatment alone:",
            ),
        ),
    ],
)
def test_the_panel_shows_the_same_markers_as_the_summary(
    clinician_client, ivig_encounter, code, expected
):
    panel = clinician_client.get(reverse("step", args=[ivig_encounter.pk, "ivig"])).content.decode()
    summary = summary_page(clinician_client, ivig_encounter)
    print_ = print_page(clinician_client, ivig_encounter)

    assert markers(panel_statement(panel, code)) == expected
    assert markers(article(summary, code)) == expected
    assert markers(article(print_, code)) == expected


def test_the_guideline_page_shows_the_same_kind_origin_and_verification_markers(
    clinician_client, ivig_encounter
):
    guideline = clinician_client.get(reverse("guideline")).content.decode()
    summary = summary_page(clinician_client, ivig_encounter)
    for code in ("ivig-when-bridge", "ivig-dosing-weight", "dap-first-line"):
        item = re.search(rf'<li id="s-{code}"[^>]*>(.*?)</li>', guideline, re.S).group(1)
        assert markers(item)[0] == markers(article(summary, code))[0], code


def test_the_panel_marks_a_local_statement(clinician_client, make_encounter):
    encounter = make_encounter(answers={"weight_kg": 70, "diagnosis_confirmed": "no"})
    page = clinician_client.get(reverse("step", args=[encounter.pk, "patient"])).content.decode()
    assert markers(panel_statement(page, "out-of-scope")) == ("Scope Local", "")


# --- print and PDF for the chart ---------------------------------------------------------


def pdf_pages(client, encounter):
    response = client.get(reverse("summary_pdf", args=[encounter.pk]))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


@pytest.mark.parametrize(
    "case",
    [
        "paraneoplastic",
        "ivig",
    ],
)
def test_every_pdf_page_is_headed_and_page_1_holds_the_plan_and_the_decision(
    clinician_client, paraneoplastic, ivig_encounter, case
):
    encounter = finalize(
        clinician_client, paraneoplastic if case == "paraneoplastic" else ivig_encounter
    )
    pages = pdf_pages(clinician_client, encounter)
    # The reference list's numbers are the cited numbers, as text (WeasyPrint ignores
    # `li value`): "10." only if citation 10 is cited, and the list starts at the first.
    whole = " ".join(pages)
    cited = [reference["number"] for reference in encounter.snapshot["references"]]
    listed = whole[whole.rindex("References") :]
    for number in cited:
        assert re.search(rf"(^|\s){number}\. ", listed), number
    reference = encounter.patient_reference

    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Patient reference: {reference}" in text, number
        assert f"Page {number} of {len(pages)}" in text, number
        assert encounter.finalized_at.strftime("%-d %b %Y") in text, number
    first = pages[0]
    assert "For this patient" in first
    assert "Decision Recommendations Followed" in first
    assert "Oncology referral today." in first
    if case == "paraneoplastic":
        assert first.index("Tumour:") < first.index("3,4-DAP: not tolerated")
        assert "Anti-tumor treatment is the priority" in first
    else:
        assert "70-140 g in total" in first
        assert "Renal risk (risk of renal failure)" in first


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"tumour_status": "found", "smoking": "current", "dap_status": "not_tolerated"},
        {"ivig_risk_factors": ["thrombosis", "renal", "aseptic_meningitis"]},
        {"weakness": "moderate", "rapid_improvement_needed": "yes"},
    ],
)
def test_no_pdf_page_holds_only_the_disclaimer(
    clinician_client, make_encounter, ivig_answers, extra
):
    from guidance.models import Guideline

    ivig_answers.update(extra)
    encounter = finalize(
        clinician_client,
        make_encounter(answers=ivig_answers, status="complete", patient_reference="MRN-77"),
    )
    pages = pdf_pages(clinician_client, encounter)
    disclaimer = " ".join(Guideline.objects.get().disclaimer.split())
    last = pages[-1]
    assert disclaimer in last
    # Beyond the page head, the disclaimer and the "Printed by" line, something of the record.
    rest = last.split("Printed by")[0].replace(disclaimer, "")
    rest = re.sub(
        r"LEMS treatment summary · Patient reference: MRN-77 · [^P]*Page \d+ of \d+", "", rest
    )
    assert len(rest.strip()) > 40, last


def test_the_page_head_keeps_a_typed_reference_inside_its_css_string(
    clinician_client, make_encounter, ivig_answers
):
    encounter = make_encounter(
        answers=ivig_answers, status="complete", patient_reference='A"}</style><b>x'
    )
    page = print_page(clinician_client, encounter)
    style = re.findall(r"<style>(.*?)</style>", page, re.S)[-1]
    assert "Patient reference: A\\22 \\7d \\3c /style\\3e \\3c b\\3e x" in style
    assert "<b>x" not in page


def test_the_print_page_has_a_print_button_and_the_summary_points_to_it(
    clinician_client, ivig_encounter
):
    page = print_page(clinician_client, ivig_encounter)
    assert "data-print hidden>Print</button>" in page
    summary = summary_page(clinician_client, ivig_encounter)
    pointer = re.search(r'<p class="print-only">(.*?)</p>', summary, re.S).group(1)
    assert reverse("print", args=[ivig_encounter.pk]) in pointer


# --- the FHIR document reads the same snapshot -------------------------------------------


def test_the_fhir_document_keeps_the_statements_shown_first_and_the_dose_box(
    clinician_client, make_encounter, ivig_answers
):
    from guidance import fhir

    ivig_answers.update(height_cm=150.0, sex="female", pregnant="no")
    encounter = finalize(clinician_client, make_encounter(answers=ivig_answers, status="complete"))
    snapshot = encounter.snapshot
    assert [s["code"] for s in snapshot["first"]] == [
        "pitfall-ivig-risks",
        "pitfall-plex-equal",
        "ivig-risk-mitigation",  # the path's renal risk
    ]

    plan = text_of(str(fhir.plan_section(snapshot, encounter)))
    assert "Be aware of IVIG-associated risks" in plan
    for line in snapshot["plan"]:
        assert f"{line['label']}: {text_of(line['text'])}" in plan
    doses = text_of(str(fhir.doses_section(snapshot, encounter)))
    assert "No adjusted weight offered: under 152 cm" in doses
    assert "Adjusted body weight" not in doses
