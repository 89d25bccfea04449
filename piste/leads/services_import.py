"""Bulk writes of the import wizard (``piste.imports``): many leads per query.

The values arrive checked by ``piste.leads.services._normalise`` (the form's own rules) and with
their related records resolved inside the actor's company; these functions only fill what
``lead_create`` fills (status, creator, owner defaults, derived columns) and write in batches.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.utils import timezone

from piste.core.access import Actor
from piste.core.rights import Right
from piste.geo.models import Address
from piste.imports.copy import insert_rows
from piste.leads.models import Lead, LeadStatus
from piste.leads.services import DERIVED, _refresh_derived, _status_by_role
from piste.users.selectors import agencies_enabled

BATCH = 2000
ADDRESS_COLUMNS = ("line1", "postal_code", "city_name")


class LeadDraft:
    """A lead being imported, as plain attributes: what ``_refresh_derived`` reads and writes,
    without the cost of a model instance (most of a bulk insert's time)."""

    address: Any = None
    address_id: int | None = None
    pk: int
    id: int
    simple_full_name = Lead.simple_full_name

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


_FK_NAMES = {f.name: f.attname for f in Lead._meta.concrete_fields if f.is_relation}
_DEFAULTS = {
    f.attname: f.get_default()
    for f in Lead._meta.concrete_fields
    if not f.primary_key and not f.is_relation and f.has_default()
}
_TEXT = {
    f.attname: ""
    for f in Lead._meta.concrete_fields
    if isinstance(f, models.CharField | models.TextField) and not f.has_default()
}


@transaction.atomic
def leads_import_create(*, actor: Actor, rows: list[dict[str, Any]]) -> list[LeadDraft]:
    """New leads from normalised ``rows``: COPY on PostgreSQL (one per batch, their addresses
    too), ``bulk_create`` elsewhere. Returns them as drafts holding their new ``pk``."""
    if not actor.has(Right.CREATE_RECORDS):
        raise PermissionDenied(Right.CREATE_RECORDS.label)
    user = actor.user
    status = _status_by_role(actor.company.pk, LeadStatus.Role.DEFAULT)
    agency_id = user.active_agency_id if agencies_enabled(actor.company) else None
    drafts: list[LeadDraft] = []
    addresses: list[tuple[LeadDraft, dict[str, Any]]] = []
    base = {
        **_TEXT,
        **_DEFAULTS,
        "company_id": actor.company.pk,
        "status_id": status.pk,
        "created_by_id": user.pk,
        "assigned_to_id": user.pk,
        "team_id": user.active_team_id,
        "agency_id": agency_id,
    }
    for values in rows:
        address = _address_values(values)
        attrs = dict(base)
        for name, value in values.items():
            attname = _FK_NAMES.get(name)
            if attname is not None:
                if value is not None:
                    attrs[attname] = value.pk
            else:
                attrs[name] = value
        draft = LeadDraft(attrs)
        if address is not None:
            addresses.append((draft, address))
        drafts.append(draft)
    if addresses:
        ids = insert_rows(Address, [a for _draft, a in addresses])
        for (draft, address), pk in zip(addresses, ids, strict=True):
            draft.address_id = pk
            draft.address = SimpleNamespace(**address)
    for draft in drafts:
        _refresh_derived(draft)  # type: ignore[arg-type]
    # A draft's attributes are its row: ``insert_rows`` reads the columns and ignores the rest.
    ids = insert_rows(Lead, [d.__dict__ for d in drafts])
    for draft, pk in zip(drafts, ids, strict=True):
        draft.pk = draft.id = pk
    return drafts


def _address_values(values: dict[str, Any]) -> dict[str, Any] | None:
    parts = {
        "line1": values.pop("address_line1", None) or "",
        "postal_code": values.pop("address_postal_code", None) or "",
        "city_name": values.pop("address_city", None) or "",
    }
    return parts if any(parts.values()) else None


@transaction.atomic
def leads_import_update(
    *, actor: Actor, pairs: list[tuple[Lead, dict[str, Any]]], fields: list[str]
) -> None:
    """Save ``fields`` of the leads (already set on them by the caller) in one UPDATE per
    batch; the derived columns follow and the version moves (an open form sees the change)."""
    if not actor.has(Right.CHANGE_RECORDS):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    leads = []
    new_addresses: list[tuple[Lead, Address]] = []
    changed_addresses: list[Address] = []
    for lead, values in pairs:
        if lead.company_id != actor.company.pk:
            raise PermissionDenied
        parts = _address_values(values)
        if parts is not None:
            current = lead.address if lead.address_id else None
            if current is None:
                new_addresses.append((lead, Address(**parts)))
            else:
                # Only the filled cells replace the address's lines; the same address is no
                # write at all.
                filled = {name: value for name, value in parts.items() if value}
                if any(getattr(current, name) != value for name, value in filled.items()):
                    for name, value in filled.items():
                        setattr(current, name, value)
                    changed_addresses.append(current)
        leads.append(lead)
    if new_addresses:
        Address.objects.bulk_create([a for _lead, a in new_addresses], batch_size=BATCH)
        for lead, address in new_addresses:
            lead.address = address
    if changed_addresses:
        columns = [f for f in Address._meta.concrete_fields if f.name in ADDRESS_COLUMNS]
        update_rows(Address, changed_addresses, columns)
    for lead in leads:
        _refresh_derived(lead)
    names = sorted({*fields, *DERIVED, "address"})
    columns = [f for f in Lead._meta.concrete_fields if f.name in names]
    now = timezone.now()
    update_rows(Lead, leads, columns, now=now)
    for lead in leads:
        lead.version += 1
        lead.updated_at = now


def update_rows(
    model: type[models.Model], objs: list[Any], columns: list[models.Field], *, now: Any = None
) -> None:
    """Save ``columns`` of ``objs`` (and, with ``now``, move their ``updated_at`` and
    ``version``). PostgreSQL: one UPDATE for them all, the new values sent as one array per
    column joined on the id (cheaper for it than a statement per row, even pipelined).
    Elsewhere: a statement per row."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    stamp = ", updated_at = %s, version = t.version + 1" if now is not None else ""
    if connection.vendor == "postgresql":
        sets = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns)
        arrays = ", ".join(f"%s::{_array_type(c)}" for c in columns)
        aliases = ", ".join(quote(c.column) for c in columns)
        sql = (
            f"UPDATE {table} AS t SET {sets}{stamp} "  # noqa: S608
            f"FROM unnest(%s::bigint[], {arrays}) AS v(id, {aliases}) WHERE t.id = v.id"
        )
        params: list[Any] = [now] if now is not None else []
        params.append([obj.pk for obj in objs])
        for c in columns:
            params.append([c.get_db_prep_save(getattr(obj, c.attname), connection) for obj in objs])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    sets = ", ".join(f"{quote(c.column)} = %s" for c in columns)
    sql = f"UPDATE {table} AS t SET {sets}{stamp} WHERE id = %s"  # noqa: S608
    rows = []
    for obj in objs:
        row = [c.get_db_prep_save(getattr(obj, c.attname), connection) for c in columns]
        rows.append([*row, now, obj.pk] if now is not None else [*row, obj.pk])
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _array_type(field: models.Field) -> str:
    """The PostgreSQL array type of a column: ``varchar(200)[]``, ``integer[]``..."""
    return f"{field.db_type(connection)}[]"  # a foreign key's is its target's: integer, bigint
