"""Reading the app's pages as a clinician would: text, a statement's block, a field's error,
the links a page makes the browser fetch. Shared by the tests and `make bench`."""

import html
import re
from html.parser import HTMLParser


def text_of(fragment):
    """The words of a piece of HTML, without its markup, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def article(page, code):
    """The inside of one statement's block on the summary or print page, or None."""
    found = re.search(rf'<article[^>]* id="s-{code}">(.*?)</article>', page, re.S)
    return None if found is None else found.group(1)


def shown_codes(page):
    """The codes of the statement blocks of a summary or print page, in order."""
    return re.findall(r'<article[^>]* id="s-([^"]+)"', page)


def error_next_to(page, field):
    """The message in the field's own `invalid-feedback`, or None."""
    found = re.search(
        rf'<div id="id_{field}_error" class="invalid-feedback">(.*?)</div>', page, re.S
    )
    return None if found is None else text_of(found.group(1))


def heading(page):
    return text_of(re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1))


def panel(page):
    """The text of the "Applies so far" panel beside a step's form."""
    return text_of(re.search(r"<aside.*?</aside>", page, re.S).group(0))


class _Tags(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(page):
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def controls(page, name):
    """The attributes of each form control named `name`."""
    return [
        attrs
        for tag, attrs in _tags(page)
        if tag in ("input", "textarea", "select") and attrs.get("name") == name
    ]


def shown_to(page):
    """The proof an encounter page's form carries that it was shown to the signed-in user
    (`{% shown_to encounter %}`): the first form's."""
    return controls(page, "shown_to")[0]["value"]


def asset_urls(page):
    """The stylesheets and scripts a page makes the browser fetch."""
    urls = []
    for tag, attrs in _tags(page):
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split():
            urls.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            urls.append(attrs["src"])
    return urls
