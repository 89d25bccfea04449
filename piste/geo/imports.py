"""City import jobs ("Import de villes"): services (create, run, cancel, restart) and selectors
(the jobs an administrator sees, their live progress).

How a job runs (``city_import_run``, called by the huey task ``run_city_import``, and by
``manage.py import_cities`` through ``city_import_execute``):

1. It claims the job (pending -> running, in its own committed write) with a fresh run token.
2. An automatic job downloads its files (streamed, size limit, timeout) into a temporary folder;
   a manual one reads the uploaded file from the storage.
3. It takes the import lock (one city import at a time: two jobs matching cities by name at once
   could each create the same city), then imports **everything in one transaction**: a file
   problem, a cancel, a crash or a killed worker leaves nothing half-written. The final counts
   and status are written in that same transaction, so they commit with the data.
4. While the transaction is open nothing it writes is visible: the job publishes its progress
   (lines read, total, counts, heartbeat) in the shared cache (Redis in production, a file cache
   embedded), and reads there, between batches, whether it was cancelled or superseded.

A running job whose heartbeat is older than ``CITY_IMPORT_STALE_SECONDS`` lost its worker: it
shows as interrupted, and can be cancelled or restarted. Restarting (any finished job too) runs
the whole import again: it is idempotent (found rows are updated, never duplicated). A restart
gives the job a new run token, so a worker thought dead that wakes up stops at its next batch.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from piste.core.access import Actor, get_or_404, has_right, require_right
from piste.core.rights import Right
from piste.geo.importers import FORMATS, Counts, FileProblem, InputFile, RejectLog, import_files
from piste.geo.models import CityImport, Country, ImportSettings

logger = logging.getLogger(__name__)

Format = CityImport.Format
Status = CityImport.Status

CACHE_PREFIX = "piste:city-import"
CACHE_TIMEOUT = 7 * 24 * 3600
# The upload and download limits and the heartbeat age at which a running job counts as lost.
DEFAULT_MAX_UPLOAD_MB = 200
DEFAULT_MAX_DOWNLOAD_MB = 2000
DEFAULT_STALE_SECONDS = 300
DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# Any fixed number: the PostgreSQL advisory lock all city imports share.
ADVISORY_LOCK = 7_310_001
UPLOAD_SUFFIXES = (".txt", ".csv", ".zip")
FRANCE_ONLY = (Format.INSEE_COG, Format.LAPOSTE)
GEONAMES_FORMATS = (Format.GEONAMES, Format.GEONAMES_ADMIN, Format.GEONAMES_POSTAL)


def max_upload_bytes() -> int:
    return int(getattr(settings, "CITY_IMPORT_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB)) << 20


def max_download_bytes() -> int:
    return int(getattr(settings, "CITY_IMPORT_MAX_DOWNLOAD_MB", DEFAULT_MAX_DOWNLOAD_MB)) << 20


def stale_seconds() -> int:
    return int(getattr(settings, "CITY_IMPORT_STALE_SECONDS", DEFAULT_STALE_SECONDS))


class Cancelled(Exception):
    """An administrator cancelled the running job."""


class Superseded(Exception):
    """The job was restarted while this run was thought lost: this run gives way."""


def _key(job_id: int, what: str) -> str:
    return f"{CACHE_PREFIX}:{job_id}:{what}"


# -- settings --------------------------------------------------------------------------------


def import_settings_get() -> ImportSettings:
    """The one row of download addresses, created with the official defaults when missing."""
    row = ImportSettings.objects.order_by("pk").first()
    return row if row is not None else ImportSettings.objects.create()


@transaction.atomic
def import_settings_update(*, actor: Actor | None, data: dict[str, Any]) -> ImportSettings:
    row = import_settings_get()
    fields = [f.name for f in ImportSettings._meta.concrete_fields if f.name in data]
    for name in fields:
        setattr(row, name, data[name])
    row.full_clean()
    row.save(update_fields=fields)
    return row


def automatic_sources(
    row: ImportSettings, import_format: str, country: str
) -> list[tuple[str, str]]:
    """(URL, format) of the files an automatic import downloads, in import order: the admin
    codes before the GeoNames cities (so regions and departments get their names), INSEE's
    regions and departments before its communes."""
    geonames_admin: list[tuple[str, str]] = [
        (row.geonames_admin1_url, Format.GEONAMES_ADMIN),
        (row.geonames_admin2_url, Format.GEONAMES_ADMIN),
    ]
    sources: dict[str, list[tuple[str, str]]] = {
        Format.GEONAMES.value: [*geonames_admin, (row.geonames_cities_url, Format.GEONAMES)],
        Format.GEONAMES_ADMIN.value: geonames_admin,
        Format.GEONAMES_POSTAL.value: [(row.geonames_postal_url, Format.GEONAMES_POSTAL)],
        Format.INSEE_COG.value: [
            (row.insee_regions_url, Format.INSEE_COG),
            (row.insee_departments_url, Format.INSEE_COG),
            (row.insee_communes_url, Format.INSEE_COG),
        ],
        Format.LAPOSTE.value: [(row.laposte_url, Format.LAPOSTE)],
    }
    return [(url.replace("{country}", country), fmt) for url, fmt in sources.get(import_format, [])]


# -- selectors -------------------------------------------------------------------------------


def city_imports_for_user(user: Any) -> QuerySet[CityImport]:
    """The import jobs the user may see: every job, for those who manage the configuration
    (geography is shared by all companies)."""
    if not has_right(user, Right.MANAGE_CONFIGURATION):
        return CityImport.objects.none()
    return CityImport.objects.select_related("created_by", "country")


def city_import_get_for_user(user: Any, pk: Any) -> CityImport:
    require_right(user, Right.MANAGE_CONFIGURATION)
    return get_or_404(city_imports_for_user(user), pk)


@dataclass(frozen=True)
class JobState:
    """What the pages show of a job: its status (with "interrupted" for a running job that lost
    its worker), its live progress while it runs, and what may be done with it."""

    status: str
    label: str
    processed: int
    total: int
    created: int
    updated: int
    rejected: int
    phase: str
    cancelling: bool
    # Its file can be read again (automatic, or an upload kept): a restart is possible.
    rerunnable: bool = True

    @property
    def active(self) -> bool:
        return self.status in (Status.PENDING, Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, int(100 * self.processed / self.total))

    @property
    def can_cancel(self) -> bool:
        return self.status in (Status.PENDING, Status.RUNNING, "interrupted") and not (
            self.cancelling
        )

    @property
    def can_restart(self) -> bool:
        return self.rerunnable and self.status in (
            Status.DONE,
            Status.FAILED,
            Status.CANCELLED,
            "interrupted",
        )


def _state(job: CityImport, live: dict[str, Any] | None, cancelling: bool) -> JobState:
    status: str = job.status
    values = {
        "processed": job.processed_lines,
        "total": job.total_lines,
        "created": job.created_count,
        "updated": job.updated_count,
        "rejected": job.rejected_count,
    }
    phase = ""
    if status == Status.RUNNING:
        beat = job.heartbeat_at.timestamp() if job.heartbeat_at else 0.0
        if live:
            values.update({k: live.get(k, v) for k, v in values.items()})
            beat = max(beat, float(live.get("beat", 0)))
            phase = str(live.get("phase", ""))
        if time.time() - beat > stale_seconds():
            status, phase = "interrupted", ""
    labels = {
        **{s.value: str(s.label) for s in Status},
        "interrupted": _("Interrupted"),
    }
    return JobState(
        status=status,
        label=labels[status],
        phase=phase,
        cancelling=cancelling and status in (Status.PENDING, Status.RUNNING),
        rerunnable=job.source == CityImport.Source.AUTOMATIC or bool(job.file),
        **values,
    )


def city_import_states(jobs: list[CityImport]) -> dict[int, JobState]:
    """Each job's state; one cache read for all the waiting and running ones, none for the
    others."""
    running = [job.pk for job in jobs if job.status in (Status.PENDING, Status.RUNNING)]
    live: dict[str, Any] = (
        cache.get_many(
            [_key(pk, "progress") for pk in running] + [_key(pk, "cancel") for pk in running]
        )
        if running
        else {}
    )
    return {
        job.pk: _state(
            job, live.get(_key(job.pk, "progress")), bool(live.get(_key(job.pk, "cancel")))
        )
        for job in jobs
    }


def city_import_state(job: CityImport) -> JobState:
    return city_import_states([job])[job.pk]


# -- services: create, cancel, restart -------------------------------------------------------


@contextmanager
def _writing() -> Iterator[None]:
    """A short write of a job row. On SQLite a running import holds the only write lock for its
    whole transaction: waiting longer than the busy timeout says so instead of a server error."""
    try:
        with transaction.atomic():
            yield
    except OperationalError as exc:
        if "locked" not in str(exc):
            raise
        raise ValidationError(
            _("Another import is writing to the database: try again when it ends.")
        ) from exc


def _enqueue(job: CityImport) -> None:
    from piste.geo.tasks import run_city_import

    language = get_language() or settings.LANGUAGE_CODE
    # After the commit, so the worker finds the row (and the file) the request wrote.
    transaction.on_commit(lambda: run_city_import(job.pk, language))


def city_import_create(
    *,
    actor: Actor | None,
    import_format: str,
    source: str,
    upload: UploadedFile | None = None,
    country: Country | None = None,
    file_name: str = "",
    enqueue: bool = True,
) -> CityImport:
    """A new pending job, queued to run after the commit (``enqueue=False``: the caller runs it,
    as ``manage.py import_cities`` does)."""
    with _writing():
        return _create(
            actor=actor,
            import_format=import_format,
            source=source,
            upload=upload,
            country=country,
            file_name=file_name,
            enqueue=enqueue,
        )


def _create(
    *,
    actor: Actor | None,
    import_format: str,
    source: str,
    upload: UploadedFile | None,
    country: Country | None,
    file_name: str,
    enqueue: bool,
) -> CityImport:
    if import_format not in Format.values:
        raise ValidationError(_("Unknown import format."))
    if import_format in FRANCE_ONLY and country is not None and country.code != "FR":
        raise ValidationError(_("INSEE and La Poste files cover France only."))
    job = CityImport(
        format=import_format,
        source=source,
        country=country,
        created_by=actor.user if actor is not None else None,
    )
    if source == CityImport.Source.AUTOMATIC:
        if import_format == Format.CSV:
            raise ValidationError(_("The Piste CSV template can only be imported from a file."))
        code = country.code if country is not None else "FR"
        found = automatic_sources(import_settings_get(), import_format, code)
        job.url = found[-1][0][:500]
        job.file_name = Path(urlsplit(job.url).path).name[:255]
    elif upload is not None:
        job.file_name = Path(upload.name or "import").name[:255]
        job.file.save(job.file_name, upload, save=False)
    elif not file_name:
        raise ValidationError(_("Choose a file to import."))
    else:
        job.file_name = file_name[:255]
    job.save()
    if enqueue:
        _enqueue(job)
    return job


def city_import_cancel(*, actor: Actor | None, job: CityImport) -> CityImport:
    """Cancel a job. A running job is told through the cache and rolls back at its next batch
    (no database write here: on SQLite the running import holds the write lock); so is a waiting
    one, which is also marked cancelled at once when the database allows; an interrupted one
    (its worker is gone) is marked cancelled."""
    job = CityImport.objects.get(pk=job.pk)
    state = city_import_state(job)
    if not state.can_cancel:
        raise ValidationError(_("This import cannot be cancelled now."))
    cache.set(_key(job.pk, "cancel"), True, CACHE_TIMEOUT)
    if state.status == Status.RUNNING:
        return job
    if state.status == "interrupted":
        cache.delete(_key(job.pk, "run"))  # a worker thought dead that wakes up gives way
    try:
        with _writing():
            CityImport.objects.filter(pk=job.pk, status=job.status).update(
                status=Status.CANCELLED, finished_at=timezone.now()
            )
    except ValidationError:
        if state.status != Status.PENDING:
            raise
        # Waiting behind another import: the flag stops it as soon as a worker takes it.
    job.refresh_from_db()
    return job


def city_import_restart(*, actor: Actor | None, job: CityImport) -> CityImport:
    """Run a finished, failed, cancelled or interrupted job again (the whole import, which is
    idempotent)."""
    with _writing():
        return _restart(job)


def _restart(job: CityImport) -> CityImport:
    job = CityImport.objects.select_for_update().get(pk=job.pk)
    state = city_import_state(job)
    if not state.rerunnable:
        raise ValidationError(
            _("This import's file was not kept (it ran from the command line): import it again.")
        )
    if not state.can_restart:
        raise ValidationError(_("This import is still running."))
    cache.delete_many([_key(job.pk, w) for w in ("run", "cancel", "progress")])
    old_report = job.report.name
    job.report = ""
    job.status = Status.PENDING
    job.error = ""
    job.total_lines = job.processed_lines = 0
    job.created_count = job.updated_count = job.rejected_count = 0
    job.started_at = job.finished_at = job.heartbeat_at = None
    job.save(
        update_fields=[
            "status",
            "error",
            "total_lines",
            "processed_lines",
            "created_count",
            "updated_count",
            "rejected_count",
            "report",
            "started_at",
            "finished_at",
            "heartbeat_at",
        ]
    )
    if old_report:
        storage = job.report.storage
        transaction.on_commit(lambda: storage.delete(old_report))
    _enqueue(job)
    return job


# -- running ---------------------------------------------------------------------------------


Listener = Callable[[int, int, Counts], None]


class Tracker:
    """Publishes a running job's progress in the cache and stops it when cancelled or
    superseded (the ``Progress`` the engine calls between batches)."""

    def __init__(self, job_id: int, token: str, listener: Listener | None = None) -> None:
        self.job_id = job_id
        self.token = token
        self.listener = listener
        self.total = 0
        self.processed = 0
        self.counts = Counts()
        self.phase = "starting"

    def check(self) -> None:
        found = cache.get_many([_key(self.job_id, "run"), _key(self.job_id, "cancel")])
        if found.get(_key(self.job_id, "run")) != self.token:
            raise Superseded
        if found.get(_key(self.job_id, "cancel")):
            raise Cancelled

    def publish(self) -> None:
        cache.set(
            _key(self.job_id, "progress"),
            {
                "processed": self.processed,
                "total": self.total,
                "created": self.counts.created,
                "updated": self.counts.updated,
                "rejected": self.counts.rejected,
                "phase": self.phase,
                "beat": time.time(),
            },
            CACHE_TIMEOUT,
        )
        _refresh_lock(self.token)

    def beat(self, phase: str) -> None:
        self.phase = phase
        self.check()
        self.publish()

    # The engine's Progress.

    def begin(self, total_lines: int) -> None:
        self.total = total_lines
        self.beat("importing")
        if self.listener:
            self.listener(0, total_lines, self.counts)

    def tick(self, processed_lines: int, counts: Counts) -> None:
        self.processed = processed_lines
        self.counts = counts
        self.beat("importing")
        if self.listener:
            self.listener(processed_lines, self.total, counts)


LOCK_KEY = f"{CACHE_PREFIX}:lock"


def _refresh_lock(token: str) -> None:
    if cache.get(LOCK_KEY) == token:
        cache.set(LOCK_KEY, token, stale_seconds())


@contextmanager
def _import_lock(tracker: Tracker) -> Iterator[None]:
    """One city import at a time across every worker (the lock expires with a lost worker's
    heartbeat); PostgreSQL's advisory lock inside the transaction makes it exact there."""
    while not cache.add(LOCK_KEY, tracker.token, stale_seconds()):
        tracker.beat("waiting")
        time.sleep(1)
    try:
        yield
    finally:
        if cache.get(LOCK_KEY) == tracker.token:
            cache.delete(LOCK_KEY)


