"""What `make bench` asks of the app: two seeded databases, the pathway's requests.

The IVIG path's answers and posts are the tests' own (tests/paths.py), so the benchmark
times what the tests check.
"""

import datetime
import itertools
import shutil
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from bench.config import RESULTS_DIR, TEMPLATE_DATABASE
from guidance.encounters import summary
from guidance.encounters import workflow as encounters
from guidance.engine import pathway
from guidance.models import Encounter, Review, Revision
from tests.paths import STEP_POSTS as TESTS_STEP_POSTS
from tests.paths import answers_through

STEPS = list(pathway.STEPS)
# The tests' posts, with a patient reference of the benchmark's own numbering.
STEP_POSTS = {
    **TESTS_STEP_POSTS,
    "patient": {**TESTS_STEP_POSTS["patient"], "patient_reference": "PT-00-0000"},
}

BENCH_CLINICIAN = "bench_clinician"
# The bench clinician's IVIG courses, beside each dataset's encounters: those awaiting
# their review (the home page's Reviews due) and those already reviewed once, which the
# review POST reviews again in turn, so no course gathers more than a few reviews.
COURSES_DUE = 20
COURSES_REVIEWED = 40
REVIEW_POST = {"review_date": "", "score": "12", "response": "improved", "plan": "stop"}
SEARCHED_REFERENCE = "PT-00-0003"
ENCOUNTER_NAMESPACE = uuid.UUID("6f1c1a52-3f55-4d8e-9a55-6c3c0f7a1e01")


def pathway_encounter_id(name):
    """The same encounter id in both databases, so every address is the same in both."""
    return uuid.uuid5(ENCOUNTER_NAMESPACE, name)


@dataclass
class Dataset:
    name: str
    encounters: int
    clinicians: int

    @property
    def database(self):
        return RESULTS_DIR / f"bench-{self.encounters}.sqlite3"

    @property
    def label(self):
        return f"{self.encounters:,} encounters from {self.clinicians} clinician" + (
            "s" if self.clinicians > 1 else ""
        )

    @property
    def course_ids(self):
        """The bench clinician's courses: (awaiting review, reviewed once)."""
        return (
            [pathway_encounter_id(f"course-due-{n}") for n in range(COURSES_DUE)],
            [pathway_encounter_id(f"course-reviewed-{n}") for n in range(COURSES_REVIEWED)],
        )


DATASETS = [Dataset("small", 10, 1), Dataset("large", 10_000, 50)]


@dataclass
class Endpoint:
    """One request of the pathway, as a browser (or htmx) sends it."""

    label: str
    group: str  # "step", "summary", "print", "list", "home", "review"
    method: str
    path: str
    form: dict | None = None
    htmx: bool = False
    expected_status: int = 200
    # Addresses taken in turn instead of `path` (a review appends: spread over courses).
    rotating_paths: tuple = ()

    def __post_init__(self):
        self._turns = itertools.cycle(self.rotating_paths or (self.path,))

    def next_path(self):
        return next(self._turns)


@dataclass
class Request:
    """A concrete request: an endpoint or one of its floors, with its body and headers."""

    method: str
    path: str
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    expected_status: int = 200


