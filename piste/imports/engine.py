"""Reading rows into values, matching them, writing them in batches: the import's run.

Per batch of ``BATCH`` rows (``BULK_BATCH`` for leads): each row is converted and checked in
Python (no query), the existing records of the batch's keys are read in one query, then new
records are written in bulk (leads) or through their services (others), with one bulk INSERT of
their ``ImportRecord`` rows and one of their "imported" timeline lines. Each batch commits on
its own, with the job's progress, so the progress shows and memory stays flat; undo takes back
whatever was committed.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from piste.core import timeline
from piste.core.access import Actor
from piste.core.models import Activity
from piste.core.spreadsheet import safe_cell
from piste.imports.adapters import Adapter, FieldSpec
from piste.imports.copy import insert_rows
from piste.imports.files import Table
from piste.imports.models import ImportJob, ImportRecord
from piste.imports.values import Lookups

# Rows per batch (one transaction each): service writes go row by row, bulk ones in a few
# statements whose fixed costs (matching query, COPY, commit) shrink with bigger batches.
BATCH = 2000
BULK_BATCH = 5000


def serial(value: Any) -> Any:
    """A field's value as JSON keeps it (and compares it)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date | Decimal):
        return str(value)
    return value


_FIELDS: dict[tuple[type[models.Model], frozenset[str]], list[models.Field]] = {}


def model_fields(adapter: Adapter, names: Iterable[str]) -> list[models.Field]:
    """The model fields among ``names`` (remembered: rows of a file share their names)."""
    key = (adapter.model, frozenset(names))
    if key not in _FIELDS:
        if len(_FIELDS) > 4096:
            _FIELDS.clear()
        _FIELDS[key] = _model_fields(adapter, key[1])
    return _FIELDS[key]


def _model_fields(adapter: Adapter, names: Iterable[str]) -> list[models.Field]:
    out = []
    for name in names:
        try:
            f = adapter.model._meta.get_field(name)
        except FieldDoesNotExist:
            continue  # address_* and other values that are not columns
        if isinstance(f, models.Field) and not f.many_to_many:
            out.append(f)
    return out


# What undo checks of a lead the import created: that nobody saved it since (every lead
# service moves its version). One shared value: the batch's undo records encode it once.
CREATED_LEAD = {"version": 1}

# The address cells of a lead row and the address columns they fill.
ADDRESS_CELLS = {"address_line1": "line1", "address_postal_code": "postal_code"}
ADDRESS_CELLS["address_city"] = "city_name"


def address_changes(obj: Any, values: dict[str, Any]) -> bool:
    """Whether the row's filled address cells change the record's address (an update fills
    only the filled cells: the same address again is no change)."""
    cells = {column: values.get(name) for name, column in ADDRESS_CELLS.items()}
    cells = {column: value for column, value in cells.items() if value}
    if not cells:
        return False
    current = obj.address if getattr(obj, "address_id", None) else None
    if current is None:
        return True
    return any(getattr(current, column) != value for column, value in cells.items())


def snapshot(obj: Any, fields: list[models.Field]) -> dict[str, Any]:
    return {f.attname: serial(getattr(obj, f.attname)) for f in fields}


def message_of(exc: ValidationError, adapter: Adapter) -> dict[str, str]:
    """{field: message} of a ValidationError ("" for errors about the whole row)."""
    if hasattr(exc, "error_dict"):
        return {
            name if name != "__all__" else "": " ".join(str(m) for m in messages)
            for name, messages in exc.message_dict.items()
        }
    return {"": " ".join(exc.messages)}


@dataclass
class Settings:
    """What the wizard chose: which column feeds which field, defaults, the match rule."""

    adapter: Adapter
    mapping: dict[int, str]
    defaults: dict[str, str]
    match_on: str
    mode: str

    @cached_property
    def specs(self) -> dict[str, FieldSpec]:
        """The adapter's fields by name (``Adapter.field`` scans them: rows ask per cell)."""
        return {spec.name: spec for spec in self.adapter.fields}

    @cached_property
    def required(self) -> list[FieldSpec]:
        return [spec for spec in self.adapter.fields if spec.required]

    @classmethod
    def of(cls, job: ImportJob, adapter: Adapter) -> Settings:
        mapping = {int(k): v for k, v in job.mapping.items() if v and adapter.field(v)}
        return cls(adapter, mapping, dict(job.defaults), job.match_on, job.mode)


@dataclass
class Row:
    number: int  # the line of the file (header is line 1)
    cells: list[str]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    key: str = ""
    # What the preview expects the run to do with the row: "create", "update" or "skip" (with
    # ``reason``); a row with errors is rejected.
    action: str = ""
    reason: str = ""


