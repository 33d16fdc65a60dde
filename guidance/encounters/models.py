"""Encounters, the clinical record: one clinician's walk through the pathway for one
patient, the IVIG course's reviews, and the access log of who read or changed which."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from guidance.content.models import SHORT_TEXT, Revision


class KeptEncounterManager(models.Manager):
    """Encounters not discarded: what the app's code reaches through `Encounter.objects`, so
    a discarded encounter vanishes from every list, search and page at once."""

    def get_queryset(self):
        return super().get_queryset().filter(discarded_at__isnull=True)


class Encounter(models.Model):
    """One clinician's walk through the pathway for one patient."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETE = "complete", "Complete"
        FINALIZED = "finalized", "Finalized"

    class Decision(models.TextChoices):
        FOLLOWED = "followed", "Followed"
        PARTLY = "partly", "Partly followed"
        NOT_FOLLOWED = "not_followed", "Not followed"

    class Reason(models.TextChoices):
        PATIENT_PREFERENCE = "patient_preference", "Patient preference"
        CONTRAINDICATION = "contraindication", "Contraindication"
        NOT_AVAILABLE = "not_available", "Not available"
        CLINICAL_JUDGMENT = "clinical_judgment", "Clinical judgment"
        OTHER = "other", "Other"

    class DoseBasis(models.TextChoices):
        ACTUAL = "actual", "Actual body weight"
        ADJUSTED = "adjusted", "Adjusted body weight (Australia's national criteria, BloodSTAR)"

    class BaselineScale(models.TextChoices):
        QMG = "qmg", "QMG (Quantitative Myasthenia Gravis score, 0-39, higher is worse)"
        MRC_SUM = "mrc_sum", "MRC sum score (0-60, higher is better)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="encounters"
    )
    patient_reference = models.CharField(max_length=64, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decision_reason = models.CharField(max_length=30, choices=Reason.choices, blank=True)
    decision_note = models.TextField(blank=True, max_length=SHORT_TEXT)
    dose_basis = models.CharField(max_length=20, choices=DoseBasis.choices, blank=True)
    # The IVIG course prescribed, recorded with the decision (all or none of the first three).
    ivig_g_per_kg = models.DecimalField(max_digits=2, decimal_places=1, null=True, blank=True)
    ivig_days = models.PositiveSmallIntegerField(null=True, blank=True)
    course_start_date = models.DateField(null=True, blank=True)
    baseline_scale = models.CharField(max_length=10, choices=BaselineScale.choices, blank=True)
    baseline_score = models.PositiveSmallIntegerField(null=True, blank=True)
    revision = models.ForeignKey(
        Revision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="encounters",
        help_text="The guideline revision the encounter was last evaluated on.",
    )
    snapshot = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    discarded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the clinician discarded it (never once finalized)."
    )

    # Every row, discarded ones too: the default manager, so dumps, the access log's links and
    # migrations keep them.
    all_objects = models.Manager()
    objects = KeptEncounterManager()

    class Meta:
        default_manager_name = "all_objects"
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["owner", "-updated_at"], name="encounter_owner_recent"),
            # The reviews due: a clinician's courses by start date.
            models.Index(fields=["owner", "course_start_date"], name="encounter_owner_course"),
        ]

    def __str__(self):
        return f"Encounter {self.id}"

    @property
    def is_finalized(self):
        return self.status == self.Status.FINALIZED

    @property
    def has_course(self):
        return self.course_start_date is not None


# The longest a review's note may be: the summary and its PDF print it whole.
REVIEW_NOTE_MAX_LENGTH = SHORT_TEXT


