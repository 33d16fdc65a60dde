"""`{% statement statement layout %}`: one statement's block, as
templates/guidance/partials/_statement.html renders it, reused per published revision when
the page's context holds its `content_key` (guidance/content/rendered.py); rendered afresh
otherwise (a finalized encounter's snapshot, a draft)."""

from django import template

from guidance.content.rendered import references_block, statement_block

register = template.Library()


@register.simple_tag(takes_context=True)
def statement(context, shown, layout):
    return statement_block(shown, layout, context.get("content_key"))


@register.simple_tag(takes_context=True)
def references(context, shown):
    """The summary's reference list (`shown`: its references), as _references.html renders
    it, reused per published revision like the statements."""
    return references_block(shown, context.get("content_key"))
