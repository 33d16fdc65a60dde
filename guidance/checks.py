"""`manage.py check` fails when the engine can return a code the content does not hold.

It covers the published revision (what clinicians see now) and any open draft (what they
would see once it is published).
"""

from django.core.checks import Error, Warning, register
from django.db import DatabaseError

from guidance.pathway import ALL_CODES


@register()
def statement_codes_present(app_configs, **kwargs):
    from guidance.models import OPEN_STATUSES, Guideline, Revision
    from guidance.summary import GUIDELINE_SLUG

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
    return [
        Error(
            f"The pathway can show statements {revision} lacks: {', '.join(missing)}.",
            hint="Run `python manage.py load_guideline`, or restore the statements in the admin.",
            id="guidance.E001",
        )
        for revision, missing in missing_by_revision
        if missing
    ]


def missing_codes(revision):
    """The codes the engine can return that `revision` holds no statement for."""
    present = set(revision.statements.values_list("code", flat=True))
    return [code for code in ALL_CODES if code not in present]
