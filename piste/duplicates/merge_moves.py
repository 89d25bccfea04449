"""How a merge moves related rows, and how undo moves them back.

Every foreign key pointing at the merged model is found through ``_meta`` (``relations_to``), so
a link added by a later model moves without a change here; rows pointing at a record through a
content type and an id are listed in ``GENERIC_RELATED``. Rows move set-based: one SELECT of the
ids per relation, then one UPDATE per ``CHUNK`` ids, whatever their number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from piste.partners.models import Contact

# Rows pointing at a record through a content type and an id instead of a foreign key: (model
# label, content type field, id field). Events, emails and documents add their line here.
GENERIC_RELATED: list[tuple[str, str, str]] = [
    ("core.activity", "content_type", "object_id"),
    ("documents.document", "content_type", "object_id"),
    ("emails.email", "content_type", "object_id"),
]

# Ids per UPDATE: PostgreSQL and SQLite take a thousand parameters at ease.
CHUNK = 1000


def chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


# Values as the log stores them (JSON) ---------------------------------------------------------


def dump(value: Any) -> Any:
    if isinstance(value, FieldFile):
        return value.name or ""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def load(model_field: models.Field[Any, Any], value: Any) -> Any:
    if value is None:
        return None
    return model_field.to_python(value)


def raw(obj: models.Model, name: str) -> Any:
    """A field's stored value: a foreign key's id, a file's name."""
    model_field = obj._meta.get_field(name)
    value = model_field.value_from_object(obj)  # type: ignore[union-attr]
    return value.name if isinstance(value, FieldFile) else value


# The relations that point at a model ----------------------------------------------------------


@dataclass(frozen=True)
class _Relation:
    model: type[models.Model]
    name: str
    attname: str
    # For each unique set holding the foreign key, its other columns (attnames).
    unique_with: tuple[tuple[str, ...], ...]
    # An auto-created many-to-many table: a duplicate link row may be dropped (and recreated by
    # undo); a duplicate in any other model would be data, so the merge is refused instead.
    is_link: bool
    is_self: bool
    has_version: bool

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


@cache
def relations_to(model: type[models.Model]) -> tuple[_Relation, ...]:
    """Every foreign key (or one-to-one) pointing at ``model``, many-to-many tables included,
    but the merge's own ``merged_into``."""
    found = []
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        fk = rel.field  # type: ignore[union-attr]
        related: type[models.Model] = fk.model
        if related is model and fk.name == "merged_into":
            continue
        meta = related._meta
        sets = [tuple(u) for u in meta.unique_together]
        sets += [tuple(c.fields) for c in meta.total_unique_constraints]
        if fk.unique:
            sets.append((fk.name,))
        unique_with = tuple(
            tuple(meta.get_field(n).attname for n in s if n != fk.name)  # type: ignore[union-attr]
            for s in sets
            if fk.name in s
        )
        found.append(
            _Relation(
                model=related,
                name=fk.name,
                attname=fk.attname,
                unique_with=unique_with,
                is_link=bool(meta.auto_created),
                is_self=related is model,
                has_version=any(f.name == "version" for f in meta.concrete_fields),
            )
        )
    return tuple(found)


def _generic(label: str, name: str) -> tuple[str, str] | None:
    for model_label, ct_field, id_field in GENERIC_RELATED:
        if model_label == label and id_field == name:
            return ct_field, id_field
    return None


@dataclass
class MoveLog:
    moves: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def moved_count(self) -> int:
        return sum(len(m["ids"]) for m in self.moves)


def _row_values(model: type[models.Model], pks: list[int]) -> list[dict[str, Any]]:
    names = [f.attname for f in model._meta.concrete_fields]
    rows: list[dict[str, Any]] = []
    for chunk in chunks(pks):
        rows += model._base_manager.filter(pk__in=chunk).values(*names)
    return rows


