"""Issue 11's probes, each as the role that found it: published content changes only by a
second person publishing a reviewed revision; throttling, input limits, logs and the
pages' titles hold in production."""

import io
import logging

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import path, reverse

from guidance.content.revisions import (
    RevisionError,
    diff,
    publish,
    return_to_editor,
    start_draft,
    submit_for_review,
)
from guidance.models import Revision, Section, Statement
from tests.conftest import group
from tests.pages import shown_fingerprint
from tests.test_admin import statement_form

SUMMARY = "Reworded the bridging statement."
HACK = "Changed without review."


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor_reviewer(db):
    user = User.objects.create_user("ed_and_rev", password="pw-for-tests-only", is_staff=True)
    user.groups.add(group("Editors"), group("Reviewers"))
    return user


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", password="pw-for-tests-only")


@pytest.fixture
def second_editor(db):
    user = User.objects.create_user("ed_second", password="pw-for-tests-only", is_staff=True)
    user.groups.add(group("Editors"))
    return user


ROLES = ["reviewer", "editor", "editor_reviewer", "superuser"]


@pytest.fixture(params=ROLES)
def anyone(request, guideline):
    """Each role that could try: a reviewer, a lone editor, both at once, a superuser."""
    return request.getfixturevalue(request.param)


def history_url(model, pk, history_id):
    return reverse(f"admin:guidance_{model}_simple_history", args=[pk, history_id])


def section_form(section, **changes):
    data = {field: getattr(section, field) for field in ("order", "title", "part", "intro")}
    return {**data, **changes}


def revision_form(revision, **changes):
    fields = ("change_summary", "title", "scope_note", "disclaimer", "developer", "funding")
    data = {field: getattr(revision, field) for field in fields}
    data["release_date"] = revision.release_date or ""
    return {**data, **changes}


def published_revision_2(guideline, editor, reviewer, text="Reworded intro."):
    """Revision 2 drafted by the editor (one section intro changed), published by the reviewer."""
    draft = start_draft(guideline, editor)
    draft.sections.filter(order=1).update(intro=text)
    return publish(submit_for_review(draft, editor, SUMMARY), reviewer)


# --- 1. the history "revert" form changes no published content and no status -----------


def test_no_role_reverts_a_published_sections_intro(anyone, guideline):
    section = Section.objects.get(revision__status="published", order=1)
    record = section.history.earliest()
    client = signed_in(anyone)
    url = history_url("section", section.pk, record.history_id)
    assert client.get(url).status_code in (200, 403)  # reading history is not changing it
    response = client.post(url, section_form(section, intro=HACK))
    assert response.status_code == 403
    section.refresh_from_db()
    assert section.intro != HACK
    page = signed_in(anyone).get(reverse("guideline"))
    assert HACK not in page.text


def test_no_role_reverts_a_published_revision_to_its_draft_record(
    anyone, guideline, editor, reviewer
):
    revision = published_revision_2(guideline, editor, reviewer)
    draft_record = revision.history.filter(status="draft").earliest()
    response = signed_in(anyone).post(
        history_url("revision", revision.pk, draft_record.history_id),
        revision_form(revision, change_summary=HACK),
    )
    assert response.status_code == 403
    revision.refresh_from_db()
    assert (revision.status, revision.change_summary) == ("published", SUMMARY)
    assert Revision.objects.filter(status="published").get() == revision


def test_the_lone_editors_walk_around_the_review_is_refused_at_each_step(
    guideline, editor, reviewer, clinician_client
):
    """The issue's sequence: revert the published revision to a "draft" record, edit, then
    revert it to its "published" record."""
    revision = published_revision_2(guideline, editor, reviewer)
    client = signed_in(editor)
    draft_record = revision.history.filter(status="draft").earliest()
    published_record = revision.history.filter(status="published").latest()
    for record in (draft_record, published_record):
        response = client.post(
            history_url("revision", revision.pk, record.history_id), revision_form(revision)
        )
        assert response.status_code == 403
    section = revision.sections.get(order=1)
    edit = client.post(
        reverse("admin:guidance_section_change", args=[section.pk]),
        section_form(section, intro=HACK),
    )
    assert edit.status_code == 403
    assert status_of(revision) == "published"
    assert clinician_client.get(reverse("guideline")).status_code == 200


