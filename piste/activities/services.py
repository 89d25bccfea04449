"""Writes on events: create, edit, status (done, cancelled, planned again), delete, guests and
reminders.

Every function takes the acting ``Actor``, checks the right it needs and that every row it
touches belongs to the actor's company, writes the linked record's timeline, and runs in one
transaction: a refused change writes nothing. The views check beforehand that the user sees the
event and its linked record (``record_get_for_user``).

Defaults follow the reference (axelor-reference §11): a new event is a planned meeting; a call
is outbound; created from a lead, it is assigned to the lead's user and team and takes the
partner the lead was converted into. A note lasts no time (end == start) and has no guests nor
reminders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from piste.activities.models import (
    CallDirection,
    Event,
    EventAttendee,
    EventKind,
    EventPriority,
    EventReminder,
    EventStatus,
)
from piste.activities.services_schedule import reminders_follow_start
from piste.core.access import Actor
from piste.core.html import html_to_plain, sanitise_html
from piste.core.models import Activity, external_id_clean
from piste.core.rights import Right
from piste.core.services import ConflictError
from piste.core.timeline import activity_record
from piste.documents.services import documents_delete_for_record

# Dates outside these years are typing mistakes (and overflow some date arithmetic).
FIRST_YEAR, LAST_YEAR = 1900, 2999
MAX_DESCRIPTION = 20_000
# A reminder at most a year before the start (the form offers minutes to weeks).
MAX_REMINDER_MINUTES = 366 * 24 * 60
# A meeting planned without an end lasts an hour; calls and tasks end when they start.
DEFAULT_MEETING = timedelta(hours=1)
# Fields of the event form, in the order the timeline lists their changes.
FIELDS = [
    "kind", "subject", "start", "end", "all_day", "location", "description", "priority",
    "call_direction", "assigned_to",
]  # fmt: skip
RECORD_FIELDS = ("lead", "partner", "contact", "opportunity")


@dataclass(frozen=True)
class Guests:
    """Who an event invites: users, contacts and leads (rows already read by the form)."""

    users: tuple[Any, ...] = ()
    contacts: tuple[Any, ...] = ()
    leads: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Reminders:
    """The reminders wanted: minutes before the start, for the actor only or for every user
    taking part (the assignee, the organiser and the user guests)."""

    minutes: tuple[int, ...] = ()
    for_all: bool = False


# Checks --------------------------------------------------------------------------------------


def _require(actor: Actor, right: Right, event: Event | None = None) -> None:
    if event is not None and event.company_id != actor.company.pk:
        raise PermissionDenied(_("This event belongs to another company."))
    if not actor.has(right):
        raise PermissionDenied(right.label)


def may_delete(actor: Actor, event: Event) -> bool:
    """Deleting takes the right to delete records, or being the event's creator or assignee."""
    if event.company_id != actor.company.pk:
        return False
    mine = actor.user.pk in (event.created_by_id, event.assigned_to_id)
    return actor.has(Right.DELETE_RECORDS) or mine


def _company_user(actor: Actor, user: Any) -> Any:
    if user is None:
        return None
    ok = (
        get_user_model()
        .objects.filter(
            pk=getattr(user, "pk", user),
            memberships__company_id=actor.company.pk,
            memberships__is_active=True,
        )
        .exists()
    )
    if not ok:
        raise ValidationError({"assigned_to": _("Choose a user of this company.")})
    return user


def _aware(value: Any, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError({field: _("Enter a date and time.")})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            {field: _("Enter a year between %(first)d and %(last)d.")
             % {"first": FIRST_YEAR, "last": LAST_YEAR}}
        )  # fmt: skip
    return value


