"""Thin views: fetch the clinician's own encounter, validate with a form, call
`guidance.encounters`, render.

With htmx, a step answers with only the `main-content` partial of the next page and pushes
its URL; without JavaScript, the same views POST, redirect and render whole pages.
"""

import logging
from functools import lru_cache, wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url

from guidance.content.rendered import content_key, published_for_content
from guidance.encounters import workflow as encounters
from guidance.encounters.forms import STEP_FORMS, DecisionForm, EncounterSearchForm
from guidance.encounters.models import AccessLog
from guidance.encounters.pdf import PdfUnavailable, cached_pdf, summary_html
from guidance.encounters.summary import courses_shown, panel_statements, tumour_risk_summary
from guidance.encounters.wording import STEP_TITLES
from guidance.encounters.workflow import EncounterError, is_clinician
from guidance.engine import pathway
from lems_site.middleware import shows_patient_data

ENCOUNTERS_PER_PAGE = 25
logger = logging.getLogger(__name__)


def clinician_required(view):
    """Signed in, and a clinician: editors and others never reach patient data. A change
    the encounter refuses (it is finalized) answers 409.

    A view of one encounter that answers (its owner's: anyone else's ends in a 404 raised
    before) names it in the access line, whatever it shows: every page and fragment of it,
    read or change, is in the record of who read which patient's data.
    """

    @wraps(view)
    @never_cache  # patient data: never kept in a shared hospital PC's browser cache
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_clinician(request.user):
            raise PermissionDenied("Encounters are for clinicians.")
        try:
            response = view(request, *args, **kwargs)
        except EncounterError as error:
            response = _conflict(request, error)
        if "encounter_id" in kwargs:
            shows_patient_data(request, [kwargs["encounter_id"]])
        patch_vary_headers(response, ["HX-Request"])
        return response

    return wrapper


def _conflict(request, error):
    """A branded 409 page: what was refused and why, and the way back to the encounter."""
    context = {"message": str(error), "encounter": error.encounter}
    response = render(request, "409.html", context, status=409)
    if request.htmx:
        # htmx does not swap a 409; send the stale tab to the read-only summary instead.
        response["HX-Redirect"] = reverse("summary", args=[error.encounter.pk])
    return response


def _partial_or_page(request, template):
    """The `main-content` partial for an htmx swap; the whole page otherwise."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#main-content"
    return template


def _page_url(encounter, step):
    if step is None:
        return reverse("summary", args=[encounter.pk])
    return reverse("step", args=[encounter.pk, step])


# Where the encounter's id goes in the kept list of steps: an id no encounter is given.
_ENCOUNTER_SLOT = "00000000-0000-0000-0000-000000000000"


@lru_cache(maxsize=512)
def _step_nav_around_slot(steps, answered, current):
    items = [
        {
            "title": STEP_TITLES[step],
            "url": reverse("step", args=[_ENCOUNTER_SLOT, step]),
            "current": step == current,
            "answered": step in answered,
        }
        for step in steps
    ]
    context = {
        "steps": items,
        "summary_url": reverse("summary", args=[_ENCOUNTER_SLOT]),
        "summary_page": current is None,
    }
    return render_to_string("guidance/partials/_step_nav.html", context)


def _step_nav(encounter, assessment, current):
    """The list of steps above a step or the summary (`current` None), rendered once per
    process for each set of steps, answered steps and current page, around a slot for the
    encounter's id: five address look-ups and an included template were about a twentieth
    of a step."""
    html = _step_nav_around_slot(assessment.steps, assessment.answered, current)
    return mark_safe(html.replace(_ENCOUNTER_SLOT, str(encounter.pk)))


@lru_cache(maxsize=1024)
def _unbound_fields_html(step, shown_answers, sex=None, height_cm=None):
    """A step's fields showing saved answers, rendered once per process: widget rendering is
    most of a step's time, and this HTML holds no token, no patient reference, nothing of
    the user, only the answers in the key (and the sex and height, which decide which
    questions the tumour and IVIG steps ask)."""
    earlier = {"sex": sex, "height_cm": height_cm}
    form = STEP_FORMS[step](initial=dict(shown_answers), earlier_answers=earlier)
    return render_to_string("guidance/partials/_step_fields.html", {"form": form, "step": step})


def _fields_html(step, answers):
    """The step's fields showing the saved `answers`, as kept by `_unbound_fields_html`."""
    shown = tuple(
        (field, tuple(value) if isinstance(value, list) else value)
        for field in sorted(pathway.STEP_FIELDS[step])
        for value in [answers.get(field)]
    )
    return _unbound_fields_html(step, shown, answers.get("sex"), answers.get("height_cm"))


