"""The URLs of a record's events, emails, documents and print buttons and tabs, for
``templates/components/record_*.html``.

Reversing ten URLs per record page cost about a millisecond: each URL is reversed once per
kind with a stand-in id, then the record's id is put in its place.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

_NAMES = {
    "new_event": "activities:record_event_new",
    "events": "activities:record_events",
    "compose": "emails:compose",
    "emails": "emails:record_emails",
    "documents": "documents:record_documents",
    "print": "documents:print",
}
_STAND_IN = 987654321


@cache
def _patterns(prefix: str, kind: str) -> dict[str, tuple[str, str]]:
    # Keyed by the script prefix too: the reversed URLs start with it.
    patterns = {}
    for key, name in _NAMES.items():
        url = reverse(name, args=[kind, _STAND_IN])
        head, _sep, tail = url.partition(str(_STAND_IN))
        patterns[key] = (head, tail)
    return patterns


@register.simple_tag
def record_urls(kind: str, record: Any) -> dict[str, str]:
    """``{% record_urls "lead" lead as urls %}``: ``urls.new_event``, ``urls.events``,
    ``urls.compose``, ``urls.emails``, ``urls.documents``, ``urls.print``."""
    pk = int(record.pk)
    return {
        key: f"{head}{pk}{tail}"
        for key, (head, tail) in _patterns(get_script_prefix(), kind).items()
    }


class _StandIn:
    pk = _STAND_IN


# Rendered fragments by (template, kind, language, first, script prefix).
_FRAGMENTS: dict[tuple[str, str, str, bool, str], str] = {}


@register.simple_tag
def record_fragment(name: str, kind: str, record: Any, first: bool = False) -> SafeString:
    """``{% record_fragment "record_actions" "lead" lead %}``: one of the record page's
    ``components/<name>.html`` (action buttons, tabs), the same for every record of a kind
    but for its id. Each is rendered once per kind and language, then the id is put in: the
    two dozen translated labels and ten URLs cost a record page about a millisecond each time
    (a tenth of a partner page's budget). Rendered afresh when DEBUG is on (templates edited)."""
    key = (name, kind, get_language() or "", bool(first), get_script_prefix())
    html = None if settings.DEBUG else _FRAGMENTS.get(key)
    if html is None:
        html = render_to_string(
            f"components/{name}.html", {"kind": kind, "record": _StandIn(), "first": first}
        )
        _FRAGMENTS[key] = html
    return mark_safe(html.replace(str(_STAND_IN), str(int(record.pk))))  # noqa: S308 (our template)
