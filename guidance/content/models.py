"""The guideline's content: guideline, revisions, sections, statements and citations, each
with its history (editors change them in a draft; a reviewer publishes)."""

import datetime
import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords


def validate_doi(doi):
    """A DOI as doi.org resolves it: ASCII only, "10." then the registrant's digits, a slash
    and a suffix (a lookalike character pasted from a PDF would make a dead link)."""
    if not doi.isascii():
        raise ValidationError(
            "A DOI holds ASCII characters only (letters a-z, digits 0-9 and signs such as "
            ". / - _ ( )): retype the character pasted from elsewhere."
        )
    if not re.fullmatch(r"10\.[0-9]{4,9}/[!-~]+", doi):
        raise ValidationError(
            'Enter a DOI shaped 10.NNNN/suffix: it starts with "10.", '
            "e.g. 10.1002/14651858.CD003279.pub3."
        )


def validate_pmid(pmid):
    """Digits 0-9 only: PubMed does not read another script's digits ("٢١٣" or fullwidth)."""
    if not re.fullmatch(r"[0-9]{1,9}", pmid):
        raise ValidationError(
            "A PubMed ID is digits only, 0-9 (not another script's digits), e.g. 21328260."
        )


def validate_not_future_year(year):
    if year > timezone.now().year:
        raise ValidationError(f"The year {year} is in the future.")


# The oldest year a citation may have: older is a typing slip (the first journals are 1665;
# nothing this guideline could cite is older than 1800).
EARLIEST_CITATION_YEAR = 1800


def validate_citation_year(year):
    if year < EARLIEST_CITATION_YEAR:
        raise ValidationError(
            f"Enter the year of publication, {EARLIEST_CITATION_YEAR} or later (not {year})."
        )


# A guideline's release date: not before 1950 (evidence-based guidelines are younger; an
# earlier date is a typing slip such as 0001) and not more than a year ahead (a release is
# planned, not dated 9999).
EARLIEST_RELEASE_DATE = datetime.date(1950, 1, 1)


def latest_release_date():
    today = timezone.localdate()
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def validate_release_date(day):
    latest = latest_release_date()
    if not EARLIEST_RELEASE_DATE <= day <= latest:
        raise ValidationError(
            f"Enter a date between {EARLIEST_RELEASE_DATE:%d %B %Y} and a year from today "
            f"({latest:%d %B %Y})."
        )


# Limits on free text, as long as a reader would expect each to be: a field longer than
# these is a paste gone wrong, and long text makes the PDF slow (a 1 MB note took 28 s).
SHORT_TEXT = 2_000
LONG_TEXT = 10_000
GUIDELINE_ATTRIBUTES = ("title", "scope_note", "disclaimer", "developer", "funding", "release_date")


def _published_attribute(name):
    def read(guideline):
        revision = guideline.published
        return getattr(revision, name) if revision else ("" if name != "release_date" else None)

    return property(read, doc=f"The published revision's {name}.")


class Guideline(models.Model):
    """A guideline. What clinicians read of it (title, scope, disclaimer, developer, funding,
    release date) belongs to its revisions, so it changes only when a revision is published;
    the properties below read it from the published revision."""

    slug = models.SlugField(unique=True)
    history = HistoricalRecords()

    def __str__(self):
        return self.title or self.slug

    @property
    def published(self):
        return self.revisions.filter(status=RevisionStatus.PUBLISHED).first()

    title = _published_attribute("title")
    scope_note = _published_attribute("scope_note")
    disclaimer = _published_attribute("disclaimer")
    developer = _published_attribute("developer")
    funding = _published_attribute("funding")
    release_date = _published_attribute("release_date")


class RevisionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


OPEN_STATUSES = [RevisionStatus.DRAFT, RevisionStatus.IN_REVIEW]

# The guideline this product walks clinicians through.
GUIDELINE_SLUG = "lems-ivig"


def published_revision_q(through=""):
    """The condition that picks the published revision of the LEMS IVIG guideline: on a
    revision, or `through` a relation to one (e.g. "revision__" from a statement, a join
    rather than a subquery)."""
    return models.Q(
        **{
            f"{through}status": RevisionStatus.PUBLISHED,
            f"{through}guideline__slug": GUIDELINE_SLUG,
        }
    )


class RevisionQuerySet(models.QuerySet):
    def published(self, guideline=None):
        """The published revision of `guideline` (by default the LEMS IVIG guideline): the one
        way to what clinicians see. At most one row: the database allows one per guideline."""
        if guideline is None:
            return self.filter(published_revision_q())
        return self.filter(status=RevisionStatus.PUBLISHED, guideline=guideline)


