"""The FHIR R4 exports (DESIGN.md §8): the published guideline, and a finalized encounter."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from guidance import fhir
from guidance.content.models import Revision
from guidance.content.presentation import statements_by_code
from guidance.content.rendered import content_key, once
from guidance.encounters import workflow as encounters
from guidance.encounters.models import AccessLog
from guidance.encounters.views import clinician_required
from guidance.encounters.workflow import EncounterError, is_clinician
from guidance.engine import pathway
from guidance.fhir.apply import ApplyError, answers_of, care_plan, operation_outcome
from guidance.fhir.apply import parameters_response as parameters_of
from guidance.fhir.common import PLAN_DEFINITION_ID
from guidance.fhir.models import ApiToken, ApplyQuota

APPLY_MAX_BYTES = 64 * 1024


def _fhir_response(resource, status=200):
    return HttpResponse(
        json.dumps(resource, ensure_ascii=False),
        content_type=f"{fhir.FHIR_JSON}; charset=utf-8",
        status=status,
    )


def _refused(status, message, code="invalid"):
    return _fhir_response(operation_outcome(message, code), status=status)


@require_GET
@login_required
def guideline_fhir(request):
    """The published revision as a Questionnaire and a PlanDefinition, for integrators."""
    revision = get_object_or_404(Revision.objects.published().select_related("guideline"))

    def bundle():
        statements = statements_by_code(revision, pathway.ALL_CODES)
        return fhir.guideline_bundle(revision, statements, settings.FHIR_BASE_URL)

    # The resources are built once per published revision (and base URL); the bundle's
    # timestamp says when this response assembled them.
    kept = once(content_key(revision), f"fhir-guideline-bundle:{settings.FHIR_BASE_URL}", bundle)
    return _fhir_response({**kept, "timestamp": timezone.now().isoformat()})


@require_GET
@clinician_required
def encounter_fhir(request, encounter_id):
    """The finalized summary as a FHIR document, for the hospital record."""
    encounter = encounters.get_for_owner(request.user, encounter_id)
    if not encounter.is_finalized:
        raise EncounterError(
            "Finalize the encounter before downloading it for the record.", encounter
        )
    response = _fhir_response(fhir.issued_document(encounter, settings.FHIR_BASE_URL))
    AccessLog.record(request.user, encounter, AccessLog.Action.DOWNLOADED_FHIR)
    # The file name carries no patient reference: downloads folders are not private.
    response["Content-Disposition"] = f'attachment; filename="lems-summary-{encounter.pk}.json"'
    return response


def _caller(request):
    """Who calls `$apply`: the account of a bearer token, else the signed-in clinician
    (whose POST must then carry the CSRF token, as any form of theirs does). Returns
    (user, refusal): one of them is None."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        user = ApiToken.user_of(raw.strip())
        if user is None:
            return None, _refused(401, "The token is unknown or revoked.", "login")
        return user, None
    if not request.user.is_authenticated:
        refusal = _refused(401, "Sign in, or send an API token as a Bearer token.", "login")
        refusal["WWW-Authenticate"] = 'Bearer realm="lems-ivig"'
        return None, refusal
    if CsrfViewMiddleware(lambda request: None).process_view(request, None, (), {}):
        return None, _refused(403, "The CSRF token is missing or wrong.", "security")
    if not is_clinician(request.user):
        return None, _refused(403, "$apply is for clinicians and hospital systems.", "forbidden")
    return request.user, None


