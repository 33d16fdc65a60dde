"""The seed content of a software release, delivered to a running installation (DESIGN §4).

`manage.py load_guideline` calls `load_content` once per release, after `migrate`. A fresh
database gets the whole seed as published revision 1. A running installation gets, in one
transaction:

1. **What the running pathway needs and the installation never had** goes straight into the
   published revision and the open draft (unless it is in review), so clinicians never lack
   a statement the engine can show: each statement whose code the engine can return, with
   the citations it cites (the revision's own citation of that number, else the seed's) and
   its section (found by title, else added at the end).
2. **Everything else the release changes** goes into the open draft, creating one if none is
   open, for an editor and a reviewer to publish: a seed text (statement or citation) that
   differs from the text the seed delivered before, a citation or a citation link the
   installation never had. A draft the loader starts, and each row it adds or changes, are
   recorded in the content history as "seed content of a software release".

The rule for "had", in one line: **the content history of every revision is what the
installation has had.** A statement (by code), citation (by number) or citation link
(statement code, citation number) that any revision of the guideline holds now or held
once, retired revisions and rows deleted since included, is never added again, anywhere:
what a reviewed revision removed stays removed, and so does a row deleted from a published
revision behind the app's back (`manage.py check` then names the code the pathway misses,
for an editor to restore through a draft). One exception keeps a draft whole: a draft that
was started before a release delivered a statement or citation to the published revision
(it was in review, say) gets it at the next run, unless its own history shows it held it
once.

"The text the seed delivered before" is the latest history record, in any revision, that
the loader itself wrote for that row (its reasons below). Where there is none (a row
loaded before the loader recorded its reason, or added by an editor), the release's text is
not compared and nothing is changed. A changed text goes into the draft only where the
draft still has the text the seed delivered or the text clinicians see now: an editor's
unfinished wording in the open draft is left as it is (the output says so), and the new
seed text comes with the next draft. Once delivered, the loader's record holds the new
text: an editor or reviewer who turns it down is never overruled by a later run.

A revision in review is never changed. While one is, the loader adds what the pathway needs
to the published revision only, and lists what waits: it delivers it at the next run after
the revision is published or returned to draft. A revision in review that lacks a statement
the pathway needs cannot be published (`revisions.publish` refuses it): return it and run
the loader again.

The loader never removes a row and never changes a guideline attribute (title, disclaimer
and the rest) of an existing installation; a release that must do either says so in its
release notes, for the editors. The rule relies on the content history being kept, as the
audit trail of the guideline must be anyway: pruning it (simple-history's
`clean_old_history`) would let the loader add back what a revision removed.
"""

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from simple_history.utils import update_change_reason

from guidance.content import revisions
from guidance.content.checks import missing_codes
from guidance.content.models import (
    Citation,
    Guideline,
    Revision,
    Section,
    Statement,
    StatementCitation,
)
from guidance.engine.pathway import ALL_CODES

FIRST_CHANGE_SUMMARY = "First revision, as loaded from the source text."
RELEASE_CHANGE_REASON = "Added by load_guideline: seed content of a software release."
SEED_CHANGE_REASON = "Changed by load_guideline: seed content of a software release."
DRAFT_STARTED_REASON = "Draft started by load_guideline: seed content of a software release."
DRAFT_CHANGED_REASON = "Content changed by load_guideline: seed content of a software release."
# The history records the loader writes for a row: the text the seed delivered.
LOADER_REASONS = (RELEASE_CHANGE_REASON, SEED_CHANGE_REASON)

# The seed's fields compared with what it delivered before (code and number are the keys;
# a statement's order and section are the editors' layout, not its text).
STATEMENT_SEED_FIELDS = tuple(
    name for name in revisions.STATEMENT_FIELDS if name not in ("code", "order")
)
CITATION_SEED_FIELDS = revisions.CITATION_FIELDS


def _normalized(model, names, entry):
    """The seed entry's values as the database holds them (a year as a number, "" for
    a blank text), so they compare equal to a history record's."""
    values = {}
    for name in names:
        model_field = model._meta.get_field(name)
        value = entry.get(name, model_field.get_default())
        values[name] = model_field.to_python(value)
    return values


def _values(model, names, row):
    return {name: model._meta.get_field(name).to_python(getattr(row, name)) for name in names}


@dataclass
class SeedStatement:
    code: str
    section: dict
    order: int
    fields: dict
    citations: list


