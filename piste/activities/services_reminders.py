"""Sending the due event reminders by email (the job queue runs ``reminders_send_due`` every
minute; tests call it with their own ``now``).

Each reminder goes out once: it is claimed by one ``UPDATE … WHERE sent_at IS NULL`` before its
mail is sent, so two workers running at the same minute never both send it (the loser's update
changes no row). A mail the server refused is released again for the next run. A reminder whose
event moved is due again at its new time (``services_schedule.reminders_follow_start``); one of a
cancelled or done event, or of an event already over, is not sent.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from piste.activities.models import EventReminder, EventStatus

logger = logging.getLogger(__name__)
# At most this many reminders per run: a backlog drains over the next minutes.
BATCH = 500


def _due(now: datetime) -> list[EventReminder]:
    return list(
        EventReminder.objects.filter(
            sent_at__isnull=True,
            remind_at__lte=now,
            event__status=EventStatus.PLANNED,
            event__end__gte=now,
        )
        .select_related("event", "user")
        .order_by("remind_at", "id")[:BATCH]
    )


def _claim(reminder: EventReminder, now: datetime) -> bool:
    """Take the reminder for this run: True for the one worker whose update changed the row."""
    return (
        EventReminder.objects.filter(
            pk=reminder.pk, sent_at__isnull=True, remind_at=reminder.remind_at
        ).update(sent_at=now)
        == 1
    )


def reminder_message(reminder: EventReminder) -> EmailMessage:
    """The reminder's mail, in its user's language."""
    event, user = reminder.event, reminder.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        start = timezone.localtime(event.start)
        when = date_format(start, "SHORT_DATE_FORMAT" if event.all_day else "SHORT_DATETIME_FORMAT")
        subject = _("Reminder: %(subject)s, %(when)s") % {"subject": event.subject, "when": when}
        lines = [
            f"{event.get_kind_display()}: {event.subject}",
            _("When: %(when)s") % {"when": when},
        ]
        if event.location:
            lines.append(_("Where: %(where)s") % {"where": event.location})
        lines.append("")
        lines.append(settings.SITE_URL + reverse("activities:detail", args=[event.pk]))
    return EmailMessage(
        subject=subject.replace("\n", " ")[:200],
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )


def reminders_send_due(*, now: datetime | None = None) -> int:
    """Send every reminder due at ``now``; returns how many mails went out."""
    now = now or timezone.now()
    sent = 0
    for reminder in _due(now):
        if not _claim(reminder, now):
            continue  # another worker took it
        user = reminder.user
        if not user.is_active or not user.email:
            continue  # nobody to write to: claimed, so not tried again every minute
        try:
            reminder_message(reminder).send()
        except Exception:  # the SMTP server refused or is down: try again at the next run
            logger.exception("Event reminder %s could not be sent", reminder.pk)
            EventReminder.objects.filter(pk=reminder.pk, sent_at=now).update(sent_at=None)
            continue
        sent += 1
    return sent
