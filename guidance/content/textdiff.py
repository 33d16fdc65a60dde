"""Word-level highlighting of what changed between two texts, for the reviewer's comparison.

`word_diff(before, after)` gives both texts as HTML: in `before` the removed words are in
<del>, in `after` the added words are in <ins>, each opening with a visually hidden
"removed:"/"added:" so a screen reader says what the colour and the strike-through show.
It takes any pair of texts, so every field of the comparison (statements, citations,
sections, the guideline's own attributes) is highlighted the same way.
"""

import re
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Words (with their inner apostrophes and hyphens), runs of spaces, and single punctuation
# marks: "3,4-DAP" changing to "3,4-diaminopyridine" marks the one word, not the line.
_TOKENS = re.compile(r"\w+(?:['’\-]\w+)*|\s+|[^\w\s]")


def _tokens(text):
    return _TOKENS.findall(text or "")


def _marked(tokens, tag, css_class, label):
    text = "".join(tokens)
    if not text.strip():
        return escape(text)  # a change of spacing alone is not worth a mark
    # The spaces around the changed words stay outside the mark, so it hugs the words.
    leading = text[: len(text) - len(text.lstrip())]
    trailing = text[len(text.rstrip()) :]
    return (
        f'{escape(leading)}<{tag} class="{css_class}">'
        f'<span class="visually-hidden">[{label}: </span>{escape(text.strip())}'
        f'<span class="visually-hidden">]</span></{tag}>{escape(trailing)}'
    )


def word_diff(before, after) -> dict[str, SafeString]:
    """`before` and `after` as HTML, the words that differ marked in each."""
    old, new = _tokens(str(before or "")), _tokens(str(after or ""))
    before_html, after_html = [], []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            before_html.append(escape("".join(old[old_start:old_end])))
            after_html.append(escape("".join(new[new_start:new_end])))
            continue
        if old_end > old_start:
            before_html.append(_marked(old[old_start:old_end], "del", "word-removed", "removed"))
        if new_end > new_start:
            after_html.append(_marked(new[new_start:new_end], "ins", "word-added", "added"))
    return {
        "before": mark_safe("".join(before_html)),  # noqa: S308 - every piece escaped above
        "after": mark_safe("".join(after_html)),  # noqa: S308
    }
