"""What a page shows that depends only on a published revision, worked out once per revision
and reused (issue 27): the statements' facts and references, and each statement's block as
templates/guidance/partials/_statement.html renders it.

Everything is kept (the facts in Django's cache, the HTML blocks in this process's memory)
under a key of the revision's id and its `content_version`, which the loader
(`seed.load_content`) and publishing (`revisions.publish`) replace whenever they change what
a revision shows: a key never goes stale, so a per-process cache is enough and several
servers never disagree. Only the published revision is kept; a draft, whose content an
editor changes row by row, is always read afresh. A finalized encounter shows its snapshot,
which is not read from here.

A statement's block also carries what depends on the patient (why it applies, why it is high
priority): the block is kept with placeholders for those, and they are put in, escaped, for
each request.
"""

import functools

from django.core.cache import cache
from django.db import connections, router
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe

from guidance.content.models import Revision, RevisionStatus, Statement, StatementCitation
from guidance.content.presentation import reference, statement_facts

# Placeholders: nothing a statement says contains them, and escaping leaves them as they are.
WHY_MARK = "@@why-7c1e@@"
PRIORITY_MARK = "@@priority-7c1e@@"


# What a page reads of the published revision: its key, and the facts the summary heads.
_PUBLISHED_FIELDS = ("pk", "content_version", "number", "title", "disclaimer", "published_at")


@functools.cache
def _published_sql(alias):
    query = Revision.objects.published().order_by().values_list(*_PUBLISHED_FIELDS)
    return query.query.get_compiler(alias).as_sql()


def published_for_content():
    """The published revision as far as the pages read it (an unsaved instance with its id,
    status, content version, number, title, disclaimer and publication time; None when
    nothing is published), in one query compiled once per process: every step page and
    summary asks it, and building the query through the ORM cost more than SQLite took to
    answer it."""
    database = connections[router.db_for_read(Revision)]
    sql, params = _published_sql(database.alias)
    with database.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = dict(zip(_PUBLISHED_FIELDS, row, strict=True))
    for name in ("content_version", "published_at"):  # e.g. SQLite's text, as the ORM reads it
        column = Revision._meta.get_field(name).get_col(Revision._meta.db_table)
        for convert in database.ops.get_db_converters(column):
            values[name] = convert(values[name], column, database)
    return Revision(status=RevisionStatus.PUBLISHED, **values)


def content_key(revision):
    """The key of what `revision` shows, or None when it is not published (never kept)."""
    if revision is None or revision.status != RevisionStatus.PUBLISHED:
        return None
    return f"{revision.pk}.{revision.content_version.hex}"


def once(key, name, build):
    """`build()`, kept under `key` (a `content_key`) and `name`; built every time without a
    key."""
    if key is None:
        return build()
    full_key = f"rendered:{key}:{name}"
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, None)  # never expires: the key changes with the content
    return value


# The HTML blocks, kept in this process's memory as they are: strings, never changed in
# place, so they need no copy, where Django's local-memory cache unpickles one on every read
# (8 µs; a summary reads 26 blocks). Bounded: emptied when full (a revision has about 40
# statements in 4 layouts, each with or without its why and priority marks).
_HTML_KEPT = {}
_HTML_KEPT_MOST = 2_000


def _html_once(key, name, render):
    """`render()`'s HTML, kept per `key` (a `content_key`) and `name` in this process."""
    full_key = (key, name)
    html = _HTML_KEPT.get(full_key)
    if html is None:
        html = str(render())
        if len(_HTML_KEPT) >= _HTML_KEPT_MOST:
            _HTML_KEPT.clear()
        _HTML_KEPT[full_key] = html
    return html


def forget():
    """Empty the HTML kept in this process (the tests, with Django's caches: a rolled-back
    transaction can give the next test a revision of the same id and content version with
    other content)."""
    _HTML_KEPT.clear()


def _read_content(revision):
    links = StatementCitation.objects.select_related("citation")
    statements = (
        Statement.objects.filter(revision=revision)
        .select_related("section")
        .prefetch_related(Prefetch("citation_links", queryset=links))
    )
    facts, references = {}, {}
    for statement in statements:
        citations = statement.ordered_citations
        facts[statement.code] = statement_facts(statement, citations)
        for citation in citations:
            references[citation.number] = reference(citation)
    return {"statements": facts, "references": references}


def revision_content(revision):
    """{"statements": {code: statement_facts}, "references": {number: reference}} of
    `revision`: two queries, once per published revision."""
    return once(content_key(revision), "content", lambda: _read_content(revision))


def references_block(references, layout, key):
    """The HTML of the reference list (templates/guidance/partials/_references.html) for
    `references` (dicts as the summary holds them) in `layout` ("summary" or "print"), kept
    per revision (`key`), layout and set of citation numbers; rendered afresh without a
    key."""

    def render():
        context = {"summary": {"references": references}, "layout": layout}
        return render_to_string("guidance/partials/_references.html", context)

    if key is None:
        return render()
    numbers = ",".join(str(reference["number"]) for reference in references)
    name = f"references:{layout}:{numbers}"
    return mark_safe(_html_once(key, name, render))  # noqa: S308 (a template's)


def statement_block(statement, layout, key):
    """The HTML of one statement (a dict as the summary, the panel or the guideline page
    holds it) in `layout`, as _statement.html renders it: kept per revision (`key`, a
    `content_key`; None renders it afresh, as for a snapshot or a draft)."""
    why = statement.get("why") or []
    priority = statement.get("priority") or []
    if key is None:
        return render_to_string(
            "guidance/partials/_statement.html", {"statement": statement, "layout": layout}
        )
    name = f"statement:{statement['code']}:{layout}:{int(bool(why))}{int(bool(priority))}"

    def render():
        marked = {
            **statement,
            "why": [WHY_MARK] if why else [],
            "priority": [PRIORITY_MARK] if priority else [],
        }
        return render_to_string(
            "guidance/partials/_statement.html", {"statement": marked, "layout": layout}
        )

    html = _html_once(key, name, render)
    if why:
        html = html.replace(WHY_MARK, escape("; ".join(why)))
    if priority:
        html = html.replace(PRIORITY_MARK, escape(", ".join(priority)))
    return mark_safe(html)  # noqa: S308 (the template's output, the patient's words escaped)