class Seed:
    """The content file, keyed as the loader compares it: statements by code, citations by
    number, links as (code, number)."""

    def __init__(self, content):
        self.guideline = dict(content["guideline"])
        self.citations = {
            entry["number"]: _normalized(Citation, CITATION_SEED_FIELDS, entry)
            for entry in content["citations"]
        }
        self.sections = []
        self.statements = {}
        for entry in content["sections"]:
            section = {name: entry.get(name, "") for name in ("title", "part", "intro")}
            self.sections.append(section)
            for order, item in enumerate(entry["statements"], start=1):
                self.statements[item["code"]] = SeedStatement(
                    code=item["code"],
                    section=section,
                    order=order,
                    fields=_normalized(Statement, STATEMENT_SEED_FIELDS, item),
                    citations=list(item.get("citations", [])),
                )
        self.links = [
            (statement.code, number)
            for statement in self.statements.values()
            for number in statement.citations
        ]


class History:
    """What each revision of the guideline holds now and held once, from its rows and
    their history records; and the text the loader delivered for each row."""

    def __init__(self, guideline):
        revision_ids = list(guideline.revisions.values_list("pk", flat=True))
        self.now = {"statement": defaultdict(set), "citation": defaultdict(set)}
        self.held = {"statement": defaultdict(set), "citation": defaultdict(set)}
        self.loader_added = {"statement": defaultdict(set), "citation": defaultdict(set)}
        self.delivered = {"statement": {}, "citation": {}}
        statement_code, statement_revision, citation_numbers = {}, {}, defaultdict(set)
        for kind, model, key, fields in (
            ("statement", Statement, "code", STATEMENT_SEED_FIELDS),
            ("citation", Citation, "number", CITATION_SEED_FIELDS),
        ):
            rows = model.objects.filter(revision_id__in=revision_ids)
            for pk, revision_id, value in rows.values_list("pk", "revision_id", key):
                self.now[kind][revision_id].add(value)
                self.held[kind][revision_id].add(value)
                if kind == "statement":
                    statement_code[pk], statement_revision[pk] = value, revision_id
                else:
                    citation_numbers[pk].add(value)
            records = model.history.filter(revision_id__in=revision_ids)
            for pk, revision_id, value in records.values_list("id", "revision_id", key):
                self.held[kind][revision_id].add(value)
                if kind == "statement":
                    statement_code[pk], statement_revision[pk] = value, revision_id
                else:
                    citation_numbers[pk].add(value)
            loader_records = records.filter(history_change_reason__in=LOADER_REASONS).order_by(
                "history_date", "history_id"
            )
            for record in loader_records:
                value = getattr(record, key)
                self.loader_added[kind][record.revision_id].add(value)
                self.delivered[kind][value] = _values(model, fields, record)
        self.had = {kind: set().union(*held.values()) for kind, held in self.held.items()}

        statements = Statement.objects.filter(revision_id__in=revision_ids).values("pk")
        statements_then = Statement.history.filter(revision_id__in=revision_ids).values("id")
        pairs = set(
            StatementCitation.objects.filter(statement_id__in=statements).values_list(
                "statement_id", "citation_id"
            )
        ) | set(
            StatementCitation.history.filter(
                Q(statement_id__in=statements) | Q(statement_id__in=statements_then)
            ).values_list("statement_id", "citation_id")
        )
        # A citation renumbered since counts under each number it had: the link was had.
        self.links = {
            (statement_code[statement_id], number)
            for statement_id, citation_id in pairs
            for number in citation_numbers.get(citation_id, ())
        }

    def may_add(self, kind, revision, key, published):
        """Whether `revision` may receive the seed's row `key`: it never held it, and the
        installation never had it or the loader delivered it to the published revision
        after this draft was started."""
        if key in self.held[kind][revision.pk]:
            return False
        if key not in self.had[kind]:
            return True
        return (
            revision.pk != published.pk
            and key in self.loader_added[kind][published.pk]
            and key in self.now[kind][published.pk]
        )


@dataclass
class Report:
    """What a run did, counted for the summary line, and what it left for people to do."""

    added: dict = field(
        default_factory=lambda: dict.fromkeys(
            ["guidelines", "citations", "sections", "statements", "citation links", "changes"],
            0,
        )
    )
    lines: list = field(default_factory=list)

    def say(self, line):
        self.lines.append(line)


def _create(model, reason, **fields):
    """A new row whose history record says it came with a release, not from an editor."""
    row = model(**fields)
    row._change_reason = reason
    row.save()
    return row


def load_content(content):
    """Deliver the seed `content` (the parsed content file); returns the `Report`.

    Call inside a transaction: the command does. Every revision of the guideline gets a new
    `content_version`, so what was rendered of it before (guidance/content/rendered.py) is
    never shown again, on any server: the loader may add statements to the published one.
    """
    report = _load_content(content)
    Revision.objects.filter(guideline__slug=content["guideline"]["slug"]).update(
        content_version=uuid.uuid4()
    )
    return report


