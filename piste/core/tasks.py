"""Core background jobs. The consumer (`manage.py run_huey`) finds this module by autodiscovery."""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

# In the shared cache (file cache when embedded, Redis in production) so that every web process
# sees what any consumer wrote.
QUEUE_HEARTBEAT_KEY = "piste:queue-heartbeat"


def queue_heartbeat_record() -> str:
    """Note that a consumer runs jobs now; /healthz reports it as `consumer_seen`."""
    seen = timezone.now().isoformat()
    cache.set(QUEUE_HEARTBEAT_KEY, seen, timeout=None)
    return seen


def queue_heartbeat_last() -> str | None:
    """When a consumer last ran a job (ISO 8601), or None if none ever did."""
    return cache.get(QUEUE_HEARTBEAT_KEY)


@db_task()
def record_heartbeat() -> str:
    return queue_heartbeat_record()


@db_periodic_task(crontab(minute="*"))
def heartbeat_every_minute() -> None:
    # Periodic tasks also pass through the queue, so this proves a consumer takes jobs.
    queue_heartbeat_record()
