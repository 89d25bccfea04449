"""The activity timeline: written by services, read on every record page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from piste.core.models import Activity
from piste.core.text import is_id

TIMELINE_PAGE_SIZE = 20


def _display(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def diff_fields(before: dict[str, Any], obj: models.Model, fields: list[str]) -> list[dict]:
    """The changes between a snapshot taken with ``snapshot`` and the saved object."""
    changes = []
    for name in fields:
        new = _display(getattr(obj, name))
        if before.get(name) != new:
            changes.append({"field": name, "from": before.get(name), "to": new})
    return changes


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    return {name: _display(getattr(obj, name)) for name in fields}


# Who hears of every new timeline line, inside the writing transaction: the webhooks app
# (``on_activity``). Called with (company id, model, verb, [(object id, data), …]).
ActivityListener = Callable[[int | None, type[models.Model], str, list[tuple[int, dict]]], None]
_LISTENERS: list[ActivityListener] = []


def on_activity(listener: ActivityListener) -> None:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def _notify(
    company_id: int | None, model: type[models.Model], verb: str, items: list[tuple[int, dict]]
) -> None:
    for listener in _LISTENERS:
        listener(company_id, model, verb, items)


def activity_record(
    *,
    obj: models.Model,
    verb: str,
    actor: Any = None,
    data: dict[str, Any] | None = None,
    company_id: int | None = None,
) -> Activity:
    """Append one line to ``obj``'s timeline. Call it from services, inside their transaction."""
    activity = Activity.objects.create(
        company_id=company_id if company_id is not None else getattr(obj, "company_id", None),
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        verb=verb,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        data=data or {},
    )
    _notify(activity.company_id, type(obj), verb, [(obj.pk, activity.data)])
    return activity


def activities_record(
    *,
    objs: list[Any],
    verb: str,
    actor: Any,
    data: Callable[[Any], dict[str, Any]],
    company_id: int,
) -> None:
    """``activity_record`` for many records of one model at once (bulk actions): the lines are
    inserted in batches instead of one INSERT per record."""
    if not objs:
        return
    content_type = ContentType.objects.get_for_model(objs[0])
    actor = actor if getattr(actor, "is_authenticated", False) else None
    rows = [
        Activity(
            company_id=company_id,
            content_type=content_type,
            object_id=obj.pk,
            verb=verb,
            actor=actor,
            data=data(obj),
        )
        for obj in objs
    ]
    Activity.objects.bulk_create(rows, batch_size=1000)
    _notify(company_id, type(objs[0]), verb, [(row.object_id, row.data) for row in rows])


# Records whose timeline also shows other records' lines: a partner shows the history of the
# leads converted into it. {model: [(linked model, its foreign key to model)]}, registered by
# the apps that hold the links (``link_timelines``).
_LINKED: dict[type[models.Model], list[tuple[type[models.Model], str]]] = {}


# At most this many linked records (converted leads) show on one timeline.
MAX_LINKED = 100


def link_timelines(model: type[models.Model], linked: type[models.Model], fk: str) -> None:
    """Show on each ``model`` record's timeline the lines of the ``linked`` records whose
    ``fk`` points at it."""
    _LINKED.setdefault(model, []).append((linked, fk))


def timeline_for(
    obj: models.Model, *, before_id: int | None = None, limit: int = TIMELINE_PAGE_SIZE
) -> tuple[list[Activity], int | None]:
    """One page of ``obj``'s timeline, newest first, and the id to continue from (or None).

    Keyset paging on the (content type, object id, -id) index: page 1 and page 1,000 cost the
    same. Queries: 1 (activities joined to their actor), 1 per kind of linked records (their
    ids), and 1 more when the page holds their lines (their names: each line's ``origin``).
    """
    own_type = ContentType.objects.get_for_model(obj)
    where = models.Q(content_type=own_type, object_id=obj.pk)
    for linked, fk in _LINKED.get(type(obj), ()):
        # The linked ids first (an index lookup, usually none): a subquery in the OR would keep
        # PostgreSQL from walking the timeline index (12 ms instead of 1 at 1,000,000 rows).
        ids = list(
            linked._default_manager.filter(**{f"{fk}_id": obj.pk}).values_list("pk", flat=True)[
                :MAX_LINKED
            ]
        )
        if ids:
            where |= models.Q(
                content_type=ContentType.objects.get_for_model(linked), object_id__in=ids
            )
    qs: QuerySet[Activity] = Activity.objects.filter(where)
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    rows = list(qs.select_related("actor").order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    _set_origins(rows, own_type.pk)
    return rows, (rows[-1].id if more and rows else None)


def _set_origins(rows: list[Activity], own_type_id: int) -> None:
    """Each line of a linked record gets that record as ``origin`` (read in one query per model)."""
    wanted: dict[int, set[int]] = {}
    for row in rows:
        if row.content_type_id != own_type_id:
            wanted.setdefault(row.content_type_id, set()).add(row.object_id)
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        found = model._default_manager.in_bulk(ids)
        for row in rows:
            if row.content_type_id == type_id:
                row.origin = found.get(row.object_id)  # type: ignore[attr-defined]


def field_label(model: type[models.Model], name: str) -> str:
    try:
        field = model._meta.get_field(name)
        if isinstance(field, models.Field):
            return str(field.verbose_name)
        # A reverse relation (a city's postal codes) has no verbose name: the related model's.
        related = field.related_model
        if isinstance(related, type) and issubclass(related, models.Model):
            return str(related._meta.verbose_name_plural)
        return name
    except Exception:
        return name


def before_param(request: HttpRequest) -> int | None:
    """The ``?before=`` of the timeline's "Show older" link; anything malformed is ignored."""
    raw = request.GET.get("before", "")
    return int(raw) if is_id(raw) else None


def timeline_context(request: HttpRequest, obj: models.Model) -> dict[str, Any]:
    """What ``components/timeline.html`` shows: one page of ``obj``'s timeline (``?before=``)."""
    activities, next_before = timeline_for(obj, before_id=before_param(request))
    return {"activities": activities, "next_before": next_before, "object": obj}


def older_page(request: HttpRequest, obj: models.Model) -> HttpResponse | None:
    """The timeline's "Show older" page (HTMX with ``?before=``); None for any other request."""
    if getattr(request, "htmx", False) and "before" in request.GET:
        return render(request, "components/timeline.html", timeline_context(request, obj))
    return None
