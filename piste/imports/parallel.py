"""A large lead import in several processes, each with its own database connection.

One process checks rows and writes them at about 4,000 to 5,000 rows a second, half of the time
in Python and half in PostgreSQL (34 indexes on the lead table, foreign keys checked at commit):
more processes use more cores. The job's process takes share 0 itself and starts the others
from a fork server (``forkserver``: a single-threaded process, safe from the job consumer's
threads, that has set Django up once; the consumer starts it when it starts, ``prepare``).

Each process reads the whole file and keeps its share of the rows. Rows with the same match key
must meet in one process, in file order, so that the first one wins and the others are skipped
as in-file duplicates as in one process: the share is chosen from the key's text as the key is
built (an email's key is its trimmed lower-case text). Rows without a key are shared by line.
Each share commits batch by batch as one process does; the job's process adds up the progress
the others send, and their rejected rows at the end.
"""

from __future__ import annotations

import copy
import multiprocessing
import queue as queue_module
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import forkserver
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from piste.core.access import Actor
from piste.imports import engine, worker
from piste.imports.adapters import Adapter
from piste.imports.files import Table
from piste.imports.models import ImportJob

# Keys whose share can be told from the cell's text; other keys import in one process.
SHARED_KEYS = ("", "email")
# Rows without a key go by blocks of lines (a batch from each process holds neighbours).
LINE_BLOCK = 500
# Seconds the job's process waits for a message before it checks the others are alive.
POLL = 1.0


def workers_for(adapter: Adapter, job: ImportJob, total: int) -> int:
    """How many processes import ``total`` rows: several only for a large bulk import
    (leads) on PostgreSQL, matched on a key whose share is known from the text."""
    if connection.vendor != "postgresql" or not adapter.bulk:
        return 1
    if job.match_on not in SHARED_KEYS or total < django_settings.IMPORT_PARALLEL_MIN_ROWS:
        return 1
    return max(1, min(django_settings.IMPORT_WORKERS, total // LINE_BLOCK))


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["piste.imports.preload"])
    return context


def prepare() -> None:
    """Start the fork server now (the job consumer does when it starts): the first large import
    then starts its processes in milliseconds."""
    if connection.vendor == "postgresql" and django_settings.IMPORT_WORKERS > 1:
        _context()
        forkserver.ensure_running()


def share_of(settings: engine.Settings, row: engine.Row, parts: int) -> int:
    """The process (0 to ``parts`` - 1) that imports ``row``."""
    if settings.match_on == "email":
        text = engine.texts_of(settings, row.cells).get("email", "").strip().lower()
        if text:
            return zlib.crc32(text.encode()) % parts
    return (row.number // LINE_BLOCK) % parts


def keeper(part: int, parts: int) -> Callable[[engine.Settings, engine.Row], bool]:
    def keep(settings: engine.Settings, row: engine.Row) -> bool:
        return share_of(settings, row, parts) == part

    return keep


Counts = tuple[int, int, int, int, int]  # rows done, created, updated, skipped, errors


def counts_of(run: engine.Run, done: int | None = None) -> Counts:
    """A share's counts; ``done`` left out: the share is over, every row counted once."""
    if done is None:
        done = run.created + run.updated + run.skipped + run.errors
    return (done, run.created, run.updated, run.skipped, run.errors)


@dataclass
class Totals:
    """The counts of every share, as each last reported them."""

    counts: dict[int, Counts] = field(default_factory=dict)

    def report(self, part: int, run: engine.Run, done: int | None = None) -> None:
        self.counts[part] = counts_of(run, done)

    def receive(self, part: int, counts: Counts) -> None:
        self.counts[part] = counts

    def run(self, run: engine.Run) -> tuple[engine.Run, int]:
        """A copy of ``run`` carrying the sum of every share's counts, and the rows done (this
        process's ``run`` keeps counting its own share)."""
        summed = copy.copy(run)
        done, summed.created, summed.updated, summed.skipped, summed.errors = (
            sum(c[i] for c in self.counts.values()) for i in range(5)
        )
        return summed, done


def execute(
    job: ImportJob,
    adapter: Adapter,
    actor: Actor,
    table: Table,
    parts: int,
    progress: Callable[[engine.Run, int], None],
) -> engine.Run:
    """Import ``table`` in ``parts`` processes; the returned run holds every share's counts and
    rejected rows (in line order)."""
    context = _context()
    messages: Any = context.Queue()
    database = connection.settings_dict["NAME"]
    others = [
        context.Process(
            target=worker.main,
            args=(part, parts, job.pk, table, database, translation.get_language(), messages),
            name=f"piste-import-{job.pk}-{part}",
            daemon=True,
        )
        for part in range(1, parts)
    ]
    for process in others:
        process.start()
    totals = Totals()
    finished: dict[int, list[tuple[int, list[str], str]]] = {}
    try:

        def mine(run: engine.Run, done: int) -> None:
            totals.report(0, run, done)
            _drain(messages, totals, finished, block=False)
            progress(*totals.run(run))

        run = engine.execute(job, adapter, actor, table, mine, keep=keeper(0, parts))
        totals.report(0, run)
        while len(finished) < len(others):
            if not _drain(messages, totals, finished, block=True):
                dead = [p for p in others if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(
                        _("An import process stopped (exit code %(code)s).")
                        % {"code": dead[0].exitcode}
                    )
            progress(*totals.run(run))
    finally:
        for process in others:
            if process.is_alive():
                process.terminate()
            process.join(timeout=10)
    for rejected in finished.values():
        run.rejected.extend(rejected)
    run.rejected.sort(key=lambda item: item[0])
    return totals.run(run)[0]


def _drain(
    messages: Any,
    totals: Totals,
    finished: dict[int, list[tuple[int, list[str], str]]],
    *,
    block: bool,
) -> bool:
    """Read the messages waiting (with ``block``, wait up to ``POLL`` for one); False when
    none came."""
    got = False
    while True:
        try:
            kind, part, payload = messages.get(block=block and not got, timeout=POLL)
        except queue_module.Empty:
            return got
        got = True
        if kind == "progress":
            totals.receive(part, payload)
        elif kind == "done":
            counts, rejected = payload
            totals.receive(part, counts)
            finished[part] = rejected
        elif kind == "refused":
            raise ValidationError(payload)
        else:
            raise RuntimeError(payload)


def work(part: int, parts: int, job_id: int, table: Table, messages: Any) -> None:
    """One share of the import, in a process of its own (``piste.imports.worker`` sets Django
    up): its progress and its end go to ``messages``."""
    from piste.core.access import actor_for
    from piste.imports.services import adapter_for

    try:
        job = ImportJob.objects.select_related("created_by", "company").get(pk=job_id)
        actor = actor_for(job.created_by)
        if actor is None or actor.company.pk != job.company_id:
            raise PermissionDenied
        adapter = adapter_for(actor, job.entity)

        def report(run: engine.Run, done: int) -> None:
            messages.put(("progress", part, counts_of(run, done)))

        run = engine.execute(job, adapter, actor, table, report, keep=keeper(part, parts))
        messages.put(("done", part, (counts_of(run), run.rejected)))
    except (ValidationError, PermissionDenied) as exc:
        messages.put(("refused", part, " ".join(getattr(exc, "messages", [str(exc)]))))
    except Exception as exc:  # the job's process reports it: the job shows failed
        messages.put(("failed", part, f"{type(exc).__name__}: {exc}"))
