"""HTML and CSS made into a PDF by WeasyPrint.

Imported only by the print views (WeasyPrint takes about two seconds to import: the first print
of a process pays it, no other page does).

A template is written by an administrator: it must not read the server's files
(``file:///etc/passwd``) nor make the server call other machines (``http://169.254.169.254``).
The URL fetcher refuses every URL but ``data:`` ones (inline images, fonts); WeasyPrint then
leaves the resource out and goes on.
"""

from __future__ import annotations

import logging
from typing import Any

# WeasyPrint logs an error for each refused URL and each CSS rule it ignores: a detail of an
# administrator's template, not an incident of the server. Set before the import, which already
# reports its progress (parsing its own style sheets).
logging.getLogger("weasyprint").setLevel(logging.CRITICAL)

from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.urls import URLFetcher  # noqa: E402


class PdfError(ValueError):
    """The document could not be made; ``str()`` is the message for the user."""


class DataOnlyFetcher(URLFetcher):
    """Fetches ``data:`` URLs and refuses anything else (file, http, https, ftp...)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not url.strip().lower().startswith("data:"):
            raise ValueError("Only data: URLs may be used in a print template.")
        return super().fetch(url, headers)


def html_to_pdf(html: str, css: str = "") -> bytes:
    """The PDF of a filled template; PdfError if WeasyPrint fails on it."""
    fetcher = DataOnlyFetcher()
    try:
        stylesheets = [CSS(string=css, url_fetcher=fetcher)] if css.strip() else []
        document = HTML(string=html, url_fetcher=fetcher, base_url=None)
        pdf = document.write_pdf(stylesheets=stylesheets)
    except Exception as exc:  # a layout WeasyPrint cannot make: never a 500
        raise PdfError(str(exc) or type(exc).__name__) from exc
    if not pdf:
        raise PdfError("WeasyPrint produced no document.")
    return bytes(pdf)
