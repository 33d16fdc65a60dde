# The actual-weight basis no longer says the guideline states it: the guideline does not
# say which weight (issue 23).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("guidance", "0018_fhir_document_versions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="encounter",
            name="dose_basis",
            field=models.CharField(
                blank=True,
                choices=[
                    ("actual", "Actual body weight"),
                    ("adjusted", "Adjusted body weight (Australia's national criteria, BloodSTAR)"),
                ],
                max_length=20,
            ),
        ),
    ]
