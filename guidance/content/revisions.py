"""The revision workflow: draft, submit for review, publish or return; and what changed.

Plain functions over the models, no request: the admin's buttons call them, and a
`RevisionError` (with a message fit for the editor) means nothing was changed.
"""

import logging
import uuid

from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone

from guidance.content.checks import missing_codes
from guidance.content.models import (
    GUIDELINE_ATTRIBUTES,
    OPEN_STATUSES,
    SHORT_TEXT,
    Citation,
    Revision,
    Section,
    Statement,
    StatementCitation,
)
from guidance.content.source_text import edited_locally
from guidance.engine import fingerprints

SECTION_FIELDS = ("order", "title", "part", "intro")
# What the diff compares for a section (keyed by its order), as printed before its statements.
SECTION_DIFF_FIELDS = ("title", "part", "intro")
# History records the workflow's own steps leave: not an edit of the revision's content.
WORKFLOW_REASONS = ("submitted for review", "published", "returned to editor", "retired")
CITATION_FIELDS = (
    "authors",
    "title",
    "journal",
    "year",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "url",
    "note",
)
STATEMENT_FIELDS = (
    "code",
    "kind",
    "text",
    "evidence_quality",
    "order",
    "origin",
    "verification",
    "verification_note",
)
# What the diff compares for a statement, in the order a reviewer reads it.
STATEMENT_DIFF_FIELDS = (
    "section",
    "order",
    "kind",
    "text",
    "evidence_quality",
    "origin",
    "verification",
    "verification_note",
    "wording",
    "citations",
)


logger = logging.getLogger(__name__)


class RevisionError(Exception):
    """A workflow step refused; the message says why, in the editor's words."""


class RevisionChanged(RevisionError):
    """Publish refused: the revision is no longer what the reviewer's page showed."""


def published_revision(guideline):
    return Revision.objects.published(guideline).first()


def open_draft(guideline):
    return guideline.revisions.filter(status__in=OPEN_STATUSES).first()


@transaction.atomic
def start_draft(guideline, user):
    """A new draft revision holding a copy of the published content."""
    if draft := open_draft(guideline):
        raise RevisionError(
            f"Revision {draft.number} is already open ({draft.get_status_display().lower()}): "
            "finish it before starting another."
        )
    published = published_revision(guideline)
    if published is None:
        raise RevisionError("There is no published revision to start a draft from.")
    last = guideline.revisions.aggregate(last=Max("number"))["last"]
    draft = Revision.objects.create(
        guideline=guideline,
        number=last + 1,
        drafted_by=user,
        **{name: getattr(published, name) for name in GUIDELINE_ATTRIBUTES},
    )
    copy_content(published, draft)
    return draft


def copy_content(source, target):
    """Copy sections, citations, statements and their citation links of `source`.

    A link or section of another revision (data from before the models refused them) is
    mapped to the copy's own row of the same number (citation) or order (section), else
    the link is dropped and the section copied too: logged, never a failure, so a draft can
    always be started.
    """
    sections = {}
    for section in source.sections.all():
        sections[section.pk] = Section.objects.create(
            revision=target, **{field: getattr(section, field) for field in SECTION_FIELDS}
        )
    citations = {}
    for citation in source.citations.all():
        citations[citation.pk] = Citation.objects.create(
            revision=target,
            number=citation.number,
            **{field: getattr(citation, field) for field in CITATION_FIELDS},
        )
    by_number = {citation.number: citation for citation in citations.values()}
    links = StatementCitation.objects.select_related("citation")
    statements = source.statements.select_related("section").prefetch_related(
        Prefetch("citation_links", queryset=links)
    )
    for statement in statements:
        copy = Statement.objects.create(
            revision=target,
            section=_copied_section(statement, sections, target),
            **{field: getattr(statement, field) for field in STATEMENT_FIELDS},
        )
        cited = set()
        for link in statement.citation_links.all():
            citation = citations.get(link.citation_id)
            if citation is None:
                citation = by_number.get(link.citation.number)
                logger.warning(
                    "Revision %s: %s cited citation %s of revision %s; the copy in revision %s %s.",
                    source.number,
                    statement.code,
                    link.citation.number,
                    link.citation.revision_id,
                    target.number,
                    "cites its own citation of that number" if citation else "drops the link",
                )
            if citation is None or citation.pk in cited:
                continue
            cited.add(citation.pk)
            StatementCitation.objects.create(statement=copy, citation=citation, order=link.order)