def pathway_endpoints():
    endpoints = []
    for step in STEPS:
        step_path = f"/encounters/{pathway_encounter_id(step)}/{step}/"
        endpoints += [
            Endpoint(f"{step} GET", "step", "GET", step_path),
            Endpoint(f"{step} GET htmx", "step", "GET", step_path, htmx=True),
            Endpoint(f"{step} POST", "step", "POST", step_path, STEP_POSTS[step], False, 302),
            Endpoint(f"{step} POST htmx", "step", "POST", step_path, STEP_POSTS[step], True),
        ]
    summary_id = pathway_encounter_id("summary")
    endpoints += [
        Endpoint("summary GET", "summary", "GET", f"/encounters/{summary_id}/"),
        Endpoint("print GET", "print", "GET", f"/encounters/{summary_id}/print/"),
        Endpoint("encounters list GET", "list", "GET", "/encounters/"),
        Endpoint(
            "encounters search POST",
            "list",
            "POST",
            "/encounters/",
            {"reference": SEARCHED_REFERENCE, "status": ""},
        ),
        Endpoint("home GET", "home", "GET", "/"),
    ]
    reviewed = DATASETS[0].course_ids[1]
    review_paths = tuple(f"/encounters/{course}/review/" for course in reviewed)
    review_post = {**REVIEW_POST, "review_date": timezone.localdate().isoformat()}
    endpoints.append(
        Endpoint(
            "review POST htmx",
            "review",
            "POST",
            review_paths[0],
            review_post,
            True,
            rotating_paths=review_paths,
        )
    )
    return endpoints


def pdf_path():
    """A finalized encounter's summary as a PDF (WeasyPrint, on the server): timed on its
    own (`bench.measure.time_pdf`), a second or so a request being too long for the rounds."""
    return f"/encounters/{DATASETS[0].course_ids[0][0]}/pdf/"


def build_request(endpoint, csrf_token, path=None, expected_status=None):
    """The request a browser sends: a form posts its CSRF field; htmx adds its headers."""
    headers = {}
    body = b""
    if endpoint.htmx:
        headers["HX-Request"] = "true"
    if endpoint.method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        form = {**endpoint.form, "csrfmiddlewaretoken": csrf_token}
        if (path or endpoint.path).endswith("/review/"):
            form["shown_fingerprint"] = _reviews_shown((path or endpoint.path).split("/")[2])
        body = urlencode(form, doseq=True).encode()
        if endpoint.htmx:
            headers["X-CSRFToken"] = csrf_token
    return Request(
        endpoint.method,
        path or endpoint.path,
        body,
        headers,
        endpoint.expected_status if expected_status is None else expected_status,
    )


def _reviews_shown(encounter_id):
    """What the review page posts: the fingerprint of the reviews recorded so far (a review
    written without seeing one recorded meanwhile is refused)."""
    return encounters.reviews_fingerprint(Encounter.all_objects.get(pk=encounter_id))


def use_database(path):
    """Point the in-process default connection at one benchmark database."""
    connection.close()
    connection.settings_dict["NAME"] = str(path)


def prepare_template_database():
    """Migrated, with the guideline loaded: copied into each dataset's database."""
    for stale in RESULTS_DIR.glob("bench-*.sqlite3*"):
        stale.unlink()
    use_database(TEMPLATE_DATABASE)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_guideline", verbosity=0)
    connection.close()


def use_small_database():
    """The small dataset's database, seeded as `make bench` seeds it when missing, and the
    static files the pages name, collected when missing: for the one-request tools
    (bench.profile, bench.ratios, bench.jinja2_probe). Returns the dataset."""
    dataset = DATASETS[0]
    if not dataset.database.exists():
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        prepare_template_database()
        seed(dataset)
    use_database(dataset.database)
    if not (RESULTS_DIR / "staticfiles" / "staticfiles.json").exists():
        call_command("collectstatic", verbosity=0, interactive=False, clear=True)
    return dataset


