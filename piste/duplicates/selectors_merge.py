"""Reads for merges: the records to merge (checked), the comparison table's rows, the merge
history, whether a merge can still be undone, and where a merged record's page now is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from piste.core.access import actor_for, get_or_404, in_company, records_for_user
from piste.core.pagination import Page, keyset_page
from piste.core.text import is_id
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
from piste.duplicates.models import MergeLog

HISTORY_PAGE = 25
# A merged record's page follows at most this many merges to its survivor (a chain of merges
# is short; a loop, which merges never make, must not spin).
MAX_CHAIN = 20


def parse_ids(raw: Iterable[Any]) -> list[int]:
    """The record ids of a query string (``?ids=1&ids=2``, or ``ids=1,2``), in order, once
    each; ValidationError when malformed, fewer than two or too many."""
    ids: list[int] = []
    for value in raw:
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            if not is_id(part):
                raise ValidationError(
                    _("“%(value)s” is not a record number.") % {"value": part[:20]}
                )
            if int(part) not in ids:
                ids.append(int(part))
    if len(ids) < 2:
        raise ValidationError(_("Choose at least two records to merge."))
    if len(ids) > MAX_RECORDS:
        raise ValidationError(
            _("At most %(max)s records are merged at once.") % {"max": MAX_RECORDS}
        )
    return ids


def _display_relations(spec: EntitySpec) -> list[str]:
    """The joins the comparison table needs to show every chosen value in one query."""
    paths = []
    for f in chosen_fields(spec):
        for name in group_of(spec, f.name):
            model_field = spec.model._meta.get_field(name)
            if isinstance(model_field, models.ForeignKey):
                paths.append(name)
                if model_field.related_model._meta.label == "geo.Address":  # type: ignore[union-attr]
                    paths.append(f"{name}__country")  # the address line names a foreign country
    return paths


def merge_candidates(user: Any, entity: str, ids: Iterable[Any]) -> list[Any]:
    """The records of ``entity`` numbered ``ids``, in that order, each visible to ``user`` and
    not merged yet; ValidationError with a message saying what is wrong otherwise.

    Queries: 1 (the records with every relation the table shows), 1 more when some are missing
    (whether they were merged already)."""
    spec = entity_spec(entity)
    if spec is None:
        raise ValidationError(_("Choose leads, partners or contacts."))
    wanted = parse_ids(ids)
    found = {
        r.pk: r
        for r in spec.visible(user).filter(pk__in=wanted).select_related(*_display_relations(spec))
    }
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        merged = records_for_user(
            user, spec.model._base_manager.filter(pk__in=missing, merged_into__isnull=False)
        )
        if merged.exists():
            raise ValidationError(_("Some of these records were already merged into another one."))
        raise ValidationError(_("Some of these records do not exist or are not visible to you."))
    return [found[pk] for pk in wanted]


@dataclass(frozen=True)
class FieldRow:
    """One line of the comparison table: a field, each record's value, the record kept."""

    name: str
    label: str
    values: list[str]
    default: int
    # Every record holds the same value: nothing to choose.
    same: bool


@dataclass(frozen=True)
class UnitedRow:
    """A multi-value field (tags…): the survivor gets every record's values."""

    name: str
    label: str
    values: list[list[str]]
    united: list[str]


def _cell(spec: EntitySpec, record: Any, name: str) -> str:
    """A chosen field's value and, after it, the values that come with it (a lost status and
    its reason)."""
    parts = [shown(record, n) for n in group_of(spec, name)]
    main, rest = parts[0], [p for p in parts[1:] if p]
    return " · ".join([main, *rest]) if rest else main


def merge_rows(spec: EntitySpec, records: list[Any], survivor: Any) -> list[FieldRow]:
    """The comparison table: one value per record (in ``records``' order) and the record whose
    value is kept unless the user chooses: ``survivor``'s, or the first other one's when the
    survivor's is empty. No query: the relations come with ``merge_candidates``."""
    ordered = [survivor, *(r for r in records if r.pk != survivor.pk)]
    rows = []
    for f in chosen_fields(spec):
        values = [_cell(spec, r, f.name) for r in records]
        rows.append(
            FieldRow(
                name=f.name,
                label=capfirst(str(f.verbose_name)),
                values=values,
                default=default_source(spec, f.name, ordered).pk,
                same=len(set(values)) == 1,
            )
        )
    return rows


