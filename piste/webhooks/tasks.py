"""Webhook jobs: ``fan_out`` turns one timeline call into deliveries, ``deliver`` sends one and
schedules its next attempt after a network error, a 5xx or a 429 (1, 5, 30 minutes, 2 hours:
services.BACKOFF). The consumer (`manage.py run_huey`) finds this module by autodiscovery."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def fan_out(
    company_id: int,
    model_label: str,
    kind: str,
    event: str,
    items: list[tuple[int, dict[str, Any]]],
    occurred_at: str,
) -> None:
    from piste.webhooks.services import deliveries_create

    deliveries_create(
        company_id=company_id,
        model=apps.get_model(model_label),
        kind=kind,
        event=event,
        items=items,
        occurred_at=occurred_at,
    )


@db_task()
def deliver(delivery_id: int) -> None:
    from piste.webhooks.services import delivery_attempt

    delay = delivery_attempt(delivery_id=delivery_id)
    if delay is not None:
        # The schedule is the services' own (not huey's retries): the next attempt is a new
        # job due then, which the log shows as "next attempt".
        deliver.schedule(args=(delivery_id,), delay=delay)


@db_periodic_task(crontab(hour="3", minute="20"))
def purge_deliveries() -> None:
    from piste.webhooks.services import deliveries_purge

    deliveries_purge()
