"""`{% word_diff before after as marked %}`: `marked.before` and `marked.after` are the two
texts with the changed words marked (guidance.content.textdiff). Any template showing a before and
an after text can use it."""

from django import template

from guidance.content.textdiff import word_diff as _word_diff

register = template.Library()


@register.simple_tag
def word_diff(before, after):
    return _word_diff(before, after)
