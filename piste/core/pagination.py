"""Keyset ("cursor") pagination: a deep page costs what the first page costs.

Ordering is always (sort column, id), so the cursor (last value, last id) is unambiguous.
Sort columns must be NOT NULL. No COUNT(*): the page knows only whether there is a next/previous
page, which is what the list needs.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime

M = TypeVar("M", bound=Model)


@dataclass
class Page(Generic[M]):
    rows: list[M]
    next_cursor: str | None
    prev_cursor: str | None


def _encode(value: Any, pk: int, direction: str) -> str:
    if isinstance(value, datetime):
        value = {"dt": value.isoformat()}
    raw = json.dumps([value, pk, direction], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[Any, int, str] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk, direction = json.loads(raw)
        if isinstance(value, dict) and "dt" in value:
            value = parse_datetime(value["dt"])
        if direction not in ("n", "p") or not isinstance(pk, int):
            return None
        if isinstance(value, str) and "\x00" in value:
            return None  # PostgreSQL refuses NUL in text: a forged cursor shows the first page
        return value, pk, direction
    except (ValueError, TypeError, json.JSONDecodeError):
        return None  # a tampered or stale cursor shows the first page


def _value(obj: Any, field: str) -> Any:
    """The row's value of ``field``, following ``__`` through related objects."""
    for part in field.split("__"):
        obj = getattr(obj, part)
    return obj


def _fits(queryset: QuerySet[Any], field: str, decoded: tuple[Any, int, str]) -> bool:
    """Whether the cursor's value is one of the sort column's (a cursor of another sort or a
    crafted one would make the filter fail: a 500 instead of the first page)."""
    model: Any = queryset.model
    try:
        for part in field.split("__"):
            model_field = model._meta.get_field(part)
            model = model_field.related_model or model
        return model_field.to_python(decoded[0]) is not None  # sort columns are NOT NULL
    except (ValidationError, ValueError, TypeError):
        return False


def keyset_page(
    queryset: QuerySet[M], *, sort: str, cursor: str | None, per_page: int = 25
) -> Page[M]:
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    decoded = _decode(cursor) if cursor else None
    if decoded is not None and not _fits(queryset, field, decoded):
        decoded = None
    backwards = decoded is not None and decoded[2] == "p"

    # Walking backwards reads the same index in the opposite order, then flips the rows.
    reverse = descending != backwards
    order = [f"-{field}", "-id"] if reverse else [field, "id"]
    qs = queryset
    if decoded is not None:
        value, pk, _ = decoded
        op = "lt" if reverse else "gt"
        # The first bound is redundant for the result but lets the database start its index
        # scan at the cursor instead of filtering every row before it (137 ms -> 0.1 ms at
        # 900,000 rows deep on PostgreSQL).
        qs = qs.filter(
            Q(**{f"{field}__{op}e": value}),
            Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"id__{op}": pk}),
        )
    rows = list(qs.order_by(*order)[: per_page + 1])
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    if not rows:
        return Page(rows=[], next_cursor=None, prev_cursor=None)
    first, last = rows[0], rows[-1]
    has_next = has_more if not backwards else True
    has_prev = decoded is not None and (has_more if backwards else True)
    return Page(
        rows=rows,
        next_cursor=_encode(_value(last, field), last.pk, "n") if has_next else None,
        prev_cursor=_encode(_value(first, field), first.pk, "p") if has_prev else None,
    )


def grouped_page(
    queryset: QuerySet[M],
    *,
    field: str,
    groups: list[Any],
    cursor: str | None,
    descending: bool = False,
    per_page: int = 25,
) -> Page[M]:
    """Keyset pages ordered by the position of ``field``'s value in ``groups``, then by id.

    For a sort on a small set of values whose order lives in another table (a lead's status in
    the statuses' order, its assignee in the users' name order): the rows are read one group at a
    time through the (field, id) index, so a deep page costs what the first one costs and nothing
    sorts the whole table. Rows whose value is not in ``groups`` are not listed. ``field`` is a
    column name (``status_id``); a None group holds the rows where it is empty.

    Queries: one per group read until the page is full (empty groups cost an index probe each).
    """
    positions = {value: i for i, value in enumerate(groups)}
    decoded = _decode(cursor) if cursor else None
    if decoded is not None and not (isinstance(decoded[0], int) and 0 <= decoded[0] < len(groups)):
        decoded = None
    backwards = decoded is not None and decoded[2] == "p"
    walk = list(range(len(groups)))
    if descending != backwards:
        walk.reverse()
    ids_down = descending != backwards
    start = walk.index(decoded[0]) if decoded is not None else 0
    need = per_page + 1
    rows: list[M] = []
    for step, position in enumerate(walk[start:]):
        value = groups[position]
        qs = queryset.filter(**({f"{field}__isnull": True} if value is None else {field: value}))
        if decoded is not None and step == 0:
            qs = qs.filter(**{"id__lt" if ids_down else "id__gt": decoded[1]})
        rows.extend(qs.order_by("-id" if ids_down else "id")[: need - len(rows)])
        if len(rows) >= need:
            break
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    if not rows:
        return Page(rows=[], next_cursor=None, prev_cursor=None)
    first, last = rows[0], rows[-1]
    has_next = has_more if not backwards else True
    has_prev = decoded is not None and (has_more if backwards else True)
    return Page(
        rows=rows,
        next_cursor=_encode(positions[getattr(last, field)], last.pk, "n") if has_next else None,
        prev_cursor=_encode(positions[getattr(first, field)], first.pk, "p") if has_prev else None,
    )
