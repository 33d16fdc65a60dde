"""`{% shown_to encounter %}`: the hidden field every encounter form carries, proving it was
shown to the signed-in user, for that encounter, in that session.

It lets a form sent after the session ended be kept for that clinician, and for no one else
(lems_site/session_resume.py). Every form that posts to /encounters/<uuid>/... puts it next
to `{% csrf_token %}`; tests/test_planted_post.py checks that each one does.
"""

from django import template
from django.utils.html import format_html

from lems_site.session_resume import PROOF_FIELD, form_proof

register = template.Library()


@register.simple_tag(takes_context=True)
def shown_to(context, encounter):
    request = context.get("request")
    if request is None:
        return ""
    return format_html(
        '<input type="hidden" name="{}" value="{}">', PROOF_FIELD, form_proof(request, encounter.pk)
    )
