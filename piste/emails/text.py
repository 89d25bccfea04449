"""The plain-text part of an email, from its sanitised HTML body (mail readers that show no
HTML, and spam filters, read it)."""

from __future__ import annotations

import html
import re

_BREAKS = re.compile(r"<\s*br\s*/?\s*>", re.IGNORECASE)
_BLOCK_ENDS = re.compile(r"</\s*(div|p|h[1-6]|li|blockquote|pre|figure|ul|ol)\s*>", re.IGNORECASE)
_ITEMS = re.compile(r"<\s*li[^>]*>", re.IGNORECASE)
_LINKS = re.compile(r"<a\s[^>]*href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
_BLANK_LINES = re.compile(r"\n{3,}")


def _link(match: re.Match[str]) -> str:
    href, text = match.group(1), match.group(2)
    label = _TAGS.sub("", text).strip()
    return label if not href or href == html.unescape(label) else f"{label} <{href}>"


def html_to_text(body: str) -> str:
    text = _LINKS.sub(_link, body)
    text = _BREAKS.sub("\n", text)
    text = _ITEMS.sub("- ", text)
    text = _BLOCK_ENDS.sub("\n", text)
    text = html.unescape(_TAGS.sub("", text))
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"
