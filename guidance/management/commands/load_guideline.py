"""`manage.py load_guideline`: seed the guideline's content from the data file in the repo.

Idempotent, and additive only: it creates what is missing (the guideline, its published
revision 1, its citations, sections and statements) and never touches a row that exists,
so an editor's change is never overwritten and a second run changes nothing. It adds only
to the published revision, and only while no draft is open: a restored statement would
otherwise be missing from the draft that replaces it.
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

CONTENT_FILE = Path(__file__).resolve().parents[2] / "content" / "lems_ivig.yaml"


class Command(BaseCommand):
    help = "Load the LEMS IVIG guideline (statements, sections, citations) if not yet loaded."
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
    """Create whatever of `content` is missing; returns how many of each kind were added."""
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
    if guideline.revisions.filter(status__in=OPEN_STATUSES).exists():
        return added  # a draft is open: the editors' work decides what the next one holds
    revision = guideline.revisions.get(status=Revision.Status.PUBLISHED)

    citations = {}
    for entry in content["citations"]:
        fields = dict(entry)
        citation, created = Citation.objects.get_or_create(
            revision=revision, number=fields.pop("number"), defaults=fields
        )
        citations[citation.number] = citation
        added["citations"] += created

    existing_codes = set(revision.statements.values_list("code", flat=True))
    for section_order, entry in enumerate(content["sections"], start=1):
        fields = dict(entry)
        statements = fields.pop("statements")
        section, created = Section.objects.get_or_create(
            revision=revision, order=section_order, defaults=fields
        )
        added["sections"] += created
        for statement_order, statement_entry in enumerate(statements, start=1):
            if statement_entry["code"] in existing_codes:
                continue
            statement_fields = dict(statement_entry)
            numbers = statement_fields.pop("citations", [])
            statement = Statement.objects.create(
                revision=revision,
                section=section,
                order=statement_order,
                **statement_fields,
            )
            for citation_order, number in enumerate(numbers, start=1):
                StatementCitation.objects.create(
                    statement=statement,
                    citation=citations[number],
                    order=citation_order,
                )
            added["statements"] += 1
    return added
