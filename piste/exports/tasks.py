"""Large exports are written by the job queue (a web request would outlive gunicorn's
timeout). The consumer finds this module by autodiscovery."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def run_export(job_id: int) -> None:
    from piste.exports.services import export_job_run

    export_job_run(job_id=job_id)


@db_periodic_task(crontab(hour="3", minute="10"))
def purge_exports() -> None:
    from piste.exports.services import export_jobs_purge

    export_jobs_purge()
