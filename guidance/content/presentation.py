"""What every page shows of the guideline's content, whatever the answers: a statement's
facts and markers, a citation as a reference, the guideline page's sections. The summary of
an encounter adds to these what the answers make of them."""

from django.db.models import Prefetch

from guidance.content.models import Statement, StatementCitation
from guidance.content.source_text import edited_locally


def statements_by_code(revision, codes):
    """The statements of `codes`, with their sections and ordered citations (two queries)."""
    links = StatementCitation.objects.select_related("citation")
    statements = (
        Statement.objects.filter(revision=revision, code__in=codes)
        .select_related("section")
        .prefetch_related(Prefetch("citation_links", queryset=links))
    )
    return {statement.code: statement for statement in statements}


def reference(citation):
    return {
        "number": citation.number,
        "vancouver": citation.vancouver,
        "doi": citation.doi,
        "doi_url": citation.doi_url,
        "pmid": citation.pmid,
        "pubmed_url": citation.pubmed_url,
        "url": citation.url,
    }


def lead_in(section):
    """The section's lead-in when a statement reads as half a sentence without it: an intro
    that ends in a colon ("When to Use IVIG:"); other intros describe the section."""
    intro = section.intro.strip()
    return intro if intro.endswith(":") else ""


def statement_facts(statement, citations):
    """What every page shows of a statement, whatever the answers (see the statement
    fragment, templates/guidance/partials/_statement.html)."""
    return {
        "code": statement.code,
        "kind": statement.kind,
        "kind_label": statement.get_kind_display(),
        "section": statement.section.title,
        "lead_in": lead_in(statement.section),
        "text": statement.text,
        "origin": statement.origin,
        "edited_locally": edited_locally(statement.code, statement.origin, statement.text),
        "evidence_quality": statement.get_evidence_quality_display(),
        "verification": statement.verification,
        "verification_label": statement.get_verification_display(),
        "verification_note": statement.verification_note,
        "citations": [citation.number for citation in citations],
    }


def guideline_sections(revision):
    """The revision's sections, each with `shown_statements` as the guideline page shows
    them (three queries)."""
    sections = list(revision.sections.prefetch_related("statements__citation_links__citation"))
    for section in sections:
        section.shown_statements = [
            statement_facts(statement, statement.ordered_citations)
            for statement in section.statements.all()
        ]
    return sections