def _copied_section(statement, sections, target):
    """The copy of the statement's section; for a section of another revision, the copy's
    section of the same order, else a copy of that section at the end."""
    if statement.section_id in sections:
        return sections[statement.section_id]
    section = statement.section
    logger.warning(
        "Revision %s: %s sat in a section of another revision; the copy keeps it in its own.",
        statement.revision.number,
        statement.code,
    )
    same_order = next((copy for copy in sections.values() if copy.order == section.order), None)
    if same_order is not None:
        return same_order
    last = max((copy.order for copy in sections.values()), default=0)
    fields = {field: getattr(section, field) for field in SECTION_FIELDS if field != "order"}
    sections[section.pk] = Section.objects.create(revision=target, order=last + 1, **fields)
    return sections[section.pk]


def _require_status(revision, status, doing):
    if revision.status != status:
        raise RevisionError(
            f"Revision {revision.number} is {revision.get_status_display().lower()}: "
            f"only a revision that is {Revision.Status(status).label.lower()} can be {doing}."
        )


def _require_codes(revision, doing):
    if missing := missing_codes(revision):
        raise RevisionError(
            f"Revision {revision.number} cannot be {doing}: it lacks statements the pathway "
            f"needs: {', '.join(missing)}. Restore them first."
        )


def _require_other_person(revision, reviewer, doing):
    """Four eyes: whoever drafted or edited anything in the revision does not publish it,
    superusers included."""
    if reviewer is None:
        return
    if reviewer.pk == revision.drafted_by_id:
        raise RevisionError(
            f"You drafted revision {revision.number}: someone else must review it before "
            f"it is {doing}."
        )
    if edited_by(revision, reviewer):
        raise RevisionError(
            f"You edited revision {revision.number}: someone who did not edit it must review "
            f"it before it is {doing}."
        )


def edited_by(revision, user):
    """Whether the history records show `user` changed anything of the revision: its own
    fields (other than by a workflow step) or any of its sections, citations, statements or
    their citation links, even ones deleted since."""
    own = Revision.history.filter(id=revision.pk, history_user_id=user.pk).exclude(
        history_change_reason__in=WORKFLOW_REASONS
    )
    content = [
        model.history.filter(revision_id=revision.pk, history_user_id=user.pk)
        for model in (Section, Citation, Statement)
    ]
    statement_ids = Statement.history.filter(revision_id=revision.pk).values("id")
    links = StatementCitation.history.filter(
        statement_id__in=statement_ids, history_user_id=user.pk
    )
    return any(query.exists() for query in (own, *content, links))


def _save_step(revision, reason):
    """Save a workflow step, its history record marked as the step (see `edited_by`)."""
    revision._change_reason = reason
    revision.save()


def _check_text(text, what):
    """The admin's forms say this next to the field; here it guards every other caller."""
    if "\x00" in text:
        raise RevisionError(f"The {what} holds a null character: remove it and try again.")
    if len(text) > SHORT_TEXT:
        raise RevisionError(
            f"Keep the {what} to {SHORT_TEXT:,} characters or fewer (it has {len(text):,})."
        )


@transaction.atomic
def submit_for_review(revision, user, change_summary):
    """The draft goes to a reviewer, with its "what's new" for clinicians."""
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    _require_status(revision, Revision.Status.DRAFT, "submitted for review")
    change_summary = (change_summary or "").strip()
    if not change_summary:
        raise RevisionError("Write a change summary (what's new for clinicians) before submitting.")
    _check_text(change_summary, "change summary")
    _require_codes(revision, "submitted")
    revision.change_summary = change_summary
    revision.status = Revision.Status.IN_REVIEW
    _save_step(revision, "submitted for review")
    return revision