class Revision(models.Model):
    """A numbered version of a guideline's content: drafted, reviewed, then published."""

    Status = RevisionStatus

    guideline = models.ForeignKey(Guideline, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    change_summary = models.TextField(
        blank=True,
        max_length=SHORT_TEXT,
        help_text="What's new in this revision, as clinicians will read it.",
    )
    # The guideline's attributes as clinicians read them: edited in a draft, published with it.
    title = models.CharField(max_length=200)
    scope_note = models.TextField(blank=True, max_length=SHORT_TEXT)
    disclaimer = models.TextField(max_length=SHORT_TEXT)
    developer = models.CharField(max_length=200, blank=True)
    funding = models.CharField(max_length=200, blank=True)
    release_date = models.DateField(null=True, blank=True, validators=[validate_release_date])
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_comment = models.TextField(blank=True, max_length=SHORT_TEXT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # What is rendered once per revision and reused (guidance/content/rendered.py) is keyed
    # by the revision's id and this: the loader and publishing give it a new value whenever
    # they change what a revision shows, so no server ever reuses an older rendering and
    # nothing needs invalidating across servers. A token, never a counter, so a database
    # restored or rebuilt with the same ids never meets a cache of another's content.
    content_version = models.UUIDField(default=uuid.uuid4, editable=False)
    history = HistoricalRecords(excluded_fields=["content_version"])

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["guideline", "-number"]
        permissions = [("publish_revision", "Can publish or return a revision")]
        constraints = [
            models.UniqueConstraint(fields=["guideline", "number"], name="unique_revision_number"),
            models.CheckConstraint(
                condition=models.Q(status__in=RevisionStatus.values),
                name="revision_status_valid",
            ),
            models.UniqueConstraint(
                fields=["guideline"],
                condition=models.Q(status="published"),
                name="one_published_revision",
            ),
            models.UniqueConstraint(
                fields=["guideline"],
                condition=models.Q(status__in=["draft", "in_review"]),
                name="one_open_draft",
            ),
        ]

    def __str__(self):
        return f"Revision {self.number} ({self.get_status_display().lower()})"

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    @property
    def published_on(self):
        return timezone.localdate(self.published_at) if self.published_at else None


class Section(models.Model):
    """A heading of the source text, in source order."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    part = models.CharField(
        max_length=200,
        blank=True,
        help_text="The parent heading in the source text, if any.",
    )
    intro = models.TextField(
        blank=True, max_length=SHORT_TEXT, help_text="The section's lead-in sentence, if any."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["revision", "order"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "order"], name="unique_section_order")
        ]

    def __str__(self):
        return self.title


class Citation(models.Model):
    """A reference behind a citation number of the source text."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="citations")
    number = models.PositiveSmallIntegerField()
    authors = models.CharField(max_length=500)
    title = models.CharField(max_length=500)
    journal = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[validate_citation_year, validate_not_future_year]
    )
    volume = models.CharField(max_length=20, blank=True)
    issue = models.CharField(max_length=20, blank=True)
    pages = models.CharField(max_length=30, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True, validators=[validate_doi])
    pmid = models.CharField("PMID", max_length=9, blank=True, validators=[validate_pmid])
    url = models.URLField("URL", blank=True)
    note = models.TextField(
        blank=True, max_length=SHORT_TEXT, help_text="For editors: how sure we are of this record."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["revision", "number"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "number"], name="unique_citation_number")
        ]

    def __str__(self):
        return f"[{self.number}] {self.authors}. {self.title}"

    @property
    def vancouver(self):
        """The reference in Vancouver style, e.g. `Author A. Title. Journal. 2011;10(12):1-9.`"""
        parts = [f"{self.authors}.", f"{self.title.rstrip('.')}."]
        if self.journal:
            where = self.journal
            if self.year:
                where += f". {self.year}"
            if self.volume:
                where += f";{self.volume}"
                if self.issue:
                    where += f"({self.issue})"
            elif self.issue:
                where += f";({self.issue})"
            if self.pages:
                where += f":{self.pages}"
            parts.append(f"{where}.")
        elif self.year:
            parts.append(f"{self.year}.")
        return " ".join(parts)

    @property
    def doi_url(self):
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pubmed_url(self):
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""


class StatementKind(models.TextChoices):
    RECOMMENDATION = "recommendation", "Recommendation"
    WARNING = "warning", "Warning"
    EVIDENCE = "evidence", "Evidence"
    SCOPE = "scope", "Scope"


