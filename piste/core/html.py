"""Rich text (descriptions written with the Trix editor) made safe before it is stored.

Only the formatting Trix produces survives: paragraphs, emphasis, headings, quotes, code, lists,
links and images. Scripts, styles, event handlers, ``javascript:`` links and images from other
sites are removed on the server, whatever the browser sent.
"""

from __future__ import annotations

import html
import re

import nh3
from django.conf import settings

MAX_HTML_LENGTH = 200_000

_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "div", "em", "figcaption", "figure", "h1",
    "h2", "h3", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Images only from Piste's own uploads: a remote image would tell its owner who reads the
    # record and when (a tracking pixel).
    if tag == "img" and attribute == "src":
        return value if value.startswith(settings.UPLOADS_URL_PREFIX) else None
    return value


def sanitise_html(html: str | None) -> str:
    """Safe HTML to store and show; "" when nothing visible remains."""
    text = (html or "")[:MAX_HTML_LENGTH]
    if not text.strip():
        return ""
    cleaned = nh3.clean(
        text,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )
    if not nh3.clean(cleaned, tags={"img"}, attributes={"img": {"src"}}).strip():
        return ""
    return cleaned


_TAG_RE = re.compile(r"<[^>]+>")


def html_to_plain(text: str, limit: int = 80) -> str:
    """Rich text as a short plain line, for the timeline."""
    flat = " ".join(html.unescape(_TAG_RE.sub(" ", text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
