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
    assert _reference_field_html(reference) == fresh
    assert "\x00" not in _reference_field_html(reference)
    if reference.startswith("A&B"):  # escaped as Django escapes it, not doubly
        assert 'value="A&amp;B &lt;&quot;x&quot;&gt;&#x27;y&#x27;"' in fresh


def _bar(page):
    return page[page.index('<nav id="site-nav"') : page.index("</nav>", page.index("site-nav"))]


@pytest.mark.parametrize("page", ["home", "encounter_list", "guideline"])
def test_the_kept_navigation_bar_reads_as_one_rendered_afresh_for_each_user(
    page, client, clinician, other_clinician, editor, guideline, django_user_model
):
    """The bar is kept per kind of user and page around slots (guidance/templatetags/
    site_nav.py): each user who signs in on the same process sees their own name, count
    and token in a bar that reads as rendering it afresh does, markup in a name escaped."""
    from django.middleware.csrf import _does_token_match
    from django.template.loader import render_to_string

    from guidance.encounters.workflow import is_clinician, reviews_due_count

    clinician.first_name, clinician.last_name = "<b>Ada</b>", "O'Byrne & Co"
    clinician.save()
    for user in [clinician, other_clinician, editor, clinician, None]:
        if user is editor and page == "home":
            continue  # an editor's home is the admin, which has its own bar
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(reverse(page), follow=True)
        assert response.status_code == (403 if user is editor and page != "guideline" else 200)
        shown = _bar(response.content.decode())
        signed_in = user is not None
        # The sign-out form's token is this browser's (masked afresh, as Django does).
        token = shown.split('name="csrfmiddlewaretoken" value="')[-1].split('"')[0]
        assert not signed_in or _does_token_match(token, client.cookies["csrftoken"].value)
        fresh = render_to_string(
            "site_nav.html",
            {
                "signed_in": signed_in,
                "clinician": signed_in and is_clinician(user),
                "staff": signed_in and user.is_staff,
                "current": response.resolver_match.url_name
                if response.resolver_match.url_name in ("encounter_list", "guideline")
                else "",
                "user_name": signed_in and (user.get_full_name() or user.username),
                "due_count": signed_in and reviews_due_count(user),
                "csrf_token": token,
            },
        )
        assert shown == _bar(fresh)
        assert "@@" not in shown
        if user is clinician:
            assert "&lt;b&gt;Ada&lt;/b&gt; O&#x27;Byrne &amp; Co" in shown
            assert "dr_other" not in shown
        if user is other_clinician:
            assert "dr_other" in shown and "Ada" not in shown
        if user is editor:
            assert "Edit guideline" in shown and "Reviews due" not in shown
        if user is None:
            assert "Sign out" not in shown


def test_a_name_holding_a_slots_text_is_shown_as_typed(client, clinician, guideline):
    """The user's name goes into the kept bar last: a name that reads like another slot
    does not take the count or the token in."""
    from guidance.templatetags.site_nav import DUE_COUNT, TOKEN

    clinician.first_name, clinician.last_name = DUE_COUNT, TOKEN
    clinician.save()
    client.force_login(clinician)
    shown = _bar(client.get(reverse("encounter_list")).content.decode())
    assert f"{DUE_COUNT} {TOKEN}" in shown
    assert shown.count('name="csrfmiddlewaretoken"') == 1


@pytest.mark.parametrize("current", ["patient", "tumour", "ivig", None])
def test_the_kept_list_of_steps_reads_as_one_rendered_afresh(current, make_encounter, ivig_answers):
    """The steps above a step or the summary (`current` None), kept per process around a
    slot for the encounter's id (guidance/encounters/views.py `_step_nav`): each encounter
    gets its own addresses in a list that reads as rendering it afresh does."""
    from django.template.loader import render_to_string

    from guidance.encounters.views import _step_nav
    from guidance.encounters.wording import STEP_TITLES

    partly = {key: ivig_answers[key] for key in ("weight_kg", "diagnosis_confirmed")}
    for answers in [ivig_answers, partly, ivig_answers]:
        encounter = make_encounter(answers=answers)
        assessment = pathway.assess(answers)
        items = [
            {
                "title": STEP_TITLES[step],
                "url": reverse("step", args=[encounter.pk, step]),
                "current": step == current,
                "answered": step in assessment.answered,
            }
            for step in assessment.steps
        ]
        fresh = render_to_string(
            "guidance/partials/_step_nav.html",
            {
                "steps": items,
                "summary_url": reverse("summary", args=[encounter.pk]),
                "summary_page": current is None,
            },
        )
        kept = _step_nav(encounter, assessment, current)
        assert kept == fresh
        assert kept.count(str(encounter.pk)) == len(assessment.steps) + 1
        assert "00000000-0000" not in kept


@pytest.mark.parametrize("case", ["ivig", "paraneoplastic", "blank"])
def test_the_kept_fields_of_a_step_read_as_its_form_renders_the_saved_answers(case):
    """A step shown with its saved answers builds no form (guidance/encounters/views.py
    `_fields_html`): the kept fields read as the step's form, given those answers, renders
    them, on every step, including the questions a step asks only for some answers (height
    and sex on the IVIG step when the patient step left them blank)."""
    from django.template.loader import render_to_string

    from guidance.encounters.forms import STEP_FORMS
    from guidance.encounters.views import _fields_html
    from tests.paths import SEED_CASES

    answers = {} if case == "blank" else dict(SEED_CASES[case])
    if case == "ivig":
        answers.pop("height_cm", None)  # the IVIG step then asks for it
    for step in pathway.STEPS:
        initial = {field: answers.get(field) for field in pathway.STEP_FIELDS[step]}
        form = STEP_FORMS[step](initial=initial, earlier_answers=answers)
        fresh = render_to_string(
            "guidance/partials/_step_fields.html", {"form": form, "step": step}
        )
        assert _fields_html(step, answers) == fresh
    assert ("height_cm" in _fields_html("ivig", answers)) == (case != "paraneoplastic")


@pytest.mark.parametrize("case", ["ivig", "paraneoplastic", "bridge-only"])
def test_the_kept_blank_decision_reads_as_the_decision_form_renders_it(case, make_encounter):
    """With nothing decided yet the summary builds no decision form (guidance/encounters/
    views.py `_decision_shown`): its kept fields read as the form for these answers renders
    them. A decision saved some other way is shown by the form itself, never kept."""
    from django.template.loader import render_to_string

    from guidance.encounters.views import _decision_shown
    from guidance.encounters.workflow import decision_form
    from tests.paths import SEED_CASES

    encounter = make_encounter(answers=SEED_CASES[case], status="complete")
    assessment = pathway.assess(encounter.answers)
    form = decision_form(encounter, assessment)
    fresh = render_to_string("guidance/partials/_decision_fields.html", {"form": form})
    shown = _decision_shown(encounter, assessment, None)
    assert shown == {"decision_html": fresh, "course_offered": form.course_offered}
    encounter.decision_note = "Discussed with the family."
    shown = _decision_shown(encounter, assessment, None)
    assert "decision_html" not in shown and shown["form"].instance is encounter
