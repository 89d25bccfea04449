"""The import and undo jobs: thin, they load the job and call its service."""

from __future__ import annotations

from huey.contrib.djhuey import db_task, on_startup


@on_startup()
def prepare_import_processes() -> None:
    """Large lead imports fork their processes from a server that has Django set up: started
    with the consumer, not by the first import."""
    from piste.imports.parallel import prepare

    prepare()


@db_task()
def run_import(job_id: int) -> None:
    from piste.imports.services import import_fail_unexpected, import_run

    try:
        import_run(job_id=job_id)
    except Exception as exc:  # the job must show failed, not stay "running" for ever
        import_fail_unexpected(job_id, f"{type(exc).__name__}: {exc}")
        raise


@db_task()
def run_undo(job_id: int) -> None:
    from piste.imports.services import import_undo, import_undo_fail

    try:
        import_undo(job_id=job_id)
    except Exception as exc:
        import_undo_fail(job_id, f"{type(exc).__name__}: {exc}")
        raise
