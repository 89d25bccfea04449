"""Helpers of the merge tests: where every related row points, table by table."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from piste.core.access import actor_for
from piste.core.models import Activity
from piste.duplicates.merge_moves import relations_to
from piste.users.models import User


def actor(user: User) -> Any:
    found = actor_for(user)
    assert found is not None
    return found


def table_counts(model: type[models.Model]) -> dict[str, int]:
    """Rows of every table referencing ``model`` by a foreign key (its many-to-many tables
    included), all rows of each."""
    return {rel.label: rel.model._base_manager.count() for rel in relations_to(model)}


def pointers(
    model: type[models.Model], ids: list[int], *, upto_activity: int | None = None
) -> dict[tuple[str, str], dict[int, int]]:
    """{(table, column): {row id: the record it points at}} for every row pointing at one of
    ``ids`` (timeline lines up to ``upto_activity`` only: a merge adds its own)."""
    found: dict[tuple[str, str], dict[int, int]] = {}
    for rel in relations_to(model):
        rows = rel.model._base_manager.filter(**{f"{rel.attname}__in": ids})
        found[(rel.label, rel.name)] = dict(rows.values_list("pk", rel.attname))
    lines = Activity._base_manager.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=ids
    )
    if upto_activity is not None:
        lines = lines.filter(pk__lte=upto_activity)
    found[("core.activity", "object_id")] = dict(lines.values_list("pk", "object_id"))
    return found


def last_activity_id() -> int:
    return Activity._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
