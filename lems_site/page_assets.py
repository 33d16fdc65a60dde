"""`{% page_assets %}`: the icon, stylesheets and scripts every page links
(templates/page_assets.html), rendered once per process: their addresses change only with a
new release's static files, and looking each up in the manifest on every page cost about
a twentieth of a step page.
"""

from functools import cache

from django import template
from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

register = template.Library()


@cache
def _assets_html():
    return mark_safe(render_to_string("page_assets.html"))


@register.simple_tag
def page_assets():
    return _assets_html()


def _forget(setting, **kwargs):
    """A test that changes how static files are named or served sees its own addresses."""
    if setting in ("DEBUG", "STATIC_URL", "STORAGES"):
        _assets_html.cache_clear()


setting_changed.connect(_forget)
