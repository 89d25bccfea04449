"""The import service end to end: files, mapping, matching, duplicates, undo, access."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from piste.core.access import require_actor
from piste.core.models import Activity
from piste.core.testing import Personas
from piste.imports.models import ImportJob, ImportMapping
from piste.imports.services import (
    import_configure,
    import_run,
    import_start,
    import_undo,
    import_undo_start,
    import_upload,
)
from piste.leads.models import Lead, LeadSource
from piste.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db

HEADER = "Nom;Prénom;Société;Email;Téléphone;Code postal;Ville;Source\r\n"


def upload(personas: Personas, content: bytes, name: str = "pistes.csv", user: Any = None):
    actor = require_actor(user or personas.salesperson)
    return actor, import_upload(
        actor=actor, entity="leads", upload=SimpleUploadedFile(name, content)
    )


def run(personas: Personas, content: bytes, *, mode: str = "both", match_on: str = "email",
        user: Any = None, defaults: dict | None = None) -> ImportJob:  # fmt: skip
    actor, job = upload(personas, content, user=user)
    job = import_configure(
        actor=actor, job=job, mapping=job.mapping, defaults=defaults or {},
        match_on=match_on, mode=mode,
    )  # fmt: skip
    import_start(actor=actor, job=job, enqueue=False)
    return import_run(job_id=job.pk)


def cp1252(text: str) -> bytes:
    return text.encode("cp1252")


def test_windows_1252_semicolon_file_is_read_and_mapped_from_french_headers(personas):
    LeadSource.objects.create(company=personas.company, name="Salon")
    content = cp1252(HEADER + "Lefèvre;Hélène;Société Générale;helene@exemple.fr;"
                     "01 42 00 00 00;75001;Paris;salon\r\n")  # fmt: skip
    _actor, draft = upload(personas, content)
    assert draft.encoding == "cp1252" and draft.delimiter == ";"
    assert draft.mapping == {
        "0": "last_name", "1": "first_name", "2": "enterprise_name", "3": "email",
        "4": "fixed_phone", "5": "address_postal_code", "6": "address_city", "7": "source",
    }  # fmt: skip
    job = run(personas, content)
    assert job.status == "done" and job.created_count == 1
    lead = Lead.objects.get(email="helene@exemple.fr")
    assert (lead.first_name, lead.enterprise_name, lead.city_name) == (
        "Hélène", "Société Générale", "Paris",
    )  # fmt: skip
    assert lead.fixed_phone == "+33142000000" and str(lead.source) == "Salon"
    assert lead.assigned_to == personas.salesperson
    assert Activity.objects.filter(object_id=lead.pk, verb=Activity.Verb.IMPORTED).exists()


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8-sig", ","), ("utf-8", "\t"), ("cp1252", ",")]
)
def test_encodings_and_delimiters_are_detected(personas, encoding, delimiter):
    text = f"Nom{delimiter}Email\r\nNoël{delimiter}noel@exemple.fr\r\n"
    job = run(personas, text.encode(encoding))
    assert job.status == "done", job.error
    assert job.delimiter == delimiter
    assert Lead.objects.get(email="noel@exemple.fr").last_name == "Noël"


def test_xlsx_is_read(personas):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Last name", "First name", "Email", "Scoring"])
    sheet.append(["Durand", "Anne", "anne@exemple.fr", 3])
    out = io.BytesIO()
    book.save(out)
    actor, job = upload(personas, out.getvalue(), name="leads.xlsx")
    assert job.file_format == "xlsx"
    job = import_configure(actor=actor, job=job, mapping=job.mapping, defaults={},
                           match_on="email", mode="both")  # fmt: skip
    import_start(actor=actor, job=job, enqueue=False)
    job = import_run(job_id=job.pk)
    assert Lead.objects.get(email="anne@exemple.fr").scoring == 3


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "is empty"),
        (b"\x00\x01\x02PNG\x00\x00binary", "image.csv", "not a text"),
        (b"PK\x03\x04broken zip", "broken.xlsx", "not a readable Excel workbook"),
        (";".join(["x"] * 1_000_000).encode(), "wide.csv", "columns"),
    ],
)
def test_bad_files_get_a_clear_message_and_nothing_is_written(personas, content, name, message):
    with pytest.raises(ValidationError) as exc:
        upload(personas, content, name=name)
    assert message in " ".join(exc.value.messages)
    assert not ImportJob.objects.exists() and not Lead.objects.exists()


def test_a_file_without_the_required_column_is_refused_at_mapping(personas):
    actor, job = upload(personas, b"Ville;Email\r\nParis;a@b.fr\r\n")
    with pytest.raises(ValidationError) as exc:
        import_configure(actor=actor, job=job, mapping=job.mapping, defaults={},
                         match_on="email", mode="both")  # fmt: skip
    assert "required" in " ".join(exc.value.messages)
    assert not Lead.objects.exists()


def test_mapping_is_saved_for_next_time(personas):
    actor, job = upload(personas, b"Col A;Col B\r\nDupont;x@y.fr\r\n")
    assert job.mapping == {}
    import_configure(actor=actor, job=job, mapping={"0": "last_name", "1": "email"},
                     defaults={"scoring": "2"}, match_on="email", mode="create")  # fmt: skip
    assert ImportMapping.objects.get(user=personas.salesperson).columns == {
        "col a": "last_name", "col b": "email",
    }  # fmt: skip
    _actor, again = upload(personas, b"Col B;Col A\r\nx@y.fr;Dupont\r\n")
    assert again.mapping == {"0": "email", "1": "last_name"}
    assert again.defaults == {"scoring": "2"} and again.mode == "create"


def test_defaults_fill_unmapped_fields(personas):
    run(personas, b"Nom;Email\r\nDupont;d@x.fr\r\n", defaults={"scoring": "4"})
    assert Lead.objects.get(email="d@x.fr").scoring == 4


def test_create_only_skips_existing_records(personas):
    make_lead(personas.salesperson, last_name="Old", email="old@x.fr")
    job = run(personas, b"Nom;Email\r\nNew;OLD@x.fr\r\nOther;other@x.fr\r\n", mode="create")
    assert (job.created_count, job.updated_count, job.skipped_count) == (1, 0, 1)
    assert Lead.objects.get(email="old@x.fr").last_name == "Old"
    assert job.report and b"Already exists" in job.report.read()


def test_update_only_updates_and_never_creates(personas):
    make_lead(personas.salesperson, last_name="Old", email="old@x.fr")
    job = run(personas, b"Nom;Email\r\nNew;old@x.fr\r\nOther;other@x.fr\r\n", mode="update")
    assert (job.created_count, job.updated_count, job.skipped_count) == (0, 1, 1)
    assert Lead.objects.get(email="old@x.fr").last_name == "New"
    assert not Lead.objects.filter(email="other@x.fr").exists()


def test_create_or_update_does_both(personas):
    make_lead(personas.salesperson, last_name="Old", email="old@x.fr")
    job = run(personas, b"Nom;Email\r\nNew;old@x.fr\r\nOther;other@x.fr\r\n", mode="both")
    assert (job.created_count, job.updated_count) == (1, 1)


def test_match_on_external_id_and_siren(personas):
    make_lead(personas.salesperson, last_name="Old", external_id="CRM-1")
    job = run(personas, b"Nom;ID externe\r\nNew;CRM-1\r\n", match_on="external_id")
    assert job.updated_count == 1 and Lead.objects.get(external_id="CRM-1").last_name == "New"
    make_lead(personas.salesperson, last_name="Acme", siren="732829320")
    job = run(personas, b"Nom;SIREN\r\nAcme bis;732 829 320\r\n", match_on="siren")
    assert job.updated_count == 1, (job.mapping, job.report and job.report.read())


def test_in_file_duplicates_are_never_doubled(personas):
    job = run(personas, b"Nom;Email\r\nA;dup@x.fr\r\nB;DUP@x.fr\r\n")
    assert Lead.objects.filter(email_key="dup@x.fr").count() == 1
    assert job.skipped_count == 1
    assert b"Same email as line 2" in job.report.read()


def test_bad_cells_are_rejected_with_their_reason_and_the_rest_imported(personas):
    job = run(personas, b"Nom;Email;Scoring\r\nA;not-an-email;1\r\nB;b@x.fr;9\r\nC;c@x.fr;2\r\n"
              b"=HYPERLINK(1);;x\r\n")  # fmt: skip
    assert (job.created_count, job.error_count) == (1, 3)
    report = job.report.read().decode("utf-8-sig")
    assert "Enter a valid email address" in report and "'=HYPERLINK(1)" in report


def test_matching_only_sees_visible_records(personas):
    make_lead(personas.outsider, last_name="Hidden", email="hidden@x.fr")
    job = run(personas, b"Nom;Email\r\nMine;hidden@x.fr\r\n", mode="update")
    assert job.updated_count == 0
    assert Lead.objects.get(email="hidden@x.fr").last_name == "Hidden"


def test_rights_are_checked(personas):
    actor = require_actor(personas.reader)
    with pytest.raises(ValidationError):
        import_upload(actor=actor, entity="leads", upload=SimpleUploadedFile("a.csv", b"Nom\nA\n"))
    actor, job = upload(personas, b"Nom;Email\r\nA;a@x.fr\r\n")
    other = require_actor(personas.teammate)
    with pytest.raises(PermissionDenied):
        import_start(actor=other, job=job, enqueue=False)


def test_undo_deletes_created_and_restores_updated_records(personas):
    old = make_lead(personas.salesperson, last_name="Old", first_name="Jo", email="old@x.fr")
    job = run(personas, b"Nom;Email\r\nNew;old@x.fr\r\nOther;other@x.fr\r\n")
    actor = require_actor(personas.salesperson)
    import_undo_start(actor=actor, job=job, enqueue=False)
    job = import_undo(job_id=job.pk)
    assert job.undo_status == "done"
    assert job.undo_result["deleted"] == 1 and job.undo_result["restored"] == 1
    assert not Lead.objects.filter(email="other@x.fr").exists()
    old.refresh_from_db()
    assert old.last_name == "Old" and old.full_name == "Jo Old"


def test_undo_keeps_records_changed_since_and_reports_them(personas):
    from piste.leads.services import lead_update

    job = run(personas, b"Nom;Email\r\nNew;new@x.fr\r\n")
    lead = Lead.objects.get(email="new@x.fr")
    actor = require_actor(personas.salesperson)
    lead_update(actor=actor, lead=lead, data={"last_name": "Edited"}, version=lead.version)
    import_undo_start(actor=actor, job=job, enqueue=False)
    job = import_undo(job_id=job.pk)
    assert Lead.objects.filter(pk=lead.pk).exists()
    assert job.undo_result["kept"][0]["id"] == lead.pk


def test_referential_import(personas):
    from piste.partners.models import IndustrySector

    actor = require_actor(personas.administrator)
    content = "Nom\nBâtiment\nbatiment\nSanté\n".encode()
    job = import_upload(actor=actor, entity="ref-industry-sectors",
                        upload=SimpleUploadedFile("s.csv", content))  # fmt: skip
    job = import_configure(actor=actor, job=job, mapping=job.mapping, defaults={},
                           match_on="name", mode="both")  # fmt: skip
    import_start(actor=actor, job=job, enqueue=False)
    job = import_run(job_id=job.pk)
    assert job.created_count == 2 and job.skipped_count == 1, job.error
    assert IndustrySector.objects.filter(company=personas.company).count() >= 2
