"""The event endpoints of the REST API (``/api/v1/events``).

Every event is read through ``events_for_user`` (the pages' access rules: 404 outside them) and
written through ``piste.activities.services``. As on the event page, changing an event also
takes seeing the record it is linked to (403 otherwise: a guest sees the event, not always its
record); the record a new event is linked to must be one the caller sees (400 otherwise).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from piste.activities import services
from piste.activities.models import CallDirection, Event, EventKind, EventPriority, EventStatus
from piste.activities.selectors import event_get_for_user, events_for_user
from piste.activities.services_schedule import MovedMeanwhile, event_move
from piste.api.pagination import Page, keyset_page, page_of
from piste.core.access import Actor, require_actor, require_right
from piste.core.records import kind_of, record_get_for_user
from piste.core.rights import Right
from piste.core.services import ConflictError
from piste.leads.selectors import leads_for_user
from piste.opportunities.selectors import opportunities_for_user
from piste.partners.api_common import (
    ERRORS,
    Cursor,
    ExternalId,
    Id,
    Input,
    Limit,
    LongText,
    check_pk,
    check_range,
    company_user,
    resolve,
    text,
    visible,
)
from piste.partners.selectors import contacts_for_user, partners_for_user

router = Router(tags=["events"])


class EventOut(Schema):
    id: int
    version: int
    external_id: str
    kind: EventKind
    status: EventStatus
    subject: str
    start: datetime
    end: datetime
    all_day: bool
    location: str
    description: str
    priority: EventPriority
    call_direction: CallDirection | None
    assigned_to: int | None = Field(None, alias="assigned_to_id")
    organizer: int | None = Field(None, alias="organizer_id")
    team: int | None = Field(None, alias="team_id")
    lead: int | None = Field(None, alias="lead_id")
    partner: int | None = Field(None, alias="partner_id")
    contact: int | None = Field(None, alias="contact_id")
    opportunity: int | None = Field(None, alias="opportunity_id")
    done_at: datetime | None
    created_by: int | None = Field(None, alias="created_by_id")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_call_direction(obj: Event) -> str | None:
        return obj.call_direction or None


class EventFields(Input):
    external_id: ExternalId = ""
    kind: EventKind = EventKind.MEETING
    end: datetime | None = Field(
        None, description="A meeting without one lasts an hour; a call or task ends at start."
    )
    all_day: bool = False
    location: text(255) = ""  # type: ignore[valid-type]
    description: LongText = ""
    priority: EventPriority = EventPriority.NORMAL
    call_direction: CallDirection | None = None
    assigned_to: Id | None = None


class EventIn(EventFields):
    """A new planned event, linked to at most one record (a lead, partner, contact or
    opportunity the caller sees)."""

    subject: text(200)  # type: ignore[valid-type]
    start: datetime
    lead: Id | None = None
    partner: Id | None = None
    contact: Id | None = None
    opportunity: Id | None = None


class EventPatch(EventFields):
    """Only the fields sent change; ``version`` is the one the client read (409 if it moved)."""

    version: Id
    subject: text(200) = ""  # type: ignore[valid-type]
    start: datetime | None = None


class EventFilters(Schema):
    kind: EventKind | None = None
    status: EventStatus | None = None
    start_from: datetime | None = Field(None, description="Starting at or after.")
    start_to: datetime | None = Field(None, description="Starting before.")
    assigned_to: Id | None = None
    lead: Id | None = None
    partner: Id | None = None
    contact: Id | None = None
    opportunity: Id | None = None
    external_id: ExternalId | None = None
    cursor: Cursor | None = None
    limit: Limit = 50


_RECORDS = {
    "lead": leads_for_user,
    "partner": partners_for_user,
    "contact": contacts_for_user,
    "opportunity": opportunities_for_user,
}


def _rows(request: HttpRequest, f: EventFilters) -> QuerySet[Event]:
    check_range(start_from=f.start_from, start_to=f.start_to)
    qs = events_for_user(request.user)
    if f.kind is not None:
        qs = qs.filter(kind=f.kind)
    if f.status is not None:
        qs = qs.filter(status=f.status)
    if f.start_from is not None:
        qs = qs.filter(start__gte=f.start_from)
    if f.start_to is not None:
        qs = qs.filter(start__lt=f.start_to)
    if f.assigned_to is not None:
        qs = qs.filter(assigned_to_id=f.assigned_to)
    for name in _RECORDS:
        value = getattr(f, name)
        if value is not None:
            qs = qs.filter(**{f"{name}_id": value})
    if f.external_id:
        qs = qs.filter(external_id=f.external_id.strip())
    return qs


def _read(request: HttpRequest, pk: int) -> Event:
    return event_get_for_user(request.user, check_pk(pk))


@router.get("", response={200: Page[EventOut], **ERRORS})
def event_list(request: HttpRequest, filters: Query[EventFilters]) -> Any:
    """Events the caller may see (theirs by scope, and those they are invited to), newest
    first, a page at a time (``next_cursor``)."""
    rows, cursor = keyset_page(_rows(request, filters), cursor=filters.cursor, limit=filters.limit)
    return page_of(rows, cursor)


@router.get("/{pk}", response={200: EventOut, **ERRORS})
def event_read(request: HttpRequest, pk: int) -> Any:
    return _read(request, pk)


@router.post("", response={201: EventOut, **ERRORS})
def event_create(request: HttpRequest, payload: EventIn) -> Any:
    actor = require_right(request.user, Right.CREATE_RECORDS)
    data = payload.dict(exclude_unset=True)
    sent = [name for name in _RECORDS if data.get(name) is not None]
    if len(sent) > 1:
        raise ValidationError(
            {sent[1]: _("Link the event to one record: a lead, partner, contact or opportunity.")}
        )
    record = None
    if sent:
        name = sent[0]
        record = visible(_RECORDS[name](request.user), data[name], name)
    for name in _RECORDS:
        data.pop(name, None)
    data = resolve(actor, data, {"assigned_to": company_user})
    created = services.event_create(actor=actor, data=data, record=record)
    return Status(201, _read(request, created.pk))


def _for_change(request: HttpRequest, pk: int) -> tuple[Actor, Event]:
    """As on the event page: the event is visible (404), the caller holds the right (403)
    and sees the record the event is linked to (403)."""
    event = _read(request, pk)
    actor = require_right(request.user, Right.CHANGE_RECORDS)
    linked = services.linked_record(event)
    if linked is not None:
        try:
            record_get_for_user(request.user, kind_of(linked).slug, linked.pk)
        except Http404 as exc:
            raise PermissionDenied(_("You cannot see the record of this event.")) from exc
    return actor, event


@router.patch("/{pk}", response={200: EventOut, **ERRORS})
def event_update(request: HttpRequest, pk: int, payload: EventPatch) -> Any:
    actor, event = _for_change(request, pk)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    if "start" in data and data["start"] is None:
        del data["start"]  # an event always has a start: null keeps it
    data = resolve(actor, data, {"assigned_to": company_user})
    services.event_update(actor=actor, event=event, data=data, version=version)
    return _read(request, event.pk)


@router.delete("/{pk}", response={204: None, **ERRORS})
def event_delete(request: HttpRequest, pk: int) -> Any:
    """Takes the right to delete records, or being the event's creator or assignee."""
    event = _read(request, pk)
    actor = require_actor(request.user)
    if not services.may_delete(actor, event):
        raise PermissionDenied(Right.DELETE_RECORDS.label)
    services.event_delete(actor=actor, event=event)
    return Status(204, None)


