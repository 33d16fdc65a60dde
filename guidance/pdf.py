"""The summary as a PDF, through WeasyPrint, which needs the system's Pango library.

WeasyPrint is imported only when a PDF is asked for: on a server without Pango the import
fails with OSError, and that must cost the PDF button (a clear page), not the whole app.
"""


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