class EvidenceQuality(models.TextChoices):
    HIGH = "high", "High"
    MODERATE = "moderate", "Moderate"
    LOW = "low", "Low"
    VERY_LOW = "very_low", "Very low"
    NOT_GRADED = "not_graded", "Not graded in the source"


class Origin(models.TextChoices):
    GUIDELINE = "guideline", "Guideline"
    LOCAL = "local", "Local (added by this product)"


class Verification(models.TextChoices):
    VERIFIED = "verified", "Verified"
    PARTLY = "partly", "Partly confirmed"
    NOT_CONFIRMED = "not_confirmed", "Not confirmed"


class Statement(models.Model):
    """One statement of the guideline (or one the product adds, origin `local`)."""

    Kind = StatementKind
    EvidenceQuality = EvidenceQuality
    Origin = Origin
    Verification = Verification

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="statements")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="statements")
    code = models.SlugField(max_length=60, help_text="Stable; the pathway refers to it.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField(max_length=LONG_TEXT)
    evidence_quality = models.CharField(
        max_length=20,
        choices=EvidenceQuality.choices,
        default=EvidenceQuality.NOT_GRADED,
    )
    order = models.PositiveSmallIntegerField(help_text="Order within the section.")
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.GUIDELINE)
    verification = models.CharField(
        max_length=20, choices=Verification.choices, default=Verification.NOT_CONFIRMED
    )
    verification_note = models.TextField(
        blank=True,
        max_length=SHORT_TEXT,
        help_text="What the cited sources did and did not confirm.",
    )
    citations = models.ManyToManyField(
        Citation, through="StatementCitation", related_name="statements", blank=True
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["section__order", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "code"],
                name="unique_statement_code",
                violation_error_message=(
                    "A statement with this code already exists in this revision."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=StatementKind.values),
                name="statement_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(evidence_quality__in=EvidenceQuality.values),
                name="statement_evidence_quality_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(origin__in=Origin.values),
                name="statement_origin_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(verification__in=Verification.values),
                name="statement_verification_valid",
            ),
        ]

    def __str__(self):
        return self.code

    def clean(self):
        if self.section_id and self.revision_id and self.section.revision_id != self.revision_id:
            raise ValidationError({"section": "The section belongs to another revision."})

    @property
    def ordered_citations(self):
        """Citations in the statement's order (uses prefetched links when there are any)."""
        return [link.citation for link in self.citation_links.all()]


class StatementCitation(models.Model):
    """A statement's citation, kept in the order the statement cites them."""

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="citation_links"
    )
    citation = models.ForeignKey(Citation, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "citation__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "citation"], name="unique_statement_citation"
            )
        ]

    def __str__(self):
        return f"{self.statement.code} cites [{self.citation.number}]"

    def save(self, *args, **kwargs):
        # The last guard for code that skips the forms (the shell, a data fix): a link across
        # revisions would make "Start a draft" fail, and show one revision another's source.
        if message := other_revisions_citation(self.statement.revision, self.citation):
            raise ValidationError({"citation": message})
        super().save(*args, **kwargs)

    def clean(self):
        if not (self.statement_id and self.citation_id):
            return
        if message := other_revisions_citation(self.statement.revision, self.citation):
            raise ValidationError({"citation": message})


def other_revisions_citation(revision, citation):
    """Why a statement of `revision` may not cite `citation`, or None when it may: a
    statement cites only the citations of its own revision."""
    if revision is None or citation.revision_id == revision.pk:
        return None
    return (
        f"Citation {citation.number} belongs to revision {citation.revision.number}, not to "
        f"this statement's revision {revision.number}: choose revision {revision.number}'s "
        f"citation {citation.number}."
    )


@receiver(m2m_changed, sender=Statement.citations.through)
def citations_stay_within_their_revision(sender, instance, action, reverse, pk_set, **kwargs):
    """`statement.citations.add(...)` writes links without `save`: the same check."""
    if action != "pre_add" or not pk_set:
        return
    if reverse:  # citation.statements.add(statement, ...)
        pairs = [
            (statement.revision, instance)
            for statement in Statement.objects.filter(pk__in=pk_set).select_related("revision")
        ]
    else:
        pairs = [
            (instance.revision, citation)
            for citation in Citation.objects.filter(pk__in=pk_set).select_related("revision")
        ]
    for revision, citation in pairs:
        if message := other_revisions_citation(revision, citation):
            raise ValidationError({"citation": message})
