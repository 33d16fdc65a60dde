"""The guideline's pages for clinicians: the published revision whole, and every revision
clinicians have seen with what changed."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from guidance.content import revisions
from guidance.content.models import Revision
from guidance.content.presentation import guideline_sections


def _published_revision():
    return get_object_or_404(Revision.objects.published().select_related("guideline"))


@require_GET
@login_required
def guideline(request):
    """The published revision, whole; never a draft."""
    revision = _published_revision()
    sections = guideline_sections(revision)
    return render(
        request,
        "guidance/guideline.html",
        {
            "guideline": revision.guideline,
            "revision": revision,
            "sections": sections,
            "citations": revision.citations.all(),
        },
    )


@require_GET
@login_required
def guideline_revisions(request):
    """Every revision clinicians have seen, newest first, each against the one before."""
    guideline = _published_revision().guideline
    entries = revisions.seen_by_clinicians(guideline)
    context = {"guideline": guideline, "entries": entries}
    return render(request, "guidance/revisions.html", context)
