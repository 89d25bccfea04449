"""Writes of the import wizard: upload a file, set the mapping, run the import, undo it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from piste.core.access import Actor, actor_for
from piste.core.models import Activity
from piste.core.rights import Right
from piste.core.text import fold
from piste.core.timeline import activities_record
from piste.imports import engine, parallel
from piste.imports.adapters import Adapter, adapters_for, get_adapter
from piste.imports.files import FileProblem, Table, open_table
from piste.imports.models import ImportJob, ImportMapping, ImportRecord

# Bigger files are refused at upload (settings.IMPORT_MAX_BYTES, from IMPORT_MAX_UPLOAD_MB).
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
UNDO_BATCH = 1000


def max_bytes() -> int:
    return int(getattr(django_settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def adapter_for(actor: Actor, entity: str) -> Adapter:
    adapter = get_adapter(entity)
    if adapter is None or adapter not in adapters_for(actor):
        raise ValidationError(_("Choose a kind of record to import."))
    return adapter


def table_of(job: ImportJob) -> Table:
    return open_table(Path(job.file.path), job.file_name)


@transaction.atomic
def import_upload(*, actor: Actor, entity: str, upload: UploadedFile) -> ImportJob:
    """A draft import of ``upload`` with the columns guessed; ValidationError for a file that
    cannot be imported (and nothing is kept)."""
    adapter = adapter_for(actor, entity)
    name = Path(upload.name or "import.csv").name[:200]
    if upload.size is not None and upload.size > max_bytes():
        raise ValidationError(
            _("The file is larger than %(size)d MB.") % {"size": max_bytes() // (1024 * 1024)}
        )
    if not name.lower().endswith((".csv", ".txt", ".tsv", ".xlsx", ".xlsm")):
        raise ValidationError(_("Choose a CSV or XLSX file."))
    job = ImportJob(company=actor.company, created_by=actor.user, entity=entity, file_name=name)
    job.file.save(name, upload, save=False)
    try:
        table = table_of(job)
        headers = table.headers()
    except FileProblem as exc:
        job.file.delete(save=False)
        raise ValidationError(exc.message) from exc
    job.file_format, job.encoding, job.delimiter = table.format, table.encoding, table.delimiter
    job.headers = [h[:200] for h in headers]
    saved = ImportMapping.objects.filter(
        company=actor.company, user=actor.user, entity=entity
    ).first()
    job.mapping = guess_mapping(adapter, job.headers, saved.columns if saved else {})
    job.defaults = {k: v for k, v in (saved.defaults if saved else {}).items() if adapter.field(k)}
    job.match_on = saved.match_on if saved and saved.match_on in adapter.match_keys else ""
    if not job.match_on:
        job.match_on = next(
            (k for k in adapter.match_keys if k in job.mapping.values() or k == "name"), ""
        )
        if job.match_on == "email" and "email" not in job.mapping.values():
            job.match_on = ""
    job.mode = saved.mode if saved and saved.mode else ImportJob.Mode.BOTH
    job.save()
    return job


def guess_mapping(adapter: Adapter, headers: list[str], saved: dict[str, str]) -> dict[str, str]:
    """{column index: field}: the user's last mapping for the same header first, then the
    field whose names (English, French, usual words) the header spells; each field once."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    keys = [fold(h) for h in headers]
    for index, key in enumerate(keys):
        name = saved.get(key, "")
        if name and adapter.field(name) and name not in used:
            mapping[str(index)] = name
            used.add(name)
    for index, key in enumerate(keys):
        if str(index) in mapping or not key:
            continue
        for spec in adapter.fields:
            if spec.name not in used and key in spec.words:
                mapping[str(index)] = spec.name
                used.add(spec.name)
                break
    return mapping