def _download(url: str, folder: Path, index: int, tracker: Tracker) -> Path:
    name = Path(urlsplit(url).path).name or "download"
    target = folder / f"{index}-{name}"
    limit = max_download_bytes()
    size = 0
    problem = _(
        "Could not download %(url)s: %(reason)s. Check the address in the import settings or "
        "import the file manually."
    )
    try:
        with (
            httpx.stream("GET", url, timeout=DOWNLOAD_TIMEOUT, follow_redirects=True) as response,
            target.open("wb") as out,
        ):
            if response.status_code >= 400:
                raise FileProblem(problem % {"url": url, "reason": f"HTTP {response.status_code}"})
            next_beat = 0.0
            for chunk in response.iter_bytes(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise FileProblem(
                        problem
                        % {
                            "url": url,
                            "reason": _("the file is larger than %(size)d MB")
                            % {"size": limit >> 20},
                        }
                    )
                out.write(chunk)
                if time.monotonic() > next_beat:
                    next_beat = time.monotonic() + 1
                    tracker.beat("downloading")
    except httpx.HTTPError as exc:
        raise FileProblem(problem % {"url": url, "reason": str(exc) or type(exc).__name__}) from exc
    return target


def _job_files(job: CityImport, folder: Path, tracker: Tracker) -> list[InputFile]:
    if job.source == CityImport.Source.AUTOMATIC:
        code = job.country.code if job.country is not None else "FR"
        sources = automatic_sources(import_settings_get(), job.format, code)
        tracker.beat("downloading")
        return [
            InputFile(_download(url, folder, i, tracker), Path(urlsplit(url).path).name, fmt)
            for i, (url, fmt) in enumerate(sources)
        ]
    if not job.file:
        raise FileProblem(_("This import's file is missing: import it again."))
    try:
        path = Path(job.file.path)
    except NotImplementedError:  # a remote storage (S3…): a local copy to read twice
        path = folder / "upload"
        with job.file.open("rb") as src, path.open("wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    if not path.exists():
        raise FileProblem(_("This import's file is missing: import it again."))
    return [InputFile(path, job.file_name or path.name, job.format)]


def _country_filter(job: CityImport) -> str:
    """The country a GeoNames file is kept to (its automatic download, or the one chosen for a
    manual file); INSEE and La Poste files are French, a CSV file says each line's country."""
    if job.format not in GEONAMES_FORMATS or job.country is None:
        return ""
    return job.country.code


def city_import_run(*, import_id: int) -> CityImport:
    """Run a waiting job (the huey task calls this); a job in any other state is left alone."""
    job = CityImport.objects.select_related("country").get(pk=import_id)
    return city_import_execute(job=job)


def city_import_execute(
    *,
    job: CityImport,
    files: list[InputFile] | None = None,
    listener: Listener | None = None,
) -> CityImport:
    """Claim and run ``job`` (see the module doc); ``files`` given: read those local files
    instead of the job's upload or download (the command). ``listener(processed, total,
    counts)`` hears of each batch (the command prints it). Returns the job as it ended."""
    now = timezone.now()
    claimed = _when_unlocked(
        lambda: CityImport.objects.filter(pk=job.pk, status=Status.PENDING).update(
            status=Status.RUNNING, started_at=now, heartbeat_at=now, finished_at=None, error=""
        )
    )
    if not claimed:
        job.refresh_from_db()
        return job
    token = uuid.uuid4().hex
    # A cancel asked while the job waited stays: the first check stops it.
    cache.set(_key(job.pk, "run"), token, CACHE_TIMEOUT)
    tracker = Tracker(job.pk, token, listener)
    with tempfile.TemporaryDirectory(prefix="piste-city-import-") as folder:
        report_path = Path(folder) / "rejected.csv"
        with report_path.open("w", encoding="utf-8-sig", newline="") as report:
            rejects = RejectLog(report)
            try:
                tracker.beat("starting")  # a job cancelled while it waited stops here
                inputs = files if files is not None else _job_files(job, Path(folder), tracker)
                with _import_lock(tracker), transaction.atomic():
                    if connection.vendor == "postgresql":
                        with connection.cursor() as cursor:
                            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
                    counts = import_files(
                        inputs,
                        formats=FORMATS,
                        country=_country_filter(job),
                        progress=tracker,
                        rejects=rejects,
                    )
                    tracker.check()  # a cancel during the last batch still rolls back
                    report.flush()
                    _finish(job, tracker, Status.DONE, rejects, report_path, counts=counts)
            except Superseded:
                job.refresh_from_db()
                return job
            except Cancelled:
                report.flush()
                _finish(job, tracker, Status.CANCELLED, rejects, report_path)
            except FileProblem as exc:
                report.flush()
                _finish(job, tracker, Status.FAILED, rejects, report_path, error=exc.message)
            except Exception as exc:
                logger.exception("City import %s failed", job.pk)
                report.flush()
                _finish(
                    job,
                    tracker,
                    Status.FAILED,
                    rejects,
                    report_path,
                    error=_("Unexpected error: %(error)s") % {"error": exc},
                )
    cache.delete_many([_key(job.pk, w) for w in ("run", "cancel", "progress")])
    return job


T = TypeVar("T")


def _when_unlocked(write: Callable[[], T]) -> T:
    """Run a short write, waiting while another import holds SQLite's write lock (its whole
    transaction): the job shows as waiting meanwhile. PostgreSQL never makes it wait."""
    while True:
        try:
            return write()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(1)


def _finish(
    job: CityImport,
    tracker: Tracker,
    status: str,
    rejects: RejectLog,
    report_path: Path,
    *,
    counts: Counts | None = None,
    error: str = "",
) -> None:
    job.status = status
    job.error = error
    job.total_lines = tracker.total
    job.processed_lines = tracker.total if status == Status.DONE else tracker.processed
    job.created_count = counts.created if counts else 0
    job.updated_count = counts.updated if counts else 0
    job.rejected_count = rejects.count
    job.finished_at = job.heartbeat_at = timezone.now()
    if rejects.count:
        with report_path.open("rb") as f:
            job.report.save(f"city-import-{job.pk}-rejected.csv", File(f), save=False)
    _when_unlocked(lambda: _save_end(job))


def _save_end(job: CityImport) -> None:
    job.save(
        update_fields=[
            "status",
            "error",
            "total_lines",
            "processed_lines",
            "created_count",
            "updated_count",
            "rejected_count",
            "finished_at",
            "heartbeat_at",
            "report",
        ]
    )


def city_import_report(job: CityImport) -> IO[bytes] | None:
    """The rejected lines file (CSV), or None when no line was rejected."""
    if not job.report:
        return None
    return job.report.open("rb")