def texts_of(settings: Settings, cells: list[str]) -> dict[str, str]:
    """A row's text per field: its mapped cells (the last filled one when several columns feed
    one field), else the field's default."""
    texts: dict[str, str] = {}
    for index, name in settings.mapping.items():
        text = cells[index] if index < len(cells) else ""
        if text or name not in texts:
            texts[name] = text
    for name, text in settings.defaults.items():
        if not texts.get(name) and text:
            texts[name] = text
    return texts


def read_row(settings: Settings, lookups: Lookups, actor: Actor, row: Row) -> Row:
    """Convert and check one row: ``row.values`` normalised, or ``row.errors`` per field."""
    adapter = settings.adapter
    texts = texts_of(settings, row.cells)
    data: dict[str, Any] = {}
    specs = settings.specs
    for name, text in texts.items():
        spec = specs.get(name)
        if spec is None:
            continue
        try:
            data[name] = spec.convert(lookups, text)
        except ValidationError as exc:
            row.errors[name] = " ".join(exc.messages)
    for spec in settings.required:
        if spec.name not in row.errors and data.get(spec.name) in (None, ""):
            row.errors[spec.name] = _("“%(field)s” is required.") % {"field": spec.label}
    if row.errors:
        return row
    # Empty cells leave a record's value alone when updating: only filled ones are written.
    data = {k: v for k, v in data.items() if v not in (None, "")}
    try:
        row.values = adapter.clean(actor, data)
    except ValidationError as exc:
        row.errors.update(message_of(exc, adapter))
        return row
    max_lengths = adapter.max_lengths
    for name, value in row.values.items():
        limit = max_lengths.get(name)
        if limit and isinstance(value, str) and len(value) > limit:
            # Checked after normalisation too: a too-long value would fail the whole batch.
            row.errors[name] = _("Longer than %(max)d characters.") % {"max": limit}
    if row.errors:
        return row
    if settings.match_on:
        row.key = adapter.key_of(settings.match_on, row.values)
    return row


def numbered(rows: Iterable[list[str]]) -> Iterator[Row]:
    for number, cells in enumerate(rows, start=2):
        yield Row(number=number, cells=cells)


def preview(
    job: ImportJob, adapter: Adapter, actor: Actor, table: Table, limit: int = 20
) -> list[Row]:
    """The first rows read as the run will read them, with every problem per cell and the action
    each will take (matched against the database in one query); nothing is written."""
    settings = Settings.of(job, adapter)
    lookups = Lookups(actor.company.pk, actor.user)
    rows = []
    seen: dict[str, int] = {}
    for row in numbered(table.rows()):
        read_row(settings, lookups, actor, row)
        if not row.errors and row.key:
            if row.key in seen:
                row.action = "skip"
                row.reason = _("Same %(key)s as line %(line)d: skipped.") % {
                    "key": adapter.match_label(settings.match_on),
                    "line": seen[row.key],
                }
            else:
                seen[row.key] = row.number
        rows.append(row)
        if len(rows) >= limit:
            break
    keys = [row.key for row in rows if row.key and not row.errors and not row.action]
    existing = existing_by_key(adapter, actor, settings.match_on, keys)
    for row in rows:
        if row.errors or row.action:
            continue
        outcome = decide(settings, existing.get(row.key, []) if row.key else [])
        if outcome.error:
            row.errors[""] = outcome.error
        else:
            row.action, row.reason = outcome.action, outcome.reason
    return rows


@dataclass
class Decision:
    """What matching decides for a checked row: "create", "update" or "skip" (``reason``), or
    an ``error``."""

    action: str = ""
    reason: str = ""
    error: str = ""


def decide(settings: Settings, found: list[Any]) -> Decision:
    """The action for a row whose key matches the records ``found``, by the import's mode."""
    adapter = settings.adapter
    if len(found) > 1:
        return Decision(
            error=_("Several existing records have this %(key)s: none was changed.")
            % {"key": adapter.match_label(settings.match_on)}
        )
    if found:
        if settings.mode == ImportJob.Mode.CREATE:
            return Decision("skip", _("Already exists: skipped (create-only import)."))
        return Decision("update")
    if settings.mode == ImportJob.Mode.UPDATE:
        return Decision("skip", _("No existing record matches: skipped (update-only import)."))
    return Decision("create")