# Where the patient reference goes in the kept reference field: a value no one can type.
_REFERENCE_SLOT = "\x00patient-reference\x00"


@lru_cache(maxsize=1)
def _reference_field_html_around_slot():
    form = STEP_FORMS["patient"](initial={"patient_reference": _REFERENCE_SLOT})
    return render_to_string("guidance/partials/_reference_field.html", {"form": form})


def _reference_field_html(reference):
    """The patient step's reference field showing the saved `reference`, rendered once per
    process around a slot the reference is put into, escaped, for each request (crispy's
    render of this one field was a quarter of the step's time). The kept HTML holds no
    patient data."""
    html = _reference_field_html_around_slot()
    if not reference:
        return mark_safe(html.replace(f' value="{_REFERENCE_SLOT}"', ""))
    return mark_safe(html.replace(_REFERENCE_SLOT, escape(reference)))


@lru_cache(maxsize=8)
def _blank_decision_html(dose_basis_needed, course_offered, longest_course):
    """The decision form's fields with nothing decided yet, rendered once per process:
    crispy's rendering was about a fifth of the summary's time, and this HTML depends only
    on what the form asks (`workflow.decision_asks`: no token, nothing of the patient or
    the user)."""
    form = DecisionForm(
        dose_basis_needed=dose_basis_needed,
        course_offered=course_offered,
        longest_course=longest_course,
    )
    return render_to_string("guidance/partials/_decision_fields.html", {"form": form})


def _decision_shown(encounter, assessment, form):
    """The decision block's context: a form posted back, with its errors and what was typed,
    rendered afresh; with nothing decided yet, the kept blank fields (and no form built)."""
    if form is None:
        asks = encounters.decision_asks(assessment)
        # A decision saved some other way is shown as it is, never kept. (The longest
        # course's 5 days are an initial value of the form, not a decision.)
        if not any(getattr(encounter, field) for field in DecisionForm.Meta.fields):
            return {
                "decision_html": _blank_decision_html(**asks),
                "course_offered": asks["course_offered"],
            }
        form = encounters.decision_form(encounter, assessment)
    return {"form": form, "course_offered": form.course_offered}


def _render_step(request, encounter, step, assessment, form=None, revision=None):
    """The step's page; `form`: the bound form after a refused answer, rendered afresh with
    its errors and what was typed; without it, the saved answers in the kept fields, and no
    form is built."""
    if form is None:
        fields = {"fields_html": _fields_html(step, encounter.answers)}
        if step == "patient":
            fields["reference_html"] = _reference_field_html(encounter.patient_reference)
    else:
        fields = {"form": form}
    # The panel's statements are the published revision's, kept per revision: the revision
    # (one query) only once something applies, unless the answers were just saved on it.
    if revision is None and assessment.outcome.codes:
        revision = published_for_content()
    context = {
        "encounter": encounter,
        "step": step,
        "step_title": STEP_TITLES[step],
        "step_url": _page_url(encounter, step),
        **fields,
        "step_nav": _step_nav(encounter, assessment, step),
        "recommendations": panel_statements(assessment, revision),
        "content_key": content_key(revision),
        "tumour_risk": tumour_risk_summary(assessment.tumour_risk),
        "summary_ready": assessment.complete,
    }
    return render(request, _partial_or_page(request, "guidance/step.html"), context)


def _render_summary(
    request, encounter, assessment=None, summary=None, form=None, order=None, revision=None
):
    """The summary page; a finalized encounter's shows its snapshot and no form. An open
    one's says when its answers were given under an earlier revision than the one shown,
    and shows the IVIG order as the decision form stands (`order`: `order_preview`'s), on
    the published revision (`revision`, as `published_for_content` gives it; read unless
    given)."""
    revision_changed = False
    shown_fingerprint = None
    decision = {}
    if encounter.is_finalized:
        revision = None  # the snapshot is shown, rendered afresh
    else:
        assessment = assessment or pathway.assess(encounter.answers)
        decision = _decision_shown(encounter, assessment, form)
        revision = revision or published_for_content()
        summary = summary or encounters.shown_summary(encounter, assessment, revision)
        revision_changed = encounters.answered_on_earlier_revision(encounter, revision)
        shown_fingerprint = encounters.summary_fingerprint(encounter, revision)
        if order is None and decision["course_offered"]:
            order = encounters.order_preview(request.user, assessment, decision.get("form"))
    context = {
        "encounter": encounter,
        "summary": summary or encounters.shown_summary(encounter),
        "revision_changed": revision_changed,
        "shown_fingerprint": shown_fingerprint,
        "step_nav": _step_nav(encounter, assessment, None) if assessment else "",
        "complete": assessment is None or assessment.complete,
        **decision,
        "courses": _courses_with_state(encounter),
        "continue_url": _page_url(encounter, assessment.next_step()) if assessment else None,
        "order_preview": order,
        "content_key": content_key(revision),
    }
    return render(request, _partial_or_page(request, "guidance/summary.html"), context)


