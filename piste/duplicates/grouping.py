"""Grouping records whose normalised values match: pure functions, no database.

``group_rows`` reads rows ``(id, column, column, ...)`` once, computes each record's key (the
chosen fields' normalised values) and returns the keys shared by two records or more, largest
groups first. Records with no value on one of the fields are left out (two records without an
email are no duplicates); a multi-valued field (phones) gives a record one key per value, so it
joins every group one of its values leads to.

Built for a million rows in seconds: per row, one call per field (normalisers prebound and
cached by ``piste.duplicates.fields``) and two dictionary look-ups; a key seen once holds only
the record's id, a list is made when a second record comes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from piste.duplicates.fields import CheckField

# Joins a key's parts in the dictionary (a character no normalised value holds) and on screen.
_SEP = "\x1f"
SHOWN_SEP = " · "


@dataclass(frozen=True)
class Group:
    key: str
    ids: list[int]

    @property
    def size(self) -> int:
        return len(self.ids)


def columns_of(fields: Sequence[CheckField]) -> list[str]:
    """The values_list names a scan reads after the id: each field's columns, in order."""
    return [column for f in fields for column in f.columns]


def _extractor(field: CheckField, start: int, key: Callable[..., Any]) -> Callable[[Any], Any]:
    """The function taking a row to the field's value (a str, or a set for a multi field)."""
    width = len(field.columns)
    if width == 1:
        return lambda row: key(row[start])
    end = start + width
    return lambda row: key(*row[start:end])


def record_keys(
    fields: Sequence[CheckField], ignored_domains: Collection[str] = ()
) -> Callable[[Any], list[str]]:
    """The function giving a row's keys: none when a field is empty, several for multi fields."""
    extractors: list[tuple[Callable[[Any], Any], bool]] = []
    start = 1
    for f in fields:
        extractors.append((_extractor(f, start, f.normaliser(ignored_domains)), f.multi))
        start += len(f.columns)
    if len(extractors) == 1:
        # One field: its value is the key (a multi field's values, each a key).
        only, multi = extractors[0]
        if multi:
            return lambda row: list(only(row))
        return lambda row: [value] if (value := only(row)) else []

    def keys(row: Any) -> list[str]:
        parts: list[Any] = []
        multi = False
        for extract, is_multi in extractors:
            value = extract(row)
            if not value:
                return []
            if is_multi:
                multi = True
            parts.append(value)
        if not multi:
            return [_SEP.join(parts)]
        choices = [sorted(p) if isinstance(p, frozenset) else (p,) for p in parts]
        return [_SEP.join(combination) for combination in product(*choices)]

    return keys


def group_rows(
    rows: Iterable[Sequence[Any]],
    fields: Sequence[CheckField],
    *,
    ignored_domains: Collection[str] = (),
    progress: Callable[[int], None] | None = None,
    every: int = 20_000,
) -> list[Group]:
    """Groups of two records or more sharing their key, largest first, then by key.

    ``progress(rows read)`` is called every ``every`` rows (a job's progress bar). Two keys
    leading to the very same records (both phones shared) make one group, titled by both.
    """
    keys_of = record_keys(fields, ignored_domains)
    first: dict[str, int] = {}
    shared: dict[str, list[int]] = {}
    first_get, shared_get = first.get, shared.get
    count = 0
    for count, row in enumerate(rows, 1):
        if progress is not None and count % every == 0:
            progress(count)
        pk = row[0]
        for key in keys_of(row):
            seen = first_get(key)
            if seen is None:
                first[key] = pk
            elif seen != pk:
                ids = shared_get(key)
                if ids is None:
                    shared[key] = [seen, pk]
                elif ids[-1] != pk:
                    ids.append(pk)
    if progress is not None:
        progress(count)
    del first
    return _merge_same(shared)


def _merge_same(shared: dict[str, list[int]]) -> list[Group]:
    by_ids: dict[tuple[int, ...], list[str]] = {}
    for key, ids in shared.items():
        by_ids.setdefault(tuple(sorted(set(ids))), []).append(key.replace(_SEP, SHOWN_SEP))
    groups = [Group(key=" / ".join(sorted(keys)), ids=list(ids)) for ids, keys in by_ids.items()]
    groups.sort(key=lambda g: (-len(g.ids), g.key))
    return groups
