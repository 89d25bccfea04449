"""Duplicate checks in the background. The consumer (`manage.py run_huey`) finds this module by
autodiscovery."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def run_duplicate_scan(scan_id: int, language: str = "") -> None:
    """Run a queued check; its messages in the language of whoever started it."""
    from piste.duplicates.services_checks import duplicate_scan_run

    with translation.override(language or settings.LANGUAGE_CODE):
        duplicate_scan_run(scan_id)


@db_periodic_task(crontab(hour="2", minute="30"))
def scheduled_duplicate_scans() -> None:
    """At night, when nobody waits on the database: the scans companies switched on."""
    from piste.duplicates.services_checks import duplicate_scans_schedule

    with translation.override(settings.LANGUAGE_CODE):
        duplicate_scans_schedule(today=timezone.localdate())
