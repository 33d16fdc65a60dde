"""The app's models, imported from one place: the guideline's content
(`guidance.content.models`), the encounters (`guidance.encounters.models`) and the FHIR
API's tokens (`guidance.fhir.models`). Django finds
them here under the app label `guidance`, and the migrations name them from here."""

from guidance.content.models import (  # noqa: F401
    EARLIEST_CITATION_YEAR,
    EARLIEST_RELEASE_DATE,
    GUIDELINE_ATTRIBUTES,
    GUIDELINE_SLUG,
    LONG_TEXT,
    OPEN_STATUSES,
    SHORT_TEXT,
    Citation,
    EvidenceQuality,
    Guideline,
    Origin,
    Revision,
    RevisionQuerySet,
    RevisionStatus,
    Section,
    Statement,
    StatementCitation,
    StatementKind,
    Verification,
    _published_attribute,
    citations_stay_within_their_revision,
    latest_release_date,
    other_revisions_citation,
    published_revision_q,
    validate_citation_year,
    validate_doi,
    validate_not_future_year,
    validate_pmid,
    validate_release_date,
)
from guidance.encounters.models import (  # noqa: F401
    REVIEW_NOTE_MAX_LENGTH,
    AccessLog,
    Course,
    Encounter,
    KeptEncounterManager,
    Review,
)
from guidance.fhir.models import ApiToken, ApplyQuota, IssuedDocument  # noqa: F401
