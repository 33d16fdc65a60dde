"""The finalized summary as a PDF: rendered on the server, with the same content as print."""

import io
import re
import shutil
import subprocess
import sys

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone
from pypdf import PdfReader

from guidance.models import AccessLog
from tests.paths import as_shown
from tests.test_ivig_review import post_review, prescribe  # noqa: F401


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


# --- one render per content -------------------------------------------------------------------


@pytest.fixture
def renders(monkeypatch):
    """The PDFs WeasyPrint renders, counted."""
    import weasyprint

    made = []
    write_pdf = weasyprint.HTML.write_pdf

    def counted(self, *args, **kwargs):
        made.append(1)
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", counted)
    return made


def flat_text(response):
    return " ".join(pdf_text(response)[1].split())


def test_the_same_record_downloaded_again_is_the_same_file_rendered_once_and_logged_twice(
    clinician_client, finalized, renders
):
    url = reverse("summary_pdf", args=[finalized.pk])
    first = clinician_client.get(url)
    second = clinician_client.get(url)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == "application/pdf"
    assert second["Content-Disposition"] == first["Content-Disposition"]
    assert len(renders) == 1
    downloads = AccessLog.objects.filter(encounter=finalized, action=AccessLog.Action.DOWNLOADED)
    assert downloads.count() == 2


def test_a_review_recorded_between_two_downloads_is_in_the_second(
    clinician_client,
    prescribe,  # noqa: F811
    renders,
):
    encounter = prescribe()
    url = reverse("summary_pdf", args=[encounter.pk])
    before = flat_text(clinician_client.get(url))
    assert "QMG 18 → 12" not in before
    assert post_review(clinician_client, encounter).status_code == 302
    after = flat_text(clinician_client.get(url))
    assert "QMG 18 → 12: 6 points better; lower is better" in after
    assert len(renders) == 2


def test_the_pdf_says_the_day_it_was_printed_not_the_time(clinician_client, finalized):
    text = flat_text(clinician_client.get(reverse("summary_pdf", args=[finalized.pk])))
    today = dateformat.format(timezone.localdate(), "j M Y")
    footer = text[text.index("Printed by") :]
    assert footer.startswith(f"Printed by Ada Byron on {today}.")
    assert not re.search(r"\d:\d\d", footer)


def test_a_pdf_not_made_is_not_kept(clinician_client, finalized, monkeypatch, renders):
    url = reverse("summary_pdf", args=[finalized.pk])
    with monkeypatch.context() as without_pango:
        without_pango.setitem(sys.modules, "weasyprint", None)
        assert clinician_client.get(url).status_code == 503
    assert renders == []
    response = clinician_client.get(url)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert len(renders) == 1
    # Only the download that gave a PDF is logged.
    downloads = AccessLog.objects.filter(encounter=finalized, action=AccessLog.Action.DOWNLOADED)
    assert downloads.count() == 1
