"""Substring search over folded columns, and what makes it fast on each database.

Lists search with ``<column>__contains=fold(q)`` (``LIKE '%q%'``). On PostgreSQL a trigram GIN
index (pg_trgm, a trusted extension any database owner may create) serves those scans; SQLite, the
embedded trial database, scans the table, which is fast enough at its sizes.
"""

from __future__ import annotations

from django.db import migrations


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