def _day_bounds(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """An all-day event runs from the start of its first day to the end of its last (local)."""
    zone = timezone.get_current_timezone()
    first = timezone.localtime(start, zone).date()
    last = timezone.localtime(end, zone).date()
    return (
        timezone.make_aware(datetime.combine(first, time.min), zone),
        timezone.make_aware(datetime.combine(last, time(23, 59, 59)), zone),
    )


def _normalise(actor: Actor, data: Mapping[str, Any], current: Event | None) -> dict[str, Any]:
    """The event's fields from ``data`` (missing keys keep the current values): checked,
    trimmed and completed. Every error at once, keyed by field."""
    errors: dict[str, Any] = {}

    def get(name: str, default: Any = None) -> Any:
        if name in data:
            return data[name]
        return getattr(current, name) if current is not None else default

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    values: dict[str, Any] = {}
    kind = get("kind") or EventKind.MEETING
    if kind not in EventKind.values:
        fail("kind", _("Choose a type of event."))
        kind = EventKind.MEETING
    values["kind"] = kind
    subject = " ".join(str(get("subject") or "").split())
    if not subject:
        fail("subject", _("Enter a subject."))
    elif len(subject) > 200:
        fail("subject", _("Keep the subject under 200 characters."))
    values["subject"] = subject
    location = " ".join(str(get("location") or "").split())
    if len(location) > 255:
        fail("location", _("Keep the location under 255 characters."))
    values["location"] = location
    try:
        values["external_id"] = external_id_clean(get("external_id", ""))
    except ValidationError as exc:
        fail("external_id", exc.message_dict["external_id"][0])
    description = str(get("description") or "")
    if len(description) > MAX_DESCRIPTION:
        fail("description", _("The description is too long."))
    values["description"] = sanitise_html(description[:MAX_DESCRIPTION])
    priority = get("priority", EventPriority.NORMAL)
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        priority = 0
    if priority not in EventPriority.values:
        fail("priority", _("Choose a priority."))
        priority = EventPriority.NORMAL
    values["priority"] = priority
    direction = get("call_direction") or ""
    if kind == EventKind.CALL:
        direction = direction or CallDirection.OUTBOUND
        if direction not in CallDirection.values:
            fail("call_direction", _("Choose inbound or outbound."))
    else:
        direction = ""
    values["call_direction"] = direction
    values["all_day"] = bool(get("all_day", False)) and kind != EventKind.NOTE
    start = end = None
    try:
        start = _aware(get("start"), "start")
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    raw_end = data.get("end") if "end" in data else (current.end if current else None)
    if start is not None and kind == EventKind.NOTE:
        end = start
    elif start is not None and raw_end in (None, ""):
        end = start + DEFAULT_MEETING if kind == EventKind.MEETING else start
    elif start is not None:
        try:
            end = _aware(raw_end, "end")
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if start is not None and end is not None:
        if values["all_day"]:
            start, end = _day_bounds(start, end)
        if end < start:
            fail("end", _("The end is before the start."))
    values["start"], values["end"] = start, end
    try:
        values["assigned_to"] = _company_user(actor, get("assigned_to"))
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    return values


def _when(event: Event) -> str:
    start = timezone.localtime(event.start)
    if event.all_day:
        return date_format(start, "SHORT_DATE_FORMAT")
    return date_format(start, "SHORT_DATETIME_FORMAT")


def linked_record(event: Event) -> models.Model | None:
    """The record the event is about: its opportunity, contact, lead or partner (the first
    set, most specific first: an event of a lead may also name its partner)."""
    for name in ("opportunity", "contact", "lead", "partner"):
        if getattr(event, f"{name}_id"):
            return getattr(event, name)  # type: ignore[no-any-return,unused-ignore]
    return None


def _log(actor: Actor, event: Event, message: str) -> None:
    """One line on the timeline of each record the event is linked to."""
    for name in RECORD_FIELDS:
        if getattr(event, f"{name}_id"):
            activity_record(
                obj=getattr(event, name),
                verb=Activity.Verb.EVENT_PLANNED,
                actor=actor.user,
                data={"message": message, "event": event.pk},
            )


def _describe(event: Event) -> str:
    return f"{event.get_kind_display()} · {event.subject} · {_when(event)}"


# Create, change ------------------------------------------------------------------------------


def _link(event: Event, actor: Actor, record: models.Model | None) -> None:
    """Tie a new event to ``record`` with the reference's defaults taken from it."""
    if record is None:
        return
    if getattr(record, "company_id", None) != actor.company.pk:
        raise PermissionDenied(_("This record belongs to another company."))
    label = record._meta.label
    field = {
        "leads.Lead": "lead",
        "partners.Partner": "partner",
        "partners.Contact": "contact",
        "opportunities.Opportunity": "opportunity",
    }.get(label)
    if field is None:
        raise ValidationError(_("Events cannot be linked to this kind of record."))
    setattr(event, field, record)
    if field == "lead" and getattr(record, "partner_id", None):
        event.partner_id = record.partner_id  # type: ignore[attr-defined]
    event.team_id = getattr(record, "team_id", None)


@transaction.atomic
def event_create(
    *,
    actor: Actor,
    data: Mapping[str, Any],
    record: models.Model | None = None,
    guests: Guests | None = None,
    reminders: Reminders | None = None,
) -> Event:
    """A new event (planned), linked to ``record`` when given. ``data`` holds the form's
    fields (``FIELDS``); missing ones take the defaults. The assignee defaults to the record's
    (a lead's user) and else to the actor."""
    _require(actor, Right.CREATE_RECORDS)
    if record is not None and getattr(record, "company_id", None) != actor.company.pk:
        raise PermissionDenied(_("This record belongs to another company."))
    data = dict(data)
    if not data.get("assigned_to"):
        data["assigned_to"] = getattr(record, "assigned_to", None) or actor.user
    values = _normalise(actor, data, None)
    event = Event(
        company=actor.company,
        status=EventStatus.PLANNED,
        organizer=actor.user,
        created_by=actor.user,
        **values,
    )
    _link(event, actor, record)
    event.save()
    if guests is not None:
        _guests_set(actor, event, guests)
    if reminders is not None:
        _reminders_set(actor, event, reminders)
    _log(actor, event, _describe(event))
    return event


def _locked(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


def _sync(target: Event, source: Event) -> None:
    for field in Event._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def _conflict() -> ConflictError:
    return ConflictError(
        _(
            "Someone else saved this event while you were editing it. Your values are kept "
            "below: check them against the saved event and save again to keep yours."
        ),
        code="conflict",
    )


@transaction.atomic
def event_update(
    *,
    actor: Actor,
    event: Event,
    data: Mapping[str, Any],
    version: int,
    guests: Guests | None = None,
    reminders: Reminders | None = None,
) -> Event:
    """Save the fields in ``data`` (and the guests and reminders when given) if nobody saved
    the event since ``version`` was read; ConflictError otherwise, and nothing is written. A
    new start moves the reminders (and sends them again)."""
    _require(actor, Right.CHANGE_RECORDS, event)
    locked = _locked(event)
    if locked.version != version:
        raise _conflict()
    values = _normalise(actor, data, locked)
    moved = values["start"] != locked.start
    changed = [name for name, value in values.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, values[name])
    if changed:
        locked.version = F("version") + 1  # type: ignore[assignment,unused-ignore]
        locked.save(update_fields=[*changed, "version", "updated_at"])
        locked.refresh_from_db(fields=["version"])
    if guests is not None:
        _guests_set(actor, locked, guests)
    if reminders is not None:
        _reminders_set(actor, locked, reminders)
    if moved:
        reminders_follow_start(locked)
    if changed and ("start" in changed or "subject" in changed or "kind" in changed):
        _log(actor, locked, _("Changed: %(event)s") % {"event": _describe(locked)})
    _sync(event, locked)
    return event


@transaction.atomic
def event_set_status(*, actor: Actor, event: Event, status: str) -> Event:
    """Done (with the time it was done), cancelled, or planned again."""
    _require(actor, Right.CHANGE_RECORDS, event)
    if status not in EventStatus.values:
        raise ValidationError(_("Choose planned, done or cancelled."))
    locked = _locked(event)
    if locked.status == status:
        _sync(event, locked)
        return event
    locked.status = status
    locked.done_at = timezone.now() if status == EventStatus.DONE else None
    locked.version = F("version") + 1  # type: ignore[assignment,unused-ignore]
    locked.save(update_fields=["status", "done_at", "version", "updated_at"])
    locked.refresh_from_db(fields=["version"])
    if status == EventStatus.PLANNED:
        # Planned again: reminders not sent yet (or for a start still ahead) go out again.
        EventReminder.objects.filter(event=locked, remind_at__gt=timezone.now()).update(
            sent_at=None
        )
    verb = {
        EventStatus.DONE: _("Done: %(event)s"),
        EventStatus.CANCELLED: _("Cancelled: %(event)s"),
        EventStatus.PLANNED: _("Planned again: %(event)s"),
    }[EventStatus(status)]
    _log(actor, locked, verb % {"event": _describe(locked)})
    _sync(event, locked)
    return event


@transaction.atomic
def event_delete(*, actor: Actor, event: Event) -> None:
    """Delete the event (its guests and reminders go with it). Takes the right to delete, or
    being its creator or assignee."""
    if not may_delete(actor, event):
        raise PermissionDenied(Right.DELETE_RECORDS.label)
    _log(actor, event, _("Deleted: %(event)s") % {"event": _describe(event)})
    documents_delete_for_record(record=event)
    event.delete()


# Guests and reminders ------------------------------------------------------------------------


def _guests_set(actor: Actor, event: Event, guests: Guests) -> None:
    if event.kind == EventKind.NOTE:
        guests = Guests()
    company = actor.company.pk
    users = {u.pk for u in guests.users}
    contacts = {c.pk for c in guests.contacts}
    leads = {lead.pk for lead in guests.leads}
    known_users = set(
        get_user_model()
        .objects.filter(pk__in=users, memberships__company_id=company, memberships__is_active=True)
        .values_list("pk", flat=True)
    )
    if known_users != users:
        raise ValidationError({"users": _("Choose users of this company.")})
    if any(c.company_id != company for c in guests.contacts) or any(
        lead.company_id != company for lead in guests.leads
    ):
        raise ValidationError(_("Guests must belong to this company."))
    current = list(EventAttendee.objects.filter(event=event))
    keep = {
        a.pk
        for a in current
        if (a.user_id in users) or (a.contact_id in contacts) or (a.lead_id in leads)
    }
    EventAttendee.objects.filter(event=event).exclude(pk__in=keep).delete()
    have_users = {a.user_id for a in current if a.pk in keep}
    have_contacts = {a.contact_id for a in current if a.pk in keep}
    have_leads = {a.lead_id for a in current if a.pk in keep}
    EventAttendee.objects.bulk_create(
        [EventAttendee(event=event, user_id=pk) for pk in sorted(users - have_users)]
        + [EventAttendee(event=event, contact_id=pk) for pk in sorted(contacts - have_contacts)]
        + [EventAttendee(event=event, lead_id=pk) for pk in sorted(leads - have_leads)]
    )


@transaction.atomic
def event_set_guests(*, actor: Actor, event: Event, guests: Guests) -> None:
    _require(actor, Right.CHANGE_RECORDS, event)
    _guests_set(actor, event, guests)


def _reminders_set(actor: Actor, event: Event, reminders: Reminders) -> None:
    """Replace the actor's reminders of the event (everyone's with ``for_all``). Reminders
    already there (same user and delay) are kept as they are: one already sent is not sent
    again."""
    minutes = sorted(set(reminders.minutes))
    if any(m < 0 or m > MAX_REMINDER_MINUTES for m in minutes):
        raise ValidationError({"reminder": _("A reminder is at most a year before the start.")})
    if event.kind == EventKind.NOTE:
        minutes = []
    people = {actor.user.pk}
    if reminders.for_all:
        people |= {pk for pk in (event.assigned_to_id, event.organizer_id) if pk}
        people |= set(
            EventAttendee.objects.filter(event=event, user__isnull=False).values_list(
                "user_id", flat=True
            )
        )
    wanted = {(user, m) for user in people for m in minutes}
    # "For me" sets the actor's own reminders and leaves the others' alone; "for all" sets
    # everyone's.
    scope = EventReminder.objects.filter(event=event)
    if not reminders.for_all:
        scope = scope.filter(user_id=actor.user.pk)
    current = {(r.user_id, r.minutes_before): r.pk for r in scope}
    stale = [pk for key, pk in current.items() if key not in wanted]
    EventReminder.objects.filter(pk__in=stale).delete()
    current = {
        (r.user_id, r.minutes_before): r.pk for r in EventReminder.objects.filter(event=event)
    }
    EventReminder.objects.bulk_create(
        [
            EventReminder(
                event=event,
                user_id=user,
                minutes_before=m,
                remind_at=event.start - timedelta(minutes=m),
            )
            for user, m in sorted(wanted - set(current))
        ]
    )


@transaction.atomic
def event_set_reminders(*, actor: Actor, event: Event, reminders: Reminders) -> None:
    _require(actor, Right.CHANGE_RECORDS, event)
    _reminders_set(actor, event, reminders)


def description_line(event: Event) -> str:
    """The description as one short plain line (lists)."""
    return html_to_plain(event.description)


def reminder_minutes(amount: int, unit: str) -> int:
    """Minutes before the start for "``amount`` ``unit``" (minutes, hours, days, weeks)."""
    factor = {"minutes": 1, "hours": 60, "days": 24 * 60, "weeks": 7 * 24 * 60}[unit]
    return amount * factor
