"""`manage.py load_guideline`: seed the guideline's content from the data file in the repo.

Idempotent, and additive only: it creates what is missing (the guideline, its published
revision 1, its citations, sections and statements) and never touches a row that exists,
so an editor's change is never overwritten and a second run changes nothing.

Run it once per release, by IT, after `migrate`: a release whose engine can show new
statements ships their seed text here, and this adds every seed statement and citation
missing from the published revision and from the open draft, if there is one (a draft
that lacked them could not be submitted). This is a release step, not an editor's change:
it bypasses review, and each row it adds is recorded in the content history with the
reason `RELEASE_CHANGE_REASON`. Editors then change the added text through a draft as
usual.
"""

import datetime
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand
from django.db import transaction

from guidance.models import (
    OPEN_STATUSES,
    Citation,
    Guideline,
    Revision,
    Section,
    Statement,
    StatementCitation,
)

FIRST_CHANGE_SUMMARY = "First revision, as loaded from the source text."
RELEASE_CHANGE_REASON = "Added by load_guideline: seed content of a software release."

CONTENT_FILE = Path(__file__).resolve().parents[2] / "content" / "lems_ivig.yaml"


class Command(BaseCommand):
    help = (
        "Load the LEMS IVIG guideline, or add the seed statements and citations a release "
        "brings to the published revision and the open draft (never changes existing rows)."
    )
    # The content check would only warn that the guideline is not loaded: this loads it.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=CONTENT_FILE, help="YAML content file")

    def handle(self, *args, file, **options):
        content = yaml.safe_load(file.read_text(encoding="utf-8"))
        with transaction.atomic():
            added = load_content(content)
        summary = ", ".join(f"{count} {name}" for name, count in added.items())
        self.stdout.write(f"Guideline loaded: added {summary}.")


def load_content(content):
    """Create whatever of `content` is missing; returns how many of each kind were added.

    The published revision and the open draft (if any) each get what they lack.
    """
    added = dict.fromkeys(["guidelines", "citations", "sections", "statements"], 0)
    attributes = dict(content["guideline"])
    number = attributes.pop("revision", 1)
    revision_date = attributes.pop("revision_date")
    guideline, created = Guideline.objects.get_or_create(slug=attributes.pop("slug"))
    added["guidelines"] += created
    if created:
        # The title, scope, disclaimer and the rest belong to the revision: published with it.
        guideline.revisions.create(
            **attributes,
            number=number,
            status=Revision.Status.PUBLISHED,
            change_summary=FIRST_CHANGE_SUMMARY,
            published_at=datetime.datetime.combine(revision_date, datetime.time(), datetime.UTC),
        )
    revisions = guideline.revisions.filter(
        status__in=[Revision.Status.PUBLISHED, *OPEN_STATUSES]
    ).order_by("number")
    for revision in revisions:
        _add_missing(revision, content, added)
    return added


def _add_missing(revision, content, added):
    citations = {}
    for entry in content["citations"]:
        fields = dict(entry)
        number = fields.pop("number")
        citation = revision.citations.filter(number=number).first()
        if citation is None:
            citation = _create(Citation, revision=revision, number=number, **fields)
            added["citations"] += 1
        citations[number] = citation

    existing_codes = set(revision.statements.values_list("code", flat=True))
    for section_order, entry in enumerate(content["sections"], start=1):
        fields = dict(entry)
        statements = fields.pop("statements")
        missing = [item for item in statements if item["code"] not in existing_codes]
        # Found by title first: an editor may have added or moved sections in a draft.
        section = (
            revision.sections.filter(title=fields["title"]).first()
            or revision.sections.filter(order=section_order).first()
        )
        if section is None:
            section = _create(Section, revision=revision, order=section_order, **fields)
            added["sections"] += 1
        for statement_order, statement_entry in enumerate(statements, start=1):
            if statement_entry not in missing:
                continue
            statement_fields = dict(statement_entry)
            numbers = statement_fields.pop("citations", [])
            statement = _create(
                Statement,
                revision=revision,
                section=section,
                order=statement_order,
                **statement_fields,
            )
            for citation_order, number in enumerate(numbers, start=1):
                _create(
                    StatementCitation,
                    statement=statement,
                    citation=citations[number],
                    order=citation_order,
                )
            added["statements"] += 1


def _create(model, **fields):
    """A new row whose history entry says it came with a release, not from an editor."""
    row = model(**fields)
    row._change_reason = RELEASE_CHANGE_REASON
    row.save()
    return row