def _load_content(content):
    seed = Seed(content)
    report = Report()
    attributes = dict(seed.guideline)
    guideline, created = Guideline.objects.get_or_create(slug=attributes.pop("slug"))
    if created:
        _load_fresh(guideline, seed, attributes, report)
        return report
    published = revisions.published_revision(guideline)
    if published is None:
        report.say("The guideline has no published revision: nothing was delivered.")
        return report
    open_revision = revisions.open_draft(guideline)
    in_review = open_revision if open_revision and not open_revision.is_draft else None
    draft = open_revision if open_revision and open_revision.is_draft else None

    # 1. What the pathway needs, straight in (before the changes: they then see it as had).
    history = History(guideline)
    for revision in [published, draft]:
        if revision is not None:
            _deliver_needed(revision, seed, history, published, report)
    if in_review is not None and (missing := missing_codes(in_review)):
        report.say(
            f"Revision {in_review.number} is in review and lacks statements the pathway "
            f"needs ({', '.join(missing)}): it cannot be published without them. Return "
            "it to its editor and run load_guideline again."
        )

    # 2. What the release changes, through review.
    history = History(guideline)
    base = open_revision or published
    changes = _changes(seed, history, base, published, report)
    described = "; ".join(change.describe() for change in changes)
    if in_review is not None:
        waiting = (
            " This release's changes wait for the next run of load_guideline, once it is "
            f"published or returned to draft: {described}."
            if changes
            else ""
        )
        report.say(f"Revision {in_review.number} is in review: left unchanged.{waiting}")
        return report
    if not changes:
        return report
    if draft is None:
        draft = revisions.start_draft(guideline, None)
        update_change_reason(draft, DRAFT_STARTED_REASON)
        report.say(f"Started revision {draft.number} as a draft for this release's changes.")
    for change in changes:
        change.apply(draft, seed, history, published, report)
    # The revision's own history says so too (a history reason holds 100 characters: the
    # list of changes is in the output and in each row's history).
    draft._change_reason = DRAFT_CHANGED_REASON
    draft.save()
    report.added["changes"] += len(changes)
    report.say(
        f"Revision {draft.number} (draft) holds this release's changes for an editor to "
        f"submit and a reviewer to publish: {described}."
    )
    return report


def _load_fresh(guideline, seed, attributes, report):
    """A fresh database: the whole seed, published as revision 1."""
    report.added["guidelines"] += 1
    number = attributes.pop("revision", 1)
    revision_date = attributes.pop("revision_date")
    # The title, scope, disclaimer and the rest belong to the revision: published with it.
    revision = guideline.revisions.create(
        **attributes,
        number=number,
        status=Revision.Status.PUBLISHED,
        change_summary=FIRST_CHANGE_SUMMARY,
        published_at=datetime.datetime.combine(revision_date, datetime.time(), datetime.UTC),
    )
    for number, fields in seed.citations.items():
        _create(Citation, RELEASE_CHANGE_REASON, revision=revision, number=number, **fields)
        report.added["citations"] += 1
    for statement in seed.statements.values():
        _add_statement(revision, statement, seed, None, revision, report, announce=False)


def _deliver_needed(revision, seed, history, published, report):
    for code in ALL_CODES:
        statement = seed.statements.get(code)
        if statement is not None and history.may_add("statement", revision, code, published):
            _add_statement(revision, statement, seed, history, published, report)


def _section(revision, entry, report):
    """The revision's section of that title, else a new one at the end (an editor may have
    added or moved sections)."""
    section = revision.sections.filter(title=entry["title"]).first()
    if section is None:
        last = revision.sections.order_by("-order").values_list("order", flat=True).first()
        section = _create(
            Section, RELEASE_CHANGE_REASON, revision=revision, order=(last or 0) + 1, **entry
        )
        report.added["sections"] += 1
    return section


def _add_statement(revision, statement, seed, history, published, report, announce=True):
    """Add the seed's statement to `revision`, with its section and its citations (those
    `revision` lacks are added when `history` allows: a fresh load has them all already)."""
    reason = RELEASE_CHANGE_REASON
    row = _create(
        Statement,
        reason,
        revision=revision,
        section=_section(revision, statement.section, report),
        code=statement.code,
        order=statement.order,
        **statement.fields,
    )
    report.added["statements"] += 1
    for order, number in enumerate(statement.citations, start=1):
        citation = revision.citations.filter(number=number).first()
        if citation is None and history.may_add("citation", revision, number, published):
            citation = _create(
                Citation, reason, revision=revision, number=number, **seed.citations[number]
            )
            report.added["citations"] += 1
        if citation is None:
            report.say(
                f"Revision {revision.number}: {statement.code} was added without citation "
                f"{number}, which a revision removed."
            )
            continue
        _create(StatementCitation, reason, statement=row, citation=citation, order=order)
        report.added["citation links"] += 1
    if announce:
        report.say(f"Revision {revision.number}: added statement {statement.code}.")
    return row