def seed(dataset):
    """The clinicians and encounters of one dataset (bulk-created)."""
    shutil.copyfile(TEMPLATE_DATABASE, dataset.database)
    use_database(dataset.database)
    clinicians_group = Group.objects.get(name="Clinicians")
    bench_clinician = User.objects.create_user(
        BENCH_CLINICIAN, password=None, first_name="Bench", last_name="Clinician"
    )
    others = User.objects.bulk_create(
        User(username=f"clinician_{number:02d}", password="!")
        for number in range(1, dataset.clinicians)
    )
    clinicians = [bench_clinician, *others]
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=clinician.pk, group_id=clinicians_group.pk)
        for clinician in clinicians
    )
    complete_answers = answers_through("ivig")
    # The pathway's own encounters: one per step, answered up to that step (so posting it
    # again leads to the next step, as for a clinician), and one complete for the summary.
    pathway_encounters = [
        Encounter(
            id=pathway_encounter_id(step),
            owner=bench_clinician,
            patient_reference=f"PT-00-{number:04d}",
            answers=answers_through(step),
            status="complete" if step == "ivig" else "in_progress",
        )
        for number, step in enumerate(STEPS)
    ]
    pathway_encounters.append(
        Encounter(
            id=pathway_encounter_id("summary"),
            owner=bench_clinician,
            patient_reference=f"PT-00-{len(STEPS):04d}",
            answers=complete_answers,
            status="complete",
        )
    )
    per_clinician = dataset.encounters // dataset.clinicians
    filler = []
    for owner_number, owner in enumerate(clinicians):
        first = len(pathway_encounters) if owner is bench_clinician else 0
        filler += [
            Encounter(
                owner=owner,
                patient_reference=f"PT-{owner_number:02d}-{number:04d}",
                answers=complete_answers if number % 3 else answers_through("symptomatic"),
                status="complete" if number % 3 else "in_progress",
            )
            for number in range(first, per_clinician)
        ]
    Encounter.objects.bulk_create(pathway_encounters + filler, batch_size=1000)
    assert Encounter.objects.count() == dataset.encounters
    seed_courses(dataset, bench_clinician, complete_answers)
    connection.close()


def seed_courses(dataset, clinician, answers):
    """The bench clinician's finalized IVIG courses (QMG 18 at baseline), as finalizing
    stores them: the snapshot with the course, and one review for those reviewed."""
    assessment = pathway.assess(answers)
    shown = summary.build(
        assessment, Revision.objects.published().select_related("guideline").get()
    )
    today = timezone.localdate()
    due_ids, reviewed_ids = dataset.course_ids
    courses = []
    for number, course_id in enumerate(due_ids + reviewed_ids):
        reviewed = course_id in reviewed_ids
        course = Encounter(
            id=course_id,
            owner=clinician,
            patient_reference=f"PT-IVIG-{number:04d}",
            answers=answers,
            status=Encounter.Status.FINALIZED,
            decision=Encounter.Decision.FOLLOWED,
            dose_basis=Encounter.DoseBasis.ACTUAL,
            ivig_g_per_kg=Decimal("2.0"),
            ivig_days=5,
            # Awaiting review: started 0-39 days ago (upcoming, due and overdue alike).
            course_start_date=today - datetime.timedelta(days=20 if reviewed else number * 2),
            baseline_scale="qmg",
            baseline_score=18,
            revision=Revision.objects.published().get(),
            finalized_at=timezone.now(),
        )
        course.snapshot = {
            **shown,
            "course": summary.course_lines(course, assessment),
            "reviews": [],
        }
        courses.append(course)
    Encounter.objects.bulk_create(courses)
    first_reviews = [
        Review(
            encounter=course,
            review_date=today,
            score=14,
            response=Review.Response.IMPROVED,
            plan=Review.Plan.STOP,
        )
        for course in courses
        if course.pk in reviewed_ids
    ]
    Review.objects.bulk_create(first_reviews)
    for review in first_reviews:
        course = review.encounter
        course.snapshot["reviews"] = [summary.review_lines(course, review)]
        course.save(update_fields=["snapshot"])


def signed_in_client(dataset):
    """A client signed in as the bench clinician, with its CSRF token."""
    use_database(dataset.database)
    client = Client(enforce_csrf_checks=True, SERVER_NAME="127.0.0.1")
    client.force_login(
        User.objects.get(username=BENCH_CLINICIAN),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    response = client.get(f"/encounters/{pathway_encounter_id('patient')}/patient/")
    assert response.status_code == 200, response.status_code
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value
