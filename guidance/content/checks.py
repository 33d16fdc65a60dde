"""`manage.py check` fails when the engine can return a code the content does not hold.

It covers the published revision (what clinicians see now: an error) and any open draft
(what they would see once it is published: a warning, because an editor's unfinished
draft must not stop `migrate` or the server; the draft cannot be submitted until fixed).
"""

from django.core.checks import Error, Warning, register
from django.db import DatabaseError

from guidance.engine.pathway import ALL_CODES


@register()
def statement_codes_present(app_configs, **kwargs):
    from guidance.content.models import GUIDELINE_SLUG, OPEN_STATUSES, Guideline, Revision

    try:
        guideline = Guideline.objects.filter(slug=GUIDELINE_SLUG).first()
        if guideline is None:
            return [
                Warning(
                    "The guideline is not loaded yet.",
                    hint="Run `python manage.py load_guideline`.",
                    id="guidance.W001",
                )
            ]
        revisions = list(
            guideline.revisions.filter(status__in=[Revision.Status.PUBLISHED, *OPEN_STATUSES])
        )
        missing_by_revision = [(revision, missing_codes(revision)) for revision in revisions]
    except DatabaseError:
        return []  # no database or not migrated yet: `migrate` must still be able to run
    messages = []
    for revision, missing in missing_by_revision:
        if not missing:
            continue
        if revision.status == Revision.Status.PUBLISHED:
            messages.append(
                Error(
                    f"The pathway can show statements {revision} lacks: {', '.join(missing)}.",
                    hint="Run `python manage.py load_guideline` (it adds what a release "
                    "brings), or restore what a revision removed through a draft in the admin.",
                    id="guidance.E001",
                )
            )
        else:
            messages.append(
                Warning(
                    f"The pathway needs statements {revision} lacks: {', '.join(missing)}.",
                    hint="Restore them in the draft: it cannot be submitted without them.",
                    id="guidance.W002",
                )
            )
    return messages


def missing_codes(revision):
    """The codes the engine can return that `revision` holds no statement for."""
    present = set(revision.statements.values_list("code", flat=True))
    return [code for code in ALL_CODES if code not in present]
