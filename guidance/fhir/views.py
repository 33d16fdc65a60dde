"""The FHIR R4 exports (DESIGN.md §8): the published guideline, and a finalized encounter."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from guidance import fhir
from guidance.content.models import Revision
from guidance.content.presentation import statements_by_code
from guidance.encounters import workflow as encounters
from guidance.encounters.models import AccessLog
from guidance.encounters.views import clinician_required
from guidance.encounters.workflow import EncounterError
from guidance.engine import pathway


def _fhir_response(resource):
    return HttpResponse(
        json.dumps(resource, ensure_ascii=False), content_type=f"{fhir.FHIR_JSON}; charset=utf-8"
    )


@require_GET
@login_required
def guideline_fhir(request):
    """The published revision as a Questionnaire and a PlanDefinition, for integrators."""
    revision = get_object_or_404(Revision.objects.published().select_related("guideline"))
    statements = statements_by_code(revision, pathway.ALL_CODES)
    return _fhir_response(fhir.guideline_bundle(revision, statements, settings.FHIR_BASE_URL))


@require_GET
@clinician_required
def encounter_fhir(request, encounter_id):
    """The finalized summary as a FHIR document, for the hospital record."""
    encounter = encounters.get_for_owner(request.user, encounter_id)
    if not encounter.is_finalized:
        raise EncounterError(
            "Finalize the encounter before downloading it for the record.", encounter
        )
    response = _fhir_response(fhir.encounter_document(encounter, settings.FHIR_BASE_URL))
    AccessLog.record(request.user, encounter, AccessLog.Action.DOWNLOADED_FHIR)
    # The file name carries no patient reference: downloads folders are not private.
    response["Content-Disposition"] = f'attachment; filename="lems-summary-{encounter.pk}.json"'
    return response
