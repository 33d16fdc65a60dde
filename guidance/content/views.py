"""The guideline's pages for clinicians: the published revision whole, and every revision
clinicians have seen with what changed."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from guidance.content import revisions
from guidance.content.models import Revision
from guidance.content.presentation import guideline_sections
from guidance.content.rendered import content_key, once


def _published_revision():
    return get_object_or_404(Revision.objects.published().select_related("guideline"))


@require_GET
@login_required
def guideline(request):
    """The published revision, whole; never a draft."""
    revision = _published_revision()

    def content_html():
        context = {
            "guideline": revision.guideline,
            "revision": revision,
            "sections": guideline_sections(revision),
            "citations": revision.citations.all(),
        }
        return str(render_to_string("guidance/guideline.html#guideline-content", context))

    # Rendered once per published revision: nothing on it depends on the reader.
    html = once(content_key(revision), "guideline-page", content_html)
    return render(request, "guidance/guideline.html", {"content_html": mark_safe(html)})  # noqa: S308


@require_GET
@login_required
def guideline_revisions(request):
    """Every revision clinicians have seen, newest first, each against the one before."""
    guideline = _published_revision().guideline
    entries = revisions.seen_by_clinicians(guideline)
    context = {"guideline": guideline, "entries": entries}
    return render(request, "guidance/revisions.html", context)
