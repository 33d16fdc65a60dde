"""`{% statement statement layout %}`: one statement's block, as
templates/guidance/partials/_statement.html renders it, reused per published revision when
the page's context holds its `content_key` (guidance/content/rendered.py); rendered afresh
otherwise (a finalized encounter's snapshot, a draft)."""

from django import template
from django.utils.html import format_html, format_html_join

from guidance.content.rendered import references_block, statement_block
from guidance.encounters.summary import plan_marker_words

register = template.Library()


@register.simple_tag(takes_context=True)
def statement(context, shown, layout):
    return statement_block(shown, layout, context.get("content_key"))


@register.simple_tag(takes_context=True)
def references(context, shown, layout):
    """The reference list (`shown`: the summary's references) in `layout` ("summary" or
    "print"), as _references.html renders it, reused per published revision like the
    statements."""
    return references_block(shown, layout, context.get("content_key"))


@register.simple_tag
def plan_markers(markers):
    """The markers of the statement a plan line stands for, as _statement.html words them,
    after a space; nothing without a marker. A tag, not an included template: the summary
    shows one or two per line of its plan, and an include cost about 90 µs each."""
    words = plan_marker_words(markers)
    if not words:
        return ""
    spans = format_html_join(" ", '<span class="marker marker-{}">{}</span>', words)
    return format_html(' <span class="markers plan-markers">{}</span>', spans)
