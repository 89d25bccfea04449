"""Emails leave through the job queue: a failed attempt is tried again after 1, 2 then 4
minutes (a mail server restarting, a network hiccup) before the email is marked failed. The
consumer (`manage.py run_huey`) finds this module by autodiscovery."""

from __future__ import annotations

from typing import Any

from huey.contrib.djhuey import db_task

RETRIES = 3
RETRY_DELAY = 60  # seconds, doubled at each retry


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=2, context=True)
def send_email(email_id: int, task: Any = None) -> None:
    from piste.emails.services import email_send

    # huey counts the retries left down to 0: the attempt with none left is the last one.
    email_send(email_id=email_id, last_attempt=task is None or not task.retries)