def existing_by_key(
    adapter: Adapter, actor: Actor, match_on: str, keys: list[str]
) -> dict[str, list[Any]]:
    """The records ``actor`` may see holding ``keys`` (merged ones left out): one query."""
    if not keys or not match_on:
        return {}
    column = adapter.lookup(match_on)
    qs = adapter.queryset(actor.user)
    if adapter.bulk:
        qs = qs.select_related("address")  # the derived city column reads it
    if hasattr(adapter.model, "merged_into"):
        qs = qs.filter(merged_into__isnull=True)
    found: dict[str, list[Any]] = {}
    for obj in qs.filter(**{f"{column}__in": set(keys)}):
        found.setdefault(str(getattr(obj, column)), []).append(obj)
    return found


@dataclass
class Run:
    """One import's run: counts, rejected rows, and the writes of each batch."""

    job: ImportJob
    adapter: Adapter
    actor: Actor
    settings: Settings
    rejected: list[tuple[int, list[str], str]] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: int = 0

    def reject(self, row: Row, reason: str, *, error: bool) -> None:
        if error:
            self.errors += 1
        else:
            self.skipped += 1
        self.rejected.append((row.number, row.cells, reason))

    def batch(self, rows: list[Row]) -> None:
        adapter, settings = self.adapter, self.settings
        good: list[Row] = []
        for row in rows:
            if row.errors:
                reason = "; ".join(
                    f"{self._label(name)}: {message}" if name else message
                    for name, message in row.errors.items()
                )
                self.reject(row, reason, error=True)
                continue
            if settings.match_on:
                if row.key and row.key in self.seen:
                    self.reject(
                        row,
                        _("Same %(key)s as line %(line)d: skipped.")
                        % {
                            "key": adapter.match_label(settings.match_on),
                            "line": self.seen[row.key],
                        },
                        error=False,
                    )
                    continue
                if row.key:
                    self.seen[row.key] = row.number
            good.append(row)
        keys = [r.key for r in good if r.key]
        existing = existing_by_key(adapter, self.actor, settings.match_on, keys)
        creates: list[Row] = []
        updates: list[tuple[Row, Any]] = []
        for row in good:
            found = existing.get(row.key, []) if row.key else []
            outcome = decide(settings, found)
            if outcome.error:
                self.reject(row, outcome.error, error=True)
            elif outcome.action == "skip":
                self.reject(row, outcome.reason, error=False)
            elif outcome.action == "update":
                updates.append((row, found[0]))
            else:
                creates.append(row)
        # The caller's transaction holds the batch (``execute``): all of it or none.
        if adapter.bulk:
            self._bulk_write(creates, updates)
        else:
            self._service_write(creates, updates)

    def _label(self, name: str) -> str:
        spec = self.adapter.field(name)
        return str(spec.label) if spec else name

    def _bulk_write(self, creates: list[Row], updates: list[tuple[Row, Any]]) -> None:
        from piste.leads.services_import import leads_import_create, leads_import_update

        records: list[dict[str, Any]] = []
        created_objs = []
        if creates:
            created_objs = leads_import_create(
                actor=self.actor, rows=[dict(r.values) for r in creates]
            )
            for obj in created_objs:
                records.append(self._record(obj, ImportRecord.Action.CREATED, {}, CREATED_LEAD))
        changed = []
        if updates:
            pairs = []
            names: set[str] = set()
            for row, obj in updates:
                fields = model_fields(self.adapter, row.values)
                before = snapshot(obj, fields)
                for name, value in row.values.items():
                    if not name.startswith("address_"):
                        setattr(obj, name, value)
                after = snapshot(obj, fields)
                diff = [k for k in after if after[k] != before[k]]
                address = address_changes(obj, row.values)
                if not diff and not address:
                    self.reject(row, _("Nothing to change."), error=False)
                    continue
                names.update(f.name for f in fields if f.attname in diff)
                pairs.append((obj, dict(row.values)))
                records.append(
                    self._record(
                        obj,
                        ImportRecord.Action.UPDATED,
                        {k: before[k] for k in diff},
                        {k: after[k] for k in diff},
                    )
                )
                changed.append(obj)
            if pairs:
                leads_import_update(actor=self.actor, pairs=pairs, fields=sorted(names))
        self._finish_batch(records, created_objs, changed)

    def _service_write(self, creates: list[Row], updates: list[tuple[Row, Any]]) -> None:
        adapter = self.adapter
        assert adapter.create is not None and adapter.update is not None
        records: list[dict[str, Any]] = []
        created_objs, changed = [], []
        for row in creates:
            fields = model_fields(adapter, row.values)
            try:
                with transaction.atomic():
                    obj = adapter.create(self.actor, dict(row.values))
            except ValidationError as exc:
                self.reject(row, "; ".join(message_of(exc, adapter).values()), error=True)
                continue
            except PermissionDenied as exc:
                self.reject(row, str(exc) or _("Not allowed."), error=True)
                continue
            created_objs.append(obj)
            records.append(
                self._record(obj, ImportRecord.Action.CREATED, {}, snapshot(obj, fields))
            )
        for row, obj in updates:
            fields = model_fields(adapter, row.values)
            before = snapshot(obj, fields)
            try:
                with transaction.atomic():
                    obj = adapter.update(self.actor, obj, dict(row.values))
            except ValidationError as exc:
                self.reject(row, "; ".join(message_of(exc, adapter).values()), error=True)
                continue
            except PermissionDenied as exc:
                self.reject(row, str(exc) or _("Not allowed."), error=True)
                continue
            after = snapshot(obj, fields)
            diff = [k for k in after if after[k] != before[k]]
            if not diff:
                self.reject(row, _("Nothing to change."), error=False)
                continue
            changed.append(obj)
            records.append(
                self._record(
                    obj,
                    ImportRecord.Action.UPDATED,
                    {k: before[k] for k in diff},
                    {k: after[k] for k in diff},
                )
            )
        self._finish_batch(records, created_objs, changed)

    def _record(
        self, obj: Any, action: str, before: dict[str, Any], after: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "job_id": self.job.pk,
            "object_id": obj.pk,
            "action": action,
            "before": before,
            "after": after,
        }

    def _finish_batch(
        self, records: list[dict[str, Any]], created: list[Any], changed: list[Any]
    ) -> None:
        """The batch's undo records and "imported" timeline lines: one COPY (or bulk INSERT)
        each; the timeline's listeners (webhooks) hear of them as ``activities_record`` says."""
        insert_rows(ImportRecord, records, ids=False)
        self.created += len(created)
        self.updated += len(changed)
        job, model = self.job, self.adapter.model
        content_type_id = ContentType.objects.get_for_model(model).pk
        company_id = self.actor.company.pk
        for objs, action in ((created, "created"), (changed, "updated")):
            if not objs:
                continue
            data = {"import": job.pk, "message": job.file_name, "action": action}
            insert_rows(
                Activity,
                [
                    {
                        "company_id": company_id,
                        "content_type_id": content_type_id,
                        "object_id": obj.pk,
                        "verb": Activity.Verb.IMPORTED,
                        "actor_id": self.actor.user.pk,
                        "data": data,
                    }
                    for obj in objs
                ],
                ids=False,
            )
            timeline._notify(
                company_id, model, Activity.Verb.IMPORTED, [(obj.pk, data) for obj in objs]
            )


