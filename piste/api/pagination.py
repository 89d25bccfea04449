"""Cursor pagination for list endpoints: keyset on the id, newest first.

A page costs the same at row 10 and at row 900,000: ``WHERE id < cursor ORDER BY id DESC LIMIT
n+1``. The cursor is the last id of the page, opaque to clients (base64 of the number).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from ninja import Schema

M = TypeVar("M", bound=Model)
T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def cursor_encode(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value = int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValidationError({"cursor": _("This cursor is not one the API gave.")}) from exc
    if value <= 0 or value > 2**63:
        raise ValidationError({"cursor": _("This cursor is not one the API gave.")})
    return value


def keyset_page(
    queryset: QuerySet[M], *, cursor: str | None, limit: int | None
) -> tuple[list[M], str | None]:
    """One page of ``queryset`` in id order, newest first, and the cursor of the next page."""
    size = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= size <= MAX_LIMIT:
        raise ValidationError(
            {"limit": _("Ask for 1 to %(max)s rows per page.") % {"max": MAX_LIMIT}}
        )
    if cursor:
        queryset = queryset.filter(pk__lt=cursor_decode(cursor))
    rows = list(queryset.order_by("-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (cursor_encode(rows[-1].pk) if more and rows else None)


def page_of(rows: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": rows, "next_cursor": next_cursor}
