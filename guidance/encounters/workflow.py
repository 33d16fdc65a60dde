"""The encounter workflow: a clinician's own encounters, saving a step, finalizing,
discarding.

Shaped like `guidance.content.revisions`: plain functions and one error type, `EncounterError`,
which the views answer with 409. This module owns the row lock (two tabs saving steps of
one encounter take turns, so neither loses the other's answers), which revision an
encounter is evaluated on, and the snapshot finalizing stores. A discarded encounter is
gone for its owner too: `Encounter.objects` leaves it out of every query here.
"""

import contextlib
import datetime
import functools
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db import connections, models, router, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from guidance.content.models import Revision
from guidance.content.rendered import published_for_content
from guidance.encounters import summary
from guidance.encounters.forms import (
    BASELINE_FIELDS,
    COURSE_FIELDS,
    DECISIONS_WITH_COURSE,
    STEP_FORMS,
    DecisionForm,
    ReviewForm,
)
from guidance.encounters.models import AccessLog, Course, Encounter, Review
from guidance.encounters.wording import REVIEW_STATE_NAMES, STEP_TITLES
from guidance.engine import fingerprints, ivig_review, pathway, tumour_risk

# The encounter list's filter of courses whose review is due or overdue.
REVIEW_DUE = "review_due"


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
    navigation asks again through `guidance.templatetags.site_nav`)."""
    if not user.is_authenticated:
        return False
    if not hasattr(user, "_is_clinician"):
        user._is_clinician = user.is_superuser or bool(_rows_for_user(_clinician_permission, user))
    return user._is_clinician


def _clinician_permission(user):
    return (
        Permission.objects.filter(
            Q(user=user) | Q(group__user=user),
            content_type__app_label="guidance",
            codename="view_encounter",
        )
        .order_by()
        .values_list("pk")[:1]
    )


# A user id no account has: it marks where the user goes in a compiled query's parameters.
_ANY_USER = -271828


@functools.cache
def _compiled_for_user(build, alias):
    """The SQL and parameters of the queryset `build(user)` returns, compiled once per
    process and database, `_ANY_USER` standing for the user: building a query through the
    ORM costs more than SQLite takes to answer these, and they run on every page."""
    return build(_ANY_USER).query.get_compiler(alias).as_sql()


def _rows_for_user(build, user, *, count=False):
    """The rows of `build(user)`'s query for `user` (a user or its id), as the database
    returns them (no conversion); with `count`, only how many there are."""
    database = connections[router.db_for_read(Encounter)]
    sql, params = _compiled_for_user(build, database.alias)
    if count:
        sql = f"SELECT COUNT(*) FROM ({sql}) counted"  # noqa: S608 (the ORM's own SQL)
    user_id = user if isinstance(user, int) else user.pk
    with database.cursor() as cursor:
        cursor.execute(sql, [user_id if param == _ANY_USER else param for param in params])
        return cursor.fetchall()


def get_for_owner(user, encounter_id, *, for_update=False):
    """The one way to load an encounter: scoped to its owner, so others get 404. Its
    `owner` is `user` (the print page names them) without reading them again."""
    encounters = Encounter.objects.filter(owner=user)
    if for_update:
        encounters = encounters.select_for_update()
    encounter = get_object_or_404(encounters, pk=encounter_id)
    encounter.owner = user
    return encounter


# What the encounter tables read: the answers too, for the next screen date and, in a row
# without a patient reference, the step reached.
_LISTED_FIELDS = ("id", "patient_reference", "status", "updated_at", "created_at", "answers")
# The home page lists the screens due this soon, and those overdue.
SCREENS_DUE_WITHIN_DAYS = 30


def listed(user):
    """My encounters as the lists show them: an untouched one (opened with "Start a new
    encounter", nothing saved yet: no answer, no patient reference) is not listed, so
    pressing the button twice leaves no empty rows. It is never reused for the next start
    either: two tabs must never share one encounter for two patients."""
    return (
        Encounter.objects.filter(owner=user)
        .exclude(status=Encounter.Status.IN_PROGRESS, patient_reference="", answers={})
        .only(*_LISTED_FIELDS)
    )


def recent(user, count=5):
    return with_next_screens(listed(user)[:count])


def screen_plan(answers):
    """(the next tumour screen due by these stored answers, or None; whether FDG-PET is due
    now). No date when none is known, the score does not apply, or the screen was a CT only:
    then FDG-PET is due now, and the schedule counts from it."""
    try:
        plan = tumour_risk.plan(pathway.validate(answers))
    except pathway.AnswerError:
        return None, False  # answers stored under older rules: no date rather than a 500
    return (plan["next"], plan["pet_now"]) if plan else (None, False)


def with_next_screens(encounters):
    """The encounters as a list, each with `next_screen` (a date or None) and `pet_now`."""
    listed = list(encounters)
    for encounter in listed:
        encounter.next_screen, encounter.pet_now = screen_plan(encounter.answers)
    return listed


def screens_due(user, today=None, within_days=SCREENS_DUE_WITHIN_DAYS):
    """The clinician's patients whose FDG-PET is due now (the negative screen was a CT only),
    then those whose next tumour screen is overdue or due within `within_days`, soonest
    first, in one query. A patient's newest encounter with a screen answer speaks for the
    patient: an older one's has been superseded. Encounters without a patient reference
    each stand for themselves."""
    today = today or timezone.localdate()
    until = today + datetime.timedelta(days=within_days)
    with_screens = Encounter.objects.filter(
        Q(answers__has_key="last_negative_screen_date") | Q(answers__screen_included_pet="no"),
        owner=user,
    ).only(*_LISTED_FIELDS)
    seen_references = set()
    pet_now, due = [], []
    for encounter in with_screens:  # newest first
        if encounter.patient_reference:
            if encounter.patient_reference in seen_references:
                continue
            seen_references.add(encounter.patient_reference)
        encounter.next_screen, encounter.pet_now = screen_plan(encounter.answers)
        if encounter.pet_now:
            pet_now.append(encounter)
        elif encounter.next_screen is not None and encounter.next_screen <= until:
            encounter.screen_overdue = encounter.next_screen < today
            due.append(encounter)
    return pet_now + sorted(due, key=lambda encounter: encounter.next_screen)


def search(user, reference="", status=""):
    """The clinician's encounters, newest first, by part of a patient reference and status
    (or `REVIEW_DUE`: courses whose review is due or overdue, the longest waiting first)."""
    found = listed(user)
    if reference:
        found = found.filter(patient_reference__icontains=reference)
    if status == REVIEW_DUE:
        # Any of the encounter's courses due or overdue; listed by the first course's start.
        due_by = ivig_review.due_on_or_before(timezone.localdate())
        due = _awaiting_review(found.filter(course_start_date__lte=due_by))
        further = _further_awaiting_review(
            Course.objects.filter(encounter__in=found, course_start_date__lte=due_by).only(
                "id", "encounter_id", "course_start_date"
            )
        )
        due_ids = {encounter.pk for encounter in due} | {course.encounter_id for course in further}
        found = found.filter(pk__in=due_ids)
        found = found.order_by("course_start_date", "pk")
    elif status:
        found = found.filter(status=status)
    return found


class DaysAfter(models.Func):
    """The date `days` days after the date `expression`, in the database's own arithmetic:
    PostgreSQL's date + integer, SQLite's date(). Django's date + timedelta calls a Python
    function for every row on SQLite (half the time of the navigation's count)."""

    output_field = models.DateField()
    template = "(%(expressions)s)"
    arg_joiner = " + "

    def __init__(self, expression, days):
        super().__init__(expression, Value(days))

    def as_sqlite(self, compiler, connection, **extra_context):
        expression, days = self.get_source_expressions()
        modifier = self.copy()
        modifier.set_source_expressions([expression, Value(f"+{days.value} days")])
        return modifier.as_sql(
            compiler, connection, template="date(%(expressions)s)", arg_joiner=", "
        )


def _unsettled(courses, reviews):
    """`courses` (encounters, for their first course, or further `Course` rows: both hold
    `course_start_date`) less those a review settled (on or after day 14, or stopping IVIG),
    each with its `latest_review` date and whether a review `stopped` IVIG, for
    `ivig_review.awaits_review` to decide; `reviews` are the reviews of the course at
    `OuterRef("pk")`. The query leaves the settled courses out, so a clinician's many
    reviewed courses are not read for the navigation's count on every page."""
    window_opens = DaysAfter(OuterRef("course_start_date"), ivig_review.DUE_FROM_DAY)
    return (
        courses.exclude(Exists(reviews.filter(review_date__gte=window_opens)))
        .exclude(Exists(reviews.filter(plan=ivig_review.STOP_PLAN)))
        .annotate(
            latest_review=Subquery(
                reviews.order_by("-review_date").values("review_date")[:1],
                output_field=models.DateField(),
            ),
            stopped=Exists(reviews.filter(plan=ivig_review.STOP_PLAN)),
        )
    )


def _awaits(course):
    return ivig_review.awaits_review(course.course_start_date, course.latest_review, course.stopped)


def _unsettled_first_courses(encounters):
    return _unsettled(
        encounters.filter(status=Encounter.Status.FINALIZED, course_start_date__isnull=False),
        Review.objects.filter(encounter=OuterRef("pk"), course__isnull=True),
    )


def _unsettled_further_courses(courses):
    return _unsettled(courses, Review.objects.filter(course=OuterRef("pk")))


def _awaiting_review(encounters):
    """Of `encounters`, those finalized whose first IVIG course (the one recorded with the
    decision) still awaits its review (no review yet, or only early ones), by course start,
    in one query."""
    return [
        encounter
        for encounter in _unsettled_first_courses(encounters).order_by("course_start_date", "pk")
        if _awaits(encounter)
    ]


def _further_awaiting_review(courses):
    """Of further `courses`, those awaiting their review, in one query."""
    return [course for course in _unsettled_further_courses(courses) if _awaits(course)]


@dataclass(frozen=True)
class AwaitingCourse:
    """One course awaiting its review, first or further, as one row of the query."""

    encounter_id: object
    patient_reference: str
    number: int
    course_start_date: datetime.date
    latest_review: datetime.date | None
    stopped: bool


_AWAITING_COLUMNS = ("number", "course_start_date", "latest_review", "stopped")


def _unsettled_courses_of(user, encounter=None):
    """(first courses, further courses) of `user` (of `encounter` only, when given) that no
    review settled: the worklist's rows and the navigation's count come from the same two."""
    encounters = Encounter.objects.filter(owner=user)
    courses = Course.objects.filter(encounter__owner=user, encounter__discarded_at__isnull=True)
    if encounter is not None:
        encounters = encounters.filter(pk=encounter.pk)
        courses = courses.filter(encounter=encounter)
    return _unsettled_first_courses(encounters), _unsettled_further_courses(courses)


def _awaiting_courses_query(user, encounter=None):
    first, further = _unsettled_courses_of(user, encounter)
    first = (
        first.annotate(
            course_encounter=F("pk"),
            reference=F("patient_reference"),
            number=Value(1, output_field=models.PositiveSmallIntegerField()),
        )
        .values_list("course_encounter", "reference", *_AWAITING_COLUMNS)
        .order_by()
    )
    further = (
        further.annotate(
            course_encounter=F("encounter_id"), reference=F("encounter__patient_reference")
        )
        .values_list("course_encounter", "reference", *_AWAITING_COLUMNS)
        .order_by()
    )
    return first.union(further, all=True).order_by(
        "course_start_date", "course_encounter", "number"
    )


_UUID, _DATE = models.UUIDField(), models.DateField()


def _all_awaiting_rows(user):
    """Every course of `user` awaiting its review (a union of two querysets with four
    subqueries: building it through the ORM took ten times as long as SQLite took to answer
    it, on every page's navigation), as the queryset's rows."""
    return [
        (
            _UUID.to_python(encounter_id),
            reference,
            number,
            _DATE.to_python(start),
            _DATE.to_python(latest),
            bool(stopped),
        )
        for encounter_id, reference, number, start, latest, stopped in _rows_for_user(
            _awaiting_courses_query, user
        )
    ]


def _my_awaiting_courses(user, encounter=None):
    """Every course of mine (of `encounter` only, when given) awaiting its review, first and
    further ones alike, by course start (then encounter and number), in one query: the
    worklist, the navigation's count and the summary read the same rows."""
    if encounter is None:
        rows = _all_awaiting_rows(user)
    else:
        rows = _awaiting_courses_query(user, encounter)
    courses = (AwaitingCourse(*row) for row in rows)
    return [course for course in courses if _awaits(course)]


@dataclass(frozen=True)
class ReviewDue:
    """One course awaiting its review, as the worklist shows it."""

    encounter: Encounter
    window: ivig_review.ReviewWindow
    state: str  # upcoming, due, overdue or late
    number: int = 1  # the course's number: 1 for the one recorded with the decision

    @property
    def state_words(self):
        return REVIEW_STATE_NAMES[self.state]

    @property
    def review_url(self):
        return review_url(self.encounter, self.number)


def review_url(encounter, number=1):
    """The review page of course `number` of `encounter` (the first course's has no query)."""
    url = reverse("review", args=[encounter.pk])
    return url if number == 1 else f"{url}?course={number}"


def reviews_due(user, today: datetime.date | None = None):
    """My courses awaiting their review, first and further ones each on its own, by due
    date (one query): the home page's worklist, each with its state (upcoming, due,
    overdue or late)."""
    today = today or timezone.localdate()
    due = []
    for course in _my_awaiting_courses(user):
        # The encounter as far as the worklist reads it: its id and patient reference.
        encounter = Encounter(
            id=course.encounter_id,
            patient_reference=course.patient_reference,
            status=Encounter.Status.FINALIZED,
        )
        window = ivig_review.review_window(course.course_start_date)
        due.append(ReviewDue(encounter, window, window.state(today), course.number))
    return due


def _awaiting_count_query(user):
    """One row per course `_awaiting_courses_query` lists, nothing read: the query leaves out
    every course that does not await its review, so its rows can be counted as they are."""
    first, further = (
        courses.values_list(Value(1)).order_by() for courses in _unsettled_courses_of(user)
    )
    return first.union(further, all=True)


def reviews_due_count(user):
    """How many courses the worklist of `reviews_due` lists: the navigation's count, on
    every page, counted by the database."""
    return _rows_for_user(_awaiting_count_query, user, count=True)[0][0]


def awaited_reviews(encounter, today: datetime.date | None = None):
    """Each course of my finalized encounter that awaits its review, by course number, as
    the worklist shows it (a `ReviewDue`), in one query: for the summary and the review
    page. A course not listed has no review awaited."""
    if not encounter.is_finalized or encounter.course_start_date is None:
        return {}
    today = today or timezone.localdate()
    awaited = {}
    for course in _my_awaiting_courses(encounter.owner_id, encounter):
        window = ivig_review.review_window(course.course_start_date)
        awaited[course.number] = ReviewDue(encounter, window, window.state(today), course.number)
    return awaited


def awaited_review(encounter, today: datetime.date | None = None, number=1):
    """Course `number` of my finalized encounter as the worklist shows it (a `ReviewDue`)
    while it awaits its review; None when there is no course or its review is recorded."""
    return awaited_reviews(encounter, today).get(number)


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
            _store_step(encounter, form, published_for_content())
    return encounter, form


def _store_step(encounter, form, published):
    """`published`: the published revision as `published_for_content` gives it (None when
    nothing is published), read under the row's lock; the step shown next reads it too."""
    # The step's answers replace all of that step's earlier ones, so a cleared optional
    # answer (height, say) is dropped rather than kept from before.
    encounter.answers = form.merged_answers()
    if form.step == "patient":
        encounter.patient_reference = form.cleaned_data["patient_reference"]
    complete = form.assessment.complete
    encounter.status = Encounter.Status.COMPLETE if complete else Encounter.Status.IN_PROGRESS
    # The revision the answers are evaluated on: the published one.
    encounter.revision = published
    encounter.save(
        update_fields=["answers", "patient_reference", "status", "revision", "updated_at"]
    )


def published_revision():
    """The revision clinicians see now, with its guideline (one query)."""
    return Revision.objects.published().select_related("guideline").get()


def shown_summary(encounter, assessment=None, revision=None):
    """A finalized encounter shows its snapshot; any other, the summary as it stands now, on
    `revision` (the published one, fetched unless given)."""
    if encounter.is_finalized:
        return encounter.snapshot
    assessment = assessment or pathway.assess(encounter.answers)
    return summary.build(assessment, revision or published_revision())


def finalized_summary(encounter):
    """The stored snapshot; only a finalized encounter has one to download."""
    if not encounter.is_finalized:
        raise EncounterError("Finalize the encounter before downloading its PDF.", encounter)
    return encounter.snapshot


def dose_basis_needed(assessment):
    """The clinician chooses the IVIG weight only when an adjusted weight was worked out."""
    ivig = assessment.outcome.doses.get("ivig")
    return bool(ivig) and ivig["dosing_weight_basis"] == "adjusted"


def decision_asks(assessment):
    """What the decision form asks for these answers: whether it asks which weight the IVIG
    dose is based on, whether it offers the IVIG course, and whether over its longest."""
    course_offered = "ivig" in assessment.outcome.doses
    return {
        "dose_basis_needed": dose_basis_needed(assessment),
        "course_offered": course_offered,
        "longest_course": course_offered and "ivig-risk-mitigation" in assessment.outcome.codes,
    }


def decision_form(encounter, assessment, data=None):
    return DecisionForm(data, instance=encounter, **decision_asks(assessment))


def resume_url(encounter):
    """Where to carry on with an encounter: its first unanswered step, or the summary when
    every step is answered (or it is finalized, or its answers predate the rules)."""
    following = None
    # Answers the pathway no longer accepts: the summary says what applies.
    if not encounter.is_finalized:
        with contextlib.suppress(pathway.AnswerError):
            following = pathway.assess(encounter.answers).next_step()
    if following is None:
        return reverse("summary", args=[encounter.pk])
    return reverse("step", args=[encounter.pk, following])


def order_preview(user, assessment, form):
    """The IVIG order block as `form` (the decision form, bound or not) stands: the order
    prescribed by `user` (the encounter's owner: only the owner reaches it), or why there
    is none yet."""
    return summary.order_preview(assessment, form, summary.prescriber_name(user))


def preview_order(user, encounter_id, data):
    """The order the posted course gives, before finalize (nothing is stored): the
    encounter, its assessment, the decision form with the course's errors only (the
    decision itself is not being recorded), and the order block's data."""
    encounter = get_for_owner(user, encounter_id)
    _require_open(encounter)
    assessment = pathway.assess(encounter.answers)
    form = decision_form(encounter, assessment, data)
    form.is_valid()
    for field in list(form.errors):
        if field not in (*COURSE_FIELDS, *BASELINE_FIELDS, "dose_basis"):
            del form.errors[field]
    return encounter, assessment, form, order_preview(user, assessment, form)


def step_reached(encounter):
    """Where an encounter stands, in the clinic's words: the next step to answer, or that
    every step is answered."""
    try:
        following = pathway.assess(encounter.answers).next_step()
    except pathway.AnswerError:
        return ""  # answers the pathway no longer accepts: the row says nothing of a step
    return f"next step: {STEP_TITLES[following]}" if following else "every step answered"


def answered_on_earlier_revision(encounter, revision):
    """The answers were last evaluated on a revision before `revision`, the published one:
    what the summary shows now may differ from what the clinician saw when answering."""
    if "revision_id" in encounter.get_deferred_fields():
        return False  # `_store_step` just evaluated it on the published revision
    return encounter.revision_id is not None and encounter.revision_id != revision.pk


REVISION_SHOWN_FIELD = "revision_shown"

ANSWERS_CHANGED = (
    "The answers changed in another tab or window after this summary was shown: the "
    "summary below is now up to date, its doses included. Check it, then finalize again."
)


def shown_fingerprint(answers, revision, patient_reference=""):
    """What a summary showed, as one string: the answers (and so every dose worked out from
    them), the revision it followed and the patient it was for. The summary page posts it
    with the decision; finalize refuses the decision when it no longer matches."""
    return fingerprints.of(
        {"answers": answers, "revision": revision.pk, "patient_reference": patient_reference}
    )


def summary_fingerprint(encounter, revision):
    return shown_fingerprint(encounter.answers, revision, encounter.patient_reference)


def _refuse_what_was_not_shown(form, data, encounter, revision):
    """The decision form carries the revision number the summary showed, and the fingerprint
    of the answers behind it: a revision published, or an answer changed in another tab,
    since then means the clinician would finalize a text or a dose they did not see. Says
    whether the decision was refused so."""
    if data.get(REVISION_SHOWN_FIELD) != str(revision.number):
        form.add_error(
            None,
            f"Revision {revision.number} of the guideline was published after this summary "
            "was shown, and the summary below now follows it: read it, then finalize again.",
        )
    elif fingerprints.posted(data) != summary_fingerprint(encounter, revision):
        form.add_error(None, ANSWERS_CHANGED)
    else:
        return False
    return True


def _typed(data, field):
    value = data.get(field, "")
    return value.strip()[:20] if isinstance(value, str) else ""


def _course_no_longer_offered(form, data):
    """A course typed while IVIG applied, posted once it no longer does (another tab changed
    the answers), is not silently dropped: the refusal repeats what was typed, since the
    fresh form has no course fields to keep it in. (Course fields posted to a summary that
    never offered them are ignored, as the decision form does.)"""
    if form.course_offered or data.get("decision") not in DECISIONS_WITH_COURSE:
        return
    typed = {field: _typed(data, field) for field in (*COURSE_FIELDS, *BASELINE_FIELDS)}
    if not any(typed.values()):
        return
    course = _typed_course_words(typed)
    form.add_error(
        None,
        f"IVIG no longer applies with the answers as they stand, so the IVIG course typed "
        f"({course}) cannot be recorded with this decision. Note it if you still need it, "
        "or change the answers if IVIG should apply, then finalize again.",
    )


def finalize(user, encounter_id, data):
    """Record the decision and store exactly what was shown; the encounter becomes read-only.
    When the decision form has errors, or the summary shown is not the one the answers and
    the published revision give now, nothing is stored, and the result says what to show:
    the summary as it stands, with everything typed still in the form."""
    with transaction.atomic():
        encounter = get_for_owner(user, encounter_id, for_update=True)
        _require_open(encounter)
        assessment = pathway.assess(encounter.answers)
        revision = published_revision()
        shown = summary.build(assessment, revision)
        form = decision_form(encounter, assessment, data)
        if not assessment.complete:
            form.add_error(None, "Answer every step before finalizing.")
        if _refuse_what_was_not_shown(form, data, encounter, revision):
            _course_no_longer_offered(form, data)
        if form.is_valid():
            _store_final(form.save(commit=False), assessment, revision, shown, user)
            AccessLog.record(user, encounter, AccessLog.Action.FINALIZED)
    return Finalizing(encounter, assessment, shown, form)


def _store_final(encounter, assessment, revision, shown, user):
    if "ivig" in assessment.outcome.doses and not encounter.dose_basis:
        encounter.dose_basis = Encounter.DoseBasis.ACTUAL  # no adjusted weight was offered
    encounter.revision = revision
    # The course, as it reads on the recorded dose basis, is part of what was shown.
    course = summary.course_lines(encounter, assessment, prescriber=user)
    shown = {**shown, "course": course, "reviews": []}
    encounter.snapshot = shown
    encounter.status = Encounter.Status.FINALIZED
    encounter.finalized_at = timezone.now()
    encounter.save()


def discardable(user, encounter_id, *, for_update=False):
    """The clinician's encounter, if it may be discarded; EncounterError if finalized."""
    encounter = get_for_owner(user, encounter_id, for_update=for_update)
    if encounter.is_finalized:
        raise EncounterError(
            "This encounter is finalized: it is the record of what was decided, and can never "
            "be discarded.",
            encounter,
        )
    return encounter


def discard(user, encounter_id):
    """Set an unfinished encounter aside for good: it leaves its owner's lists and pages, and
    the access log says who discarded it and when. A finalized one is the record of a
    decision and is never discarded."""
    with transaction.atomic():
        encounter = discardable(user, encounter_id, for_update=True)
        encounter.discarded_at = timezone.now()
        encounter.save(update_fields=["discarded_at"])
        AccessLog.record(user, encounter, AccessLog.Action.DISCARDED)
    return encounter


def _require_open(encounter):
    if encounter.is_finalized:
        raise EncounterError("This encounter is finalized and can no longer be changed.", encounter)


def _require_course(encounter):
    if not encounter.is_finalized:
        raise EncounterError(
            "Finalize the encounter, with its IVIG course, before recording a review.", encounter
        )
    if not encounter.has_course:
        raise EncounterError(
            "No IVIG course was recorded with this decision, so there is nothing to review.",
            encounter,
        )


@dataclass(frozen=True)
class Reviewing:
    """A review page: the encounter, the course reviewed (None for the first, else a
    `Course`) and its number, the form, and the next course's order block (on the latest
    course's review only; else None)."""

    encounter: Encounter
    course: Course | None
    number: int
    form: ReviewForm
    order: dict | None

    @property
    def shown_course(self):
        """The course reviewed as the snapshot holds it, with its reviews."""
        return courses_shown(self.encounter)[self.number - 1]


def courses_shown(encounter):
    return summary.courses_shown(encounter.snapshot)


def _reviewed_course(encounter, number):
    """(the `Course` reviewed, or None for the first; whether it is the latest course), for
    course `number` (the first when None: the review address without `?course=`, as a page
    shown before a further course existed posts it). An unknown number is 404."""
    further = []
    if encounter.snapshot.get("courses"):  # no query while there is only the first course
        further = list(encounter.further_courses.select_related("ordered_by"))
    latest = further[-1].number if further else 1
    if number in (None, 1):
        return None, latest == 1
    course = next((course for course in further if course.number == number), None)
    if course is None:
        raise Http404("No such course.")
    return course, number == latest


def course_number(value):
    """The course number asked in the address (`?course=2`), or None (the first course); a
    value that is no number is 404."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("No such course.") from None
    if number < 1:
        raise Http404("No such course.")
    return number


def _review_form(encounter, number, data=None):
    course, latest = _reviewed_course(encounter, number)
    codes = pathway.assess(encounter.answers).outcome.codes if latest else ()
    form = ReviewForm(
        data,
        encounter=encounter,
        course=course,
        next_course_offered=latest,
        longest_course="ivig-risk-mitigation" in codes,
    )
    return course, form


def _next_course_order(user, encounter, form):
    if not form.next_course_offered:
        return None
    assessment = pathway.assess(encounter.answers)
    return summary.next_course_preview(assessment, encounter, form, summary.prescriber_name(user))


def review_form(user, encounter_id, number=None):
    """The empty review form of course `number` (the first when None) of my finalized
    encounter with a course (409 otherwise)."""
    encounter = get_for_owner(user, encounter_id)
    _require_course(encounter)
    course, form = _review_form(encounter, number)
    return Reviewing(
        encounter,
        course,
        course.number if course else 1,
        form,
        _next_course_order(user, encounter, form),
    )


def preview_next_course(user, encounter_id, data, number=None):
    """The order the review form's next course gives, before the review is recorded
    (nothing is stored): the form with the course's errors only."""
    encounter = get_for_owner(user, encounter_id)
    _require_course(encounter)
    course, form = _review_form(encounter, number, data)
    form.is_valid()
    for field in list(form.errors):
        if field not in (*COURSE_FIELDS, *BASELINE_FIELDS):
            del form.errors[field]
    if not form.next_course_offered:
        raise Http404("Only the latest course takes the next one.")
    order = _next_course_order(user, encounter, form)
    return Reviewing(encounter, course, course.number if course else 1, form, order)


def reviews_fingerprint(encounter):
    """The reviews a review page showed as recorded so far, of every course: the review
    form posts it, and a review recorded in between (in another tab), or a further course
    it took, refuses the one written without seeing it."""
    reviews = [review for shown in courses_shown(encounter) for review in shown["reviews"]]
    return fingerprints.of(reviews)


REVIEW_RECORDED_MEANWHILE = (
    "Another review of this course was recorded after this page was shown (in another tab "
    "or window): it is listed above. Check it, then record this review again if it is still "
    "needed; what you typed is kept below."
)


def record_review(user, encounter_id, data, number=None):
    """Validate and append a review of course `number` (the first when None); returns a
    `Reviewing`, whose form's errors the review page shows again when it is not valid. The
    review as shown (its score change, and the pitfalls it makes high priority) joins the
    snapshot, so the summary, print and PDF read it as they read the rest of the record.
    A review of the latest course whose plan repeats the course, with the next course's
    fields, records that course too: its order as the review form showed it, its own
    window and (later) reviews. A review written against fewer reviews than are recorded
    now is refused (`reviews_fingerprint`)."""
    with transaction.atomic():
        # Under the row's lock: two reviews posted at once both land in the snapshot, or the
        # second is refused as written without seeing the first.
        encounter = get_for_owner(user, encounter_id, for_update=True)
        _require_course(encounter)
        course, form = _review_form(encounter, number, data)
        if fingerprints.posted(data) != reviews_fingerprint(encounter):
            form.add_error(None, REVIEW_RECORDED_MEANWHILE)
        _next_course_not_taken(form, data, encounter)
        order = _next_course_order(user, encounter, form)
        if form.is_valid():
            _store_review(user, encounter, course, form)
            AccessLog.record(user, encounter, AccessLog.Action.REVIEWED)
    return Reviewing(encounter, course, course.number if course else 1, form, order)


def _next_course_not_taken(form, data, encounter):
    """A next course typed on the review of a course that is no longer the latest (another
    tab took the next course meanwhile) is not silently dropped: the refusal repeats what
    was typed, since this course's form has no course fields to keep it in."""
    if form.next_course_offered or data.get("plan") != Review.Plan.REPEAT_COURSE:
        return
    typed = {field: _typed(data, field) for field in (*COURSE_FIELDS, *BASELINE_FIELDS)}
    if not any(typed.values()):
        return
    latest = encounter.further_courses.order_by("-number").values_list("number", flat=True)[0]
    number = form.course.number if form.course is not encounter else 1
    form.add_error(
        None,
        f"Course {latest} was recorded after this course, so the next course typed "
        f"({_typed_course_words(typed)}) cannot be recorded with this review of course "
        f"{number}. Record it on the review of course {latest} if it is still needed.",
    )


def _typed_course_words(typed):
    course = (
        f"{typed['ivig_g_per_kg'] or '?'} g/kg over {typed['ivig_days'] or '?'} days "
        f"from {typed['course_start_date'] or '?'}"
    )
    if typed["baseline_scale"] or typed["baseline_score"]:
        course += f", baseline {typed['baseline_scale']} {typed['baseline_score']}".rstrip()
    return course


def _store_review(user, encounter, course, form):
    review = form.save(commit=False)
    review.encounter = encounter
    review.course = course
    review.save()
    next_course = None
    if form.next_course is not None:
        assessment = pathway.assess(encounter.answers)
        next_course = Course.objects.create(
            encounter=encounter,
            number=(course.number if course else 1) + 1,
            ordered_by=review,
            **form.next_course,
            order=summary.next_course_order(
                assessment, encounter, form.next_course, summary.prescriber_name(user)
            ),
        )
    shown = summary.review_lines(encounter, review, course, next_course)
    snapshot = encounter.snapshot
    if course is None:
        snapshot = {**snapshot, "reviews": _by_date([*snapshot.get("reviews", []), shown])}
    further = [dict(each) for each in snapshot.get("courses", [])]
    for each in further:
        if course is not None and each["number"] == course.number:
            each["reviews"] = _by_date([*each["reviews"], shown])
    if next_course is not None:
        further.append(summary.further_course_lines(next_course))
    encounter.snapshot = {**snapshot, "courses": further}
    encounter.save(update_fields=["snapshot", "updated_at"])


def _by_date(reviews):
    return sorted(reviews, key=lambda each: each["date"])
