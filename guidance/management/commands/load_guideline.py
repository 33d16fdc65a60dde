"""`manage.py load_guideline`: seed the guideline's content from the data file in the repo.

Idempotent, and additive only: it creates what is missing (the guideline, its citations,
sections and statements) and never touches a row that exists, so an editor's change is
never overwritten and a second run changes nothing.
"""

from pathlib import Path

import yaml
from django.core.management.base import BaseCommand
from django.db import transaction

from guidance.models import Citation, Guideline, Section, Statement, StatementCitation

CONTENT_FILE = Path(__file__).resolve().parents[2] / "content" / "lems_ivig.yaml"


class Command(BaseCommand):
    help = "Load the LEMS IVIG guideline (statements, sections, citations) if not yet loaded."

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
    guideline, created = Guideline.objects.get_or_create(
        slug=attributes.pop("slug"), defaults=attributes
    )
    added["guidelines"] += created

    citations = {}
    for entry in content["citations"]:
        fields = dict(entry)
        citation, created = Citation.objects.get_or_create(
            guideline=guideline, number=fields.pop("number"), defaults=fields
        )
        citations[citation.number] = citation
        added["citations"] += created

    existing_codes = set(guideline.statements.values_list("code", flat=True))
    for section_order, entry in enumerate(content["sections"], start=1):
        fields = dict(entry)
        statements = fields.pop("statements")
        section, created = Section.objects.get_or_create(
            guideline=guideline, order=section_order, defaults=fields
        )
        added["sections"] += created
        for statement_order, statement_entry in enumerate(statements, start=1):
            if statement_entry["code"] in existing_codes:
                continue
            statement_fields = dict(statement_entry)
            numbers = statement_fields.pop("citations", [])
            statement = Statement.objects.create(
                guideline=guideline,
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