def execute(
    job: ImportJob,
    adapter: Adapter,
    actor: Actor,
    table: Table,
    progress: Callable[[Run, int], None] | None = None,
    keep: Callable[[Settings, Row], bool] | None = None,
) -> Run:
    """Import ``table``: batch by batch, each batch (its matching, writes, undo records,
    timeline lines and the job's progress) in one transaction of its own. ``keep``: only the
    rows it keeps (one process's share, ``piste.imports.parallel``)."""
    settings = Settings.of(job, adapter)
    run = Run(job=job, adapter=adapter, actor=actor, settings=settings)
    lookups = Lookups(actor.company.pk, actor.user)
    size = BULK_BATCH if adapter.bulk else BATCH
    done = 0
    for rows in read_batches(settings, lookups, actor, table, size, keep):
        # The progress commits with the batch: one commit per batch, and the counts shown
        # are always those of what is written.
        with transaction.atomic():
            run.batch(rows)
            done += len(rows)
            if progress:
                progress(run, done)
    if progress and not done:
        progress(run, done)
    return run


def read_batches(
    settings: Settings,
    lookups: Lookups,
    actor: Actor,
    table: Table,
    size: int,
    keep: Callable[[Settings, Row], bool] | None = None,
) -> Iterator[list[Row]]:
    """The table's rows (those ``keep`` keeps), converted and checked, ``size`` at a time."""
    batch: list[Row] = []
    for row in numbered(table.rows()):
        if keep is not None and not keep(settings, row):
            continue
        batch.append(read_row(settings, lookups, actor, row))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def rejected_csv(headers: list[str], rejected: list[tuple[int, list[str], str]]) -> bytes:
    """The rejected rows as the user sent them, with their line and reason first; every cell
    neutralised against formulas. UTF-8 with BOM and ";": what French spreadsheets open."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([safe_cell(c) for c in [_("Line"), _("Reason"), *headers]])
    for number, cells, reason in rejected:
        writer.writerow([safe_cell(c) for c in [number, reason, *cells]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def eta(started: float, done: int, total: int) -> float | None:
    if not done or total <= done:
        return None
    return (time.monotonic() - started) / done * (total - done)
