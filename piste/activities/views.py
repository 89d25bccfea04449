"""Event pages: a record's Events tab, the event form (opened in a record page's
``#record-dialog`` or as a page), the event page, its status buttons and delete, "My actions",
and the last / next event dates of a record.

Every event is read through ``event_get_for_user`` and every record through
``record_get_for_user`` first (404 for another company or outside the user's scope); a missing
right is a 403 after that. Writes go through ``piste.activities.services``.

HTMX: a save or a status change answers with the ``events-changed`` trigger; the Events pane and
the dates block of the record page listen to it and reload themselves.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.activities import selectors, services
from piste.activities.forms import ActionsFilterForm, EventForm
from piste.activities.models import Event, EventAttendee, EventKind, EventReminder, EventStatus
from piste.core.access import Actor, company_required, require_actor
from piste.core.forms import add_service_errors, posted
from piste.core.http import AuthedHttpRequest
from piste.core.pagination import keyset_page
from piste.core.records import kind_of, record_get_for_user, record_url
from piste.core.rights import Right

EVENTS_CHANGED = "events-changed"
PANE = "activities/record_events.html"
FORM = "activities/event_form.html"
DETAIL = "activities/detail.html"
ACTIONS = "activities/actions.html"
STATUSES = {"done": EventStatus.DONE, "cancel": EventStatus.CANCELLED, "plan": EventStatus.PLANNED}


def _record(request: AuthedHttpRequest, kind: str, pk: int) -> models.Model:
    """A record events hang on (lead, partner, contact, opportunity); 404 otherwise."""
    if kind not in ("lead", "partner", "contact", "opportunity"):
        raise Http404
    return record_get_for_user(request.user, kind, pk)


def _changed(response: HttpResponse) -> HttpResponse:
    response["HX-Trigger"] = EVENTS_CHANGED
    return response


def _next_url(request: AuthedHttpRequest, default: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


# A record's Events tab -----------------------------------------------------------------------


def _pane_context(request: AuthedHttpRequest, actor: Actor, kind: str, record: Any) -> dict:
    return {
        "kind": kind,
        "record": record,
        "record_url": record_url(record),
        "events": selectors.record_events(request.user, record),
        "can_create": actor.has(Right.CREATE_RECORDS),
        "can_change": actor.has(Right.CHANGE_RECORDS),
    }


@login_required
@company_required
@require_GET
def record_events(request: AuthedHttpRequest, kind: str, pk: int) -> HttpResponse:
    """The Events tab of a record (its ``pane`` partial for HTMX, a page of its own otherwise).

    Queries (HTMX): the session and the actor (4), the record (1 and its getter's own), the
    planned tasks, the upcoming events, the past ones (3)."""
    actor = require_actor(request.user)
    record = _record(request, kind, pk)
    context = _pane_context(request, actor, kind, record)
    return render(request, f"{PANE}#pane" if request.htmx else PANE, context)


@login_required
@company_required
@require_GET
def record_dates(request: AuthedHttpRequest, kind: str, pk: int) -> HttpResponse:
    """The "Last event date" / "Next scheduled event date" block of a record page (reloaded
    after each change of its events)."""
    record = _record(request, kind, pk)
    return render(
        request,
        "activities/event_dates.html",
        {"dates": selectors.event_dates(record), "kind": kind, "record": record},
    )


# Create --------------------------------------------------------------------------------------


def _saved(request: AuthedHttpRequest, event: Event, default: str) -> HttpResponse:
    """After a save: HTMX gets a short confirmation in the dialog and the pane reloads; a
    plain POST goes back to where it came from (the record page, or the event)."""
    if request.htmx:
        return _changed(render(request, f"{FORM}#saved", {"event": event}))
    messages.success(request, _("The event “%(name)s” was saved.") % {"name": event})
    return redirect(_next_url(request, default))


def _form_response(request: AuthedHttpRequest, context: dict[str, Any]) -> HttpResponse:
    if request.htmx and request.htmx.target == "record-dialog":
        return render(request, f"{FORM}#dialog", context)
    # The page of its own posts plainly: the save then goes back to ``next`` (the list of the
    # row icon) instead of answering in place.
    return render(request, FORM, {**context, "plain": True})


def _create(
    request: AuthedHttpRequest, kind: str | None, record: models.Model | None
) -> HttpResponse:
    actor = require_actor(request.user)
    if not actor.has(Right.CREATE_RECORDS):
        raise PermissionDenied(Right.CREATE_RECORDS.label)
    event_kind = request.GET.get("type") or request.POST.get("kind") or EventKind.MEETING
    form = EventForm(posted(request), actor=actor, record=record, kind=event_kind)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(
                actor=actor,
                data=form.event_data(),
                record=record,
                guests=form.guests(),
                reminders=form.reminders(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            default = record_url(record) if record is not None else _detail_url(event)
            return _saved(request, event, default)
    if record is not None:
        action = reverse("activities:record_event_new", args=[kind, record.pk])
    else:
        action = reverse("activities:new")
    shown = form["kind"].value() if form.is_bound else form.initial.get("kind", event_kind)
    context = {
        "form": form,
        "record": record,
        "kind": kind,
        "record_url": record_url(record) if record is not None else "",
        "action": action,
        "event_kind": shown if shown in EventKind.values else EventKind.MEETING,
        "event": None,
        "next": _next_url(request, ""),
    }
    return _form_response(request, context)


@login_required
@company_required
@require_http_methods(["GET", "POST"])
def record_event_new(request: AuthedHttpRequest, kind: str, pk: int) -> HttpResponse:
    """Plan an event on a record: ``?type=call|meeting|task|note`` (the one-click buttons)."""
    record = _record(request, kind, pk)
    return _create(request, kind, record)


@login_required
@company_required
@require_http_methods(["GET", "POST"])
def event_new(request: AuthedHttpRequest) -> HttpResponse:
    """Plan an event on no record (``/events/new/``); ``?record=lead-42`` links it to one."""
    raw = request.GET.get("record", "")
    if raw:
        kind, _sep, pk = raw.partition("-")
        record = _record(request, kind, pk)  # type: ignore[arg-type]
        return redirect(
            f"{reverse('activities:record_event_new', args=[kind, record.pk])}"
            f"?type={request.GET.get('type', '')}"
        )
    return _create(request, None, None)


# One event -----------------------------------------------------------------------------------


def _detail_url(event: Event) -> str:
    return reverse("activities:detail", args=[event.pk])


def _for_change(request: AuthedHttpRequest, pk: int) -> tuple[Actor, Event]:
    """The event, for a user who may change it: it is visible (404), the user holds the
    right (403) and sees the record the event is linked to (403 otherwise: a guest sees the
    event but not always its record)."""
    actor = require_actor(request.user)
    event = selectors.event_get_for_user(request.user, pk)
    if not actor.has(Right.CHANGE_RECORDS):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    linked = services.linked_record(event)
    if linked is not None:
        try:
            record_get_for_user(request.user, kind_of(linked).slug, linked.pk)
        except Http404 as exc:
            raise PermissionDenied(_("You cannot see the record of this event.")) from exc
    return actor, event


def _detail_context(actor: Actor, event: Event, form: EventForm | None = None) -> dict:
    linked = services.linked_record(event)
    can_change = actor.has(Right.CHANGE_RECORDS)
    attendees = list(
        EventAttendee.objects.filter(event=event).select_related("user", "contact", "lead")
    )
    reminders = list(EventReminder.objects.filter(event=event).select_related("user"))
    return {
        "event": event,
        "form": form
        if form is not None
        else (EventForm(actor=actor, event=event) if can_change else None),
        "linked": linked,
        "linked_url": record_url(linked) if linked is not None else "",
        "attendees": attendees,
        "reminders": reminders,
        "can_change": can_change,
        "can_delete": services.may_delete(actor, event),
        "action": reverse("activities:edit", args=[event.pk]),
        "event_kind": event.kind,
    }


@login_required
@company_required
@require_GET
def event_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The event page: what it is, its record, guests and reminders, its status buttons and
    the form to change it."""
    actor = require_actor(request.user)
    event = selectors.event_get_for_user(request.user, pk)
    return render(request, DETAIL, _detail_context(actor, event))


@login_required
@company_required
@require_http_methods(["GET", "POST"])
def event_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Change an event: the form (in ``#record-dialog`` for HTMX, or the event page) and its
    save, refused when someone saved the event meanwhile."""
    actor, event = _for_change(request, pk)
    form = EventForm(posted(request), actor=actor, event=event)
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data.get("version")
        try:
            services.event_update(
                actor=actor,
                event=event,
                data=form.event_data(),
                version=version if version is not None else -1,
                guests=form.guests(),
                reminders=form.reminders(),
            )
        except services.ConflictError as exc:
            # Nothing was written: the form keeps the typed values and now carries the saved
            # version, so saving again knowingly replaces the other user's changes.
            form.add_error(None, exc)
            form.set_version(Event.objects.get(pk=event.pk).version)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _saved(request, event, _detail_url(event))
    if request.htmx and request.htmx.target == "record-dialog":
        context = {
            "form": form,
            "event": event,
            "action": reverse("activities:edit", args=[event.pk]),
            "event_kind": event.kind,
            "record": services.linked_record(event),
            "next": _next_url(request, ""),
        }
        return render(request, f"{FORM}#dialog", context)
    status = 400 if request.method == "POST" else 200
    return render(request, DETAIL, _detail_context(actor, event, form), status=status)


@login_required
@company_required
@require_POST
def event_status(request: AuthedHttpRequest, pk: int, action: str) -> HttpResponse:
    """Done, Cancel, or Plan again: HTMX gets 204 and the ``events-changed`` trigger."""
    if action not in STATUSES:
        raise Http404
    actor, event = _for_change(request, pk)
    services.event_set_status(actor=actor, event=event, status=STATUSES[action])
    if request.htmx:
        return _changed(HttpResponse(status=204))
    messages.success(
        request,
        _("“%(name)s” is now %(status)s.")
        % {"name": event, "status": event.get_status_display().lower()},
    )
    return redirect(_next_url(request, _detail_url(event)))


@login_required
@company_required
@require_POST
def event_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_actor(request.user)
    event = selectors.event_get_for_user(request.user, pk)
    if not services.may_delete(actor, event):
        raise PermissionDenied(Right.DELETE_RECORDS.label)
    linked = services.linked_record(event)
    name = str(event)
    services.event_delete(actor=actor, event=event)
    if request.htmx:
        return _changed(HttpResponse(status=204))
    messages.success(request, _("The event “%(name)s” was deleted.") % {"name": name})
    default = record_url(linked) if linked is not None else reverse("activities:actions")
    return redirect(_next_url(request, default))


# My actions ----------------------------------------------------------------------------------


@login_required
@company_required
@require_GET
def actions(request: AuthedHttpRequest) -> HttpResponse:
    """ "My actions": my planned tasks by due date, the late ones in red; ``?show=late`` keeps
    the late ones only. Keyset pages (``?cursor=``).

    Queries: the session and the actor (4), one page of tasks with their records (1)."""
    require_actor(request.user)
    form = ActionsFilterForm(request.GET)
    late_only = form.late_only()
    page = keyset_page(
        selectors.my_actions(request.user, late_only=late_only),
        sort="end",
        cursor=request.GET.get("cursor"),
        per_page=selectors.ACTIONS_PER_PAGE,
    )
    for row in page.rows:
        linked = services.linked_record(row)
        row.linked = linked  # type: ignore[attr-defined]
        row.linked_url = record_url(linked) if linked is not None else ""  # type: ignore[attr-defined]
    context = {"page": page, "form": form, "late_only": late_only}
    if request.htmx and request.htmx.target == "actions-rows":
        return render(request, f"{ACTIONS}#rows", context)
    return render(request, ACTIONS, context)
