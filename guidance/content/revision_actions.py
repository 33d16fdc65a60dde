"""The revision workflow's buttons in the admin: Start a draft, Submit for review, and the
reviewer's page with Publish and Return. Thin: each reads the request, calls
`guidance.content.revisions` (which holds the rules and raises `RevisionError`), and answers
with a message and a redirect; `RevisionAdmin` routes its URLs here."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from guidance.content import revisions
from guidance.content.models import (
    GUIDELINE_ATTRIBUTES,
    GUIDELINE_SLUG,
    SHORT_TEXT,
    Guideline,
    Revision,
)
from guidance.engine import fingerprints
from lems_site.plain_text import PlainTextForm


class ReviewForm(PlainTextForm, forms.Form):
    review_comment = forms.CharField(
        required=False,
        max_length=SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        error_messages={
            "max_length": f"Keep the comment to {SHORT_TEXT:,} characters or fewer "
            "(it has %(show_value)d)."
        },
    )


# What an editor writes in a draft revision; the rest moves only through the workflow.
REVISION_EDITABLE = ["change_summary", *GUIDELINE_ATTRIBUTES]


def change_url(revision):
    return reverse("admin:guidance_revision_change", args=[revision.pk])


def refused(model_admin, request, error, url):
    model_admin.message_user(request, str(error), messages.ERROR)
    return redirect(url)


def require(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied


def start_draft(model_admin, request):
    """Start a draft: a copy of the published content, for editors."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require(request, "guidance.add_revision")
    guideline = get_object_or_404(Guideline, slug=GUIDELINE_SLUG)
    try:
        draft = revisions.start_draft(guideline, request.user)
    except revisions.RevisionError as error:
        return refused(model_admin, request, error, reverse("admin:guidance_revision_changelist"))
    model_admin.message_user(
        request,
        f"Revision {draft.number} started as a draft: a copy of the published content. "
        "Edit its statements and citations, then submit it for review.",
        messages.SUCCESS,
    )
    return redirect(change_url(draft))


def submit(model_admin, request, revision_id):
    """Submit a draft for review, saving what the change form held."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require(request, "guidance.change_revision")
    revision = get_object_or_404(Revision, pk=revision_id)
    change_summary = request.POST.get("change_summary", "")
    if model_admin.has_change_permission(request, revision):
        # The button posts the whole change form: save what was typed, or show the
        # errors next to their fields with nothing lost.
        # A field the post leaves out keeps its saved value.
        data = {**model_to_dict(revision, fields=REVISION_EDITABLE), **request.POST.dict()}
        form = model_admin.get_form(request, revision)(data, instance=revision)
        if not form.is_valid():
            return model_admin.change_view(request, str(revision.pk), form_url=change_url(revision))
        revision = form.save()
        change_summary = form.cleaned_data["change_summary"]
    try:
        revisions.submit_for_review(revision, request.user, change_summary)
    except revisions.RevisionError as error:
        return refused(model_admin, request, error, change_url(revision))
    model_admin.message_user(
        request,
        f"Revision {revision.number} was submitted for review.",
        messages.SUCCESS,
    )
    return redirect(change_url(revision))


def review(model_admin, request, revision_id):
    """The side-by-side diff against the published revision, with Publish and Return."""
    revision = get_object_or_404(Revision.objects.select_related("guideline"), pk=revision_id)
    if not model_admin.has_view_permission(request, revision):
        raise PermissionDenied
    form = ReviewForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        require(request, "guidance.publish_revision")
        if form.is_valid():
            try:
                return decide(model_admin, request, revision, form.cleaned_data["review_comment"])
            except revisions.RevisionChanged as changed:
                # The fresh page, here rather than by a redirect: the comment typed stays.
                model_admin.message_user(request, str(changed), messages.ERROR)
                revision.refresh_from_db()
    return review_page(model_admin, request, revision, form)


def review_page(model_admin, request, revision, form):
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Review revision {revision.number}",
        "opts": model_admin.model._meta,
        "original": revision,
        **revisions.against_published(revision),
        "form": form,
        "can_review": request.user.has_perm("guidance.publish_revision")
        and revision.status == Revision.Status.IN_REVIEW,
        # What this page shows, posted with Publish: a revision changed since is refused.
        "shown_fingerprint": revisions.review_fingerprint(revision),
    }
    return TemplateResponse(request, "admin/guidance/revision/review.html", context)


def decide(model_admin, request, revision, comment):
    review_url = reverse("admin:guidance_revision_review", args=[revision.pk])
    try:
        if "_publish" in request.POST:
            shown = fingerprints.posted(request.POST)
            revisions.publish(revision, request.user, content_fingerprint=shown)
            done = f"Revision {revision.number} is published: clinicians now see it."
        elif "_return" in request.POST:
            revisions.return_to_editor(revision, request.user, comment)
            done = f"Revision {revision.number} was returned to its editor."
        else:
            return redirect(review_url)
    except revisions.RevisionChanged:
        raise  # the review view shows the fresh page, with what was typed
    except revisions.RevisionError as error:
        return refused(model_admin, request, error, review_url)
    model_admin.message_user(request, done, messages.SUCCESS)
    return redirect(change_url(revision))