@csrf_exempt  # a token caller has no cookie; `_caller` checks a signed-in one's CSRF token
def plan_definition_apply(request, plan_id):
    """`POST /fhir/PlanDefinition/<id>/$apply`: a Parameters resource carrying a
    QuestionnaireResponse in, a CarePlan of what applies out (guidance/fhir/apply.py)."""
    if request.method != "POST":
        refusal = _refused(405, "Use POST with a Parameters resource.", "not-supported")
        refusal["Allow"] = "POST"
        return refusal
    user, refusal = _caller(request)
    if refusal:
        return refusal
    if plan_id != PLAN_DEFINITION_ID:
        return _refused(404, f"No PlanDefinition {plan_id!r}.", "not-found")
    if not ApplyQuota.take(user):
        refusal = _refused(429, "Too many calls: wait a minute.", "throttled")
        refusal["Retry-After"] = "60"
        return refusal
    if len(request.body) > APPLY_MAX_BYTES:
        return _refused(413, f"Keep the request under {APPLY_MAX_BYTES // 1024} KB.", "too-costly")
    revision = Revision.objects.published().select_related("guideline").first()
    if revision is None:
        return _refused(404, "No guideline is published.", "not-found")
    try:
        parameters = json.loads(request.body)
        response, subject = parameters_of(parameters)
        answers = answers_of(response)
        codes = pathway.evaluate(answers).codes
        statements = statements_by_code(revision, codes)
        plan = care_plan(answers, revision, statements, settings.FHIR_BASE_URL, subject)
    except json.JSONDecodeError:
        return _refused(400, "The body is not JSON.", "structure")
    except ApplyError as error:
        return _refused(400, str(error))
    except ValueError as error:  # a bad answer: the engine names the field
        return _refused(400, f"Bad answer: {error}", "value")
    return _fhir_response(plan)


CANONICAL_KINDS = (
    "CodeSystem",
    "ValueSet",
    "Questionnaire",
    "PlanDefinition",
    "StructureDefinition",
)


def _reader(request):
    """A signed-in user, or a token's account, may read the guideline's resources."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        return ApiToken.user_of(raw.strip())
    return request.user if request.user.is_authenticated else None


def _revision_resources(revision):
    statements = statements_by_code(revision, pathway.ALL_CODES)
    return fhir.guideline_resources(revision, statements, settings.FHIR_BASE_URL)


def _seen_revisions():
    """The revisions clinicians have seen (published, or retired since), newest first."""
    return (
        Revision.objects.filter(status__in=[Revision.Status.PUBLISHED, Revision.Status.RETIRED])
        .select_related("guideline")
        .order_by("-number")
    )


@require_GET
def canonical_resource(request, kind, resource_id, version=None):
    """`GET /fhir/<kind>/<id>` (the published revision's) and `.../_history/<version>` (the
    revision of that number, published or retired): what a canonical URL|version names."""
    if _reader(request) is None:
        return _refused(401, "Sign in, or send an API token as a Bearer token.", "login")
    if kind not in CANONICAL_KINDS:
        return _refused(404, f"No resources of type {kind!r} here.", "not-found")
    revisions = _seen_revisions()
    revision = (
        revisions.filter(number=version).first()
        if version is not None
        else revisions.filter(status=Revision.Status.PUBLISHED).first()
    )
    found = [
        resource
        for resource in (_revision_resources(revision) if revision else [])
        if resource["resourceType"] == kind and resource["id"] == resource_id
    ]
    if not found:
        return _refused(404, f"No {kind}/{resource_id} in that revision.", "not-found")
    return _fhir_response(found[0])


@require_GET
def canonical_search(request, kind):
    """`GET /fhir/<kind>?url=<canonical>[&version=N]`: a searchset of what it names (every
    revision clinicians saw when no version is given, newest first)."""
    if _reader(request) is None:
        return _refused(401, "Sign in, or send an API token as a Bearer token.", "login")
    if kind not in CANONICAL_KINDS:
        return _refused(404, f"No resources of type {kind!r} here.", "not-found")
    url, version = request.GET.get("url", ""), request.GET.get("version", "")
    if "|" in url:
        url, version = url.split("|", 1)
    if not url:
        return _refused(400, "Search by url (and version).", "required")
    revisions = _seen_revisions()
    if version:
        if not version.isdigit():
            return _refused(400, "version is a revision number.", "value")
        revisions = revisions.filter(number=int(version))
    matches = [
        resource
        for revision in revisions
        for resource in _revision_resources(revision)
        if resource["resourceType"] == kind and resource["url"] == url
    ]
    return _fhir_response(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
            "entry": [
                {
                    "fullUrl": f"{resource['url']}/_history/{resource['version']}",
                    "resource": resource,
                    "search": {"mode": "match"},
                }
                for resource in matches
            ],
        }
    )