class Review(models.Model):
    """A review of an encounter's IVIG course (DESIGN §5 "The IVIG course review").

    Append-only: a correction is a new review, so what was recorded stays as it was. Owned
    through its encounter; kept in order of the review date.
    """

    class AdverseEvent(models.TextChoices):
        THROMBOSIS = "thrombosis", "Thrombosis"
        RENAL = "renal", "Renal (kidney) problem"
        ASEPTIC_MENINGITIS = "aseptic_meningitis", "Aseptic meningitis"
        INFUSION_REACTION = "infusion_reaction", "Infusion reaction"
        OTHER = "other", "Other (say which in the note)"

    class Response(models.TextChoices):
        IMPROVED = "improved", "Improved"
        NO_CHANGE = "no_change", "No change"
        WORSE = "worse", "Worse"

    class Plan(models.TextChoices):
        REPEAT_COURSE = "repeat_course", "Repeat the IVIG course"
        STOP = "stop", "Stop IVIG"
        PLASMA_EXCHANGE = "plasma_exchange", "Plasma exchange"
        ESCALATE_IMMUNOSUPPRESSION = (
            "escalate_immunosuppression",
            "Escalate immunosuppression",
        )
        OTHER = "other", "Other (say which in the note)"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="reviews")
    # The course reviewed: None for the first course (the one recorded with the decision).
    course = models.ForeignKey(
        "Course", on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    review_date = models.DateField()
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    adverse_events = models.JSONField(default=list, blank=True)
    response = models.CharField(max_length=20, choices=Response.choices)
    plan = models.CharField(max_length=30, choices=Plan.choices)
    note = models.TextField(blank=True, max_length=REVIEW_NOTE_MAX_LENGTH)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["review_date", "recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(response__in=["improved", "no_change", "worse"]),
                name="review_response_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    plan__in=[
                        "repeat_course",
                        "stop",
                        "plasma_exchange",
                        "escalate_immunosuppression",
                        "other",
                    ]
                ),
                name="review_plan_valid",
            ),
        ]

    def __str__(self):
        return f"Review of {self.encounter_id} on {self.review_date}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("A review is not changed once recorded: record a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("A review is not deleted: record a new one to correct it.")

    def validate_constraints(self, exclude=None):
        # The constraints restate the fields' choices, which `clean_fields` already checks
        # without a query; the database still enforces them on every write.
        return None


class Course(models.Model):
    """A further IVIG course, taken by a review whose plan repeats the course (DESIGN §5):
    course 2, 3, ... of its encounter (course 1 is the one recorded with the decision, on
    the encounter itself). It has its own order, as shown on the review form and stored
    here, its own review window and its own reviews. Append-only, like its reviews."""

    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, related_name="further_courses"
    )
    number = models.PositiveSmallIntegerField()
    ordered_by = models.OneToOneField(Review, on_delete=models.PROTECT, related_name="next_course")
    # The same names as the first course's fields on `Encounter`: the same form fields fill
    # them, and what reads a course reads either.
    ivig_g_per_kg = models.DecimalField(max_digits=2, decimal_places=1)
    ivig_days = models.PositiveSmallIntegerField()
    course_start_date = models.DateField()
    baseline_scale = models.CharField(
        max_length=10, choices=Encounter.BaselineScale.choices, blank=True
    )
    baseline_score = models.PositiveSmallIntegerField(null=True, blank=True)
    order = models.JSONField(help_text="The order as the review form showed it.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["encounter", "number"]
        constraints = [
            models.UniqueConstraint(fields=["encounter", "number"], name="course_number_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=2), name="course_number_from_2"),
        ]
        indexes = [models.Index(fields=["course_start_date"], name="course_start")]

    def __str__(self):
        return f"Course {self.number} of {self.encounter_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("A course is not changed once recorded.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("A course is not deleted: it is part of the record.")


class AccessLog(models.Model):
    """Who viewed, printed, downloaded, finalized or discarded which encounter, and when."""

    class Action(models.TextChoices):
        VIEWED = "viewed", "Viewed"
        PRINTED = "printed", "Printed"
        DOWNLOADED = "downloaded", "Downloaded PDF"
        DOWNLOADED_FHIR = "downloaded_fhir", "Downloaded FHIR document"
        FINALIZED = "finalized", "Finalized"
        DISCARDED = "discarded", "Discarded"
        REVIEWED = "reviewed", "Recorded an IVIG course review"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="access_log")
    action = models.CharField(max_length=20, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.user} {self.action} {self.encounter_id} at {self.at:%Y-%m-%d %H:%M}"

    @classmethod
    def record(cls, user, encounter, action):
        cls.objects.create(user=user, encounter=encounter, action=action)
