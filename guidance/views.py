"""Thin views: fetch the clinician's own encounter, validate with a form, save, render.

With htmx, a step answers with only the `main-content` partial of the next page and pushes
its URL; without JavaScript, the same views POST, redirect and render whole pages.
"""

import logging
from functools import lru_cache, wraps
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Permission
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url

from guidance import pathway
from guidance.forms import STEP_FORMS, STEP_TITLES, DecisionForm, EncounterSearchForm
from guidance.models import AccessLog, Encounter, Revision, Statement
from guidance.pdf import PdfUnavailable, pdf_from_html
from guidance.revisions import diff, has_changes
from guidance.summary import GUIDELINE_SLUG, build_summary

ENCOUNTERS_PER_PAGE = 25
logger = logging.getLogger(__name__)


def clinician_required(view):
    """Signed in, and a clinician: editors and others never reach patient data."""

    @wraps(view)
    @never_cache  # patient data: never kept in a shared hospital PC's browser cache
    @login_required
    def wrapper(request, *args, **kwargs):
        if not _is_clinician(request.user):
            raise PermissionDenied("Encounters are for clinicians.")
        response = view(request, *args, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response

    return wrapper


def _is_clinician(user):
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


def _get_encounter_for_user(request, encounter_id, *, for_update=False):
    """The one way to load an encounter: scoped to its owner, so others get 404."""
    encounters = Encounter.objects.filter(owner=request.user)
    if for_update:
        encounters = encounters.select_for_update()
    return get_object_or_404(encounters, pk=encounter_id)


def _conflict(request, message, encounter=None):
    """A branded 409 page: what happened, and the way back to the encounter."""
    context = {"message": message, "encounter": encounter}
    return render(request, "409.html", context, status=409)


def _finalized_conflict(request, encounter):
    response = _conflict(
        request, "This encounter is finalized and can no longer be changed.", encounter
    )
    if request.htmx:
        # htmx does not swap a 409; send the stale tab to the read-only summary instead.
        response["HX-Redirect"] = reverse("summary", args=[encounter.pk])
    return response


def _partial_or_page(request, template):
    """The `main-content` partial for an htmx swap; the whole page otherwise."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#main-content"
    return template


def next_step(answers, after=None):
    """The first applicable step after `after` still missing an answer; None: the summary."""
    steps = pathway.applicable_steps(answers)
    start = steps.index(after) + 1 if after in steps else 0
    return next((step for step in steps[start:] if not _step_answered(answers, step)), None)


def _page_url(encounter, step):
    if step is None:
        return reverse("summary", args=[encounter.pk])
    return reverse("step", args=[encounter.pk, step])


def _step_answered(answers, step):
    return all(answers.get(field) not in (None, "") for field in pathway.REQUIRED_FIELDS[step])


def _all_steps_answered(answers):
    return all(_step_answered(answers, step) for step in pathway.applicable_steps(answers))


def _recommendations(encounter):
    """The statements that already apply, for the panel beside the form."""
    outcome = pathway.evaluate(encounter.answers)
    if not outcome.codes:
        return []
    # The panel shows only the text: one query, no citations.
    statements = Statement.objects.filter(
        revision__guideline__slug=GUIDELINE_SLUG,
        revision__status=Revision.Status.PUBLISHED,
        code__in=outcome.codes,
    ).only("code", "kind", "text")
    by_code = {statement.code: statement for statement in statements}
    return [by_code[code] for code in outcome.codes if by_code[code].kind != "evidence"]


def _step_nav(encounter, current):
    steps = pathway.applicable_steps(encounter.answers)
    return [
        {
            "step": step,
            "title": STEP_TITLES[step],
            "url": reverse("step", args=[encounter.pk, step]),
            "current": step == current,
            "answered": _step_answered(encounter.answers, step),
        }
        for step in steps
    ]


@lru_cache(maxsize=1024)
def _unbound_fields_html(step, shown_answers):
    """A step's fields showing saved answers, rendered once per process: widget rendering is
    most of a step's time, and this HTML holds no token, no patient reference, nothing of
    the user, only the answers in the key."""
    form = STEP_FORMS[step](initial=dict(shown_answers))
    return render_to_string("guidance/step_fields.html", {"form": form, "step": step})


def _fields_html(step, form):
    if form.is_bound:
        return None  # errors and what was typed: rendered afresh
    shown = tuple(
        sorted(
            (field, tuple(value) if isinstance(value, list) else value)
            for field, value in form.initial.items()
            if field != "patient_reference"
        )
    )
    return _unbound_fields_html(step, shown)


def _render_step(request, encounter, step, form, status=200):
    context = {
        "encounter": encounter,
        "fields_html": _fields_html(step, form),
        "step": step,
        "step_title": STEP_TITLES[step],
        "form": form,
        "steps": _step_nav(encounter, step),
        "recommendations": _recommendations(encounter),
        "summary_ready": _all_steps_answered(encounter.answers),
    }
    return render(request, _partial_or_page(request, "guidance/step.html"), context, status=status)


def _unbound_form(encounter, step):
    """The step's form showing the answers already saved."""
    initial = {field: encounter.answers.get(field) for field in pathway.STEP_FIELDS[step]}
    if step == "patient":
        initial["patient_reference"] = encounter.patient_reference
    return STEP_FORMS[step](initial=initial)


@require_GET
@login_required
def home(request):
    if not _is_clinician(request.user) and request.user.is_staff:
        return redirect("admin:index")  # an editor signing in lands where editors work
    return _clinician_home(request)


@clinician_required
def _clinician_home(request):
    recent = Encounter.objects.filter(owner=request.user).only(
        "id", "patient_reference", "status", "updated_at"
    )[:5]
    return render(request, "guidance/home.html", {"recent": recent})


@require_POST
@clinician_required
def new_encounter(request):
    encounter = Encounter.objects.create(owner=request.user)
    return redirect("step", encounter.pk, "patient")


@require_http_methods(["GET", "POST"])
@clinician_required
def encounter_list(request):
    if request.method == "POST":
        form = EncounterSearchForm(request.POST)
    else:
        # Links may carry the status and page; a patient reference only ever comes posted.
        form = EncounterSearchForm({key: request.GET.get(key) for key in ("status", "page")})
    encounters = Encounter.objects.filter(owner=request.user).only(
        "id", "patient_reference", "status", "updated_at", "created_at"
    )
    if form.is_valid():
        if reference := form.cleaned_data["reference"]:
            encounters = encounters.filter(patient_reference__icontains=reference)
        if status := form.cleaned_data["status"]:
            encounters = encounters.filter(status=status)
    page = Paginator(encounters, ENCOUNTERS_PER_PAGE).get_page(form.cleaned_data.get("page"))
    searched = form.is_valid() and any(form.cleaned_data[key] for key in ("reference", "status"))
    return render(
        request,
        "guidance/encounter_list.html",
        {"form": form, "page": page, "searched": searched},
    )


@require_http_methods(["GET", "POST"])
@clinician_required
def step(request, encounter_id, step):
    if step not in pathway.STEPS:
        raise Http404("No such step.")
    if request.method == "GET":
        encounter = _get_encounter_for_user(request, encounter_id)
        if encounter.is_finalized:
            return redirect("summary", encounter.pk)
        if step not in pathway.applicable_steps(encounter.answers):
            return redirect(_page_url(encounter, next_step(encounter.answers)))
        return _render_step(request, encounter, step, _unbound_form(encounter, step))

    with transaction.atomic():
        # Validate and merge under the row's lock: another tab saving a step of the same
        # encounter waits, so neither loses the other's answers.
        encounter = _get_encounter_for_user(request, encounter_id, for_update=True)
        if encounter.is_finalized:
            return _finalized_conflict(request, encounter)
        form = STEP_FORMS[step](request.POST, earlier_answers=encounter.answers)
        if not form.is_valid():
            return _render_step(request, encounter, step, form)
        save_step(encounter, form)
    following = next_step(encounter.answers, after=step)
    url = _page_url(encounter, following)
    if not request.htmx:
        return redirect(url)
    if following is None:
        response = _render_summary(request, encounter)
    else:
        response = _render_step(request, encounter, following, _unbound_form(encounter, following))
    return push_url(response, url)


def save_step(encounter, form):
    """Merge a validated step into the encounter's answers (the caller holds the row lock)."""
    # The step's answers replace all of that step's earlier ones, so a cleared optional
    # answer (height, say) is dropped rather than kept from before.
    answers = form.merged_answers()
    encounter.answers = answers
    if form.step == "patient":
        encounter.patient_reference = form.cleaned_data["patient_reference"]
    complete = _all_steps_answered(answers)
    encounter.status = Encounter.Status.COMPLETE if complete else Encounter.Status.IN_PROGRESS
    # The revision the answers are evaluated on: the published one, found in the same query.
    encounter.revision_id = models.Subquery(_published_revision_ids()[:1])
    encounter.save(
        update_fields=["answers", "patient_reference", "status", "revision", "updated_at"]
    )
    # The attribute now holds the subquery: make it deferred, read from the row if needed.
    encounter.__dict__.pop("revision_id")


def _published_revision_ids():
    return Revision.objects.filter(
        guideline__slug=GUIDELINE_SLUG, status=Revision.Status.PUBLISHED
    ).values("pk")


def _shown_summary(encounter):
    """A finalized encounter shows its snapshot; any other, the summary as it stands now."""
    return encounter.snapshot if encounter.is_finalized else build_summary(encounter)


def _render_summary(request, encounter, summary=None, form=None):
    summary = summary or _shown_summary(encounter)
    dose_basis_needed = _dose_basis_needed(summary)
    context = {
        "encounter": encounter,
        "summary": summary,
        "steps": [] if encounter.is_finalized else _step_nav(encounter, None),
        "complete": _all_steps_answered(encounter.answers),
        "form": form or DecisionForm(instance=encounter, dose_basis_needed=dose_basis_needed),
    }
    return render(request, _partial_or_page(request, "guidance/summary.html"), context)


@require_GET
@clinician_required
def summary(request, encounter_id):
    encounter = _get_encounter_for_user(request, encounter_id)
    AccessLog.record(request, encounter, AccessLog.Action.VIEWED)
    return _render_summary(request, encounter)


@require_POST
@clinician_required
def finalize(request, encounter_id):
    with transaction.atomic():
        encounter = _get_encounter_for_user(request, encounter_id, for_update=True)
        if encounter.is_finalized:
            return _finalized_conflict(request, encounter)
        summary = build_summary(encounter)
        form = DecisionForm(
            request.POST,
            instance=encounter,
            dose_basis_needed=_dose_basis_needed(summary),
        )
        if not _all_steps_answered(encounter.answers):
            form.add_error(None, "Answer every step before finalizing.")
        if not form.is_valid():
            return _render_summary(request, encounter, summary=summary, form=form)
        finalize_encounter(form.save(commit=False), summary)
        AccessLog.record(request, encounter, AccessLog.Action.FINALIZED)
    return redirect("summary", encounter.pk)


def _dose_basis_needed(summary):
    """The clinician chooses the IVIG weight only when an adjusted weight was worked out."""
    ivig = summary["doses"].get("ivig")
    return bool(ivig) and ivig["dosing"]["basis"] == "adjusted"


def finalize_encounter(encounter, summary):
    """Store exactly what was shown, and make the encounter read-only."""
    if "ivig" in summary["doses"] and not encounter.dose_basis:
        encounter.dose_basis = Encounter.DoseBasis.ACTUAL  # no adjusted weight was offered
    encounter.snapshot = summary
    encounter.status = Encounter.Status.FINALIZED
    encounter.finalized_at = timezone.now()
    encounter.save()


@require_GET
@clinician_required
def print_summary(request, encounter_id):
    encounter = _get_encounter_for_user(request, encounter_id)
    summary = _shown_summary(encounter)
    AccessLog.record(request, encounter, AccessLog.Action.PRINTED)
    return render(
        request,
        "guidance/print.html",
        {"encounter": encounter, "summary": summary, "printed_at": timezone.now()},
    )


@require_GET
@clinician_required
def summary_pdf(request, encounter_id):
    """The finalized summary as an A4 PDF, rendered on the server from the print page."""
    encounter = _get_encounter_for_user(request, encounter_id)
    if not encounter.is_finalized:
        return _conflict(request, "Finalize the encounter before downloading its PDF.", encounter)
    html = render_to_string(
        "guidance/print.html",
        {
            "encounter": encounter,
            "summary": encounter.snapshot,
            "printed_at": timezone.now(),
            "pdf": True,
            "print_css": Path(finders.find("css/print.css")).read_text(encoding="utf-8"),
        },
        request=request,
    )
    try:
        pdf = pdf_from_html(html)
    except PdfUnavailable as unavailable:
        logger.error("PDF not made: %s", unavailable)
        return render(
            request,
            "guidance/pdf_unavailable.html",
            {"encounter": encounter, "reason": str(unavailable)},
            status=503,
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    AccessLog.record(request, encounter, AccessLog.Action.DOWNLOADED)
    # The file name carries no patient reference: downloads folders are not private.
    response["Content-Disposition"] = f'attachment; filename="lems-summary-{encounter.pk}.pdf"'
    return response


def _published_revision():
    return get_object_or_404(
        Revision.objects.select_related("guideline"),
        guideline__slug=GUIDELINE_SLUG,
        status=Revision.Status.PUBLISHED,
    )


@require_GET
@login_required
def guideline(request):
    """The published revision, whole; never a draft."""
    revision = _published_revision()
    sections = revision.sections.prefetch_related("statements__citation_links__citation")
    return render(
        request,
        "guidance/guideline.html",
        {
            "guideline": revision.guideline,
            "revision": revision,
            "sections": sections,
            "citations": revision.citations.all(),
        },
    )


@require_GET
@login_required
def guideline_revisions(request):
    """Every revision clinicians have seen, newest first, each against the one before."""
    revision = _published_revision()
    shown = list(
        revision.guideline.revisions.filter(
            status__in=[Revision.Status.PUBLISHED, Revision.Status.RETIRED]
        ).order_by("-number")
    )
    entries = []
    for index, current in enumerate(shown):
        before = shown[index + 1] if index + 1 < len(shown) else None
        changes = diff(before, current) if before else None
        entries.append(
            {
                "revision": current,
                "before": before,
                "changes": changes,
                "has_changes": bool(changes) and has_changes(changes),
            }
        )
    return render(
        request,
        "guidance/revisions.html",
        {"guideline": revision.guideline, "entries": entries},
    )


@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
