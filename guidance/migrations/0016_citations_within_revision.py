"""A statement cites only its own revision's citations: repair links that cross revisions
(the admin's add form let them through, and "Start a draft" then failed), and bound the
PMID, DOI, citation year and release date (validators: no change to the tables).

Each link to another revision's citation moves to the citation of the same number in the
statement's own revision; where there is none, or the statement already cites it, the link
is dropped. Each repair is logged.
"""

import logging

import guidance.models
from django.db import migrations, models

logger = logging.getLogger(__name__)


def relink_within_revision(apps, schema_editor):
    StatementCitation = apps.get_model("guidance", "StatementCitation")
    Citation = apps.get_model("guidance", "Citation")
    crossing = (
        StatementCitation.objects.exclude(citation__revision_id=models.F("statement__revision_id"))
        .select_related("statement", "citation")
        .order_by("pk")
    )
    for link in crossing:
        statement, citation = link.statement, link.citation
        own = Citation.objects.filter(
            revision_id=statement.revision_id, number=citation.number
        ).first()
        already = (
            own is not None
            and StatementCitation.objects.filter(statement=statement, citation=own).exists()
        )
        if own is None or already:
            logger.warning(
                "Statement %s (revision id %s) cited citation %s of revision id %s: link "
                "dropped (%s).",
                statement.code,
                statement.revision_id,
                citation.number,
                citation.revision_id,
                "it already cites its own" if already else "its revision has no such citation",
            )
            link.delete()
        else:
            logger.warning(
                "Statement %s (revision id %s) cited citation %s of revision id %s: now cites "
                "its own revision's citation %s.",
                statement.code,
                statement.revision_id,
                citation.number,
                citation.revision_id,
                own.number,
            )
            link.citation = own
            link.save(update_fields=["citation"])


class Migration(migrations.Migration):
    dependencies = [
        ("guidance", "0015_dose_basis_names_its_source"),
    ]

    operations = [
        migrations.RunPython(relink_within_revision, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="citation",
            name="doi",
            field=models.CharField(
                blank=True,
                max_length=200,
                validators=[guidance.models.validate_doi],
                verbose_name="DOI",
            ),
        ),
        migrations.AlterField(
            model_name="citation",
            name="pmid",
            field=models.CharField(
                blank=True,
                max_length=9,
                validators=[guidance.models.validate_pmid],
                verbose_name="PMID",
            ),
        ),
        migrations.AlterField(
            model_name="citation",
            name="year",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[
                    guidance.models.validate_citation_year,
                    guidance.models.validate_not_future_year,
                ],
            ),
        ),
        migrations.AlterField(
            model_name="historicalcitation",
            name="doi",
            field=models.CharField(
                blank=True,
                max_length=200,
                validators=[guidance.models.validate_doi],
                verbose_name="DOI",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcitation",
            name="pmid",
            field=models.CharField(
                blank=True,
                max_length=9,
                validators=[guidance.models.validate_pmid],
                verbose_name="PMID",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcitation",
            name="year",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[
                    guidance.models.validate_citation_year,
                    guidance.models.validate_not_future_year,
                ],
            ),
        ),
        migrations.AlterField(
            model_name="historicalrevision",
            name="release_date",
            field=models.DateField(
                blank=True, null=True, validators=[guidance.models.validate_release_date]
            ),
        ),
        migrations.AlterField(
            model_name="revision",
            name="release_date",
            field=models.DateField(
                blank=True, null=True, validators=[guidance.models.validate_release_date]
            ),
        ),
    ]
