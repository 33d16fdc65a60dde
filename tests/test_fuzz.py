"""Hypothesis-generated requests to every form: the steps, finalize, the course review, the
encounter search, sign-in, and the editors' admin (content forms, revision workflow, history
revert, list filters). Never a 500, never a change to a finalized encounter, nothing an
editor posts changes the published content, and no control character reaches stored free
text. The number of inputs tried is printed at the end of the run.

CI tries FUZZ_EXAMPLES (default 60) inputs per test; `make fuzz` tries many more.
"""

import contextlib
import datetime
import os

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guidance.content.revisions import submit_for_review
from guidance.engine import pathway
from guidance.models import Citation, Encounter, Review, Revision, Section, Statement
from lems_site.plain_text import PlainTextValidator
from tests.paths import as_shown
from tests.test_ivig_review import reviews_shown

FIELDS = [field for fields in pathway.STEP_FIELDS.values() for field in fields]
DECISION_FIELDS = ["decision", "decision_reason", "decision_note", "dose_basis"]
KNOWN_VALUES = [value for values in pathway.CHOICES.values() for value in values]

# Text with the control characters free text refuses (issue 21), among ordinary ones.
CONTROL_MIX = "ab 1-\t\n\r\x1b\x00\x07\x7f\x85\x9b\u2028\u2029\u202e\u2066"
with_controls = st.text(alphabet=st.sampled_from(CONTROL_MIX), min_size=1, max_size=12)

values = st.one_of(
    st.sampled_from(KNOWN_VALUES),
    with_controls,
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=10),
    st.sampled_from(["30", "250", "29.9", "250.1", "nan", "inf", "-0", "1e309", "", " "]),
    st.integers().map(str),
    st.floats(allow_nan=True).map(str),
    st.just("9" * 100_000),
    st.just("x" * 70_000),
)
field_names = st.one_of(st.sampled_from(FIELDS + DECISION_FIELDS), st.text(max_size=20))
# A field may be missing, given once, or repeated with several values.
posts = st.dictionaries(field_names, st.lists(values, min_size=1, max_size=3), max_size=8)

ONE_LINE = PlainTextValidator(one_line=True)
LINES = PlainTextValidator(one_line=False)

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
TRIED = {"inputs": 0}


@pytest.fixture(scope="module", autouse=True)
def report_inputs_tried():
    yield
    print(f"\nfuzzing: {TRIED['inputs']} inputs tried, no 500")


def post(client, url, data, htmx):
    TRIED["inputs"] += 1
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(url, data, **headers)


@pytest.mark.parametrize("step", pathway.STEPS)
def test_no_step_post_ends_in_a_500(clinician, guideline, step, make_encounter, ivig_answers):
    encounter = make_encounter(answers=ivig_answers)
    client = Client()
    client.force_login(clinician)
    url = reverse("step", args=[encounter.pk, step])

    @FUZZ
    @given(data=posts, htmx=st.booleans())
    def fuzz(data, htmx):
        response = post(client, url, data, htmx)
        assert response.status_code in (200, 302), response.status_code
        encounter.refresh_from_db()
        pathway.validate(encounter.answers)  # whatever was saved is a valid answer set
        ONE_LINE(encounter.patient_reference)  # and holds no control character

    fuzz()


def test_no_finalize_post_ends_in_a_500(clinician, guideline, make_encounter, ivig_answers):
    client = Client()
    client.force_login(clinician)

    @FUZZ
    @given(data=posts)
    def fuzz(data):
        encounter = make_encounter(answers=ivig_answers, status="complete")
        response = post(client, reverse("finalize", args=[encounter.pk]), data, htmx=False)
        assert response.status_code in (200, 302), response.status_code
        encounter.refresh_from_db()
        assert (response.status_code == 302) == (encounter.status == "finalized")
        LINES(encounter.decision_note)

    fuzz()


REVIEW_FIELDS = ["review_date", "score", "adverse_events", "response", "plan", "note"]
REVIEW_VALUES = st.one_of(
    values,
    st.sampled_from(["improved", "no_change", "worse", "stop", "other", "thrombosis", "12"]),
    st.just(datetime.date.today().isoformat()),
)


def test_no_course_review_post_ends_in_a_500(clinician, guideline, make_encounter, ivig_answers):
    encounter = make_encounter(answers=ivig_answers, status="complete")
    client = Client()
    client.force_login(clinician)
    course = {"ivig_g_per_kg": "2.0", "ivig_days": "5"}
    course |= {"course_start_date": datetime.date.today().isoformat()}
    course |= {"baseline_scale": "qmg", "baseline_score": "18"}
    finalized = client.post(
        reverse("finalize", args=[encounter.pk]),
        as_shown({"decision": "followed", "dose_basis": "actual", **course}, encounter),
    )
    assert finalized.status_code == 302
    url = reverse("review", args=[encounter.pk])
    # The page's fingerprint of the reviews shown, so the fuzzed fields reach validation.
    shown = {"shown_fingerprint": [reviews_shown(encounter)]}
    names = st.one_of(st.sampled_from(REVIEW_FIELDS), st.text(max_size=12))
    reviews = st.dictionaries(names, st.lists(REVIEW_VALUES, min_size=1, max_size=3), max_size=7)

    @FUZZ
    @given(data=reviews, htmx=st.booleans())
    def fuzz(data, htmx):
        with rolled_back():
            response = post(client, url, {**shown, **data}, htmx)
            assert response.status_code in (200, 302), response.status_code
            for note in Review.objects.filter(encounter=encounter).values_list("note", flat=True):
                LINES(note)

    fuzz()


