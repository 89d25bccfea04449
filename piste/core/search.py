"""Substring search over folded columns, and what makes it fast on each database.

Lists search with ``<column>__contains=fold(q)`` (``LIKE '%q%'``). On PostgreSQL a trigram GIN
index (pg_trgm, a trusted extension any database owner may create) serves those scans; SQLite, the
embedded trial database, scans the table, which is fast enough at its sizes.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, migrations
from django.db.models import F, Lookup, Q
from django.db.models.functions import Collate


def trigram_indexes(*tables: str, column: str = "name_key") -> migrations.RunPython:
    """A migration operation adding ``<table>_<column>_trgm`` GIN indexes on PostgreSQL only."""

    def forwards(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table in tables:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_{column}_trgm "
                f"ON {table} USING gin ({column} gin_trgm_ops)"
            )

    def backwards(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_{column}_trgm")

    return migrations.RunPython(forwards, backwards, elidable=False)


# Prefix ranges ---------------------------------------------------------------------------------


class _PatternLookup(Lookup):
    operator = ""

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} {self.operator} {rhs}", [*lhs_params, *rhs_params]


class _PatternGte(_PatternLookup):
    """PostgreSQL's ``~>=~``: byte-wise "at or after", an operator of pattern_ops indexes."""

    lookup_name = "pattern_gte"
    operator = "~>=~"


class _PatternLt(_PatternLookup):
    """PostgreSQL's ``~<~``: byte-wise "before"."""

    lookup_name = "pattern_lt"
    operator = "~<~"


def _after_prefix(prefix: str) -> str | None:
    """The first string after every string starting with ``prefix`` in code point order ("sain"
    -> "saio"), or None when there is none."""
    stripped = prefix.rstrip(chr(0x10FFFF))
    if not stripped:
        return None
    following = ord(stripped[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates never occur in stored text: jump over them
        following = 0xE000
    return stripped[:-1] + chr(following)


def prefix_q(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, written as the range of an index's order.

    UTF-8 sorts byte-wise in code point order, so the strings starting with "sain" are exactly
    those from "sain" up to, not including, "saio". PostgreSQL: with the pattern operators
    ``~>=~``/``~<~``, which only the varchar_pattern_ops btree indexes serve; ``LIKE 'sain%'``
    would also let the planner pick a trigram index, whose bitmap of every match cannot stop at
    the first rows. SQLite: plain comparisons on its binary index (its LIKE ignores case, and so
    any index).
    """
    after = _after_prefix(prefix)
    column = F(field)
    if connection.vendor == "postgresql":
        if after is None:
            return Q(_PatternGte(column, prefix))
        return Q(_PatternGte(column, prefix), _PatternLt(column, after))
    if after is None:
        return Q(**{f"{field}__gte": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": after})


# Byte order ------------------------------------------------------------------------------------


def byte_order(field: str) -> Collate:
    """``field`` compared and sorted byte-wise (code point order, for UTF-8), on either database.

    A prefix search that shows its first rows by name wants one index walk serving both the
    prefix range and the order: on PostgreSQL a btree on ``field COLLATE "C"``
    (``byte_order_indexes``); a pattern_ops index serves the range but not an ORDER BY, so the
    planner would walk the whole name index instead. SQLite compares BINARY by default.
    """
    return Collate(F(field), "C" if connection.vendor == "postgresql" else "BINARY")


def byte_order_indexes(table: str, *columns: str) -> migrations.RunPython:
    """A migration operation adding ``<table>_<column>_bytes`` indexes on (company_id, column in
    byte order, id): what ``byte_order`` ranges and keyset pages read."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        collate = ' COLLATE "C"' if schema_editor.connection.vendor == "postgresql" else ""
        for column in columns:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_{column}_bytes "
                f"ON {table} (company_id, {column}{collate}, id)"
            )

    def backwards(apps: Any, schema_editor: Any) -> None:
        for column in columns:
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_{column}_bytes")

    return migrations.RunPython(forwards, backwards, elidable=False)


def byte_prefix_q(name: str, prefix: str) -> Q:
    """The annotation ``name`` (a ``byte_order`` column) starts with ``prefix``: its range."""
    after = _after_prefix(prefix)
    if after is None:
        return Q(**{f"{name}__gte": prefix})
    return Q(**{f"{name}__gte": prefix, f"{name}__lt": after})


def byte_after_q(name: str, value: str, pk: int) -> Q:
    """Rows after (``value``, ``pk``) in (``name``, id) order: a keyset cursor, written with a
    lower bound the index can start from."""
    return Q(**{f"{name}__gte": value}) & (Q(**{f"{name}__gt": value}) | Q(id__gt=pk))
