"""The editors' admin: lists, search, edits, history, revert; bad input refused; who gets in.

Editors edit a draft (DESIGN §3): each test that changes content starts one first.
"""

import pytest
from django.db import models
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
        ({"doi": "11.1002/abc"}, "doi", 'it starts with "10."'),
        # An en dash and Arabic-Indic digits, as pasted from a PDF or another keyboard.
        ({"doi": "10.1002/14651858.CD003279\u2013pub3"}, "doi", "ASCII characters only"),
        ({"doi": "10.\u0661\u0660\u0660\u0662/abc"}, "doi", "ASCII characters only"),
        ({"pmid": "PMC123"}, "pmid", "A PubMed ID is digits only"),
        # Arabic-Indic and fullwidth digits: Python's \d takes them, PubMed does not.
        ({"pmid": "\u0662\u0661\u0663\u0662\u0668"}, "pmid", "not another script's digits"),
        ({"pmid": "\uff12\uff11\uff13\uff12\uff18"}, "pmid", "not another script's digits"),
        ({"year": 2999}, "year", "is in the future"),
        ({"year": 17}, "year", "1800 or later"),
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
    assert message in " ".join(response.context["adminform"].form.errors[field])
    assert message.replace('"', "&quot;").replace("'", "&#x27;") in response.text
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


# --- a statement cites only its own revision's citations (issue 21, item 5) ----------------


def new_statement_form(draft, citation, code="local-note"):
    """The add form of a statement in the draft, citing `citation` through the inline."""
    section = draft.sections.first()
    return {
        "revision": draft.pk,
        "section": section.pk,
        "order": 99,
        "code": code,
        "kind": "scope",
        "origin": "local",
        "text": "A note added by the guideline lead.",
        "evidence_quality": "not_graded",
        "verification": "not_confirmed",
        "verification_note": "",
        "citation_links-TOTAL_FORMS": 1,
        "citation_links-INITIAL_FORMS": 0,
        "citation_links-MIN_NUM_FORMS": 0,
        "citation_links-MAX_NUM_FORMS": 1000,
        "citation_links-0-citation": citation.pk,
        "citation_links-0-order": 1,
    }


def inline_errors(response):
    return str([form.errors for formset in response.context["inline_admin_formsets"]
                for form in formset.formset.forms])  # fmt: skip


def test_adding_a_statement_that_cites_another_revisions_citation_is_refused(editor_client, draft):
    published_citation = Citation.objects.get(number=2, revision__number=1)
    count = Statement.objects.count()

    response = editor_client.post(
        reverse("admin:guidance_statement_add"), new_statement_form(draft, published_citation)
    )

    assert response.status_code == 200
    assert "Citation 2 belongs to revision 1" in inline_errors(response)
    assert Statement.objects.count() == count
    # Its own revision's citation 2 is accepted.
    own = Citation.objects.get(number=2, revision=draft)
    response = editor_client.post(
        reverse("admin:guidance_statement_add"), new_statement_form(draft, own)
    )
    assert response.status_code == 302
    added = Statement.objects.get(code="local-note")
    assert [c.pk for c in added.ordered_citations] == [own.pk]


def test_changing_a_statement_to_cite_another_revisions_citation_is_refused(editor_client, draft):
    statement = Statement.objects.get(code="ivig-dose", revision=draft)
    published_citation = Citation.objects.get(number=3, revision__number=1)
    data = statement_form(statement)
    data["citation_links-TOTAL_FORMS"] = 3
    data["citation_links-2-citation"] = published_citation.pk
    data["citation_links-2-order"] = 3

    response = editor_client.post(change_url("statement", statement.pk), data)

    assert response.status_code == 200
    assert "Citation 3 belongs to revision 1" in inline_errors(response)
    assert [c.number for c in statement.ordered_citations] == [2, 5]


def test_a_link_to_another_revisions_citation_is_refused_by_the_model(draft):
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from guidance.models import StatementCitation

    statement = Statement.objects.get(code="ivig-dose", revision=draft)
    published_citation = Citation.objects.get(number=3, revision__number=1)
    with pytest.raises(ValidationError, match="belongs to revision 1"):
        StatementCitation.objects.create(statement=statement, citation=published_citation)
    # `add` writes inside the test's transaction: a savepoint keeps it usable after.
    with pytest.raises(ValidationError, match="belongs to revision 1"), transaction.atomic():
        statement.citations.add(published_citation)
    assert [c.number for c in statement.ordered_citations] == [2, 5]


