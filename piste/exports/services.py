"""Export jobs: started by the download view when a list is too large to stream, run by the
job queue, downloaded from their page."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from datetime import timedelta

from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation

from piste.core.access import Actor, require_right
from piste.core.rights import Right
from piste.exports import selectors, writers
from piste.exports.models import ExportJob

logger = logging.getLogger(__name__)


@transaction.atomic
def export_job_start(
    *, actor: Actor, entity: str, kind: str, query: str, fmt: str, language: str
) -> ExportJob:
    """A job writing the export of list ``entity``/``kind`` for ``query``; queued once the
    transaction commits (the worker must find the row)."""
    job = ExportJob.objects.create(
        company=actor.company,
        user=actor.user,
        entity=entity,
        kind=kind,
        query=query,
        format=fmt,
        language=language,
    )
    from piste.exports.tasks import run_export

    transaction.on_commit(lambda: run_export(job.pk), robust=True)
    return job


def _counted(
    rows: Iterator[Sequence[writers.Cell]], job: ExportJob
) -> Iterator[Sequence[writers.Cell]]:
    for row in rows:
        job.rows += 1
        yield row


def export_job_run(*, job_id: int) -> None:
    """Write the job's file to storage. The user's access is read again now: a right taken
    away since the request, or rows they no longer see, are not exported."""
    job = ExportJob.objects.select_related("user", "company").filter(pk=job_id).first()
    if job is None or job.state != ExportJob.State.PENDING:
        return  # deleted, or already run (a job queued twice)
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.RUNNING)
    try:
        with translation.override(job.language or None):
            user = job.user
            user.active_company = job.company
            actor = require_right(user, Right.EXPORT)
            if actor.company.pk != job.company_id:
                # No longer a member of the job's company: nothing of another company instead.
                raise PermissionError("not a member of the export's company any more")
            export = selectors.list_export(
                user=user, entity=job.entity, kind=job.kind, query=QueryDict(job.query)
            )
            if export.errors:
                raise ValueError("; ".join(export.errors))
            name = export.file_name(job.format, timezone.localtime())
            with tempfile.TemporaryFile() as out:
                rows = _counted(export.rows, job)
                for piece in writers.pieces(
                    job.format, export.headers, export.kinds, rows, export.title
                ):
                    out.write(piece)
                out.seek(0)
                job.file.save(name, File(out), save=False)
        job.file_name = name
        job.state = ExportJob.State.DONE
    except Exception as exc:  # the job's page says it failed; the log says why
        logger.exception("export job %s failed", job.pk)
        job.state = ExportJob.State.FAILED
        job.error = str(exc)[:1000]
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "file_name", "state", "rows", "error", "finished_at"])


# Export files are customer data sitting in storage: kept a week for the download, then gone.
KEEP_EXPORTS = timedelta(days=7)


def export_jobs_purge(*, older_than: timedelta = KEEP_EXPORTS) -> int:
    """Delete the export jobs started more than ``older_than`` ago, their files first; the
    number of jobs deleted. A job still running is left to finish."""
    cutoff = timezone.now() - older_than
    old = ExportJob.objects.filter(created_at__lt=cutoff).exclude(state=ExportJob.State.RUNNING)
    deleted = 0
    for job in old.iterator(chunk_size=500):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        deleted += 1
    return deleted
