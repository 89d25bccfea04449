"""Event background jobs. The consumer finds this module by autodiscovery."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from piste.activities.services_reminders import reminders_send_due


@db_periodic_task(crontab(minute="*"))
def send_event_reminders() -> int:
    """Every minute: the reminders due by now (each sent once, whatever the workers)."""
    return reminders_send_due()