def _remove_links(
    log: MoveLog, model: type[models.Model], pks: list[int], origins: dict[str, dict[int, int]]
) -> None:
    """Delete link rows, keeping each as it was before the merge (``origins``: column ->
    {row id: the id it held before this merge moved it}) so that undo recreates it."""
    if not pks:
        return
    label = model._meta.label_lower
    key = model._meta.pk.attname
    for values in _row_values(model, pks):
        for column, before in origins.items():
            if values[key] in before:
                values[column] = before[values[key]]
        log.removed.append({"model": label, "values": {k: dump(v) for k, v in values.items()}})
    for chunk in chunks(pks):
        model._base_manager.filter(pk__in=chunk).delete()


def move_relation(
    log: MoveLog, rel: _Relation, survivor_pk: int, other_ids: list[int], all_ids: list[int]
) -> None:
    manager = rel.model._base_manager
    rows = manager.filter(**{f"{rel.attname}__in": other_ids})
    if rel.is_self:
        # The merged records' own links to one another (a partner's parent) are field values,
        # chosen like the others: the survivor never becomes its own parent.
        rows = rows.exclude(pk__in=all_ids)
    columns = sorted({c for s in rel.unique_with for c in s})
    fetched = list(rows.order_by("pk").values_list("pk", rel.attname, *columns))
    if not fetched:
        return
    dropped: list[int] = []
    if rel.unique_with:
        # The unique keys the survivor's rows hold already, then each moved row's: a row whose
        # key is taken is a duplicate link.
        def keys(values: tuple[Any, ...]) -> list[tuple[Any, ...]]:
            return [tuple(values[columns.index(c)] for c in s) for s in rel.unique_with]

        own = manager.filter(**{rel.attname: survivor_pk}).values_list("pk", *columns)
        taken: list[set[tuple[Any, ...]]] = [set() for _s in rel.unique_with]
        for row in own:
            for i, key in enumerate(keys(row[1:])):
                taken[i].add(key)
        kept = []
        for row in fetched:
            row_keys = keys(row[2:])
            if any(key in taken[i] for i, key in enumerate(row_keys)):
                if not rel.is_link:
                    raise ValidationError(
                        _("These records cannot be merged: both have the same %(what)s.")
                        % {"what": rel.model._meta.verbose_name}
                    )
                dropped.append(row[0])
                continue
            for i, key in enumerate(row_keys):
                taken[i].add(key)
            kept.append(row)
        fetched = kept
    _remove_links(log, rel.model, dropped, {})
    by_origin: dict[int, list[int]] = defaultdict(list)
    for row in fetched:
        by_origin[row[1]].append(row[0])
    bump = {"version": F("version") + 1} if rel.has_version else {}
    # A moved row's version moves too: a form opened before the merge reports a conflict
    # instead of pointing the row back at the archived record.
    for chunk in chunks([row[0] for row in fetched]):
        manager.filter(pk__in=chunk).update(**{rel.attname: survivor_pk}, **bump)
    for origin in other_ids:
        if by_origin.get(origin):
            log.moves.append(
                {"model": rel.label, "field": rel.name, "from": origin, "ids": by_origin[origin]}
            )


def move_generic(
    log: MoveLog, model: type[models.Model], survivor_pk: int, other_ids: list[int]
) -> None:
    content_type = ContentType.objects.get_for_model(model)
    for label, ct_field, id_field in GENERIC_RELATED:
        related = apps.get_model(label)
        # The base manager: the timeline's own manager refuses updates (it is append-only for
        # every other write); a merge re-points lines, it never rewrites them.
        manager = related._base_manager
        rows = list(
            manager.filter(**{ct_field: content_type, f"{id_field}__in": other_ids})
            .order_by("pk")
            .values_list("pk", id_field)
        )
        by_origin: dict[int, list[int]] = defaultdict(list)
        for pk, origin in rows:
            by_origin[origin].append(pk)
        for chunk in chunks([pk for pk, _origin in rows]):
            manager.filter(pk__in=chunk).update(**{id_field: survivor_pk})
        for origin in other_ids:
            if by_origin.get(origin):
                log.moves.append(
                    {"model": label, "field": id_field, "from": origin, "ids": by_origin[origin]}
                )


