"""Free text is plain text: no control characters (other than tab, and newlines where a field
takes several lines), in every form of the app, the clinicians' and the editors' alike."""

import re
import unicodedata

from django import forms
from django.core.validators import ProhibitNullCharactersValidator

# Control characters nobody types: ESC, NUL, a lone CR and the like come with a paste gone
# wrong or a crafted request, and break what the text is shown in (the FHIR narrative, the
# PDF, a terminal). Tab is allowed; so is a newline where the field takes several lines,
# with the CR browsers send before it. Besides the C0 and C1 controls and DEL: the Unicode
# line and paragraph separators, and the bidirectional overrides and isolates, which make
# text read in another order than it was typed (a patient reference shown reversed).
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_REFUSED_IN_ONE_LINE = re.compile(f"[\n{_CONTROLS}]")
_REFUSED_IN_LINES = re.compile(f"(?!\r\n)[{_CONTROLS}]")
_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
# The controls a person may know by name; any other is named by its code point.
_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x0B: "VT", 0x0C: "FF", 0x0D: "CR"}
_CONTROL_NAMES |= {0x1B: "ESC", 0x7F: "DEL"}


def _control_name(character):
    code = ord(character)
    name = _CONTROL_NAMES.get(code) or unicodedata.name(character, "")
    return f"{name} (U+{code:04X})" if name else f"U+{code:04X}"


class PlainTextValidator:
    """Free text without control characters other than tab; with `one_line`, no line break
    either, otherwise newlines (LF, or CR LF as browsers send a textarea's) are allowed.
    The message names the character and where it is, so it can be found and removed."""

    def __init__(self, *, one_line):
        self.one_line = one_line
        self.refused = _REFUSED_IN_ONE_LINE if one_line else _REFUSED_IN_LINES

    def __call__(self, value):
        found = self.refused.search(value)
        if found is None:
            return
        character = found.group()
        where = f"at character {found.start() + 1:,}"
        if self.one_line and character in _LINE_BREAKS:
            raise forms.ValidationError(
                f"Keep this to one line: remove the line break {where}.", code="line_break"
            )
        raise forms.ValidationError(
            f"Remove the control character {_control_name(character)} {where}: it cannot be "
            "shown, printed or sent to the record (it often comes with text pasted from "
            "another program).",
            code="control_character",
        )


def refuse_control_characters(form):
    """Gives each free-text field of `form` the `PlainTextValidator`: one line unless the
    field is typed in a textarea. It replaces Django's own refusal of NUL, so a NUL gets one
    message, the same as any other control character."""
    for field in form.fields.values():
        if isinstance(field, forms.CharField):
            field.validators = [
                validator
                for validator in field.validators
                if not isinstance(validator, ProhibitNullCharactersValidator)
            ]
            one_line = not isinstance(field.widget, forms.Textarea)
            field.validators.append(PlainTextValidator(one_line=one_line))


class PlainTextForm:
    """A form mixin: its free-text fields refuse control characters
    (`refuse_control_characters`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        refuse_control_characters(self)


class PlainTextModelForm(PlainTextForm, forms.ModelForm):
    """A model form whose free-text fields refuse control characters: the admin's base."""
