"""The finalized summary as a PDF: rendered on the server, with the same content as print."""

import io
import re
import shutil
import subprocess

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests.paths import as_shown


@pytest.fixture
def finalized(clinician_client, make_encounter, ivig_answers):
    encounter = make_encounter(
        patient_reference="MRN-PDF-7", answers=ivig_answers, status="complete"
    )
    response = clinician_client.post(
        reverse("finalize", args=[encounter.pk]),
        as_shown({"decision": "followed", "dose_basis": "actual"}, encounter),
    )
    assert response.status_code == 302
    encounter.refresh_from_db()
    return encounter


def pdf_text(response):
    reader = PdfReader(io.BytesIO(response.content))
    return reader, " ".join(page.extract_text() for page in reader.pages)


def test_the_pdf_holds_the_patient_reference_the_dose_and_every_reference(
    clinician_client, finalized
):
    response = clinician_client.get(reverse("summary_pdf", args=[finalized.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "MRN-PDF-7" not in response["Content-Disposition"]
    reader, text = pdf_text(response)
    flat = " ".join(text.split())
    assert "MRN-PDF-7" in flat
    assert "70-140 g in total" in flat
    for reference in finalized.snapshot["references"]:
        authors = reference["vancouver"].split(".")[0]
        assert authors.split(",")[0] in flat, reference["number"]
    assert "Page 1 of" in flat
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points


def test_the_pdf_is_only_for_a_finalized_encounter(clinician_client, make_encounter, ivig_answers):
    encounter = make_encounter(answers=ivig_answers)
    response = clinician_client.get(reverse("summary_pdf", args=[encounter.pk]))
    assert response.status_code == 409


def test_another_clinician_gets_no_pdf(finalized, other_clinician, client):
    client.force_login(other_clinician)
    assert client.get(reverse("summary_pdf", args=[finalized.pk])).status_code == 404


def test_the_summary_offers_the_pdf_once_finalized(clinician_client, finalized):
    page = clinician_client.get(reverse("summary", args=[finalized.pk])).content.decode()
    assert reverse("summary_pdf", args=[finalized.pk]) in page


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_the_pdf_reference_list_prints_the_cited_numbers_not_a_count(
    clinician_client, make_encounter, tmp_path
):
    # A tumour found, 3,4-DAP adequate: the statements cite 1, 2 and 4 (not 3), so a list
    # that counted its items (WeasyPrint ignores `li value`) would print 4 as "3."
    answers = {
        "weight_kg": 70,
        "diagnosis_confirmed": "yes",
        "tumour_status": "found",
        "smoking": "current",
        "dap_status": "adequate",
    }
    encounter = make_encounter(answers=answers, status="complete", patient_reference="MRN-REF")
    response = clinician_client.post(
        reverse("finalize", args=[encounter.pk]), as_shown({"decision": "followed"}, encounter)
    )
    assert response.status_code == 302
    pdf = tmp_path / "summary.pdf"
    pdf.write_bytes(clinician_client.get(reverse("summary_pdf", args=[encounter.pk])).content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    listed = text[text.rindex("References") :]
    numbered = re.findall(r"^\s*(\d+)\. (\S+)", listed, re.M)
    assert numbered == [("1", "Titulaer"), ("2", "Keogh"), ("4", "Newsom-Davis")]
