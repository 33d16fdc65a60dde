"""The editors' admin: lists, search, edits, history, revert; bad input refused; who gets in.

Editors edit a draft (DESIGN §3): each test that changes content starts one first.
"""

import pytest
from django.urls import reverse

from guidance.content.revisions import CITATION_FIELDS
from guidance.models import Citation, Statement


def change_url(model, pk):
    return reverse(f"admin:guidance_{model}_change", args=[pk])


def statement_form(statement, **changes):
    """The statement change form as the admin posts it, with its citation inline."""
    links = list(statement.citation_links.all())
    data = {
        "revision": statement.revision_id,
        "section": statement.section_id,
        "order": statement.order,
        "kind": statement.kind,
        "origin": statement.origin,
        "text": statement.text,
        "evidence_quality": statement.evidence_quality,
        "verification": statement.verification,
        "verification_note": statement.verification_note,
        "citation_links-TOTAL_FORMS": len(links),
        "citation_links-INITIAL_FORMS": len(links),
        "citation_links-MIN_NUM_FORMS": 0,
        "citation_links-MAX_NUM_FORMS": 1000,
    }
    for index, link in enumerate(links):
        data[f"citation_links-{index}-id"] = link.pk
        data[f"citation_links-{index}-statement"] = statement.pk
        data[f"citation_links-{index}-citation"] = link.citation_id
        data[f"citation_links-{index}-order"] = link.order
    data.update(changes)
    return data


def test_editor_lists_statements_and_searches_by_text_and_code(editor_client):
    response = editor_client.get(reverse("admin:guidance_statement_changelist"))
    assert response.status_code == 200
    assert b"pitfall-plex-equal" in response.content
    by_text = editor_client.get(
        reverse("admin:guidance_statement_changelist"), {"q": "azathioprine"}
    )
    assert b"steroid-sparing" in by_text.content
    assert b"pitfall-plex-equal" not in by_text.content
    by_code = editor_client.get(reverse("admin:guidance_statement_changelist"), {"q": "ivig-dose"})
    assert b"ivig-dose" in by_code.content
    assert b"smoker-screening" not in by_code.content


def test_editor_filters_statements_by_kind_and_verification(editor_client):
    url = reverse("admin:guidance_statement_changelist")
    warnings = editor_client.get(url, {"kind__exact": "warning"})
    assert b"pitfall-ivig-risks" in warnings.content
    assert b"dap-qmg-benefit" not in warnings.content
    unconfirmed = editor_client.get(url, {"verification__exact": "not_confirmed"})
    assert b"ivig-when-bridge" in unconfirmed.content
    assert b"ivig-duration" not in unconfirmed.content


def test_editor_edits_a_statement_and_the_change_is_recorded(editor_client, draft, editor):
    statement = Statement.objects.get(code="ivig-duration", revision=draft)
    response = editor_client.post(
        change_url("statement", statement.pk), statement_form(statement, text="New wording.")
    )
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.text == "New wording."
    latest = statement.history.first()
    assert latest.history_user == editor
    assert latest.prev_record.text.startswith("Clinical improvement persists")
    history_page = editor_client.get(
        reverse("admin:guidance_statement_history", args=[statement.pk])
    )
    assert history_page.status_code == 200
    assert b"ed_editor" in history_page.content


def test_editor_reverts_a_statement_to_an_earlier_version(editor_client, draft):
    statement = Statement.objects.get(code="ivig-duration", revision=draft)
    original_text = statement.text
    original = statement.history.earliest()
    editor_client.post(
        change_url("statement", statement.pk), statement_form(statement, text="Oops.")
    )
    revert_url = reverse(
        "admin:guidance_statement_simple_history", args=[statement.pk, original.history_id]
    )
    form_page = editor_client.get(revert_url)
    assert form_page.status_code == 200
    statement.refresh_from_db()
    response = editor_client.post(revert_url, statement_form(statement, text=original_text))
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.text == original_text


def test_code_is_read_only_once_created(editor_client, draft):
    statement = Statement.objects.get(code="ivig-dose", revision=draft)
    page = editor_client.get(change_url("statement", statement.pk))
    assert b'name="code"' not in page.content
    editor_client.post(
        change_url("statement", statement.pk), statement_form(statement, code="renamed")
    )
    assert Statement.objects.filter(code="ivig-dose", revision=draft).exists()
    assert not Statement.objects.filter(code="renamed").exists()


