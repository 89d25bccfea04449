"""``{% record_event_dates kind record %}``: a record page's "Last event date" and "Next
scheduled event date" (axelor-reference §11.3), computed when the page is drawn (1 query) and
reloaded by HTMX after each change of the record's events."""

from __future__ import annotations

from typing import Any

from django import template

from piste.activities.selectors import event_dates

register = template.Library()


@register.inclusion_tag("activities/event_dates.html")
def record_event_dates(kind: str, record: Any) -> dict[str, Any]:
    return {"dates": event_dates(record), "kind": kind, "record": record}
