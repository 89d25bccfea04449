"""Merge two or more leads, partners or contacts into one (the survivor), and undo a merge.

A merge, in one transaction:

1. locks the records (in id order, so two merges of overlapping records queue instead of
   deadlocking) and checks the actor may see and change every one, and has not merged them yet;
2. gives the survivor, field by field, the value of the record chosen (``choices``: field name
   -> id of the record whose value is kept; unchosen fields keep the survivor's value unless it
   is empty), then recomputes its derived columns;
3. moves every related row to the survivor, set-based: for each foreign key pointing at the
   model (found by ``_meta``, so a later model's links move without a change here) and each
   generic relation of ``GENERIC_RELATED``, one SELECT of the ids, then one UPDATE per thousand
   ids. Link rows the survivor already has (the same tag twice) are deleted and kept in the log;
4. archives the others (``merged_into``, ``merged_at``): never deleted;
5. writes the timelines and a ``MergeLog`` holding everything needed to undo it.

``MergeLog.before``: the survivor's values the merge changed, {field: value} (foreign keys as
ids, the tags as ids), and under ``"_others"`` the one-to-one values taken from the others
({record id: {field: address id}}): an address is not shared, so the record that gave its
address to the survivor loses it until the merge is undone.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from piste.core.access import Actor
from piste.core.models import Activity
from piste.core.rights import Right
from piste.core.timeline import activities_record, activity_record
from piste.duplicates.merge_fields import (
    MAX_RECORDS,
    EntitySpec,
    chosen_fields,
    default_source,
    entity_spec,
    group_of,
    shown,
    united_fields,
)
from piste.duplicates.merge_moves import (
    GENERIC_RELATED,
    MoveLog,
    after_contact_moves,
    after_partner_moves,
    dump,
    existing,
    load,
    move_back,
    move_generic,
    move_relation,
    raw,
    recreate,
    relations_to,
    sync_partner_closed,
)
from piste.duplicates.models import MergeLog
from piste.duplicates.selectors_merge import later_blocker

# Re-exported: issue 8's events, emails and documents register in merge_moves.GENERIC_RELATED.
__all__ = [
    "GENERIC_RELATED",
    "may_merge",
    "merge_undo",
    "records_merge",
    "relations_to",
    "require_merge",
]


def _not_visible() -> str:
    return _("Some of these records do not exist or are not visible to you.")


def may_merge(actor: Actor) -> bool:
    # There is no "merge" right in piste.core.rights: a merge changes the survivor (the right to
    # change records) and archives the others, which leave every list as if deleted (the right
    # to delete records). Undoing it needs the same.
    return actor.has(Right.CHANGE_RECORDS) and actor.has(Right.DELETE_RECORDS)


def require_merge(actor: Actor) -> None:
    for right in (Right.CHANGE_RECORDS, Right.DELETE_RECORDS):
        if not actor.has(right):
            raise PermissionDenied(right.label)


# Checks ---------------------------------------------------------------------------------------


def _spec(entity: str) -> EntitySpec:
    spec = entity_spec(entity)
    if spec is None:
        raise ValidationError(_("Choose leads, partners or contacts."))
    return spec


def _checked_ids(spec: EntitySpec, survivor: Any, others: list[Any]) -> list[int]:
    records = [survivor, *others]
    if any(not isinstance(r, spec.model) or r.pk is None for r in records):
        raise ValidationError(_("Choose %(records)s only.") % {"records": spec.label_plural})
    ids = [r.pk for r in records]
    if survivor.pk in {o.pk for o in others}:
        raise ValidationError(_("The record kept cannot be one of the records merged into it."))
    if len(set(ids)) != len(ids):
        raise ValidationError(_("Each record is merged once: remove the repeated ones."))
    if len(ids) < 2:
        raise ValidationError(_("Choose at least two records to merge."))
    if len(ids) > MAX_RECORDS:
        raise ValidationError(
            _("At most %(max)s records are merged at once.") % {"max": MAX_RECORDS}
        )
    return ids


def _checked_choices(spec: EntitySpec, choices: Any, ids: list[int]) -> dict[str, int]:
    if not isinstance(choices, dict):
        raise ValidationError(_("Choose, for each field, the record whose value is kept."))
    names = {f.name for f in chosen_fields(spec)}
    for name, pk in choices.items():
        if name not in names:
            raise ValidationError(_("“%(name)s” is not a field to choose.") % {"name": name})
        if isinstance(pk, bool) or not isinstance(pk, int) or pk not in ids:
            raise ValidationError(
                _("Choose, for each field, one of the merged records: “%(name)s” is not.")
                % {"name": name}
            )
    return dict(choices)


def _locked(spec: EntitySpec, actor: Actor, ids: list[int]) -> dict[int, Any]:
    rows = list(
        spec.model._base_manager.select_for_update()
        .filter(company_id=actor.company.pk, pk__in=ids)
        .order_by("pk")
    )
    if len(rows) != len(ids):
        raise ValidationError(_not_visible())
    return {row.pk: row for row in rows}


def _require_changeable(spec: EntitySpec, actor: Actor, rows: dict[int, Any]) -> None:
    merged = [row for row in rows.values() if row.merged_into_id is not None]
    if merged:
        raise ValidationError(
            _("“%(record)s” was already merged into another record.") % {"record": merged[0]}
        )
    visible = set(spec.visible(actor.user).filter(pk__in=list(rows)).values_list("pk", flat=True))
    if visible != set(rows):
        raise ValidationError(_not_visible())


# Merge ----------------------------------------------------------------------------------------


def _apply_choices(
    spec: EntitySpec, survivor: Any, records: list[Any], choices: dict[str, int]
) -> dict[str, dict[str, Any]]:
    """Give the survivor the chosen values; returns the one-to-one values taken from others."""
    by_pk = {r.pk: r for r in records}
    taken: dict[str, dict[str, Any]] = {}
    for chosen in chosen_fields(spec):
        pk = choices.get(chosen.name)
        source = by_pk[pk] if pk is not None else default_source(spec, chosen.name, records)
        if source.pk == survivor.pk:
            continue
        for name in group_of(spec, chosen.name):
            model_field = spec.model._meta.get_field(name)
            value = raw(source, name)
            if isinstance(model_field, models.OneToOneField) and value is not None:
                # An address belongs to one record: the giver lets it go first.
                taken.setdefault(str(source.pk), {})[name] = value
                spec.model._base_manager.filter(pk=source.pk).update(**{model_field.attname: None})
                setattr(source, model_field.attname, None)
            setattr(survivor, model_field.attname, value)  # type: ignore[union-attr]
    return taken


def _field_names(spec: EntitySpec) -> list[str]:
    return [name for f in chosen_fields(spec) for name in group_of(spec, f.name)]


def _united_ids(spec: EntitySpec, pk: int) -> dict[str, list[int]]:
    return {
        m2m.name: sorted(
            m2m.remote_field.through._base_manager.filter(  # type: ignore[union-attr]
                **{m2m.m2m_field_name(): pk}
            ).values_list(f"{m2m.m2m_reverse_field_name()}_id", flat=True)
        )
        for m2m in united_fields(spec)
    }


def _changes(
    spec: EntitySpec, original: Any, survivor: Any, changed: list[str], added: dict[str, list[int]]
) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = [
        {"field": name, "from": shown(original, name) or None, "to": shown(survivor, name) or None}
        for name in changed
    ]
    for m2m in united_fields(spec):
        if added.get(m2m.name):
            names = m2m.related_model._base_manager.filter(  # type: ignore[union-attr]
                pk__in=added[m2m.name]
            )
            changes.append(
                {"field": m2m.name, "added": sorted(str(o) for o in names), "removed": []}
            )
    return changes


@transaction.atomic
def records_merge(
    *, actor: Actor, entity: str, survivor: Any, others: list[Any], choices: dict[str, int]
) -> MergeLog:
    """Merge ``others`` into ``survivor`` (records of ``entity``: "lead", "partner" or
    "contact"); refused as a whole (ValidationError, PermissionDenied) when anything is wrong."""
    spec = _spec(entity)
    require_merge(actor)
    ids = _checked_ids(spec, survivor, list(others))
    choices = _checked_choices(spec, choices, ids)
    rows = _locked(spec, actor, ids)
    _require_changeable(spec, actor, rows)
    survivor = rows[ids[0]]
    other_ids = ids[1:]
    merged = [rows[pk] for pk in other_ids]

    names = _field_names(spec)
    original = copy.copy(survivor)
    before = {name: dump(raw(survivor, name)) for name in names}
    united_before = _united_ids(spec, survivor.pk)
    taken = _apply_choices(spec, survivor, [survivor, *merged], choices)
    if spec.name == "partner":
        if survivor.parent_id in ids:
            survivor.parent_id = None
        becomes_customer = survivor.is_customer and not original.is_customer
        if becomes_customer and not actor.has(Right.CREATE_CUSTOMERS):
            raise ValidationError(_("You may not create customers: keep this record's type."))
    spec.refresh(survivor)
    changed = [name for name in names if dump(raw(survivor, name)) != before[name]]
    survivor.version += 1
    survivor.save()

    log = MoveLog()
    for rel in relations_to(spec.model):
        move_relation(log, rel, survivor.pk, other_ids, ids)
    move_generic(log, spec.model, survivor.pk, other_ids)
    if spec.name == "partner":
        after_partner_moves(log, survivor)
    elif spec.name == "contact":
        after_contact_moves(log, survivor)

    now = timezone.now()
    spec.model._base_manager.filter(pk__in=other_ids).update(
        merged_into=survivor.pk, merged_at=now, version=F("version") + 1
    )

    stored = {name: before[name] for name in changed}
    united_after = _united_ids(spec, survivor.pk)
    added: dict[str, list[int]] = {}
    for name, pks in united_before.items():
        if pks != united_after[name]:
            stored[name] = pks
            added[name] = sorted(set(united_after[name]) - set(pks))
    if taken:
        stored["_others"] = taken
    merge = MergeLog.objects.create(
        company=actor.company,
        entity=spec.name,
        survivor_id=survivor.pk,
        merged_ids=other_ids,
        label=str(survivor)[:400],
        merged_labels=[str(o) for o in merged],
        before=stored,
        moves=log.moves,
        removed=log.removed,
        moved_count=log.moved_count,
        actor=actor.user,
    )
    _merge_timelines(actor, spec, merge, original, survivor, merged, changed, added)
    return merge


def _merge_timelines(
    actor: Actor,
    spec: EntitySpec,
    merge: MergeLog,
    original: Any,
    survivor: Any,
    merged: list[Any],
    changed: list[str],
    added: dict[str, list[int]],
) -> None:
    names = ", ".join(str(o) for o in merged)
    count = merge.moved_count
    activity_record(
        obj=survivor,
        verb=Activity.Verb.MERGED,
        actor=actor.user,
        data={
            "merge": merge.pk,
            "merged": [{"id": o.pk, "label": str(o)} for o in merged],
            "moved": count,
            "message": ngettext(
                "Merged with %(names)s: %(count)s related record moved here.",
                "Merged with %(names)s: %(count)s related records moved here.",
                count,
            )
            % {"names": names, "count": count},
            "changes": _changes(spec, original, survivor, changed, added),
        },
    )
    label = str(survivor)
    activities_record(
        objs=merged,
        verb=Activity.Verb.MERGED_INTO,
        actor=actor.user,
        company_id=actor.company.pk,
        data=lambda o: {
            "merge": merge.pk,
            "merged_into": {"id": survivor.pk, "label": label},
            "message": _("Merged into %(record)s.") % {"record": label},
        },
    )


# Undo -----------------------------------------------------------------------------------------


def _restore_survivor(spec: EntitySpec, survivor: Any, before: dict[str, Any]) -> None:
    united = {f.name for f in united_fields(spec)}
    for name, value in before.items():
        if name.startswith("_") or name in united:
            continue
        model_field: Any = spec.model._meta.get_field(name)
        loaded = load(model_field, value)
        # A value deleted since (a source, a team): the field stays empty rather than pointing
        # at nothing; a required one keeps its current value.
        gone = (
            isinstance(model_field, models.ForeignKey)
            and loaded is not None
            and not existing(model_field.related_model, {loaded})  # type: ignore[arg-type]
        )
        if gone:
            if not model_field.null:
                continue
            loaded = None
        setattr(survivor, model_field.attname, loaded)
    spec.refresh(survivor)
    survivor.version += 1
    survivor.save()


def _restore_taken(spec: EntitySpec, taken: dict[str, dict[str, Any]]) -> None:
    for pk, values in taken.items():
        updates = {}
        for name, value in values.items():
            model_field = spec.model._meta.get_field(name)
            if existing(model_field.related_model, {value}):  # type: ignore[arg-type]
                updates[model_field.attname] = value  # type: ignore[union-attr]
        if updates:
            spec.model._base_manager.filter(pk=int(pk)).update(**updates)


@transaction.atomic
def merge_undo(*, actor: Actor, log: MergeLog) -> None:
    """Put everything ``log``'s merge changed back: the survivor's values, every moved row, the
    dropped links, the archived records. Refused when a later merge still standing involves
    the same records (undo that one first)."""
    require_merge(actor)
    if log.company_id != actor.company.pk:
        raise PermissionDenied
    locked = MergeLog.objects.select_for_update().get(pk=log.pk)
    if locked.undone_at is not None:
        raise ValidationError(_("This merge was already undone."))
    spec = _spec(locked.entity)
    blocker = later_blocker(locked)
    if blocker is not None:
        raise ValidationError(
            _(
                "This merge cannot be undone while a later merge into “%(record)s” involves the "
                "same records: undo that one first."
            )
            % {"record": blocker.label}
        )
    other_ids = [int(pk) for pk in locked.merged_ids]
    ids = [locked.survivor_id, *other_ids]
    rows = {
        row.pk: row
        for row in spec.model._base_manager.select_for_update()
        .filter(company_id=actor.company.pk, pk__in=ids)
        .order_by("pk")
    }
    if locked.survivor_id not in rows:
        raise ValidationError(
            _("The record this merge kept was deleted since: it cannot be undone.")
        )
    if len(rows) != len(ids):
        raise ValidationError(
            _("A record this merge archived was deleted since: it cannot be undone.")
        )
    survivor = rows[locked.survivor_id]
    if not spec.visible(actor.user).filter(pk=survivor.pk).exists():
        raise ValidationError(_not_visible())

    _restore_survivor(spec, survivor, locked.before)
    _restore_taken(spec, locked.before.get("_others") or {})
    move_back(spec.model, survivor.pk, locked.moves)
    recreate(locked.removed)
    spec.model._base_manager.filter(pk__in=other_ids).update(
        merged_into=None, merged_at=None, version=F("version") + 1
    )
    restored = [rows[pk] for pk in other_ids]
    if spec.name == "partner":
        sync_partner_closed([survivor, *restored])

    label = str(survivor)
    activity_record(
        obj=survivor,
        verb=Activity.Verb.MERGE_UNDONE,
        actor=actor.user,
        data={
            "merge_undone": locked.pk,
            "message": _("Merge undone: %(names)s restored.")
            % {"names": ", ".join(str(o) for o in restored)},
        },
    )
    activities_record(
        objs=restored,
        verb=Activity.Verb.MERGE_UNDONE,
        actor=actor.user,
        company_id=actor.company.pk,
        data=lambda o: {
            "merge_undone": locked.pk,
            "message": _("Merge into %(record)s undone: this record is back.") % {"record": label},
        },
    )
    locked.undone_at = timezone.now()
    locked.undone_by = actor.user
    locked.save(update_fields=["undone_at", "undone_by"])
    log.undone_at, log.undone_by = locked.undone_at, locked.undone_by
