"""Free text refuses control characters (issue 21): ESC, NUL, a lone CR and the like, and a
line break in a one-line field, get a message next to the field; nothing is saved and
everything else typed is kept. Tab, and newlines in a field of several lines, stay allowed.

As the clinician typing (or pasting) a patient reference, a decision note, a review note,
and as the editor or reviewer in the admin.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from guidance.content.revisions import submit_for_review
from guidance.models import Citation, Encounter, Section, Statement
from lems_site.plain_text import PlainTextValidator
from tests.pages import error_next_to
from tests.paths import as_shown
from tests.test_ivig_review import a_review, assert_no_review, prescribe  # noqa: F401

ESC, NUL, CR, LF = "\x1b", "\x00", "\r", "\n"
CONTROLS = {"ESC": ESC, "NUL": NUL, "lone CR": CR}
LINE_MESSAGE = "Keep this to one line: remove the line break at character 4."


def control_message(name):
    return f"Remove the control character {name} at character 4"


ONE_LINE_CASES = [
    pytest.param(f"MRN{ESC}-1", control_message("ESC (U+001B)"), id="ESC"),
    pytest.param(f"MRN{NUL}-1", control_message("NUL (U+0000)"), id="NUL"),
    pytest.param(f"MRN{CR}-1", LINE_MESSAGE, id="CR"),
    pytest.param(f"MRN{LF}-1", LINE_MESSAGE, id="LF"),
]
LINES_CASES = [
    pytest.param(f"Pt {ESC}[31mdeclined", control_message("ESC (U+001B)"), id="ESC"),
    pytest.param(f"Pt {NUL}declined", control_message("NUL (U+0000)"), id="NUL"),
    pytest.param(f"Pt {CR}declined", control_message("CR (U+000D)"), id="lone CR"),
]


# --- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["MRN-1", "MRN\t1", "Ünïcödé 名前 ✓", "1 ≥ 2 — «quoted»"], ids=repr
)
def test_ordinary_text_and_tab_pass_in_every_field(text):
    PlainTextValidator(one_line=True)(text)
    PlainTextValidator(one_line=False)(text)


@pytest.mark.parametrize("text", ["line one\nline two", "line one\r\nline two"], ids=repr)
def test_a_field_of_several_lines_takes_newlines_as_browsers_send_them(text):
    PlainTextValidator(one_line=False)(text)


@pytest.mark.parametrize(
    "character",
    ["\x07", "\x08", "\x0b", "\x0c", "\x7f", "\x85", "\x9b", "\u2028", "\u2029", "\u202e"],
    ids=repr,
)
def test_other_controls_separators_and_bidi_overrides_are_refused_everywhere(character):
    for one_line in (True, False):
        with pytest.raises(Exception, match="at character 2"):
            PlainTextValidator(one_line=one_line)(f"a{character}b")


# --- the clinician -------------------------------------------------------------------------


@pytest.mark.parametrize(("reference", "message"), ONE_LINE_CASES)
def test_a_patient_reference_with_a_control_character_is_refused_and_the_step_kept(
    clinician_client, make_encounter, reference, message
):
    encounter = make_encounter()
    response = clinician_client.post(
        reverse("step", args=[encounter.pk, "patient"]),
        {"patient_reference": reference, "weight_kg": "72.5", "diagnosis_confirmed": "yes"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert error_next_to(page, "patient_reference").startswith(message)
    assert 'value="72.5"' in page  # the weight typed is still there
    encounter.refresh_from_db()
    assert (encounter.patient_reference, encounter.answers) == ("", {})


def test_a_search_for_a_reference_with_a_line_break_says_so(clinician_client):
    response = clinician_client.post(reverse("encounter_list"), {"reference": f"MRN{LF}-1"})
    assert response.status_code == 200
    assert LINE_MESSAGE in response.content.decode()


@pytest.fixture
def complete_encounter(make_encounter, ivig_answers):
    return make_encounter(patient_reference="MRN-0042", answers=ivig_answers, status="complete")


@pytest.mark.parametrize(("note", "message"), LINES_CASES)
def test_a_decision_note_with_a_control_character_is_refused_and_the_decision_kept(
    clinician_client, complete_encounter, note, message
):
    decision = {
        "decision": "not_followed",
        "decision_reason": "other",
        "decision_note": note,
        "dose_basis": "actual",
    }
    response = clinician_client.post(
        reverse("finalize", args=[complete_encounter.pk]), as_shown(decision, complete_encounter)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert error_next_to(page, "decision_note").startswith(message)
    assert re.search(r'name="decision_reason" value="other"[^>]*checked', page)
    complete_encounter.refresh_from_db()
    assert complete_encounter.status == Encounter.Status.COMPLETE
    assert complete_encounter.decision_note == ""


def test_a_decision_note_of_several_lines_is_saved_as_typed(clinician_client, complete_encounter):
    note = "Patient declined IVIG.\r\nReview in clinic."
    decision = {
        "decision": "not_followed",
        "decision_reason": "patient_preference",
        "decision_note": note,
        "dose_basis": "actual",
    }
    response = clinician_client.post(
        reverse("finalize", args=[complete_encounter.pk]), as_shown(decision, complete_encounter)
    )
    assert response.status_code == 302
    complete_encounter.refresh_from_db()
    assert complete_encounter.decision_note == note


@pytest.mark.parametrize(("note", "message"), LINES_CASES)
@pytest.mark.parametrize("why", ["adverse event other", "plain note"])
def test_a_review_note_with_a_control_character_is_refused_and_the_review_kept(
    clinician_client,
    prescribe,  # noqa: F811 (the fixture, imported above)
    note,
    message,
    why,
):
    encounter = prescribe()
    events = ["other"] if why == "adverse event other" else []
    response = clinician_client.post(
        reverse("review", args=[encounter.pk]),
        a_review(encounter, note=note, adverse_events=events, score="13"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert error_next_to(page, "note").startswith(message)
    assert 'value="13"' in page
    assert_no_review(encounter)


# --- the editors' admin ------------------------------------------------------------------

# Each free-text field the admin edits: one line, or several (a textarea). A statement's
# text is a textarea: line breaks are allowed there as typed (pages show one paragraph).
ADMIN_FIELDS = {
    "section": {"title": True, "part": True, "intro": False},
    "citation": {
        "authors": True,
        "title": True,
        "journal": True,
        "volume": True,
        "issue": True,
        "pages": True,
        "doi": True,
        "url": True,
        "note": False,
    },
    "statement": {"text": False, "verification_note": False},
    "revision": {
        "change_summary": False,
        "title": True,
        "scope_note": False,
        "disclaimer": False,
        "developer": True,
        "funding": True,
    },
}
# Valid text the field's other rules accept, to put a control character into.
GOOD_TEXT = {"doi": "10.1000/abc-def", "url": "https://example.org/abc-def"}
ADMIN_CASES = [
    (model, field, one_line, name)
    for model, fields in ADMIN_FIELDS.items()
    for field, one_line in fields.items()
    for name in ("ESC", "NUL", "CR", "LF")
    if one_line or name != "LF"
]


def admin_row(model, draft):
    """The draft's row the test edits, and the form the admin posts for it as it stands."""
    if model == "section":
        row = draft.sections.get(order=2)
        data = {field: getattr(row, field) for field in ("order", "title", "part", "intro")}
    elif model == "citation":
        row = Citation.objects.get(revision=draft, number=2)
        data = {
            field: getattr(row, field) or ""
            for field in ["number", "year", "pmid", *ADMIN_FIELDS["citation"]]
        }
    elif model == "statement":
        from tests.test_admin import statement_form

        row = Statement.objects.get(revision=draft, code="ivig-dose")
        data = statement_form(row)
    else:
        row = draft
        data = {field: getattr(row, field) for field in ADMIN_FIELDS["revision"]}
        data["release_date"] = ""
    return row, data


