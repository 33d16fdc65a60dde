"""`{{ encounter|step_reached }}`: where an encounter stands ("next step: Severity"), so a
row of the encounters table without a patient reference is told apart from the others; and
`{{ encounter|resume_url }}`: its first unanswered step, or its summary."""

from django import template

from guidance.encounters import workflow as encounters

register = template.Library()


@register.filter
def step_reached(encounter):
    return encounters.step_reached(encounter)


@register.filter
def resume_url(encounter):
    return encounters.resume_url(encounter)
