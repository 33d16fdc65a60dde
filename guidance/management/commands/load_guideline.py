"""`manage.py load_guideline`: deliver the guideline's seed content from the data file.

Run it once per release, by IT, after `migrate`. A fresh database gets the seed as published
revision 1. A running installation gets what the running pathway needs and never had (in
the published revision and the open draft), and every other change of the release in a
draft for an editor and a reviewer to publish; what a revision removed is never added back
and a revision in review is never changed. `guidance.content.seed` holds the rules; a second run
changes nothing.
"""

from pathlib import Path

import yaml
from django.core.management.base import BaseCommand
from django.db import transaction

from guidance.content.seed import load_content

CONTENT_FILE = Path(__file__).resolve().parents[2] / "content" / "lems_ivig.yaml"


class Command(BaseCommand):
    help = (
        "Load the LEMS IVIG guideline, or deliver a release's seed content: what the pathway "
        "needs and never had, straight in; other changes into a draft for review."
    )
    # The content check would only warn that the guideline is not loaded: this loads it.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=CONTENT_FILE, help="YAML content file")

    def handle(self, *args, file, **options):
        content = yaml.safe_load(file.read_text(encoding="utf-8"))
        with transaction.atomic():
            report = load_content(content)
        summary = ", ".join(f"{count} {name}" for name, count in report.added.items())
        self.stdout.write(f"Guideline loaded: added {summary}.")
        for line in report.lines:
            self.stdout.write(line)