def values_of(row):
    return type(row).objects.filter(pk=row.pk).values().get()


@pytest.mark.parametrize(("model", "field", "one_line", "name"), ADMIN_CASES)
def test_an_admin_text_with_a_control_character_is_refused_and_nothing_typed_lost(
    editor_client, draft, model, field, one_line, name
):
    row, data = admin_row(model, draft)
    before = values_of(row)
    character = {"ESC": ESC, "NUL": NUL, "CR": CR, "LF": LF}[name]
    good = GOOD_TEXT.get(field, "Abc-def")
    data[field] = good[:3] + character + good[3:]
    kept = next(other for other in ADMIN_FIELDS[model] if other not in (field, "doi", "url"))
    data[kept] = "Typed and kept"
    url = reverse(f"admin:guidance_{model}_change", args=[row.pk])
    response = editor_client.post(url, data)
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors.get(field, []))
    if one_line and name in ("CR", "LF"):
        assert LINE_MESSAGE in errors
    else:
        assert f"Remove the control character {name} " in errors
    assert "Typed and kept" in response.content.decode()
    assert values_of(row) == before


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (model, field)
        for model, fields in ADMIN_FIELDS.items()
        for field, one_line in fields.items()
        if not one_line
    ],
)
def test_an_admin_text_of_several_lines_is_saved_with_its_line_breaks(
    editor_client, draft, model, field
):
    row, data = admin_row(model, draft)
    data[field] = "First line.\r\nSecond line."
    url = reverse(f"admin:guidance_{model}_change", args=[row.pk])
    assert editor_client.post(url, data).status_code == 302
    assert values_of(row)[field] == "First line.\r\nSecond line."


@pytest.mark.parametrize("name", ["ESC", "NUL", "lone CR"])
def test_a_reviewers_comment_with_a_control_character_is_refused(draft, editor, reviewer, name):
    submit_for_review(draft, editor, "Reworded.")
    client = Client()
    client.force_login(reviewer)
    comment = f"Cit{CONTROLS[name]}e the trial."
    response = client.post(
        reverse("admin:guidance_revision_review", args=[draft.pk]),
        {"_return": "Return", "review_comment": comment},
    )
    assert response.status_code == 200
    assert "Remove the control character" in response.content.decode()
    draft.refresh_from_db()
    assert (draft.status, draft.review_comment) == ("in_review", "")


def test_the_seed_content_passes_the_rules_it_is_edited_under(guideline):
    """Every loaded text would be accepted by the admin's forms as it stands."""
    for model, fields in ADMIN_FIELDS.items():
        rows = {
            "section": Section.objects.all(),
            "citation": Citation.objects.all(),
            "statement": Statement.objects.all(),
            "revision": type(guideline.published).objects.all(),
        }[model]
        for row in rows:
            for field, one_line in fields.items():
                PlainTextValidator(one_line=one_line)(getattr(row, field) or "")