def review_fingerprint(revision):
    """What a reviewer reads of `revision` on the review page, as one string: the guideline's
    attributes, sections, statements and citations as the comparison shows them, the change
    summary, the last reviewer's comment, and how often it was returned (a return and a
    resubmission are news to a reviewer who opened the page before them, even when the
    editor changed nothing). `publish` refuses a fingerprint other than the current one."""
    returns = Revision.history.filter(
        id=revision.pk, history_change_reason="returned to editor"
    ).count()
    return fingerprints.of(
        {
            "guideline": guideline_values(revision),
            "sections": _sections(revision),
            "statements": _statements(revision),
            "citations": _citations(revision),
            "change_summary": revision.change_summary,
            "review_comment": revision.review_comment,
            "returns": returns,
        }
    )


CONTENT_CHANGED = (
    "Revision {number} changed after this page was shown (it was returned, edited or "
    "resubmitted since): nothing was published. The page below shows it as it is now: "
    "review the changes, then publish again."
)


@transaction.atomic
def publish(revision, reviewer, content_fingerprint=None):
    """This revision becomes what clinicians see; the one before is retired.

    `content_fingerprint` is the `review_fingerprint` of the review page the reviewer read
    (the admin always passes what its page posted): when the revision changed since, nothing
    is published. Callers with no page (the tests, a shell) leave it out."""
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    _require_status(revision, Revision.Status.IN_REVIEW, "published")
    _require_other_person(revision, reviewer, "published")
    if content_fingerprint is not None and content_fingerprint != review_fingerprint(revision):
        raise RevisionChanged(CONTENT_CHANGED.format(number=revision.number))
    _require_codes(revision, "published")
    if not revision.change_summary.strip():
        raise RevisionError("A revision needs a change summary before it is published.")
    # Retire first: the database allows one published revision per guideline.
    for previous in Revision.objects.published(revision.guideline):
        previous.status = Revision.Status.RETIRED
        _save_step(previous, "retired")
    revision.status = Revision.Status.PUBLISHED
    revision.reviewed_by = reviewer
    revision.published_at = timezone.now()
    revision.content_version = uuid.uuid4()  # what was rendered of it before is not reused
    _save_step(revision, "published")
    return revision


@transaction.atomic
def return_to_editor(revision, reviewer, comment):
    """Back to draft, with the reviewer's comment for the editor."""
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    _require_status(revision, Revision.Status.IN_REVIEW, "returned")
    _require_other_person(revision, reviewer, "returned")
    comment = (comment or "").strip()
    if not comment:
        raise RevisionError("Say what needs to change: a returned draft needs a comment.")
    _check_text(comment, "comment")
    revision.status = Revision.Status.DRAFT
    revision.reviewed_by = reviewer
    revision.review_comment = comment
    _save_step(revision, "returned to editor")
    return revision


def verification_after_edit(statement):
    """The verification a draft's statement keeps once saved (DESIGN §3): a text that differs
    from the published revision's is "not confirmed" unless the editor re-verified it in this
    draft, with a note other than the published one."""
    published = (
        Statement.objects.filter(revision__in=Revision.objects.published(), code=statement.code)
        .only("text", "verification_note")
        .first()
    )
    if published is None or " ".join(statement.text.split()) == " ".join(published.text.split()):
        return statement.verification
    if statement.verification_note.strip() != published.verification_note.strip():
        return statement.verification
    return Statement.Verification.NOT_CONFIRMED


def wording(statement):
    """Whether a guideline statement reads as the source words it (DESIGN §3)."""
    if statement.origin != Statement.Origin.GUIDELINE:
        return ""
    if edited_locally(statement.code, statement.origin, statement.text):
        return "Edited locally: differs from the source text"
    return "The source text"


def statement_values(statement):
    """A statement's fields as a reviewer reads them (labels, not stored values)."""
    return {
        "section": statement.section.title,
        "order": str(statement.order),
        "kind": statement.get_kind_display(),
        "text": statement.text,
        "evidence_quality": statement.get_evidence_quality_display(),
        "origin": statement.get_origin_display(),
        "verification": statement.get_verification_display(),
        "verification_note": statement.verification_note,
        "wording": wording(statement),
        "citations": ", ".join(
            str(link.citation.number) for link in statement.citation_links.all()
        ),
    }


