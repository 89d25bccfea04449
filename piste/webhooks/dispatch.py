"""From timeline lines to webhook deliveries.

The listener runs inside every writing transaction, so it must cost nothing when nobody
listens: the event name comes from the model and verb (no query), then a cached set of the
company's subscribed events (no query on a hit). Only then is ONE job queued, after the
commit, for the whole call (a bulk action or an import batch of thousands of records): the job
writes the deliveries and reads the records, outside the user's transaction."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from piste.core.models import Activity
from piste.webhooks.events import event_name, kind_for_model
from piste.webhooks.selectors import subscribed_events

Verb = Activity.Verb


def activity_recorded(
    company_id: int | None,
    model: type[models.Model],
    verb: str,
    items: list[tuple[int, dict[str, Any]]],
) -> None:
    """Called inside the writing transaction for every new timeline line (or batch of lines)."""
    if company_id is None or not items:
        return
    if verb == Verb.IMPORTED:
        # An import tells created and updated records apart in separate calls ("action").
        verb = Verb.CHANGED if items[0][1].get("action") == "updated" else Verb.CREATED
    event = event_name(model, verb)
    if event is None or event not in subscribed_events(company_id):
        return
    kind = kind_for_model(model)
    occurred_at = timezone.now().isoformat()
    label = model._meta.label
    batch = [(int(object_id), data) for object_id, data in items]

    def enqueue() -> None:
        from piste.webhooks.tasks import fan_out

        fan_out(company_id, label, kind, event, batch, occurred_at)

    # robust: the user's write is committed; a queue that is down must not turn it into a 500.
    transaction.on_commit(enqueue, robust=True)
