"""`manage.py check` fails when the engine can return a code the content does not hold."""

from django.core.checks import Error, Warning, register
from django.db import DatabaseError

from guidance.pathway import ALL_CODES


@register()
def statement_codes_present(app_configs, **kwargs):
    from guidance.models import Guideline, Statement
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
        present = set(Statement.objects.filter(guideline=guideline).values_list("code", flat=True))
    except DatabaseError:
        return []  # no database or not migrated yet: `migrate` must still be able to run
    missing = [code for code in ALL_CODES if code not in present]
    if not missing:
        return []
    return [
        Error(
            f"The pathway can show statements the guideline lacks: {', '.join(missing)}.",
            hint="Run `python manage.py load_guideline`, or restore the statements in the admin.",
            id="guidance.E001",
        )
    ]
