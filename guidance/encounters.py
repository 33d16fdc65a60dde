"""The encounter workflow: a clinician's own encounters, saving a step, finalizing.

Shaped like `guidance.revisions`: plain functions and one error type, `EncounterError`,
which the views answer with 409. This module owns the row lock (two tabs saving steps of
one encounter take turns, so neither loses the other's answers), which revision an
encounter is evaluated on, and the snapshot finalizing stores.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db import models, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from guidance import pathway, summary
from guidance.forms import STEP_FORMS, DecisionForm
from guidance.models import AccessLog, Encounter, Revision


class EncounterError(Exception):
    """A change refused (the encounter is finalized, say); the message says why."""

    def __init__(self, message, encounter):
        super().__init__(message)
        self.encounter = encounter


@dataclass(frozen=True)
class Finalizing:
    """A finalize attempt: what the summary page shows again when the form has errors."""

    encounter: Encounter
    assessment: pathway.Assessment
    summary: summary.Summary
    form: DecisionForm


def is_clinician(user):
    """Holds the encounter permission, directly or through a group: in one query, where
    `has_perm` takes two, and once per request (kept on the user, which the page's
    navigation asks again through `guidance.context_processors.roles`)."""
    if not user.is_authenticated:
        return False
    if not hasattr(user, "_is_clinician"):
        user._is_clinician = user.is_superuser or (
            Permission.objects.filter(
                Q(user=user) | Q(group__user=user),
                content_type__app_label="guidance",
                codename="view_encounter",
            ).exists()
        )
    return user._is_clinician


def get_for_owner(user, encounter_id, *, for_update=False):
    """The one way to load an encounter: scoped to its owner, so others get 404."""
    encounters = Encounter.objects.filter(owner=user)
    if for_update:
        encounters = encounters.select_for_update()
    return get_object_or_404(encounters, pk=encounter_id)


def recent(user, count=5):
    return Encounter.objects.filter(owner=user).only(
        "id", "patient_reference", "status", "updated_at"
    )[:count]


def search(user, reference="", status=""):
    """The clinician's encounters, newest first, by part of a patient reference and status."""
    found = Encounter.objects.filter(owner=user).only(
        "id", "patient_reference", "status", "updated_at", "created_at"
    )
    if reference:
        found = found.filter(patient_reference__icontains=reference)
    if status:
        found = found.filter(status=status)
    return found


def create(user):
    return Encounter.objects.create(owner=user)


def save_step(user, encounter_id, step, data):
    """Validate one step's answers with the others and store them; returns the encounter and
    the bound form, whose errors the step shows again when it is not valid."""
    with transaction.atomic():
        # Validate and merge under the row's lock: another tab saving a step of the same
        # encounter waits, so neither loses the other's answers.
        encounter = get_for_owner(user, encounter_id, for_update=True)
        _require_open(encounter)
        form = STEP_FORMS[step](data, earlier_answers=encounter.answers)
        if form.is_valid():
            _store_step(encounter, form)
    return encounter, form


def _store_step(encounter, form):
    # The step's answers replace all of that step's earlier ones, so a cleared optional
    # answer (height, say) is dropped rather than kept from before.
    encounter.answers = form.merged_answers()
    if form.step == "patient":
        encounter.patient_reference = form.cleaned_data["patient_reference"]
    complete = form.assessment.complete
    encounter.status = Encounter.Status.COMPLETE if complete else Encounter.Status.IN_PROGRESS
    # The revision the answers are evaluated on: the published one, found in the same query.
    encounter.revision_id = models.Subquery(Revision.objects.published().values("pk")[:1])
    encounter.save(
        update_fields=["answers", "patient_reference", "status", "revision", "updated_at"]
    )
    # The attribute now holds the subquery: make it deferred, read from the row if needed.
    encounter.__dict__.pop("revision_id")


def published_revision():
    """The revision clinicians see now, with its guideline (one query)."""
    return Revision.objects.published().select_related("guideline").get()


def shown_summary(encounter, assessment=None):
    """A finalized encounter shows its snapshot; any other, the summary as it stands now."""
    if encounter.is_finalized:
        return encounter.snapshot
    return summary.build(assessment or pathway.assess(encounter.answers), published_revision())


def finalized_summary(encounter):
    """The stored snapshot; only a finalized encounter has one to download."""
    if not encounter.is_finalized:
        raise EncounterError("Finalize the encounter before downloading its PDF.", encounter)
    return encounter.snapshot


def dose_basis_needed(assessment):
    """The clinician chooses the IVIG weight only when an adjusted weight was worked out."""
    ivig = assessment.outcome.doses.get("ivig")
    return bool(ivig) and ivig["dosing_weight_basis"] == "adjusted"


def decision_form(encounter, assessment, data=None):
    return DecisionForm(data, instance=encounter, dose_basis_needed=dose_basis_needed(assessment))


def finalize(user, encounter_id, data):
    """Record the decision and store exactly what was shown; the encounter becomes read-only.
    When the decision form has errors nothing is stored, and the result says what to show."""
    with transaction.atomic():
        encounter = get_for_owner(user, encounter_id, for_update=True)
        _require_open(encounter)
        assessment = pathway.assess(encounter.answers)
        revision = published_revision()
        shown = summary.build(assessment, revision)
        form = decision_form(encounter, assessment, data)
        if not assessment.complete:
            form.add_error(None, "Answer every step before finalizing.")
        if form.is_valid():
            _store_final(form.save(commit=False), assessment, revision, shown)
            AccessLog.record(user, encounter, AccessLog.Action.FINALIZED)
    return Finalizing(encounter, assessment, shown, form)


def _store_final(encounter, assessment, revision, shown):
    if "ivig" in assessment.outcome.doses and not encounter.dose_basis:
        encounter.dose_basis = Encounter.DoseBasis.ACTUAL  # no adjusted weight was offered
    encounter.revision = revision
    encounter.snapshot = shown
    encounter.status = Encounter.Status.FINALIZED
    encounter.finalized_at = timezone.now()
    encounter.save()


def _require_open(encounter):
    if encounter.is_finalized:
        raise EncounterError("This encounter is finalized and can no longer be changed.", encounter)
