from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from piste.core.access import in_company
from piste.core.models import NamedReferential
from piste.core.pagination import Page, keyset_page
from piste.core.referentials import Referential
from piste.core.search import byte_order, byte_prefix_q
from piste.core.text import fold, is_id, search_text

CONFIG_PAGE_SIZE = 25


def referential_sort_key(referential: Referential, sort: str | None) -> str:
    """The ordering asked in the URL, if it is one the list offers; by name otherwise."""
    allowed = {"name": "name_key", "created_at": "created_at"}
    allowed.update({c: c for c in referential.sortable})
    if sort:
        field = allowed.get(sort.lstrip("-"))
        if field:
            return f"-{field}" if sort.startswith("-") else field
    return "name_key"


def referentials_page(
    *, user: Any, referential: Referential, q: str, sort: str | None, cursor: str | None
) -> Page[NamedReferential]:
    """One page of a configuration list. Queries: 1 (the page)."""
    qs: QuerySet[NamedReferential] = in_company(user, referential.model.objects.all())
    key = fold(q)
    if key:
        qs = qs.filter(name_key__contains=key)
    related = [
        name for name in referential.columns if referential.model._meta.get_field(name).many_to_one
    ]
    if related:
        qs = qs.select_related(*related)
    return keyset_page(
        qs,
        sort=referential_sort_key(referential, sort),
        cursor=cursor,
        per_page=CONFIG_PAGE_SIZE,
    )


def bounded_choices(qs: QuerySet[Any], *, chosen: Iterable[Any], limit: int) -> list[Any]:
    """What a select offers from a referential that may be huge (tags): the first ``limit`` rows
    by name, plus the ``chosen`` ids (ints or digit strings) missing from them. A page never
    renders a whole referential. Queries: 1, or 2 when a chosen row is past the limit."""
    rows = list(qs.order_by("name_key", "id")[:limit])
    wanted = {int(pk) for pk in chosen if is_id(pk)}
    missing = wanted - {r.pk for r in rows}
    if missing:
        rows += list(qs.filter(pk__in=missing))
    return rows


CHOICES = 20


def name_choices(qs: QuerySet[Any], q: str | None, *, limit: int = CHOICES) -> list[Any]:
    """What a picker's search box offers from a referential that may be huge (tags): the rows
    whose name starts with the typed letters, in name order, then, from three letters, those
    holding them elsewhere. The prefix walks the (company, name_key in byte order, id) index;
    the rest uses the trigram index. Queries: 1, or 2 when the first is short."""
    key = fold(search_text(q, max_length=100))
    if not key:
        return list(qs.order_by("name_key", "id")[:limit])
    named = qs.alias(name_bytes=byte_order("name_key"))
    rows = list(named.filter(byte_prefix_q("name_bytes", key)).order_by("name_bytes", "id")[:limit])
    if len(rows) < limit and len(key) >= 3:
        rows += (
            named.filter(name_key__contains=key)
            .exclude(byte_prefix_q("name_bytes", key))
            .order_by("name_key", "id")[: limit - len(rows)]
        )
    return rows