def test_nothing_changes_a_finalized_encounter(clinician, guideline, make_encounter, ivig_answers):
    encounter = make_encounter(answers=ivig_answers, status="complete")
    client = Client()
    client.force_login(clinician)
    client.post(
        reverse("finalize", args=[encounter.pk]),
        as_shown({"decision": "followed", "dose_basis": "actual"}, encounter),
    )
    encounter.refresh_from_db()
    before = Encounter.objects.filter(pk=encounter.pk).values().get()
    urls = [reverse("step", args=[encounter.pk, step]) for step in pathway.STEPS]
    urls.append(reverse("finalize", args=[encounter.pk]))

    @FUZZ
    @given(data=posts, url=st.sampled_from(urls), htmx=st.booleans())
    def fuzz(data, url, htmx):
        assert post(client, url, data, htmx).status_code == 409
        assert Encounter.objects.filter(pk=encounter.pk).values().get() == before

    fuzz()


def test_no_encounter_search_ends_in_a_500(clinician_client):
    search = st.dictionaries(
        st.one_of(st.sampled_from(["reference", "status", "page"]), st.text(max_size=10)),
        st.lists(values, min_size=1, max_size=3),
        max_size=4,
    )

    @FUZZ
    @given(data=search)
    def fuzz(data):
        response = post(clinician_client, reverse("encounter_list"), data, htmx=False)
        assert response.status_code == 200, response.status_code

    fuzz()


def test_no_sign_in_ends_in_a_500(clinician):
    client = Client()
    sign_in = st.dictionaries(
        st.one_of(st.sampled_from(["username", "password", "next"]), st.text(max_size=10)),
        st.lists(st.one_of(values, st.just("dr_ada")), min_size=1, max_size=2),
        max_size=4,
    )

    @FUZZ
    @given(data=sign_in)
    def fuzz(data):
        response = post(client, reverse("login"), data, htmx=False)
        # 429 once five wrong passwords paused this address: an answer, not a failure.
        assert response.status_code in (200, 302, 429), response.status_code
        client.logout()

    fuzz()


# --- the editors' admin ------------------------------------------------------------------

ADMIN_VALUES = st.one_of(
    values,
    st.sampled_from(["1", "2", "99", "0", "-1", "²", "99999999999999999999999", "2026-01-01"]),
    st.sampled_from(["recommendation", "warning", "high", "verified", "guideline", "local"]),
    st.sampled_from(["a\x00b", "x" * 2_001, "x" * 10_001, "10.1000/x", "https://e.example"]),
)


def form_posts(fields):
    names = st.one_of(st.sampled_from(fields), st.text(max_size=12))
    return st.dictionaries(names, st.lists(ADMIN_VALUES, min_size=1, max_size=2), max_size=10)


SECTION_FIELDS = ["order", "title", "part", "intro", "revision"]
CITATION_FIELDS = ["number", "authors", "title", "journal", "year", "volume", "issue"]
CITATION_FIELDS += ["pages", "doi", "pmid", "url", "note", "revision"]
STATEMENT_FIELDS = ["revision", "section", "code", "kind", "text", "evidence_quality"]
STATEMENT_FIELDS += ["order", "origin", "verification", "verification_note"]
STATEMENT_FIELDS += [
    "citation_links-TOTAL_FORMS",
    "citation_links-INITIAL_FORMS",
    "citation_links-0-citation",
    "citation_links-0-order",
    "citation_links-0-id",
]
REVISION_FIELDS = ["change_summary", "title", "scope_note", "disclaimer", "developer"]
REVISION_FIELDS += ["funding", "release_date", "status", "reviewed_by", "published_at"]
FILTER_PARAMS = ["revision", "kind", "verification", "origin", "evidence_quality", "status"]
FILTER_PARAMS += ["q", "o", "p", "e", "all", "revision__id__exact", "section__revision"]


def published_content():
    """Everything clinicians read: the published revision's fields and all its content."""
    revision = Revision.objects.get(status="published")
    return (
        Revision.objects.filter(pk=revision.pk).values().get(),
        list(Section.objects.filter(revision=revision).values()),
        list(Statement.objects.filter(revision=revision).values()),
        list(Citation.objects.filter(revision=revision).values()),
    )