def _origins(log: MoveLog, label: str, name: str) -> dict[int, int]:
    """{row id: the id it pointed at before} for the rows this merge moved through a relation."""
    return {
        pk: move["from"]
        for move in log.moves
        if move["model"] == label and move["field"] == name
        for pk in move["ids"]
    }


def _forget_moves(log: MoveLog, label: str, name: str, pks: set[int]) -> None:
    for move in log.moves:
        if move["model"] == label and move["field"] == name:
            move["ids"] = [pk for pk in move["ids"] if pk not in pks]
    log.moves = [m for m in log.moves if m["ids"]]


def _drop_self_links(log: MoveLog, pks: list[int], name: str) -> None:
    """Contact to other company links that now tie a contact to its own main company: dropped
    (the contact forms never keep them), each kept as it was before the merge."""
    through = Contact.other_partners.through
    label = through._meta.label_lower
    origins = _origins(log, label, name)
    _forget_moves(log, label, name, set(pks))
    _remove_links(log, through, pks, {f"{name}_id": origins})


def after_partner_moves(log: MoveLog, survivor: Any) -> None:
    through = Contact.other_partners.through
    pks = list(
        through.objects.filter(
            partner_id=survivor.pk, contact__main_partner_id=survivor.pk
        ).values_list("pk", flat=True)
    )
    _drop_self_links(log, pks, "partner")
    sync_partner_closed([survivor])


def after_contact_moves(log: MoveLog, survivor: Any) -> None:
    through = Contact.other_partners.through
    pks = list(
        through.objects.filter(
            contact_id=survivor.pk, partner_id=survivor.main_partner_id
        ).values_list("pk", flat=True)
    )
    _drop_self_links(log, pks, "contact")


def sync_partner_closed(partners: Iterable[Any]) -> None:
    # Contacts copy their main partner's closed flag (the accounts search reads the copy).
    for partner in partners:
        Contact.objects.filter(main_partner_id=partner.pk).exclude(
            partner_closed=partner.is_closed
        ).update(partner_closed=partner.is_closed)


def existing(model: type[models.Model], pks: set[Any]) -> set[Any]:
    found: set[Any] = set()
    ids = [pk for pk in pks if pk is not None]
    for chunk in chunks(ids):
        found |= set(model._base_manager.filter(pk__in=chunk).values_list("pk", flat=True))
    return found


def move_back(model: type[models.Model], survivor_pk: int, moves: list[dict[str, Any]]) -> None:
    """Point every row ``moves`` lists back at the record it pointed at before."""
    content_type = ContentType.objects.get_for_model(model)
    for move in reversed(moves):
        related = apps.get_model(move["model"])
        manager = related._base_manager
        generic = _generic(move["model"], move["field"])
        if generic is not None:
            ct_field, column = generic
            where: dict[str, Any] = {ct_field: content_type, column: survivor_pk}
            bump: dict[str, Any] = {}
        else:
            column = related._meta.get_field(move["field"]).attname
            where = {column: survivor_pk}
            has_version = any(f.name == "version" for f in related._meta.concrete_fields)
            bump = {"version": F("version") + 1} if has_version else {}
        # Only rows still pointing at the survivor go back: one re-pointed since stays where
        # its user put it.
        for chunk in chunks(list(move["ids"])):
            manager.filter(pk__in=chunk, **where).update(**{column: move["from"]}, **bump)


def recreate(removed: list[dict[str, Any]]) -> None:
    by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in removed:
        by_model[row["model"]].append(row["values"])
    for label, rows in by_model.items():
        model = apps.get_model(label)
        fields = {f.attname: f for f in model._meta.concrete_fields}
        # A row whose other end was deleted since (a tag, an opportunity) is not recreated.
        alive: dict[str, set[Any]] = {}
        for f in fields.values():
            if isinstance(f, models.ForeignKey):
                alive[f.attname] = existing(f.related_model, {r.get(f.attname) for r in rows})  # type: ignore[arg-type]
        objs = [
            model(**{name: load(fields[name], value) for name, value in values.items()})
            for values in rows
            if all(values.get(name) in ids for name, ids in alive.items())
        ]
        model._base_manager.bulk_create(objs, batch_size=CHUNK, ignore_conflicts=True)