@pytest.mark.parametrize("model", ["statement", "citation", "section"])
def test_delete_selected_on_the_published_list_deletes_nothing(anyone, model):
    published = Revision.objects.get(status="published")
    rows = getattr(published, f"{model}s")
    chosen = list(rows.values_list("pk", flat=True)[:2])
    count = rows.count()
    response = signed_in(anyone).post(
        reverse(f"admin:guidance_{model}_changelist") + f"?revision={published.pk}",
        {"action": "delete_selected", "_selected_action": chosen, "post": "yes"},
    )
    # Refused (403), or a confirmation page listing rows this account may not delete.
    assert response.status_code in (200, 403)
    assert rows.count() == count


def test_reverting_a_retired_revision_is_refused_not_a_500(anyone, guideline, editor, reviewer):
    published_revision_2(guideline, editor, reviewer)
    retired = Revision.objects.get(number=1)
    assert retired.status == "retired"
    record = retired.history.filter(status="published").earliest()
    client = signed_in(anyone)
    url = history_url("revision", retired.pk, record.history_id)
    assert client.get(url).status_code in (200, 403)
    assert client.post(url, revision_form(retired)).status_code == 403
    assert status_of(retired) == "retired"


def test_no_role_reverts_the_guideline(anyone, guideline):
    record = guideline.history.earliest()
    response = signed_in(anyone).post(
        history_url("guideline", guideline.pk, record.history_id), {"slug": "other"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("ids", [("²", "1"), ("1", "99999999999999999999999"), ("x", "y")])
def test_a_history_address_that_is_not_an_id_is_a_404(editor_client, ids):
    assert editor_client.get(history_url("statement", *ids)).status_code == 404


@pytest.mark.parametrize("object_id", ["²", "99999999999999999999999", "x"])
@pytest.mark.parametrize("page", ["history", "change", "delete"])
def test_an_admin_page_of_an_id_that_is_not_one_is_answered(editor_client, page, object_id):
    response = editor_client.get(reverse(f"admin:guidance_section_{page}", args=[object_id]))
    assert response.status_code in (302, 404)


def status_of(revision):
    return Revision.objects.get(pk=revision.pk).status


def test_an_editor_reverts_a_drafts_own_section_and_the_draft_stays_a_draft(editor_client, draft):
    section = draft.sections.get(order=1)
    before = section.intro
    editor_client.post(
        reverse("admin:guidance_section_change", args=[section.pk]),
        section_form(section, intro="A new lead-in."),
    )
    section.refresh_from_db()
    assert section.intro == "A new lead-in."
    record = section.history.earliest()
    response = editor_client.post(
        history_url("section", section.pk, record.history_id), section_form(section, intro=before)
    )
    assert response.status_code == 302
    section.refresh_from_db()
    assert section.intro == before
    assert status_of(draft) == "draft"


@pytest.mark.parametrize("role", ["reviewer", "editor"])
def test_nobody_reverts_a_draft_in_review(role, request, draft, editor):
    section = draft.sections.get(order=1)
    submit_for_review(draft, editor, SUMMARY)
    record = section.history.earliest()
    response = signed_in(request.getfixturevalue(role)).post(
        history_url("section", section.pk, record.history_id), section_form(section, intro=HACK)
    )
    assert response.status_code == 403
    section.refresh_from_db()
    assert section.intro != HACK


def test_reverting_a_drafts_revision_record_restores_its_text_not_its_status(
    editor_client, draft, editor, reviewer
):
    submit_for_review(draft, editor, SUMMARY)
    return_to_editor(draft, reviewer, "Say why.")
    draft.refresh_from_db()
    in_review_record = draft.history.filter(status="in_review").latest()
    editor_client.post(
        reverse("admin:guidance_revision_change", args=[draft.pk]),
        revision_form(draft, change_summary="A second try."),
    )
    assert Revision.objects.get(pk=draft.pk).change_summary == "A second try."
    response = editor_client.post(
        history_url("revision", draft.pk, in_review_record.history_id),
        revision_form(draft, change_summary=SUMMARY),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.change_summary) == ("draft", SUMMARY)
    assert (draft.reviewed_by, draft.review_comment) == (reviewer, "Say why.")


# --- 2. section intros and the guideline's attributes belong to the revision -------------


def test_guideline_attributes_are_edited_in_a_draft_diffed_and_published_together(
    editor_client, draft, editor, reviewer, clinician_client
):
    response = editor_client.post(
        reverse("admin:guidance_revision_change", args=[draft.pk]),
        revision_form(draft, disclaimer="A new disclaimer.", funding="A hospital fund"),
    )
    assert response.status_code == 302
    assert "A new disclaimer." not in clinician_client.get(reverse("guideline")).text
    changes = diff(Revision.objects.get(number=1), Revision.objects.get(pk=draft.pk))
    fields = {change["field"]: change for change in changes["guideline"]["changed"][0]["fields"]}
    assert fields["disclaimer"]["after"] == "A new disclaimer."
    assert fields["funding"]["after"] == "A hospital fund"
    submit_for_review(draft, editor, SUMMARY)
    review = signed_in(reviewer).get(reverse("admin:guidance_revision_review", args=[draft.pk]))
    assert "A new disclaimer." in review.text
    publish(draft, reviewer)
    page = clinician_client.get(reverse("guideline")).text
    assert "A new disclaimer." in page and "A hospital fund" in page


def test_the_reviewer_sees_a_changed_section_intro_and_part(draft, editor, reviewer):
    draft.sections.filter(order=1).update(intro="New lead-in:", part="New part")
    submit_for_review(draft, editor, SUMMARY)
    review = signed_in(reviewer).get(reverse("admin:guidance_revision_review", args=[draft.pk]))
    assert "New lead-in:" in review.text and "New part" in review.text
    assert "Intro" in review.text


def test_editors_no_longer_change_the_guideline_live(editor_client, guideline):
    response = editor_client.post(
        reverse("admin:guidance_guideline_change", args=[guideline.pk]),
        {"slug": guideline.slug, "disclaimer": HACK},
    )
    assert response.status_code == 403
    assert guideline.disclaimer != HACK


def test_the_guidelines_attributes_read_from_the_published_revision(guideline, editor):
    published = Revision.objects.get(status="published")
    assert guideline.title == published.title and guideline.disclaimer == published.disclaimer
    draft = start_draft(guideline, editor)
    Revision.objects.filter(pk=draft.pk).update(title="Draft title")
    assert guideline.title == published.title


# --- 3. four eyes: whoever drafted or edited publishes nothing ----------------------------


@pytest.mark.parametrize("role", ["editor_reviewer", "superuser"])
def test_whoever_edited_a_draft_cannot_publish_it(role, request, draft, editor, reviewer):
    who = request.getfixturevalue(role)
    section = draft.sections.get(order=1)
    signed_in(who).post(
        reverse("admin:guidance_section_change", args=[section.pk]),
        section_form(section, intro="Edited by the would-be publisher."),
    )
    assert Section.objects.get(pk=section.pk).intro == "Edited by the would-be publisher."
    submit_for_review(draft, editor, SUMMARY)
    response = signed_in(who).post(
        reverse("admin:guidance_revision_review", args=[draft.pk]), {"_publish": "1"}
    )
    assert response.status_code == 302
    assert status_of(draft) == "in_review"
    with pytest.raises(RevisionError, match="You edited revision 2"):
        publish(draft, who)
    publish(draft, reviewer)  # a second person who touched nothing
    assert status_of(draft) == "published"


def test_an_edit_of_a_since_deleted_statement_still_counts(draft, editor, editor_reviewer):
    existing = Statement.objects.get(code="ivig-duration", revision=draft)
    signed_in(editor_reviewer).post(
        reverse("admin:guidance_statement_add"),
        {
            **statement_form(existing, code="an-aside", text="An aside.", order=99),
            "code": "an-aside",
            "citation_links-TOTAL_FORMS": 0,
            "citation_links-INITIAL_FORMS": 0,
        },
    )
    added = Statement.objects.get(code="an-aside", revision=draft)
    signed_in(editor).post(
        reverse("admin:guidance_statement_delete", args=[added.pk]), {"post": "yes"}
    )
    assert not Statement.objects.filter(pk=added.pk).exists()
    submit_for_review(draft, editor, SUMMARY)
    with pytest.raises(RevisionError, match="You edited"):
        publish(draft, editor_reviewer)


def test_a_reviewer_who_returned_a_draft_may_publish_it_later(draft, editor, reviewer):
    client = signed_in(reviewer)
    submit_for_review(draft, editor, SUMMARY)
    client.post(
        reverse("admin:guidance_revision_review", args=[draft.pk]),
        {"_return": "1", "review_comment": "Cite the trial."},
    )
    assert status_of(draft) == "draft"
    submit_for_review(draft, editor, SUMMARY)
    url = reverse("admin:guidance_revision_review", args=[draft.pk])
    client.post(
        url, {"_publish": "1", "shown_fingerprint": shown_fingerprint(client.get(url).text)}
    )
    assert status_of(draft) == "published"


def test_a_second_editor_who_edited_cannot_publish_either(draft, editor, second_editor):
    second_editor.groups.add(group("Reviewers"))
    signed_in(second_editor).post(
        reverse("admin:guidance_revision_change", args=[draft.pk]),
        revision_form(draft, scope_note="Narrower scope."),
    )
    submit_for_review(draft, editor, SUMMARY)
    with pytest.raises(RevisionError, match="You edited"):
        publish(draft, second_editor)


# --- 4. throttling by the client's address behind a proxy ---------------------------------


# As settings.py sets them for PROXY_COUNT=1 (one reverse proxy).
ONE_PROXY = override_settings(
    AXES_IPWARE_PROXY_COUNT=0,
    AXES_IPWARE_META_PRECEDENCE_ORDER=["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"],
)


@ONE_PROXY
def test_five_failures_from_one_address_behind_the_proxy_leave_others_able_to_sign_in(
    clinician,
):
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = Client(HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    user = Client(HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    for _ in range(5):
        attacker.post(reverse("login"), {"username": "dr_ada", "password": "wrong"})
    good = {"username": "dr_ada", "password": "pw-for-tests-only"}
    assert attacker.post(reverse("login"), good).status_code == 429
    assert user.post(reverse("login"), good).status_code == 302


@ONE_PROXY
def test_a_forged_forwarded_prefix_does_not_lock_out_the_real_client(clinician):
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for number in range(5):
        Client(HTTP_X_FORWARDED_FOR=f"203.0.113.9, 198.51.100.{number}", **proxy).post(
            reverse("login"), {"username": "dr_ada", "password": "wrong"}
        )
    good = {"username": "dr_ada", "password": "pw-for-tests-only"}
    real = Client(HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    assert real.post(reverse("login"), good).status_code == 302


def test_axes_reads_addresses_with_ipware():
    import ipware  # noqa: F401  (axes uses the client's address only with ipware installed)
    from axes.helpers import IPWARE_INSTALLED

    assert IPWARE_INSTALLED


def test_without_a_proxy_a_forged_forwarded_address_does_not_escape_the_pause(clinician):
    for number in range(5):
        Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{number}").post(
            reverse("login"), {"username": "dr_ada", "password": "wrong"}
        )
    good = {"username": "dr_ada", "password": "pw-for-tests-only"}
    assert (
        Client(HTTP_X_FORWARDED_FOR="203.0.113.9").post(reverse("login"), good).status_code == 429
    )


# --- 5. length limits and NUL bytes get a message, not a 500 ------------------------------


def test_a_nul_byte_in_the_change_summary_is_refused_next_to_the_field(editor_client, draft):
    response = editor_client.post(
        reverse("admin:guidance_revision_submit", args=[draft.pk]),
        revision_form(draft, change_summary="Bad \x00 byte"),
    )
    assert response.status_code in (200, 403)
    assert "Remove the control character NUL (U+0000) at character 5" in response.text
    assert "Bad" in response.text
    assert status_of(draft) == "draft"


def test_a_change_summary_over_the_limit_is_refused_with_the_limit(editor_client, draft):
    response = editor_client.post(
        reverse("admin:guidance_revision_change", args=[draft.pk]),
        revision_form(draft, change_summary="s" * 2_001),
    )
    assert response.status_code in (200, 403)
    assert "at most 2000 characters (it has 2001)" in response.text


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("Bad \x00 byte", "Remove the control character NUL (U+0000) at character 5"),
        ("c" * 2_001, "Keep the comment to 2,000 characters or fewer (it has 2001)"),
    ],
)
def test_a_bad_review_comment_is_refused_next_to_the_field(
    draft, editor, reviewer, comment, message
):
    submit_for_review(draft, editor, SUMMARY)
    response = signed_in(reviewer).post(
        reverse("admin:guidance_revision_review", args=[draft.pk]),
        {"_return": "1", "review_comment": comment},
    )
    assert response.status_code in (200, 403)
    assert message in response.text
    assert status_of(draft) == "in_review"


def test_the_workflow_refuses_a_nul_byte_whoever_calls_it(draft, editor, reviewer):
    with pytest.raises(RevisionError, match="null character"):
        submit_for_review(draft, editor, "Bad \x00 byte")
    submit_for_review(draft, editor, SUMMARY)
    with pytest.raises(RevisionError, match="null character"):
        return_to_editor(draft, reviewer, "Bad \x00 byte")


@pytest.mark.parametrize("value", ["²", "99999999999999999999999", "-1", "1.5", "", "\x00", "٣"])
@pytest.mark.parametrize("model", ["statement", "section", "citation"])
def test_an_admin_filter_with_a_bad_revision_is_answered(editor_client, model, value):
    response = editor_client.get(reverse(f"admin:guidance_{model}_changelist"), {"revision": value})
    assert response.status_code in (200, 302)


def test_a_huge_search_is_answered_with_the_limit(editor_client):
    response = editor_client.get(
        reverse("admin:guidance_statement_changelist"), {"q": "9" * 100_000}
    )
    assert response.status_code == 200
    assert "Search for at most 200 characters (that search had 100,000)" in response.text


def test_a_citation_that_is_not_an_id_is_refused_not_a_500(editor_client, draft):
    existing = Statement.objects.get(code="ivig-duration", revision=draft)
    response = editor_client.post(
        reverse("admin:guidance_statement_add"),
        {
            **statement_form(existing, code="an-aside", order=99),
            "code": "an-aside",
            "citation_links-TOTAL_FORMS": 1,
            "citation_links-INITIAL_FORMS": 0,
            "citation_links-0-citation": "yes",
            "citation_links-0-order": 1,
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not Statement.objects.filter(code="an-aside").exists()


# --- 6. logs go to stderr ------------------------------------------------------------------


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", broken)]


@pytest.fixture
def captured_stderr():
    """The stderr handler's output, as LOGGING configures it."""
    handlers = {
        handler
        for name in ("django.request", "lems_site.access")
        for handler in logging.getLogger(name).handlers
    }
    assert len(handlers) == 1  # one handler, shared
    (handler,) = handlers
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_each_request_leaves_one_access_line_without_the_query(client, db, captured_stderr):
    client.get("/healthz?ref=MRN-0042")
    line = captured_stderr.getvalue().strip().splitlines()[-1]
    assert line.split(" ", 2)[2].startswith("INFO lems_site.access GET /healthz 200 ")
    assert line.endswith("ms")
    assert "MRN" not in captured_stderr.getvalue()


@pytest.mark.urls("tests.test_hardening")
def test_a_500_leaves_its_traceback_on_stderr(db, captured_stderr):
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    logged = captured_stderr.getvalue()
    assert "ERROR django.request Internal Server Error: /broken/" in logged
    assert "RuntimeError: a bug" in logged
    assert "GET /broken/ 500" in logged


def test_the_stderr_handler_writes_to_stderr(settings):
    assert settings.LOGGING["handlers"]["stderr"]["stream"] == "ext://sys.stderr"


# --- 7. no patient reference in a title; 8. no password pages without mail -----------------


def test_the_print_pages_title_holds_no_patient_reference(
    clinician_client, make_encounter, ivig_answers
):
    encounter = make_encounter(
        patient_reference="MRN-0042", answers=ivig_answers, status="complete"
    )
    page = clinician_client.get(reverse("print", args=[encounter.pk])).text
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "MRN-0042" not in title


@pytest.mark.parametrize(
    "address",
    [
        "/accounts/password_reset/",
        "/accounts/password_change/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/password_reset/done/",
    ],
)
def test_the_password_pages_are_off(clinician_client, address):
    assert clinician_client.get(address).status_code == 404
    assert clinician_client.post(address, {"email": "a@b.example"}).status_code == 404


@pytest.mark.parametrize("sign_in", ["login", "admin:login"])
@pytest.mark.parametrize("length", [256, 300])
def test_an_over_long_user_name_is_refused_by_the_form_and_never_reaches_the_lockout_record(
    db, sign_in, length
):
    from axes.models import AccessAttempt

    response = Client().post(reverse(sign_in), {"username": "x" * length, "password": "wrong"})
    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
    # The failed-attempt record holds 255 characters: PostgreSQL refused a longer name.
    assert not AccessAttempt.objects.exists()
