"""The guideline's attributes clinicians read move to its revisions (issue 11).

Title, scope, disclaimer, developer, funding and release date were edited live on the
guideline; now each revision holds its own, so they change only when a reviewed revision is
published. Every existing revision gets the guideline's current values.
"""

from django.db import migrations, models

ATTRIBUTES = ('title', 'scope_note', 'disclaimer', 'developer', 'funding', 'release_date')


def copy_to_revisions(apps, schema_editor):
    Guideline = apps.get_model("guidance", "Guideline")
    for guideline in Guideline.objects.all():
        values = {name: getattr(guideline, name) for name in ATTRIBUTES}
        values["scope_note"] = values["scope_note"] or ""
        values["developer"] = values["developer"] or ""
        values["funding"] = values["funding"] or ""
        guideline.revisions.update(**values)


def copy_back(apps, schema_editor):
    Guideline = apps.get_model("guidance", "Guideline")
    for guideline in Guideline.objects.all():
        revision = (
            guideline.revisions.filter(status="published").first()
            or guideline.revisions.order_by("-number").first()
        )
        if revision is not None:
            for name in ATTRIBUTES:
                setattr(guideline, name, getattr(revision, name))
            guideline.save()


class Migration(migrations.Migration):
    dependencies = [("guidance", "0008_reviewers")]

    operations = [
        migrations.AddField(
            model_name="revision",
            name="title",
            field=models.CharField(default="", max_length=200),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="revision",
            name="scope_note",
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AddField(
            model_name="revision",
            name="disclaimer",
            field=models.TextField(default="", max_length=2000),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="revision",
            name="developer",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="revision",
            name="funding",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="revision",
            name="release_date",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="historicalrevision",
            name="title",
            field=models.CharField(default="", max_length=200),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalrevision",
            name="scope_note",
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AddField(
            model_name="historicalrevision",
            name="disclaimer",
            field=models.TextField(default="", max_length=2000),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalrevision",
            name="developer",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="historicalrevision",
            name="funding",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="historicalrevision",
            name="release_date",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunPython(copy_to_revisions, copy_back),
        migrations.RemoveField(model_name="guideline", name="title"),
        migrations.RemoveField(model_name="guideline", name="scope_note"),
        migrations.RemoveField(model_name="guideline", name="disclaimer"),
        migrations.RemoveField(model_name="guideline", name="developer"),
        migrations.RemoveField(model_name="guideline", name="funding"),
        migrations.RemoveField(model_name="guideline", name="release_date"),
        migrations.RemoveField(model_name="historicalguideline", name="title"),
        migrations.RemoveField(model_name="historicalguideline", name="scope_note"),
        migrations.RemoveField(model_name="historicalguideline", name="disclaimer"),
        migrations.RemoveField(model_name="historicalguideline", name="developer"),
        migrations.RemoveField(model_name="historicalguideline", name="funding"),
        migrations.RemoveField(model_name="historicalguideline", name="release_date"),
    ]