def _courses_with_state(encounter):
    """A finalized encounter's courses as the summary shows them, each with its state while
    it awaits its review (`awaited`)."""
    if not encounter.is_finalized:
        return []
    awaited = encounters.awaited_reviews(encounter)
    return [
        {**shown, "awaited": awaited.get(shown["number"])}
        for shown in encounters.courses_shown(encounter)
    ]


@require_GET
@login_required
def home(request):
    if not is_clinician(request.user) and request.user.is_staff:
        return redirect("admin:index")  # an editor signing in lands where editors work
    return _clinician_home(request)


@clinician_required
def _clinician_home(request):
    context = {
        "reviews_due": encounters.reviews_due(request.user),
        "recent": encounters.recent(request.user),
        "screens_due": encounters.screens_due(request.user),
    }
    due = [each.encounter for each in context["reviews_due"]]
    shows_patient_data(request, [*due, *context["recent"], *context["screens_due"]])
    return render(request, "guidance/home.html", context)


@require_POST
@clinician_required
def new_encounter(request):
    encounter = encounters.create(request.user)
    return redirect("step", encounter.pk, "patient")


@require_http_methods(["GET", "POST"])
@clinician_required
def encounter_list(request):
    if request.method == "POST":
        form = EncounterSearchForm(request.POST)
    else:
        # Links may carry the status and page; a patient reference only ever comes posted.
        form = EncounterSearchForm({key: request.GET.get(key) for key in ("status", "page")})
    valid = form.is_valid()
    searched = {key: form.cleaned_data[key] for key in ("reference", "status")} if valid else {}
    found = encounters.search(request.user, **searched)
    page = Paginator(found, ENCOUNTERS_PER_PAGE).get_page(form.cleaned_data.get("page"))
    context = {
        "form": form,
        "page": page,
        "listed": encounters.with_next_screens(page.object_list),
        "searched": any(searched.values()),
    }
    shows_patient_data(request, context["listed"])
    return render(request, "guidance/encounter_list.html", context)


@require_http_methods(["GET", "POST"])
@clinician_required
def step(request, encounter_id, step):
    if step not in pathway.STEPS:
        raise Http404("No such step.")
    if request.method == "GET":
        return _show_step(request, encounter_id, step)
    return _save_step(request, encounter_id, step)


def _show_step(request, encounter_id, step):
    encounter = encounters.get_for_owner(request.user, encounter_id)
    if encounter.is_finalized:
        return redirect("summary", encounter.pk)
    assessment = pathway.assess(encounter.answers)
    if step not in assessment.steps:
        return redirect(_page_url(encounter, assessment.next_step()))
    return _render_step(request, encounter, step, assessment)


def _save_step(request, encounter_id, step):
    encounter, form = encounters.save_step(request.user, encounter_id, step, request.POST)
    if not form.is_valid():
        assessment = pathway.assess(encounter.answers)
        return _render_step(request, encounter, step, assessment, form)
    assessment = form.assessment
    # The step again when it holds questions the clinician could not see yet.
    following = step if form.questions_unseen else assessment.next_step(after=step)
    url = _page_url(encounter, following)
    if not request.htmx:
        return redirect(url)
    # The published revision the answers were just saved on: the page shown next reads it.
    if following is None:
        shown = _render_summary(request, encounter, assessment, revision=encounter.revision)
    else:
        shown = _render_step(request, encounter, following, assessment, revision=encounter.revision)
    return push_url(shown, url)


@require_GET
@clinician_required
def summary(request, encounter_id):
    encounter = encounters.get_for_owner(request.user, encounter_id)
    AccessLog.record(request.user, encounter, AccessLog.Action.VIEWED)
    return _render_summary(request, encounter)


@require_POST
@clinician_required
def finalize(request, encounter_id):
    result = encounters.finalize(request.user, encounter_id, request.POST)
    if not result.form.is_valid():
        return _render_summary(
            request, result.encounter, result.assessment, result.summary, result.form
        )
    return redirect("summary", result.encounter.pk)


@require_POST
@clinician_required
def order(request, encounter_id):
    """The IVIG order as the decision form's course stands, before finalize: with htmx the
    order block alone; without JavaScript ("Preview order") the summary, with the block
    filled and everything typed kept. Nothing is stored; a finalized encounter answers 409."""
    encounter, assessment, form, order = encounters.preview_order(
        request.user, encounter_id, request.POST
    )
    if request.htmx:
        context = {**order, "layout": "summary"}
        return render(request, "guidance/partials/_ivig_order.html", context)
    return _render_summary(request, encounter, assessment, form=form, order=order)