def test_citations_are_chosen_with_autocomplete_and_kept_in_order(editor_client, draft):
    statement = Statement.objects.get(code="ivig-reserved", revision=draft)
    page = editor_client.get(change_url("statement", statement.pk))
    assert b"admin-autocomplete" in page.content
    data = statement_form(statement)
    data["citation_links-0-order"] = 2
    data["citation_links-1-order"] = 1
    editor_client.post(change_url("statement", statement.pk), data)
    assert [c.number for c in statement.ordered_citations] == [2, 1]
    found = editor_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Cochrane",
            "app_label": "guidance",
            "model_name": "statementcitation",
            "field_name": "citation",
        },
    )
    assert found.status_code == 200
    assert "Treatment for Lambert-Eaton" in found.json()["results"][0]["text"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"text": "   "}, "text", "This field is required."),
        ({"kind": "opinion"}, "kind", "Select a valid choice."),
    ],
)
def test_a_bad_statement_gets_a_form_error_and_saves_nothing(
    editor_client, draft, changes, field, message
):
    statement = Statement.objects.get(code="ivig-dose", revision=draft)
    before = statement.text
    response = editor_client.post(
        change_url("statement", statement.pk), statement_form(statement, **changes)
    )
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    statement.refresh_from_db()
    assert statement.text == before


def test_a_duplicate_code_is_refused(editor_client, draft):
    statement = Statement.objects.get(code="ivig-dose", revision=draft)
    data = statement_form(statement, code="ivig-dose", order=99)
    for key in [key for key in data if key.startswith(("citation_links-0", "citation_links-1"))]:
        del data[key]
    data["citation_links-TOTAL_FORMS"] = data["citation_links-INITIAL_FORMS"] = 0
    count = Statement.objects.count()
    response = editor_client.post(reverse("admin:guidance_statement_add"), data)
    assert response.status_code == 200
    assert "A statement with this code already exists" in str(
        response.context["adminform"].form.errors
    )
    assert Statement.objects.count() == count


def citation_form(citation, **changes):
    data = {field: getattr(citation, field) or "" for field in CITATION_FIELDS}
    data.update(revision=citation.revision_id, number=citation.number)
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"doi": "doi.org/abc"}, "doi", "Enter a DOI shaped 10.NNNN/suffix"),
        ({"pmid": "PMC123"}, "pmid", "A PubMed ID is digits only"),
        ({"year": 2999}, "year", "is in the future"),
        ({"number": 1}, "__all__", "already exists"),
    ],
)
def test_a_bad_citation_gets_a_form_error_and_saves_nothing(
    editor_client, draft, changes, field, message
):
    citation = Citation.objects.get(number=2, revision=draft)
    response = editor_client.post(
        change_url("citation", citation.pk), citation_form(citation, **changes)
    )
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    citation.refresh_from_db()
    assert citation.doi == "10.1002/14651858.CD003279.pub3"
    assert citation.number == 2


def test_a_good_citation_edit_is_saved(editor_client, draft):
    citation = Citation.objects.get(number=3, revision=draft)
    response = editor_client.post(
        change_url("citation", citation.pk), citation_form(citation, year=2010, pages="1-2")
    )
    assert response.status_code == 302
    citation.refresh_from_db()
    assert citation.pages == "1-2"


def test_editor_gets_no_encounter_page(editor_client, clinician):
    from guidance.models import Encounter

    encounter = Encounter.objects.create(owner=clinician)
    home = editor_client.get(reverse("home"))
    assert (home.status_code, home["Location"]) == (302, reverse("admin:index"))
    assert editor_client.get(reverse("encounter_list")).status_code == 403
    assert editor_client.get(reverse("summary", args=[encounter.pk])).status_code == 403
    assert editor_client.get(reverse("print", args=[encounter.pk])).status_code == 403
    assert editor_client.get("/admin/guidance/encounter/").status_code == 404


def test_clinician_gets_no_admin_page(clinician_client):
    response = clinician_client.get(reverse("admin:guidance_statement_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert clinician_client.get(reverse("admin:index")).status_code == 302
