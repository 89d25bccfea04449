"""The URLs of a record's events, emails, documents and print buttons and tabs, for
``templates/components/record_*.html``.

Reversing ten URLs per record page cost about a millisecond: each URL is reversed once per
kind with a stand-in id, then the record's id is put in its place.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django import template
from django.urls import get_script_prefix, reverse

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
