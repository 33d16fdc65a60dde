"""The finalized summary as a PDF: rendered on the server, with the same content as print."""

import io

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