class StatusIn(Input):
    status: EventStatus


class MoveIn(Input):
    """A new start (and end: else the event keeps its duration), as the calendar's drag and
    drop; ``version`` is the one the client read (409 if it moved)."""

    version: Id
    start: datetime
    end: datetime | None = None


@router.post("/{pk}/status", response={200: EventOut, **ERRORS})
def event_status(request: HttpRequest, pk: int, payload: StatusIn) -> Any:
    """Done (with the time it was done), cancelled, or planned again."""
    actor, event = _for_change(request, pk)
    services.event_set_status(actor=actor, event=event, status=payload.status)
    return _read(request, event.pk)


@router.post("/{pk}/move", response={200: EventOut, **ERRORS})
def event_move_endpoint(request: HttpRequest, pk: int, payload: MoveIn) -> Any:
    """As the calendar: the event is visible (404) and the caller may change records (403)."""
    event = _read(request, pk)
    require_right(request.user, Right.CHANGE_RECORDS)
    start = payload.start
    check_range(start=start, end=payload.end)
    try:
        end = payload.end if payload.end is not None else start + (event.end - event.start)
    except OverflowError:  # a start near the year 9999 plus a long duration
        end = None
    if end is None:
        raise ValidationError({"start": _("Enter a start with room for the event's duration.")})
    check_range(end=end)
    if event.all_day:
        start, end = services._day_bounds(start, end)
    if end < start:
        raise ValidationError({"end": _("The end is before the start.")})
    try:
        event_move(event=event, start=start, end=end, version=payload.version)
    except MovedMeanwhile as exc:
        raise ConflictError(
            _("Someone else changed this event meanwhile: read it again."), code="conflict"
        ) from exc
    return _read(request, event.pk)
