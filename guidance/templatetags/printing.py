"""Template filters of the print page and the PDF.

`css_string` puts text the clinician typed (the patient reference) into a CSS string, so
the page margins can repeat it on every printed page: @page margin boxes take their text
only from CSS.
"""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def css_string(value):
    """`value` as a double-quoted CSS string, safe inside a <style> element.

    Every character that is not a letter, digit, space or plain punctuation becomes a CSS
    escape (backslash, hex code, space), so neither a quote nor "</style>" can end it early.
    """
    plain = set(" .,-_:/()#+")
    escaped = "".join(
        char if char.isascii() and (char.isalnum() or char in plain) else f"\\{ord(char):x} "
        for char in str(value)
    )
    return mark_safe(f'"{escaped}"')