def citation_values(citation):
    return {
        field: "" if getattr(citation, field) is None else str(getattr(citation, field))
        for field in CITATION_FIELDS
    }


def _statements(revision):
    links = StatementCitation.objects.select_related("citation")
    statements = revision.statements.select_related("section").prefetch_related(
        Prefetch("citation_links", queryset=links)
    )
    return {statement.code: statement_values(statement) for statement in statements}


def _citations(revision):
    return {citation.number: citation_values(citation) for citation in revision.citations.all()}


def _sections(revision):
    return {
        section.order: {field: getattr(section, field) for field in SECTION_DIFF_FIELDS}
        for section in revision.sections.all()
    }


def guideline_values(revision):
    """The guideline's attributes a revision holds, as text."""
    return {
        field: "" if getattr(revision, field) is None else str(getattr(revision, field))
        for field in GUIDELINE_ATTRIBUTES
    }


def _label(model, field):
    if field == "citations":
        return "Citations"
    if field == "section":
        return "Section"
    if field == "wording":
        return "Wording"
    return model._meta.get_field(field).verbose_name.capitalize()


def _compare(model, fields, before, after):
    """Changed, added and removed items of two {key: {field: text}} mappings."""
    changed = []
    for key in sorted(before.keys() & after.keys(), key=str):
        differences = [
            {
                "field": field,
                "label": _label(model, field),
                "before": before[key][field],
                "after": after[key][field],
            }
            for field in fields
            if before[key][field] != after[key][field]
        ]
        if differences:
            changed.append({"key": key, "fields": differences})

    def listed(items, keys):
        return [
            {
                "key": key,
                "fields": [
                    {"field": field, "label": _label(model, field), "value": items[key][field]}
                    for field in fields
                    if items[key][field]
                ],
            }
            for key in sorted(keys, key=str)
        ]

    return {
        "changed": changed,
        "added": listed(after, after.keys() - before.keys()),
        "removed": listed(before, before.keys() - after.keys()),
    }


def diff(old, new):
    """What changed from revision `old` to `new`: the guideline's attributes, sections by
    order, statements by code, citations by number.

    Each of `guideline`, `sections`, `statements` and `citations` has `changed` (with the
    before and after text of each changed field), `added` and `removed`.
    """
    return {
        "guideline": _compare(
            Revision,
            GUIDELINE_ATTRIBUTES,
            {"Guideline": guideline_values(old)},
            {"Guideline": guideline_values(new)},
        ),
        "sections": _compare(Section, SECTION_DIFF_FIELDS, _sections(old), _sections(new)),
        "statements": _compare(
            Statement, STATEMENT_DIFF_FIELDS, _statements(old), _statements(new)
        ),
        "citations": _compare(Citation, CITATION_FIELDS, _citations(old), _citations(new)),
    }


def has_changes(changes):
    return any(changes[kind][group] for kind in changes for group in changes[kind])


def comparison(before, revision):
    """`revision` against `before` (None: nothing to compare it with), as pages show it."""
    changes = diff(before, revision) if before else None
    return {
        "revision": revision,
        "before": before,
        "changes": changes,
        "has_changes": bool(changes) and has_changes(changes),
    }


def against_published(revision):
    """A draft or a revision in review against what clinicians see now."""
    published = published_revision(revision.guideline)
    return comparison(published if published and published.pk != revision.pk else None, revision)


def seen_by_clinicians(guideline):
    """Every revision clinicians have seen, newest first, each against the one before."""
    shown = list(
        guideline.revisions.filter(
            status__in=[Revision.Status.PUBLISHED, Revision.Status.RETIRED]
        ).order_by("-number")
    )
    return [
        comparison(shown[index + 1] if index + 1 < len(shown) else None, current)
        for index, current in enumerate(shown)
    ]