@transaction.atomic
def import_configure(
    *,
    actor: Actor,
    job: ImportJob,
    mapping: dict[str, str],
    defaults: dict[str, str],
    match_on: str,
    mode: str,
) -> ImportJob:
    """Keep the wizard's choices on the draft job, and as the user's mapping for next time."""
    _require_owner(actor, job)
    if job.status != ImportJob.Status.DRAFT:
        raise ValidationError(_("This import has already started."))
    adapter = adapter_for(actor, job.entity)
    errors: list[str] = []
    clean_mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, name in mapping.items():
        if not name:
            continue
        if not index.isdigit() or int(index) >= len(job.headers) or adapter.field(name) is None:
            errors.append(_("Choose the fields among those offered."))
            continue
        if name in used:
            label = adapter.field(name).label  # type: ignore[union-attr]
            errors.append(_("“%(field)s” is chosen for two columns.") % {"field": label})
        used.add(name)
        clean_mapping[index] = name
    clean_defaults = {
        k: str(v)[:500] for k, v in defaults.items() if v and adapter.field(k) is not None
    }
    for name in adapter.required:
        if name not in used and name not in clean_defaults:
            label = adapter.field(name).label  # type: ignore[union-attr]
            errors.append(
                _("Map a column to “%(field)s” or give it a default value: it is required.")
                % {"field": label}
            )
    if mode not in ImportJob.Mode.values:
        errors.append(_("Choose what to do with existing records."))
    if match_on and match_on not in adapter.match_keys:
        errors.append(_("Choose a key to match existing records on."))
    if mode != ImportJob.Mode.CREATE and not match_on:
        errors.append(_("Choose a key to match existing records on."))
    if match_on and match_on != "name" and match_on not in used:
        errors.append(
            _("Map a column to the key “%(key)s” to match on it.")
            % {"key": adapter.match_label(match_on)}
        )
    if match_on == "name" and not any(
        adapter.field(n) and (n in used) for n in ("name", "last_name")
    ):
        errors.append(_("Map the name column to match on names."))
    if errors:
        raise ValidationError(list(dict.fromkeys(errors)))
    job.mapping, job.defaults, job.match_on, job.mode = (
        clean_mapping,
        clean_defaults,
        match_on,
        mode,
    )
    job.save(update_fields=["mapping", "defaults", "match_on", "mode"])
    columns = {fold(job.headers[int(i)]): name for i, name in clean_mapping.items()}
    ImportMapping.objects.update_or_create(
        company=actor.company,
        user=actor.user,
        entity=job.entity,
        defaults={
            "columns": columns,
            "defaults": clean_defaults,
            "match_on": match_on,
            "mode": mode,
        },
    )
    return job


def _require_owner(actor: Actor, job: ImportJob) -> None:
    if job.company_id != actor.company.pk or job.created_by_id != actor.user.pk:
        raise PermissionDenied


def _require_owner_or_administrator(actor: Actor, job: ImportJob) -> None:
    """Undo: the one who imported, or an administrator of the company (a colleague's bad
    import, or one of somebody who has left, must be undoable)."""
    if job.company_id != actor.company.pk:
        raise PermissionDenied
    if job.created_by_id != actor.user.pk and not actor.has(Right.MANAGE_USERS):
        raise PermissionDenied


def _require_rights(actor: Actor, adapter: Adapter, mode: str) -> None:
    if mode in (ImportJob.Mode.CREATE, ImportJob.Mode.BOTH) and not actor.has(adapter.create_right):
        raise PermissionDenied(adapter.create_right.label)
    if mode in (ImportJob.Mode.UPDATE, ImportJob.Mode.BOTH) and not actor.has(adapter.change_right):
        raise PermissionDenied(adapter.change_right.label)


@transaction.atomic
def import_draft_delete(*, actor: Actor, job: ImportJob) -> None:
    """Drop an import that was never started, and its uploaded file (a started one has records
    to undo instead). The file goes once the row is gone for good: after the commit."""
    _require_owner(actor, job)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.DRAFT:
        raise ValidationError(
            _("Only an import not started yet can be deleted: undo this one instead.")
        )
    file = job.file
    job.delete()
    if file:
        name, storage = file.name, file.storage
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def import_start(*, actor: Actor, job: ImportJob, enqueue: bool = True) -> ImportJob:
    _require_owner(actor, job)
    adapter = adapter_for(actor, job.entity)
    _require_rights(actor, adapter, job.mode)
    if job.status != ImportJob.Status.DRAFT:
        raise ValidationError(_("This import has already started."))
    job.status = ImportJob.Status.PENDING
    job.save(update_fields=["status"])
    if enqueue:
        from piste.imports.tasks import run_import

        job_id = job.pk
        transaction.on_commit(lambda: run_import(job_id))
    return job


def _save_progress(job: ImportJob, run: engine.Run | None, done: int, **extra: Any) -> None:
    values: dict[str, Any] = {"processed_rows": done, **extra}
    if run is not None:
        values.update(
            created_count=run.created,
            updated_count=run.updated,
            skipped_count=run.skipped,
            error_count=run.errors,
        )
    ImportJob.objects.filter(pk=job.pk).update(**values)
    for name, value in values.items():
        setattr(job, name, value)


