"""Reads of the import wizard: the user's own jobs, one job, its live state and its preview."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from piste.core.access import actor_for, get_or_404, require_actor
from piste.core.rights import Right
from piste.imports import engine
from piste.imports.adapters import Adapter, adapters_for, get_adapter
from piste.imports.files import FileProblem
from piste.imports.models import ImportJob
from piste.imports.services import table_of


def sees_every_import(user: Any) -> bool:
    """Administrators see the company's imports, everybody's: to follow them, undo a bad one."""
    actor = actor_for(user)
    return actor is not None and actor.has(Right.MANAGE_USERS)


def imports_for_user(user: Any, *, everybody: bool = False) -> QuerySet[ImportJob]:
    """The user's own jobs in their active company (an import, its file and its rejected rows
    are seen by the one who started it), or with ``everybody`` the whole company's for an
    administrator."""
    actor = actor_for(user)
    if actor is None:
        return ImportJob.objects.none()
    jobs = ImportJob.objects.filter(company_id=actor.company.pk)
    if everybody and actor.has(Right.MANAGE_USERS):
        return jobs.select_related("created_by")
    return jobs.filter(created_by_id=actor.user.pk)


def import_get_own(user: Any, pk: Any) -> ImportJob:
    """One of the user's own jobs (setting up, starting and deleting a draft are theirs only)."""
    require_actor(user)
    return get_or_404(imports_for_user(user), pk)


def import_get_for_user(user: Any, pk: Any) -> ImportJob:
    """A job the user may see: theirs, or any of the company's for an administrator."""
    require_actor(user)
    everybody = sees_every_import(user)
    return get_or_404(imports_for_user(user, everybody=everybody).select_related("created_by"), pk)


def adapter_label(adapter: Adapter | None) -> str:
    # The model's lazy name, read now: the adapter's own label is frozen in the language of its
    # first use (adapters are built once per process).
    if adapter is None:
        return ""
    return str(adapter.model._meta.verbose_name_plural).capitalize()


def importable_kinds(user: Any) -> list[tuple[str, str]]:
    """(key, label) of the kinds of record the user may import, business records first."""
    actor = actor_for(user)
    if actor is None:
        return []
    return [(a.key, adapter_label(a)) for a in adapters_for(actor)]


def time_left_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 90:
        count = max(1, round(seconds))
        return ngettext("%(count)d second", "%(count)d seconds", count) % {"count": count}
    if seconds < 3600:
        count = round(seconds / 60)
        return ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}
    hours, minutes = divmod(round(seconds / 60), 60)
    return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}


@dataclass(frozen=True)
class JobState:
    """What the job page shows of a job now: the progress of its run and the time left, and
    whether the page keeps polling."""

    percent: int
    time_left: str
    active: bool
    undo_active: bool


def import_state(job: ImportJob) -> JobState:
    total, done = job.total_rows, job.processed_rows
    percent = min(100, done * 100 // total) if total else 0
    if job.status == ImportJob.Status.DONE:
        percent = 100
    seconds: float | None = None
    if job.status == ImportJob.Status.RUNNING and job.started_at:
        # engine.eta reads a monotonic start: the run's wall-clock start, brought to this clock.
        elapsed = max(0.0, (timezone.now() - job.started_at).total_seconds())
        seconds = engine.eta(time.monotonic() - elapsed, done, total)
    undo_active = job.undo_status in (ImportJob.UndoStatus.PENDING, ImportJob.UndoStatus.RUNNING)
    return JobState(
        percent=percent,
        time_left=time_left_text(seconds),
        active=job.is_active,
        undo_active=undo_active,
    )


@dataclass
class PreviewRow:
    number: int
    cells: list[tuple[str, str]]  # (text, problem) per file column
    problems: list[str] = field(default_factory=list)  # problems no single column holds
    action: str = ""  # "create", "update" or "skip" for a row without problem
    reason: str = ""  # why it is skipped

    @property
    def ok(self) -> bool:
        return not self.problems and not any(problem for _text, problem in self.cells)


@dataclass
class Preview:
    rows: list[PreviewRow]
    error: str = ""

    @property
    def problem_count(self) -> int:
        return sum(0 if row.ok else 1 for row in self.rows)

    def _count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.ok and row.action == action)

    @property
    def create_count(self) -> int:
        return self._count("create")

    @property
    def update_count(self) -> int:
        return self._count("update")

    @property
    def skip_count(self) -> int:
        return self._count("skip")


def import_preview(user: Any, job: ImportJob, limit: int = 20) -> Preview:
    """The first rows of the file read with ``job``'s settings (saved or not), each problem on
    the column it comes from; nothing is written."""
    actor = require_actor(user)
    adapter = get_adapter(job.entity)
    if adapter is None:
        return Preview([], _("This kind of record can no longer be imported."))
    try:
        rows = engine.preview(job, adapter, actor, table_of(job), limit=limit)
    except FileProblem as exc:
        return Preview([], exc.message)
    except (ValidationError, OSError) as exc:
        return Preview([], " ".join(getattr(exc, "messages", [str(exc)])))
    column_of = {name: int(index) for index, name in job.mapping.items() if name}
    width = len(job.headers)
    out = []
    for row in rows:
        problems_by_column: dict[int, list[str]] = {}
        loose: list[str] = []
        for name, message in row.errors.items():
            index = column_of.get(name)
            spec = adapter.field(name) if name else None
            if index is not None and index < width:
                problems_by_column.setdefault(index, []).append(message)
            elif spec is not None:
                loose.append(f"{spec.label}: {message}")
            else:
                loose.append(message)
        cells = [
            (
                row.cells[i] if i < len(row.cells) else "",
                " ".join(problems_by_column.get(i, [])),
            )
            for i in range(width)
        ]
        out.append(
            PreviewRow(
                number=row.number,
                cells=cells,
                problems=loose,
                action=row.action,
                reason=row.reason,
            )
        )
    return Preview(out)