@require_http_methods(["GET", "POST"])
@clinician_required
def review(request, encounter_id):
    """Record a review of an IVIG course (`?course=N`; the first without), and with it the
    next course when the plan repeats the course; then back to the summary, which shows it."""
    number = encounters.course_number(request.GET.get("course"))
    if request.method == "GET":
        reviewing = encounters.review_form(request.user, encounter_id, number)
    else:
        reviewing = encounters.record_review(request.user, encounter_id, request.POST, number)
        if reviewing.form.is_valid():
            url = reverse("summary", args=[reviewing.encounter.pk])
            if not request.htmx:
                return redirect(url)
            return push_url(_render_summary(request, reviewing.encounter), url)
    return _render_review(request, reviewing)


def _render_review(request, reviewing):
    encounter = reviewing.encounter
    shown = reviewing.shown_course
    context = {
        "encounter": encounter,
        "form": reviewing.form,
        "number": reviewing.number,
        "course": shown["course"],
        "reviews": shown["reviews"],
        "several_courses": len(encounters.courses_shown(encounter)) > 1,
        "review_url": encounters.review_url(encounter, reviewing.number),
        "order_url": _with_course(reverse("review_order", args=[encounter.pk]), reviewing),
        "order_preview": reviewing.order,
        "shown_fingerprint": encounters.reviews_fingerprint(encounter),
        "awaited_review": encounters.awaited_review(encounter, number=reviewing.number),
    }
    return render(request, _partial_or_page(request, "guidance/review.html"), context)


def _with_course(url, reviewing):
    return url if reviewing.number == 1 else f"{url}?course={reviewing.number}"


@require_POST
@clinician_required
def review_order(request, encounter_id):
    """The next course's order as the review form's course stands, before the review is
    recorded: with htmx the order block alone; without JavaScript ("Preview order") the
    review page, with the block filled and everything typed kept. Nothing is stored."""
    number = encounters.course_number(request.GET.get("course"))
    reviewing = encounters.preview_next_course(request.user, encounter_id, request.POST, number)
    if request.htmx:
        context = {**reviewing.order, "layout": "summary"}
        return render(request, "guidance/partials/_ivig_order.html", context)
    return _render_review(request, reviewing)


@require_http_methods(["GET", "POST"])
@clinician_required
def discard(request, encounter_id):
    """GET: the confirm page; POST: discard, then the list (with htmx, the table's row says
    it is discarded). A finalized encounter answers 409 to both."""
    if request.method == "GET":
        encounter = encounters.discardable(request.user, encounter_id)
        return render(request, "guidance/discard.html", {"encounter": encounter})
    encounter = encounters.discard(request.user, encounter_id)
    if request.htmx:
        return render(request, "guidance/discard.html#discarded-row", {"encounter": encounter})
    messages.success(request, "The encounter was discarded.")
    return redirect("encounter_list")


@require_GET
@clinician_required
def print_summary(request, encounter_id):
    encounter = encounters.get_for_owner(request.user, encounter_id)
    # A finalized encounter prints its snapshot (rendered afresh); another, the summary on
    # the published revision, whose statements' blocks are kept per revision.
    revision = None if encounter.is_finalized else published_for_content()
    summary = encounters.shown_summary(encounter, revision=revision)
    AccessLog.record(request.user, encounter, AccessLog.Action.PRINTED)
    context = {
        "encounter": encounter,
        "content_key": content_key(revision),
        "summary": summary,
        "courses": courses_shown(summary),
        "printed_at": timezone.now(),
    }
    return render(request, "guidance/print.html", context)


@require_GET
@clinician_required
def summary_pdf(request, encounter_id):
    """The finalized summary as an A4 PDF, rendered on the server from the print page, once
    per content (`cached_pdf`); every download is logged, a kept one too."""
    encounter = encounters.get_for_owner(request.user, encounter_id)
    html = summary_html(request, encounter, encounters.finalized_summary(encounter))
    try:
        pdf = cached_pdf(html)
    except PdfUnavailable as unavailable:
        logger.error("PDF not made: %s", unavailable)
        context = {"encounter": encounter, "reason": str(unavailable)}
        return render(request, "guidance/pdf_unavailable.html", context, status=503)
    response = HttpResponse(pdf, content_type="application/pdf")
    AccessLog.record(request.user, encounter, AccessLog.Action.DOWNLOADED)
    # The file name carries no patient reference: downloads folders are not private.
    response["Content-Disposition"] = f'attachment; filename="lems-summary-{encounter.pk}.pdf"'
    return response
