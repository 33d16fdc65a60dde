"""`{% site_nav %}`: the navigation bar of every page (templates/site_nav.html), rendered once
per process for each kind of user (signed in, clinician, editor) and page (which link is
the current one), around slots for what is the user's own: their name, their count of
reviews due and the sign-out form's token, put in, escaped, for each request. Its twenty
tags, ten of them address look-ups, were about a seventh of a step page.
"""

from functools import lru_cache

from django import template
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.html import escape
from django.utils.safestring import mark_safe

from guidance.encounters.workflow import is_clinician, reviews_due_count

register = template.Library()

# The pages whose link the bar marks as the current one.
LINKED_PAGES = ("encounter_list", "guideline")

# Slots: nothing the template writes contains them, and escaping leaves them as they are.
USER_NAME = "@@user-name-3f9a@@"
DUE_COUNT = "@@reviews-due-3f9a@@"
TOKEN = "@@csrf-token-3f9a@@"


@lru_cache(maxsize=64)
def _bar_around_slots(signed_in, clinician, staff, current, oob, script_prefix):
    return render_to_string(
        "site_nav.html",
        {
            "signed_in": signed_in,
            "clinician": clinician,
            "staff": staff,
            "current": current,
            "oob": oob,
            "user_name": USER_NAME,
            "due_count": DUE_COUNT,
            "csrf_token": TOKEN,
        },
    )


def site_nav_html(request, oob=False, csrf_token=None):
    """The bar for this request's user and page; `oob` swaps it in out of band (htmx).
    `csrf_token`: the page's own token, when it has one (masking another is not free)."""
    user = request.user
    signed_in = user.is_authenticated
    clinician = is_clinician(user)
    match = request.resolver_match
    current = match.url_name if match and match.url_name in LINKED_PAGES else ""
    staff = signed_in and user.is_staff
    html = _bar_around_slots(signed_in, clinician, staff, current, oob, get_script_prefix())
    if clinician:
        html = html.replace(DUE_COUNT, str(reviews_due_count(user)))
    if signed_in:
        html = html.replace(TOKEN, escape(csrf_token or get_token(request)))
        # The name last: whatever it holds, no slot is filled after it.
        html = html.replace(USER_NAME, escape(user.get_full_name() or user.username))
    return mark_safe(html)


@register.simple_tag(takes_context=True)
def site_nav(context):
    return site_nav_html(context["request"], csrf_token=context.get("csrf_token"))
