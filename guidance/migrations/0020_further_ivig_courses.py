# Further IVIG courses (DESIGN §5 "The IVIG course review"): a review whose plan repeats the
# course takes the next one, with its own order, window and reviews; each review names its
# course (none: the first, recorded with the decision).

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('guidance', '0019_dose_basis_actual_says_no_more'),
    ]

    operations = [
        migrations.CreateModel(
            name='Course',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveSmallIntegerField()),
                ('ivig_g_per_kg', models.DecimalField(decimal_places=1, max_digits=2)),
                ('ivig_days', models.PositiveSmallIntegerField()),
                ('course_start_date', models.DateField()),
                ('baseline_scale', models.CharField(blank=True, choices=[('qmg', 'QMG (Quantitative Myasthenia Gravis score, 0-39, higher is worse)'), ('mrc_sum', 'MRC sum score (0-60, higher is better)')], max_length=10)),
                ('baseline_score', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('order', models.JSONField(help_text='The order as the review form showed it.')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('encounter', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='further_courses', to='guidance.encounter')),
                ('ordered_by', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='next_course', to='guidance.review')),
            ],
            options={
                'ordering': ['encounter', 'number'],
            },
        ),
        migrations.AddField(
            model_name='review',
            name='course',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='guidance.course'),
        ),
        migrations.AddIndex(
            model_name='course',
            index=models.Index(fields=['course_start_date'], name='course_start'),
        ),
        migrations.AddConstraint(
            model_name='course',
            constraint=models.UniqueConstraint(fields=('encounter', 'number'), name='course_number_unique'),
        ),
        migrations.AddConstraint(
            model_name='course',
            constraint=models.CheckConstraint(condition=models.Q(('number__gte', 2)), name='course_number_from_2'),
        ),
    ]