# --- changes for review --------------------------------------------------------------------


@dataclass
class NewCitation:
    number: int

    def describe(self):
        return f"new citation {self.number}"

    def apply(self, draft, seed, history, published, report):
        _create(
            Citation,
            RELEASE_CHANGE_REASON,
            revision=draft,
            number=self.number,
            **seed.citations[self.number],
        )


@dataclass
class NewStatement:
    code: str

    def describe(self):
        return f"new statement {self.code}"

    def apply(self, draft, seed, history, published, report):
        _add_statement(draft, seed.statements[self.code], seed, history, published, report)


@dataclass
class NewLink:
    code: str
    number: int

    def describe(self):
        return f"{self.code} cites {self.number}"

    def apply(self, draft, seed, history, published, report):
        statement = draft.statements.get(code=self.code)
        citation = draft.citations.get(number=self.number)
        order = seed.statements[self.code].citations.index(self.number) + 1
        _create(
            StatementCitation,
            RELEASE_CHANGE_REASON,
            statement=statement,
            citation=citation,
            order=order,
        )


@dataclass
class NewText:
    kind: str
    key: object
    fields: dict

    def describe(self):
        what = "statement" if self.kind == "statement" else "citation"
        return f"new seed text of {what} {self.key} ({', '.join(self.fields)})"

    def apply(self, draft, seed, history, published, report):
        row = _row(draft, self.kind, self.key)
        for name, value in self.fields.items():
            setattr(row, name, value)
        row._change_reason = SEED_CHANGE_REASON
        row.save()


def _row(revision, kind, key):
    if kind == "statement":
        return revision.statements.filter(code=key).first()
    return revision.citations.filter(number=key).first()


def _changes(seed, history, base, published, report):
    """What the release changes in content the installation has, as it would land in
    `base` (the open revision, else the published one a new draft would copy)."""
    changes = []
    numbers = set(base.citations.values_list("number", flat=True))
    codes = set(base.statements.values_list("code", flat=True))
    for number in seed.citations:
        if number not in history.had["citation"]:
            changes.append(NewCitation(number))
            numbers.add(number)
    for code in seed.statements:
        # Those the pathway needs came in step 1, unless a revision removed them.
        if code not in history.had["statement"] and code not in ALL_CODES:
            changes.append(NewStatement(code))
    linked = set(
        StatementCitation.objects.filter(statement__revision=base).values_list(
            "statement__code", "citation__number"
        )
    )
    for link in seed.links:
        code, number = link
        if link not in history.links and link not in linked and code in codes and number in numbers:
            changes.append(NewLink(code, number))
    for kind, seeded in (
        ("statement", {code: entry.fields for code, entry in seed.statements.items()}),
        ("citation", seed.citations),
    ):
        for key, values in seeded.items():
            change = _new_text(kind, key, values, history, base, published, report)
            if change:
                changes.append(change)
    return changes


def _new_text(kind, key, values, history, base, published, report):
    """The fields of a row whose seed text changed since the loader delivered it, when the
    draft may take them; None when there is nothing to deliver."""
    delivered = history.delivered[kind].get(key)
    target = _row(base, kind, key)
    if delivered is None or target is None:
        return None  # not known what the seed delivered, or a revision removed the row
    model = Statement if kind == "statement" else Citation
    names = STATEMENT_SEED_FIELDS if kind == "statement" else CITATION_SEED_FIELDS
    changed = [name for name in names if values[name] != delivered[name]]
    current = _values(model, names, target)
    pending = [name for name in changed if current[name] != values[name]]
    if not pending:
        return None
    shown = _row(published, kind, key)
    shown_values = _values(model, names, shown) if shown else {}
    reworded = [
        name
        for name in pending
        if current[name] != delivered[name] and current[name] != shown_values.get(name)
    ]
    if reworded:
        report.say(
            f"Revision {base.number} has its own wording of {kind} {key} "
            f"({', '.join(reworded)}), which an editor changed in it: the release's new text "
            "was not put in. It comes with the next draft, after this revision is published."
        )
        return None
    return NewText(kind, key, {name: values[name] for name in pending})
