"""What a published revision shows is rendered once and reused (guidance/content/rendered.py,
issue 27): a publish or a loader run shows the new text at once on every page, a draft's
change is never shown, and the kept blocks read exactly as rendering them afresh does, with
each patient's own reasons."""

import pytest
from django.urls import reverse

from guidance.content.rendered import content_key, revision_content, statement_block
from guidance.content.revisions import publish, published_revision, submit_for_review
from guidance.encounters import summary
from guidance.engine import pathway
from guidance.models import Revision, Statement
from tests.test_load_guideline import load

CODE = "ivig-when-bridge"
NEW_TEXT = "Reworded in revision 2: bridge with IVIG or plasma exchange while waiting."


@pytest.fixture
def ivig_encounter(make_encounter, ivig_answers):
    return make_encounter(answers=ivig_answers, status="complete")


def pages(client, encounter):
    """Every page that shows the statement: the summary, the print page, the IVIG step's
    panel (full page and htmx swap), the guideline page and its FHIR bundle."""
    step = reverse("step", args=[encounter.pk, "ivig"])
    responses = [
        client.get(reverse("summary", args=[encounter.pk])),
        client.get(reverse("print", args=[encounter.pk])),
        client.get(step),
        client.get(step, headers={"HX-Request": "true"}),
        client.get(reverse("guideline")),
        client.get(reverse("guideline_fhir")),  # the FHIR guideline bundle
    ]
    assert [response.status_code for response in responses] == [200] * len(responses)
    return [response.content.decode() for response in responses]


def test_a_publish_shows_the_new_text_at_once_and_a_draft_never(
    clinician_client, ivig_encounter, draft, editor, reviewer
):
    old_text = Statement.objects.get(code=CODE, revision__status="published").text
    assert all(old_text in page for page in pages(clinician_client, ivig_encounter))  # kept

    draft.statements.filter(code=CODE).update(text=NEW_TEXT)
    assert all(NEW_TEXT not in page for page in pages(clinician_client, ivig_encounter))
    submit_for_review(draft, editor, "Reworded the bridging statement.")
    assert all(NEW_TEXT not in page for page in pages(clinician_client, ivig_encounter))

    publish(draft, reviewer)
    for page in pages(clinician_client, ivig_encounter):
        assert NEW_TEXT in page
        assert old_text not in page


def test_a_loader_run_shows_the_published_revisions_content_at_once(
    clinician_client, ivig_encounter, guideline
):
    published = published_revision(guideline)
    old_text = published.statements.get(code=CODE).text
    pages(clinician_client, ivig_encounter)  # the blocks are kept now
    # The published revision's row changed under the cache (as only the loader may change
    # it): the kept blocks are still shown, which is what the loader's new version ends.
    published.statements.filter(code=CODE).update(text=NEW_TEXT)
    assert all(NEW_TEXT not in page for page in pages(clinician_client, ivig_encounter))
    version = published.content_version

    load()

    published.refresh_from_db()
    assert published.content_version != version
    shown = published.statements.get(code=CODE).text  # whatever the loader left there
    for page in pages(clinician_client, ivig_encounter):
        assert shown in page
    if shown != old_text:
        assert all(old_text not in page for page in pages(clinician_client, ivig_encounter))


def test_a_draft_has_no_key_and_its_content_is_read_afresh(draft):
    assert content_key(draft) is None
    draft.statements.filter(code=CODE).update(text=NEW_TEXT)
    assert revision_content(draft)["statements"][CODE]["text"] == NEW_TEXT
    draft.statements.filter(code=CODE).update(text="Changed again.")
    assert revision_content(draft)["statements"][CODE]["text"] == "Changed again."


def test_publishing_gives_the_revision_a_new_content_version(draft, editor, reviewer):
    version = Revision.objects.get(pk=draft.pk).content_version
    submit_for_review(draft, editor, "Nothing but a new number.")
    published = publish(draft, reviewer)
    assert published.content_version != version
    assert content_key(published) == f"{published.pk}.{published.content_version.hex}"


def test_the_published_revision_as_pages_read_it_is_the_published_row(guideline):
    from guidance.content.rendered import published_for_content

    lean, row = published_for_content(), published_revision(guideline)
    for field in ("pk", "status", "content_version", "number", "title", "disclaimer"):
        assert getattr(lean, field) == getattr(row, field), field
    assert lean.published_at == row.published_at  # an aware datetime, as the ORM reads it
    assert lean.published_at.tzinfo is not None
    assert content_key(lean) == content_key(row)

    Revision.objects.filter(pk=row.pk).update(status="retired")
    assert published_for_content() is None


@pytest.mark.parametrize("layout", ["summary", "print", "panel", "guideline"])
def test_a_kept_block_reads_as_one_rendered_afresh_with_each_patients_reasons(
    guideline, ivig_answers, layout
):
    revision = published_revision(guideline)
    key = content_key(revision)
    shown = summary.build(pathway.assess(ivig_answers), revision)
    statements = [*shown["first"], *(s for group in shown["groups"] for s in group["statements"])]
    assert any(statement["priority"] for statement in statements)
    for statement in statements:
        for why, priority in [
            (statement["why"], statement["priority"]),
            (['answered: <b>Tom & Jerry\'s</b> "weight"'], ["a <risk>", "& another"]),
            ([], []),
        ]:
            each = {**statement, "why": why, "priority": priority}
            afresh = statement_block(each, layout, None)
            assert statement_block(each, layout, key) == afresh  # built and kept
            assert statement_block(each, layout, key) == afresh  # read from the cache
            assert "@@" not in afresh


@pytest.mark.parametrize("reference", ["", "MRN-0042", "A&B <\"x\">'y'"])
def test_the_kept_reference_field_reads_as_crispy_renders_it(reference):
    from django.template.loader import render_to_string

    from guidance.encounters.forms import STEP_FORMS
    from guidance.encounters.views import _reference_field_html

    form = STEP_FORMS["patient"](initial={"patient_reference": reference})
    fresh = render_to_string("guidance/partials/_reference_field.html", {"form": form})
    assert _reference_field_html(form) == fresh
    assert "\x00" not in _reference_field_html(form)
    if reference.startswith("A&B"):  # escaped as Django escapes it, not doubly
        assert 'value="A&amp;B &lt;&quot;x&quot;&gt;&#x27;y&#x27;"' in fresh