# The editors' free text: one line (True) or several.
CONTENT_TEXT = {
    Section: {"title": True, "part": True, "intro": False},
    Citation: {"authors": True, "title": True, "journal": True, "volume": True, "issue": True},
    Statement: {"text": False, "verification_note": False},
    Revision: {"change_summary": False, "title": True, "scope_note": False, "disclaimer": False},
}
CONTENT_TEXT[Citation] |= {"pages": True, "doi": True, "url": True, "note": False}
CONTENT_TEXT[Revision] |= {"developer": True, "funding": True, "review_comment": False}


def assert_plain_content(draft):
    """No control character reached the draft's text, whatever was posted."""
    for model, fields in CONTENT_TEXT.items():
        rows = model.objects.filter(pk=draft.pk) if model is Revision else model.objects
        rows = rows if model is Revision else rows.filter(revision=draft)
        for row in rows.values(*fields):
            for field, one_line in fields.items():
                (ONE_LINE if one_line else LINES)(row[field])


@contextlib.contextmanager
def rolled_back():
    """Each input starts from the same database: whatever it saved is undone after it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def admin_targets(draft):
    section = draft.sections.first()
    citation = draft.citations.first()
    statement = draft.statements.first()
    return {
        "section change": (
            reverse("admin:guidance_section_change", args=[section.pk]),
            SECTION_FIELDS,
        ),
        "section add": (reverse("admin:guidance_section_add"), SECTION_FIELDS),
        "citation change": (
            reverse("admin:guidance_citation_change", args=[citation.pk]),
            CITATION_FIELDS,
        ),
        "citation add": (reverse("admin:guidance_citation_add"), CITATION_FIELDS),
        "statement change": (
            reverse("admin:guidance_statement_change", args=[statement.pk]),
            STATEMENT_FIELDS,
        ),
        "statement add": (reverse("admin:guidance_statement_add"), STATEMENT_FIELDS),
        "revision change": (
            reverse("admin:guidance_revision_change", args=[draft.pk]),
            REVISION_FIELDS,
        ),
        "submit": (reverse("admin:guidance_revision_submit", args=[draft.pk]), REVISION_FIELDS),
        "section revert": (
            reverse(
                "admin:guidance_section_simple_history",
                args=[section.pk, section.history.earliest().history_id],
            ),
            SECTION_FIELDS,
        ),
        "published section revert": (
            reverse(
                "admin:guidance_section_simple_history",
                args=[
                    (published := Section.objects.get(revision__status="published", order=1)).pk,
                    published.history.earliest().history_id,
                ],
            ),
            SECTION_FIELDS,
        ),
        "revision revert": (
            reverse(
                "admin:guidance_revision_simple_history",
                args=[draft.pk, draft.history.earliest().history_id],
            ),
            REVISION_FIELDS,
        ),
    }


ADMIN_FORMS = [
    "section change",
    "section add",
    "citation change",
    "citation add",
    "statement change",
    "statement add",
    "revision change",
    "submit",
    "section revert",
    "published section revert",
    "revision revert",
]


@pytest.mark.parametrize("form", ADMIN_FORMS)
def test_no_admin_form_post_ends_in_a_500_or_changes_published_content(editor_client, draft, form):
    url, fields = admin_targets(draft)[form]
    before = published_content()

    @FUZZ
    @given(data=form_posts(fields))
    def fuzz(data):
        with rolled_back():
            response = post(editor_client, url, data, htmx=False)
            assert response.status_code in (200, 302, 400, 403, 404), response.status_code
            assert published_content() == before
            assert_plain_content(draft)

    fuzz()


def test_no_review_post_ends_in_a_500(draft, editor, reviewer):
    submit_for_review(draft, editor, "Reworded.")
    client = Client()
    client.force_login(reviewer)
    url = reverse("admin:guidance_revision_review", args=[draft.pk])
    fields = ["_publish", "_return", "review_comment"]

    @FUZZ
    @given(data=form_posts(fields))
    def fuzz(data):
        with rolled_back():
            response = post(client, url, data, htmx=False)
            assert response.status_code in (200, 302, 400), response.status_code
            assert_plain_content(draft)

    fuzz()


@pytest.mark.parametrize("model", ["statement", "section", "citation", "revision"])
def test_no_admin_list_filter_ends_in_a_500(editor_client, draft, model):
    url = reverse(f"admin:guidance_{model}_changelist")
    params = st.dictionaries(
        st.one_of(st.sampled_from(FILTER_PARAMS), st.text(max_size=12)),
        st.one_of(ADMIN_VALUES, st.text(max_size=12)),
        max_size=4,
    )

    @FUZZ
    @given(data=params)
    def fuzz(data):
        TRIED["inputs"] += 1
        response = editor_client.get(url, data)
        assert response.status_code in (200, 302, 400), response.status_code

    fuzz()
