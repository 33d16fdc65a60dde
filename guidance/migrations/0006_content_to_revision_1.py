"""Existing content moves into revision 1 of its guideline, published."""

import datetime

from django.db import migrations
from django.utils import timezone


def move_content_to_revision_1(apps, schema_editor):
    Guideline = apps.get_model("guidance", "Guideline")
    Revision = apps.get_model("guidance", "Revision")
    for guideline in Guideline.objects.all():
        if guideline.revision_date:
            published_at = datetime.datetime.combine(
                guideline.revision_date, datetime.time(), tzinfo=datetime.UTC
            )
        else:
            published_at = timezone.now()
        revision = Revision.objects.create(
            guideline=guideline,
            number=guideline.revision or 1,
            status="published",
            change_summary="First revision, as loaded from the source text.",
            published_at=published_at,
        )
        for model in ("Section", "Citation", "Statement"):
            apps.get_model("guidance", model).objects.filter(guideline=guideline).update(
                revision=revision
            )


def move_content_back(apps, schema_editor):
    Revision = apps.get_model("guidance", "Revision")
    for revision in Revision.objects.filter(status="published"):
        for model in ("Section", "Citation", "Statement"):
            apps.get_model("guidance", model).objects.filter(revision=revision).update(
                guideline=revision.guideline
            )


class Migration(migrations.Migration):
    dependencies = [("guidance", "0005_revisions")]

    operations = [migrations.RunPython(move_content_to_revision_1, move_content_back)]
