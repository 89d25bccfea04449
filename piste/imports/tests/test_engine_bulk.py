"""The bulk lead import's fast paths: a transaction per batch, one UPDATE per batch, unchanged
rows left alone, and a file broken part-way failing with nothing written."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from piste.core.access import require_actor
from piste.core.testing import Personas
from piste.imports import engine
from piste.imports.models import ImportJob, ImportRecord
from piste.imports.services import import_configure, import_run, import_start, import_upload
from piste.leads.models import Lead, LeadSource

pytestmark = pytest.mark.django_db

HEADER = "Nom;Prénom;Email;Téléphone;Code postal;Ville;Source\r\n"


def run(personas: Personas, content: bytes) -> ImportJob:
    actor = require_actor(personas.salesperson)
    job = import_upload(
        actor=actor, entity="leads", upload=SimpleUploadedFile("pistes.csv", content)
    )
    job = import_configure(
        actor=actor, job=job, mapping=job.mapping, defaults={}, match_on="email", mode="both"
    )
    import_start(actor=actor, job=job, enqueue=False)
    return import_run(job_id=job.pk)


def rows(count: int, phone: str = "01") -> bytes:
    lines = [
        f"Nom{i};Jo;p{i}@x.fr;{phone} 42 00 {i // 100 % 90 + 10:02d} {i % 90 + 10:02d};"
        f"75001;Paris;salon\r\n"
        for i in range(count)
    ]
    return (HEADER + "".join(lines)).encode("cp1252")


@pytest.fixture
def small_batches(monkeypatch):
    # Several batches with few rows: each its own transaction.
    monkeypatch.setattr(engine, "BULK_BATCH", 7)


def test_rows_over_several_batches_are_all_created(personas, small_batches):
    LeadSource.objects.create(company=personas.company, name="Salon")
    job = run(personas, rows(30))
    assert (job.status, job.created_count, job.processed_rows) == ("done", 30, 30)
    lead = Lead.objects.get(email="p29@x.fr")
    assert str(lead.source) == "Salon" and lead.city_name == "Paris"
    assert ImportRecord.objects.filter(job=job, action="created").count() == 30


def test_reimporting_the_same_file_changes_nothing(personas, small_batches):
    LeadSource.objects.create(company=personas.company, name="Salon")
    run(personas, rows(10))
    versions = dict(Lead.objects.values_list("pk", "version"))
    job = run(personas, rows(10))
    # The same address again is no change: nothing updated, nothing to undo.
    assert (job.updated_count, job.skipped_count, job.created_count) == (0, 10, 0)
    assert dict(Lead.objects.values_list("pk", "version")) == versions
    assert not ImportRecord.objects.filter(job=job).exists()


def test_updates_of_a_batch_move_values_derived_columns_and_versions(personas, small_batches):
    LeadSource.objects.create(company=personas.company, name="Salon")
    run(personas, rows(10))
    before = {lead.email: lead for lead in Lead.objects.all()}
    job = run(personas, rows(10, phone="04"))
    assert (job.updated_count, job.created_count) == (10, 0)
    for lead in Lead.objects.all():
        assert lead.fixed_phone.startswith("+334") and lead.main_phone == lead.fixed_phone
        assert lead.fixed_phone[1:] in lead.search_key
        assert lead.version == before[lead.email].version + 1
        assert lead.updated_at > before[lead.email].updated_at
    record = ImportRecord.objects.filter(job=job).first()
    assert record is not None and set(record.after) >= {"fixed_phone"}


def test_changed_address_cells_are_saved(personas, small_batches):
    run(personas, b"Nom;Email;Ville\r\nA;a@x.fr;Paris\r\n")
    job = run(personas, b"Nom;Email;Ville\r\nA;a@x.fr;Lyon\r\n")
    lead = Lead.objects.select_related("address").get(email="a@x.fr")
    assert job.updated_count == 1
    assert lead.address is not None
    assert (lead.address.city_name, lead.city_name) == ("Lyon", "Lyon")


def test_a_file_broken_part_way_fails_with_nothing_written(personas, monkeypatch):
    monkeypatch.setattr("piste.imports.files.SNIFF_BYTES", 200)  # detected as Windows-1252
    good = rows(200)  # past the first block the decoder reads
    job = run(personas, good + b"Z;z@x.fr;\x81\x8d\x8f\x90\x9d;;;;\r\n")
    assert job.status == ImportJob.Status.FAILED
    assert "not valid Windows-1252" in job.error
    assert not Lead.objects.filter(email__endswith="@x.fr").exists()
