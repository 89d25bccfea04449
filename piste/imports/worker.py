"""The entry point of an import's other processes (``piste.imports.parallel``).

Kept apart and free of model imports: a process started without the fork server's preload (or
with one that failed) imports it before Django is set up."""

from __future__ import annotations

import os
from typing import Any


def main(
    part: int, parts: int, job_id: int, table: Any, database: str, language: str, messages: Any
) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connections

    # The job's process may be on another database of the same server (tests run on theirs).
    connections["default"].settings_dict["NAME"] = database
    from django.utils import translation

    from piste.imports.parallel import work

    try:
        with translation.override(language):  # the reasons of rejected rows, as the job's
            work(part, parts, job_id, table, messages)
    finally:
        connections.close_all()
