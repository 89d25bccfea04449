"""Import jobs: automatic download (from a local server: nothing leaves the machine), no
network, progress, cancel, interruption and restart, the queue."""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from piste.geo import imports
from piste.geo.importers import engine
from piste.geo.models import City, CityImport, Country, Department, ImportSettings, Region
from piste.geo.tests.import_support import (
    assert_done,
    data,
    must,
    row_counts,
    run_file,
    run_import,
    zipped,
)

pytestmark = pytest.mark.django_db

FORMAT = CityImport.Format
AUTOMATIC = CityImport.Source.AUTOMATIC
EMPTY = {"regions": 0, "departments": 0, "cities": 0, "postal_codes": 0}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def file_server(tmp_path) -> Iterator[str]:
    """GeoNames-, INSEE- and La Poste-like addresses on 127.0.0.1, serving the test files."""
    root = tmp_path / "www"
    (root / "dump").mkdir(parents=True)
    (root / "zip").mkdir()
    (root / "dump" / "FR.zip").write_bytes(zipped("FR.txt", data("geonames_FR.txt")))
    (root / "zip" / "FR.zip").write_bytes(zipped("FR.txt", data("geonames_postal_FR.txt")))
    for name in (
        "admin1CodesASCII.txt",
        "admin2Codes.txt",
        "v_region_2024.csv",
        "v_departement_2024.csv",
        "v_commune_2024.csv",
        "laposte_hexasmal.csv",
    ):
        (root / name).write_bytes(data(name))
    handler = functools.partial(QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    settings_row = imports.import_settings_get()
    settings_row.geonames_cities_url = f"{base}/dump/{{country}}.zip"
    settings_row.geonames_admin1_url = f"{base}/admin1CodesASCII.txt"
    settings_row.geonames_admin2_url = f"{base}/admin2Codes.txt"
    settings_row.geonames_postal_url = f"{base}/zip/{{country}}.zip"
    settings_row.insee_regions_url = f"{base}/v_region_2024.csv"
    settings_row.insee_departments_url = f"{base}/v_departement_2024.csv"
    settings_row.insee_communes_url = f"{base}/v_commune_2024.csv"
    settings_row.laposte_url = f"{base}/laposte_hexasmal.csv"
    settings_row.save()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_automatic(import_format: str, country: str = "FR") -> CityImport:
    job = imports.city_import_create(
        actor=None,
        import_format=import_format,
        source=AUTOMATIC,
        country=Country.objects.get(code=country),
        enqueue=False,
    )
    return imports.city_import_run(import_id=job.pk)


@pytest.fixture
def immediate_huey() -> Iterator[None]:
    """Queued tasks run at once, in this process."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    try:
        yield
    finally:
        HUEY.immediate = previous


# -- automatic imports ---------------------------------------------------------------------------


def test_settings_are_created_with_the_official_addresses():
    assert not ImportSettings.objects.exists()
    row = imports.import_settings_get()
    assert row.geonames_postal_url == "https://download.geonames.org/export/zip/{country}.zip"
    assert imports.import_settings_get().pk == row.pk
    assert ImportSettings.objects.count() == 1


def test_automatic_geonames_downloads_the_admin_codes_then_the_country(file_server):
    job = run_automatic(FORMAT.GEONAMES)
    assert_done(job)
    assert job.url == f"{file_server}/dump/FR.zip"
    assert must(City.objects.get(insee_code="75056").department).name == "Paris"
    # The world-wide admin files are kept to the chosen country.
    assert not Region.objects.exclude(country__code="FR").exists()
    assert not Department.objects.exclude(country__code="FR").exists()
    assert Region.objects.get(code="84").name == "Auvergne-Rhône-Alpes"


def test_automatic_geonames_postal_codes(file_server):
    job = run_automatic(FORMAT.GEONAMES_POSTAL)
    assert_done(job)
    assert City.objects.get(name="Toulouse").postal_codes.count() == 3


def test_automatic_insee_downloads_regions_departments_and_communes(file_server):
    assert_done(run_automatic(FORMAT.INSEE_COG))
    assert must(City.objects.get(insee_code="2A004").department).name == "Corse-du-Sud"
    assert_done(run_automatic(FORMAT.LAPOSTE))
    assert City.objects.get(insee_code="75056").postal_codes.count() == 4


def test_no_network_fails_with_a_clear_message():
    url = f"http://127.0.0.1:{closed_port()}/zip/{{country}}.zip"
    ImportSettings.objects.create(geonames_postal_url=url)
    job = run_automatic(FORMAT.GEONAMES_POSTAL, country="BE")
    assert job.status == CityImport.Status.FAILED
    address = url.replace("{country}", "BE")
    assert job.error.startswith(f"Could not download {address}: ")
    assert job.error.endswith(
        ". Check the address in the import settings or import the file manually."
    )
    assert row_counts() == EMPTY


def test_missing_file_on_the_server(file_server):
    settings_row = imports.import_settings_get()
    settings_row.laposte_url = f"{file_server}/nowhere.csv"
    settings_row.save()
    job = run_automatic(FORMAT.LAPOSTE)
    assert job.status == CityImport.Status.FAILED
    assert f"Could not download {file_server}/nowhere.csv: HTTP 404." in job.error


def test_download_larger_than_the_limit(file_server, settings):
    settings.CITY_IMPORT_MAX_DOWNLOAD_MB = 0
    job = run_automatic(FORMAT.GEONAMES_POSTAL)
    assert job.status == CityImport.Status.FAILED
    assert "the file is larger than 0 MB" in job.error


def test_csv_template_cannot_be_automatic():
    with pytest.raises(ValidationError):
        imports.city_import_create(
            actor=None, import_format=FORMAT.CSV, source=AUTOMATIC, enqueue=False
        )


# -- progress, cancel, restart -------------------------------------------------------------------


def test_progress_is_published_while_the_job_runs(monkeypatch):
    seen: list[imports.JobState] = []
    tick = imports.Tracker.tick

    def watching_tick(self, processed, counts):
        tick(self, processed, counts)
        seen.append(imports.city_import_state(CityImport.objects.get(pk=self.job_id)))

    monkeypatch.setattr(engine, "BATCH_LINES", 3)
    monkeypatch.setattr(imports.Tracker, "tick", watching_tick)
    job = run_file(FORMAT.GEONAMES_POSTAL, "geonames_postal_FR.txt")
    assert_done(job)
    # What a page polling the job saw: running, lines read out of 8, growing.
    assert {state.status for state in seen} == {"running"}
    assert [state.processed for state in seen] == [3, 6, 8]
    assert all(state.total == 8 for state in seen)
    assert seen[0].percent == 37
    assert imports.city_import_state(job).percent == 100
    assert (job.total_lines, job.processed_lines) == (8, 8)


def test_cancel_a_waiting_job():
    job = imports.city_import_create(
        actor=None, import_format=FORMAT.CSV, source="manual", file_name="x.csv", enqueue=False
    )
    imports.city_import_cancel(actor=None, job=job)
    job.refresh_from_db()
    assert job.status == CityImport.Status.CANCELLED
    # The worker that takes it later leaves it alone.
    assert imports.city_import_run(import_id=job.pk).status == CityImport.Status.CANCELLED


def test_a_waiting_job_cancelled_through_the_cache_stops_when_a_worker_takes_it():
    """When the cancel could not write (SQLite busy with another import), the flag does it."""
    job = imports.city_import_create(
        actor=None,
        import_format=FORMAT.CSV,
        source="manual",
        upload=SimpleUploadedFile("villes.csv", data("piste_cities.csv")),
        enqueue=False,
    )
    cache.set(imports._key(job.pk, "cancel"), True)
    assert imports.city_import_state(job).cancelling
    job = imports.city_import_run(import_id=job.pk)
    assert job.status == CityImport.Status.CANCELLED
    assert row_counts() == EMPTY


def test_cancelling_a_running_job_writes_nothing_to_the_database():
    """On SQLite the running import holds the only write lock: a cancel must not wait for it."""
    job = imports.city_import_create(
        actor=None, import_format=FORMAT.CSV, source="manual", file_name="x.csv", enqueue=False
    )
    CityImport.objects.filter(pk=job.pk).update(status=CityImport.Status.RUNNING)
    cache.set(imports._key(job.pk, "progress"), {"beat": time.time()})
    with CaptureQueriesContext(connection) as queries:
        imports.city_import_cancel(actor=None, job=job)
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries), queries
    assert cache.get(imports._key(job.pk, "cancel")) is True


def test_cancel_a_running_job_rolls_everything_back(monkeypatch):
    tick = imports.Tracker.tick

    def cancelling_tick(self, processed, counts):
        job = CityImport.objects.get(pk=self.job_id)
        assert imports.city_import_state(job).can_cancel
        imports.city_import_cancel(actor=None, job=job)
        assert imports.city_import_state(job).cancelling
        tick(self, processed, counts)

    monkeypatch.setattr(engine, "BATCH_LINES", 4)
    monkeypatch.setattr(imports.Tracker, "tick", cancelling_tick)
    job = run_file(FORMAT.GEONAMES_POSTAL, "geonames_postal_FR.txt")
    assert job.status == CityImport.Status.CANCELLED
    assert row_counts() == EMPTY  # the first batch was written, then rolled back
    assert (job.processed_lines, job.created_count) == (4, 0)


def make_interrupted(job: CityImport) -> CityImport:
    """A job whose worker died: running, heartbeat long ago, nothing in the cache."""
    long_ago = timezone.now() - timedelta(hours=1)
    CityImport.objects.filter(pk=job.pk).update(
        status=CityImport.Status.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    job.refresh_from_db()
    return job


def test_a_job_whose_worker_died_shows_interrupted_and_restarts(
    immediate_huey, django_capture_on_commit_callbacks
):
    job = run_file(FORMAT.GEONAMES_POSTAL, "geonames_postal_FR.txt")
    before = row_counts()
    job = make_interrupted(job)
    state = imports.city_import_state(job)
    assert (state.status, state.label, state.active) == ("interrupted", "Interrupted", False)
    assert state.can_restart and state.can_cancel
    with django_capture_on_commit_callbacks(execute=True):
        imports.city_import_restart(actor=None, job=job)
    job.refresh_from_db()
    assert_done(job)
    assert (job.created_count, job.updated_count) == (0, 21)
    assert row_counts() == before


def test_a_fresh_heartbeat_in_the_cache_keeps_a_job_running():
    job = imports.city_import_create(
        actor=None, import_format=FORMAT.CSV, source="manual", file_name="x.csv", enqueue=False
    )
    job = make_interrupted(job)
    cache.set(imports._key(job.pk, "progress"), {"beat": time.time(), "processed": 5})
    state = imports.city_import_state(job)
    assert (state.status, state.processed, state.active) == ("running", 5, True)
    assert not state.can_restart


def test_cancel_an_interrupted_job():
    job = make_interrupted(run_file(FORMAT.CSV, "piste_cities.csv"))
    imports.city_import_cancel(actor=None, job=job)
    job.refresh_from_db()
    assert job.status == CityImport.Status.CANCELLED


def test_a_superseded_run_gives_way(monkeypatch):
    """A worker thought dead wakes up after a restart: it stops and writes nothing."""

    def restarted_meanwhile(self, processed, counts):
        cache.set(imports._key(self.job_id, "run"), "another-run")
        imports.Tracker.check(self)

    monkeypatch.setattr(imports.Tracker, "tick", restarted_meanwhile)
    job = run_file(FORMAT.CSV, "piste_cities.csv")
    assert job.status == CityImport.Status.RUNNING  # left to the new run
    assert row_counts() == EMPTY


def test_restart_refused_while_running_and_for_command_line_jobs():
    job = run_file(FORMAT.CSV, "piste_cities.csv")
    CityImport.objects.filter(pk=job.pk).update(status=CityImport.Status.RUNNING)
    cache.set(imports._key(job.pk, "progress"), {"beat": time.time()})
    job.refresh_from_db()
    with pytest.raises(ValidationError, match="still running"):
        imports.city_import_restart(actor=None, job=job)
    command_line = imports.city_import_create(
        actor=None, import_format=FORMAT.CSV, source="manual", file_name="x.csv", enqueue=False
    )
    CityImport.objects.filter(pk=command_line.pk).update(status=CityImport.Status.FAILED)
    command_line.refresh_from_db()
    assert not imports.city_import_state(command_line).can_restart
    with pytest.raises(ValidationError, match="command line"):
        imports.city_import_restart(actor=None, job=command_line)


def test_restart_a_failed_job_clears_its_error_and_report(
    immediate_huey, django_capture_on_commit_callbacks
):
    bad = data("geonames_postal_FR.txt") + b"XX\t1\tNowhere\t\t\t\t\t\t\t\t\t\n"
    job = run_import(FORMAT.GEONAMES, "FR.txt", bad)  # the wrong format: it fails
    assert job.status == CityImport.Status.FAILED
    job = run_import(FORMAT.GEONAMES_POSTAL, "FR.txt", bad)
    assert (job.status, job.rejected_count) == (CityImport.Status.DONE, 1)
    old_report = job.report.name
    with django_capture_on_commit_callbacks() as after_commit:
        imports.city_import_restart(actor=None, job=job)
    job.refresh_from_db()
    assert (job.status, job.report.name, job.rejected_count) == (CityImport.Status.PENDING, "", 0)
    assert job.report.storage.exists(old_report)  # until the commit
    assert len(after_commit) == 2
    after_commit[0]()  # the old report goes
    assert not job.report.storage.exists(old_report)
    after_commit[1]()  # the queue runs the job
    job.refresh_from_db()
    assert_done(job)
    assert (job.created_count, job.updated_count, job.rejected_count) == (0, 21, 1)


def test_the_task_runs_the_job_in_the_language_given(immediate_huey):
    from piste.geo.tasks import run_city_import

    job = imports.city_import_create(
        actor=None,
        import_format=FORMAT.GEONAMES_POSTAL,
        source="manual",
        file_name="gone.txt",
        enqueue=False,
    )
    run_city_import(job.pk, "en")
    job.refresh_from_db()
    assert job.status == CityImport.Status.FAILED
    assert job.error == "This import's file is missing: import it again."


def test_a_job_waits_while_another_import_holds_sqlites_write_lock(monkeypatch):
    """SQLite: the claim waits (the job shows as waiting) instead of failing."""
    from django.db import OperationalError

    attempts: list[int] = []

    def claim() -> int:
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError("database is locked")
        return 1

    monkeypatch.setattr(imports.time, "sleep", lambda seconds: None)
    assert imports._when_unlocked(claim) == 1
    assert len(attempts) == 3
    with pytest.raises(OperationalError, match="no such table"):
        imports._when_unlocked(lambda: (_ for _ in ()).throw(OperationalError("no such table")))


def test_the_import_lock_waits_for_the_other_import(monkeypatch):
    """One import at a time: a second one waits (showing so) until the first is done."""
    cache.set(imports.LOCK_KEY, "another-job", 60)
    phases: list[str] = []
    beat = imports.Tracker.beat

    def watching_beat(self, phase):
        phases.append(phase)
        if phase == "waiting":
            cache.delete(imports.LOCK_KEY)  # the other import ends
        beat(self, phase)

    monkeypatch.setattr(imports.Tracker, "beat", watching_beat)
    monkeypatch.setattr(imports.time, "sleep", lambda seconds: None)
    assert_done(run_file(FORMAT.CSV, "piste_cities.csv"))
    assert "waiting" in phases
    assert cache.get(imports.LOCK_KEY) is None


def test_uploaded_file_stays_in_the_storage_for_restarts(tmp_path):
    job = run_file(FORMAT.CSV, "piste_cities.csv")
    assert Path(job.file.path).exists()
    assert job.file_name == "piste_cities.csv"
