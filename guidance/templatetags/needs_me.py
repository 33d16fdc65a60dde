"""`{% what_needs_me %}`: the admin index's first block for editors and reviewers
(guidance.content.needs_me)."""

from django import template

from guidance.content.needs_me import what_needs_me as _what_needs_me

register = template.Library()


@register.inclusion_tag("admin/what_needs_me.html", takes_context=True)
def what_needs_me(context):
    return {"needs": _what_needs_me(context["request"].user), "request": context["request"]}