def test_start_a_draft_works_after_a_publish_even_with_a_cross_revision_link_in_the_database(
    editor_client, draft, editor, reviewer
):
    """A link planted before this check existed: "Start a draft" once answered 500."""
    from guidance.content.revisions import publish, submit_for_review
    from guidance.models import Revision, StatementCitation

    statement = Statement.objects.get(code="ivig-dose", revision=draft)
    old_citation = Citation.objects.get(number=3, revision__number=1)
    # Bypasses the model's checks, as an old database or a raw SQL edit would.
    StatementCitation.objects.bulk_create(
        [StatementCitation(statement=statement, citation=old_citation, order=3)]
    )
    foreign = Citation.objects.create(
        revision=Revision.objects.get(number=1), number=40, authors="A", title="Only in 1"
    )
    StatementCitation.objects.bulk_create(
        [StatementCitation(statement=statement, citation=foreign, order=4)]
    )
    submit_for_review(draft, editor, "Planted.")
    publish(draft, reviewer)

    response = editor_client.post(reverse("admin:guidance_revision_start"))

    assert response.status_code == 302
    new_draft = Revision.objects.get(number=3)
    copied = new_draft.statements.get(code="ivig-dose")
    # Citation 3 maps to the new draft's own citation 3; "only in 1" has none: dropped.
    assert [(c.number, c.revision_id) for c in copied.ordered_citations] == [
        (2, new_draft.pk),
        (5, new_draft.pk),
        (3, new_draft.pk),
    ]


@pytest.mark.parametrize("typed", ["0001-01-01", "1949-12-31", "9999-12-31"])
def test_a_release_date_out_of_bounds_gets_a_form_error_and_saves_nothing(
    editor_client, draft, typed
):
    from guidance.models import Revision

    data = {
        field: getattr(draft, field)
        for field in ("change_summary", "title", "scope_note", "disclaimer", "developer")
    }
    data.update(funding="", release_date=typed)
    response = editor_client.post(change_url("revision", draft.pk), data)
    assert response.status_code == 200
    errors = str(response.context["adminform"].form.errors["release_date"])
    assert "Enter a date between 01 January 1950 and a year from today" in errors
    assert Revision.objects.get(pk=draft.pk).release_date is None
    # A date within the bounds is saved.
    data["release_date"] = "2026-11-25"
    assert editor_client.post(change_url("revision", draft.pk), data).status_code == 302
    assert str(Revision.objects.get(pk=draft.pk).release_date) == "2026-11-25"


def test_the_migration_relinks_a_cross_revision_link_to_the_same_numbered_citation(draft):
    from importlib import import_module

    from django.apps import apps

    from guidance.models import Revision, StatementCitation

    migration = import_module("guidance.migrations.0016_citations_within_revision")
    statement = Statement.objects.get(code="ivig-dose", revision=draft)
    statement.citation_links.filter(citation__number=5).delete()
    foreign = Citation.objects.create(
        revision=Revision.objects.get(number=1), number=40, authors="A", title="Only in 1"
    )
    StatementCitation.objects.bulk_create(
        [
            StatementCitation(
                statement=statement,
                citation=Citation.objects.get(number=5, revision__number=1),
                order=2,
            ),
            StatementCitation(
                statement=statement,
                citation=Citation.objects.get(number=2, revision__number=1),
                order=3,
            ),
            StatementCitation(statement=statement, citation=foreign, order=4),
        ]
    )

    migration.relink_within_revision(apps, None)

    # 5 moves to the draft's own 5; 2 was cited already and 40 has no match: both dropped.
    assert [(c.number, c.revision_id) for c in statement.ordered_citations] == [
        (2, draft.pk),
        (5, draft.pk),
    ]
    assert not StatementCitation.objects.exclude(
        citation__revision_id=models.F("statement__revision_id")
    ).exists()