def import_run(*, job_id: int) -> ImportJob:
    """The job's work (the queue's task): count the rows (which reads the whole file once, so a
    file damaged further down fails before anything is written), then import batch by batch."""
    job = ImportJob.objects.select_related("created_by", "company").get(pk=job_id)
    if job.status != ImportJob.Status.PENDING:
        return job
    _save_progress(job, None, 0, status=ImportJob.Status.RUNNING, started_at=timezone.now())
    actor = actor_for(job.created_by)
    try:
        if actor is None or actor.company.pk != job.company_id:
            raise PermissionDenied(_("You no longer work in this company."))
        adapter = adapter_for(actor, job.entity)
        _require_rights(actor, adapter, job.mode)
        table = table_of(job)
        total = sum(1 for _row in table.rows())
        _save_progress(job, None, 0, total_rows=total)

        def progress(run: engine.Run, done: int) -> None:
            _save_progress(job, run, done)

        workers = parallel.workers_for(adapter, job, total)
        if workers > 1:
            run = parallel.execute(job, adapter, actor, table, workers, progress)
        else:
            run = engine.execute(job, adapter, actor, table, progress)
    except (FileProblem, ValidationError, PermissionDenied) as exc:
        message = (
            exc.message
            if isinstance(exc, FileProblem)
            else " ".join(getattr(exc, "messages", [str(exc)]))
        )
        _save_progress(
            job,
            None,
            job.processed_rows,
            status=ImportJob.Status.FAILED,
            error=message or _("Not allowed."),
            finished_at=timezone.now(),
        )
        return job
    if run.rejected:
        content = engine.rejected_csv(job.headers, run.rejected)
        job.report.save(f"import-{job.pk}-rejected.csv", ContentFile(content), save=False)
        ImportJob.objects.filter(pk=job.pk).update(report=job.report.name)
    _save_progress(
        job,
        run,
        job.processed_rows,
        status=ImportJob.Status.DONE,
        finished_at=timezone.now(),
    )
    return job


def import_fail_unexpected(job_id: int, error: str) -> None:
    """An unexpected error stopped the job: it shows failed, and what it wrote stays undoable."""
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.FAILED,
        error=_(
            "The import stopped on an unexpected error: %(error)s. What it wrote can be undone."
        )
        % {"error": error[:300]},
        finished_at=timezone.now(),
    )


# Undo ----------------------------------------------------------------------------------------


def undo_refusal(actor: Actor, job: ImportJob) -> str | None:
    if job.status not in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return _("Only a finished import can be undone.")
    if job.undo_status in (
        ImportJob.UndoStatus.PENDING,
        ImportJob.UndoStatus.RUNNING,
        ImportJob.UndoStatus.DONE,
    ):
        return _("This import is already undone.")
    if not job.records.exists():
        return _("This import created or changed nothing.")
    return None


@transaction.atomic
def import_undo_start(*, actor: Actor, job: ImportJob, enqueue: bool = True) -> ImportJob:
    _require_owner_or_administrator(actor, job)
    adapter = adapter_for(actor, job.entity)
    _require_rights(actor, adapter, ImportJob.Mode.BOTH)
    refusal = undo_refusal(actor, job)
    if refusal:
        raise ValidationError(refusal)
    job.undo_status = ImportJob.UndoStatus.PENDING
    job.undone_by = actor.user
    job.save(update_fields=["undo_status", "undone_by"])
    if enqueue:
        from piste.imports.tasks import run_undo

        job_id = job.pk
        transaction.on_commit(lambda: run_undo(job_id))
    return job


def _current(obj: Any, fields: dict[str, Any]) -> dict[str, Any]:
    return {name: engine.serial(getattr(obj, name)) for name in fields}


def _restore(obj: Any, values: dict[str, Any]) -> None:
    for attname, value in values.items():
        model_field = next(f for f in obj._meta.concrete_fields if f.attname == attname)
        setattr(obj, attname, None if value is None else model_field.to_python(value))


