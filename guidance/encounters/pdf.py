"""The summary as a PDF, through WeasyPrint, which needs the system's Pango library.

WeasyPrint is imported only when a PDF is asked for: on a server without Pango the import
fails with OSError, and that must cost the PDF button (a clear page), not the whole app.

A PDF is made once per content: kept in the "pdfs" cache (lems_site/settings.py) under the
SHA-256 of the exact HTML WeasyPrint is given, so the same HTML always gives the same file
and any change at all (a review recorded, a course's state, the day, another clinician)
is another key: nothing kept can be stale, and nothing needs invalidating.
"""

import hashlib
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.cache import caches
from django.template.loader import render_to_string
from django.utils import timezone

from guidance.encounters.summary import courses_shown


class PdfUnavailable(Exception):
    """This server cannot make PDFs (WeasyPrint or its system libraries are missing)."""


def pdf_from_html(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:
        raise PdfUnavailable(
            f"WeasyPrint cannot load ({error}); install Pango (see the README)."
        ) from error
    try:
        return HTML(string=html).write_pdf()
    except OSError as error:  # a system library (fonts, Pango, cairo) failing mid-render
        raise PdfUnavailable(f"WeasyPrint could not render the PDF ({error}).") from error


PDF_CACHE = "pdfs"


def cached_pdf(html: str) -> bytes:
    """The PDF of `html`, rendered once and then kept (a day, in the "pdfs" cache).

    A PdfUnavailable is raised, never kept: the next download tries again."""
    key = "pdf:" + hashlib.sha256(html.encode("utf-8")).hexdigest()
    kept = caches[PDF_CACHE]
    pdf = kept.get(key)
    if pdf is None:
        pdf = pdf_from_html(html)
        kept.set(key, pdf)
    return pdf


def summary_html(request, encounter, summary) -> str:
    """The print page of a finalized summary as the PDF renders it: the print stylesheet
    inlined, since WeasyPrint fetches no static files."""
    context = {
        "encounter": encounter,
        "summary": summary,
        "courses": courses_shown(summary),
        # The day only, not the time: the same record prints the same PDF all day, so the
        # one rendered is reused (`cached_pdf`).
        "printed_on": timezone.localdate(),
        "pdf": True,
        "print_css": Path(finders.find("css/print.css")).read_text(encoding="utf-8"),
    }
    return render_to_string("guidance/print.html", context, request=request)