def united_rows(spec: EntitySpec, records: list[Any]) -> list[UnitedRow]:
    """Each multi-value field's values per record and united. Queries: 1 per field."""
    ids = [r.pk for r in records]
    rows = []
    for m2m in united_fields(spec):
        through: Any = m2m.remote_field.through
        owner, target = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
        links = through._base_manager.filter(**{f"{owner}__in": ids}).select_related(target)
        per_record: dict[int, list[str]] = {pk: [] for pk in ids}
        for link in links.order_by(f"{target}_id"):
            per_record[getattr(link, f"{owner}_id")].append(str(getattr(link, target)))
        united = sorted({name for names in per_record.values() for name in names})
        rows.append(
            UnitedRow(
                name=m2m.name,
                label=capfirst(str(m2m.verbose_name)),
                values=[sorted(per_record[pk]) for pk in ids],
                united=united,
            )
        )
    return rows


# History and undo -----------------------------------------------------------------------------


def merge_logs_for_user(user: Any) -> QuerySet[MergeLog]:
    """The merges of the user's company (the history page checks the right to merge)."""
    return in_company(user, MergeLog.objects.select_related("actor", "undone_by"))


def merge_logs_page(user: Any, cursor: str | None) -> Page[MergeLog]:
    """One page of the history, newest first, by keyset on (created_at, id)."""
    return keyset_page(
        merge_logs_for_user(user), sort="-created_at", cursor=cursor, per_page=HISTORY_PAGE
    )


def merge_log_get_for_user(user: Any, pk: Any) -> MergeLog:
    return get_or_404(merge_logs_for_user(user), pk)


def _standing_after(company_id: int, after_id: int) -> QuerySet[MergeLog]:
    return (
        MergeLog.objects.filter(company_id=company_id, id__gt=after_id, undone_at__isnull=True)
        .only("id", "entity", "survivor_id", "merged_ids", "label", "created_at")
        .order_by("id")
    )


def _touches(log: MergeLog, later: MergeLog) -> bool:
    if later.entity != log.entity:
        return False
    records = {log.survivor_id, *log.merged_ids}
    return bool(records & {later.survivor_id, *later.merged_ids})


def later_blocker(log: MergeLog) -> MergeLog | None:
    """A later merge, not undone, of the same records (the survivor or one merged): undoing
    ``log`` first would tear that one apart."""
    for later in _standing_after(log.company_id, log.pk).iterator(chunk_size=500):
        if _touches(log, later):
            return later
    return None


def undo_blockers(logs: list[MergeLog]) -> dict[int, MergeLog | None]:
    """``later_blocker`` for a page of the history in one query."""
    standing = [log for log in logs if log.undone_at is None]
    if not standing:
        return {log.pk: None for log in logs}
    later = list(_standing_after(standing[0].company_id, min(log.pk for log in standing)))
    return {
        log.pk: next((m for m in later if m.pk > log.pk and _touches(log, m)), None) for log in logs
    }


def merged_redirect(user: Any, entity: str, pk: Any) -> str | None:
    """The page of the record ``pk`` was merged into (following later merges), when ``pk`` is a
    merged record of the user's scope and the user sees its survivor; None otherwise."""
    spec = entity_spec(entity)
    actor = actor_for(user)
    if spec is None or actor is None or not is_id(pk):
        return None
    manager = spec.model._base_manager
    target = (
        records_for_user(user, manager.filter(pk=int(pk), merged_into__isnull=False))
        .values_list("merged_into_id", flat=True)
        .first()
    )
    if target is None:
        return None
    for _step in range(MAX_CHAIN):
        row = (
            manager.filter(pk=target, company_id=actor.company.pk)
            .values_list("pk", "merged_into_id")
            .first()
        )
        if row is None:
            return None
        if row[1] is None:
            break
        target = row[1]
    else:
        return None
    if not spec.visible(user).filter(pk=target).exists():
        return None
    return reverse(spec.detail_url, args=[target])