@transaction.atomic
def import_undo(*, job_id: int) -> ImportJob:
    """Delete what the import created and restore what it updated, unless the record changed
    since: those are kept and listed (never silently overwritten)."""
    job = (
        ImportJob.objects.select_related("created_by", "undone_by", "company")
        .select_for_update(of=("self",))
        .get(pk=job_id)
    )
    if job.undo_status != ImportJob.UndoStatus.PENDING:
        return job
    actor = actor_for(job.undone_by or job.created_by)
    if actor is None or actor.company.pk != job.company_id:
        job.undo_status = ImportJob.UndoStatus.FAILED
        job.undo_result = {"error": _("You no longer work in this company.")}
        job.save(update_fields=["undo_status", "undo_result"])
        return job
    adapter = adapter_for(actor, job.entity)
    model = adapter.model
    deleted = restored = 0
    kept: list[dict[str, Any]] = []
    records = job.records.order_by("id")
    for action in (ImportRecord.Action.CREATED, ImportRecord.Action.UPDATED):
        chunk: list[ImportRecord] = []
        for record in records.filter(action=action).iterator(chunk_size=UNDO_BATCH):
            chunk.append(record)
            if len(chunk) >= UNDO_BATCH:
                d, r = _undo_chunk(actor, adapter, job, chunk, kept)
                deleted, restored = deleted + d, restored + r
                chunk = []
        if chunk:
            d, r = _undo_chunk(actor, adapter, job, chunk, kept)
            deleted, restored = deleted + d, restored + r
    del model
    job.undo_status = ImportJob.UndoStatus.DONE
    job.undo_result = {"deleted": deleted, "restored": restored, "kept": kept[:1000],
                       "kept_count": len(kept)}  # fmt: skip
    job.save(update_fields=["undo_status", "undo_result"])
    return job


def _undo_chunk(
    actor: Actor,
    adapter: Adapter,
    job: ImportJob,
    chunk: list[ImportRecord],
    kept: list[dict[str, Any]],
) -> tuple[int, int]:
    model = adapter.model
    objs = model._default_manager.filter(company_id=actor.company.pk).in_bulk(
        [r.object_id for r in chunk]
    )
    to_delete: list[Any] = []
    to_restore: list[tuple[Any, dict[str, Any], dict[str, Any]]] = []
    for record in chunk:
        obj = objs.get(record.object_id)
        if obj is None:
            continue  # deleted since: nothing to take back
        if _current(obj, record.after) != record.after:
            kept.append(
                {
                    "id": obj.pk,
                    "label": str(obj)[:200],
                    "reason": _("Changed since the import: kept as it is."),
                }
            )
            continue
        if record.action == ImportRecord.Action.CREATED:
            to_delete.append(obj)
        else:
            to_restore.append((obj, record.before, record.after))
    deleted = _delete(actor, adapter, to_delete, kept)
    for obj, before, _after in to_restore:
        _restore(obj, before)
        adapter.refresh(obj)
        update_fields = [f.name for f in obj._meta.concrete_fields if not f.primary_key]
        if hasattr(obj, "version"):
            obj.version += 1
        obj.save(update_fields=update_fields)
    activities_record(
        objs=[obj for obj, _b, _a in to_restore],
        verb=Activity.Verb.CHANGED,
        actor=actor.user,
        company_id=actor.company.pk,
        data=lambda obj: {"message": _("Import #%(number)d undone") % {"number": job.pk}},
    )
    return deleted, len(to_restore)


def _delete(actor: Actor, adapter: Adapter, objs: list[Any], kept: list[dict[str, Any]]) -> int:
    if not objs:
        return 0
    from piste.documents.services import documents_delete_for_records

    model = adapter.model
    ids = [o.pk for o in objs]
    activities_record(
        objs=objs,
        verb=Activity.Verb.DELETED,
        actor=actor.user,
        company_id=actor.company.pk,
        data=lambda obj: {"message": str(obj)[:200]},
    )
    documents_delete_for_records(model=model, ids=ids)
    address_ids = [
        getattr(o, name)
        for o in objs
        for name in ("address_id", "main_address_id")
        if getattr(o, name, None)
    ]
    try:
        with transaction.atomic():
            model._default_manager.filter(pk__in=ids).delete()
    except (ProtectedError, models.RestrictedError):
        # Some are used elsewhere (an opportunity on an imported partner): one by one.
        count = 0
        for obj in objs:
            try:
                with transaction.atomic():
                    obj.delete()
                count += 1
            except (ProtectedError, models.RestrictedError):
                kept.append(
                    {
                        "id": obj.pk,
                        "label": str(obj)[:200],
                        "reason": _("Used by other records since the import: kept."),
                    }
                )
        return count
    if address_ids:
        from piste.geo.models import Address

        Address.objects.filter(pk__in=address_ids).delete()
    return len(ids)


def import_undo_fail(job_id: int, error: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        undo_status=ImportJob.UndoStatus.FAILED, undo_result={"error": error[:300]}
    )
