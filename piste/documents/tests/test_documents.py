"""Documents on records through the HTTP client (with and without HTMX): the Documents tab,
uploads (one or many, dropped or chosen), downloads and deletions. Who may see and do what, the
company's limits, names made safe, files kept through Django's storage and never half-written,
downloads never shown inline, and the tab's query count pinned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from piste.activities.models import Event
from piste.core.access import forget_actor
from piste.core.models import Activity
from piste.core.testing import Personas, en_client
from piste.documents import services
from piste.documents.models import Document
from piste.leads.models import Lead
from piste.leads.tests.factories import make_lead
from piste.opportunities.tests.test_opportunities import make_opportunity
from piste.partners.tests.factories import make_contact, make_partner

HTMX = {"HX-Request": "true"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name: str = "devis.pdf", content: bytes = PDF, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def url(lead: Any, kind: str = "lead") -> str:
    return f"/documents/for/{kind}/{lead.pk}/"


def docs(record: Any) -> list[Document]:
    return list(
        Document.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        ).order_by("id")
    )


@pytest.fixture
def lead(personas: Personas) -> Lead:
    return make_lead(personas.salesperson, last_name="Dupont", first_name="Jean")


def add(personas: Personas, record: Any, *files: Any, user: Any = None) -> list[Document]:
    return services.documents_add(
        user=user or personas.salesperson, record=record, uploads=list(files) or [upload()]
    )


# The tab ----------------------------------------------------------------------------------


def test_tab_lists_name_size_author_and_date_with_a_download_link(personas, lead):
    document = add(personas, lead, upload("devis.pdf", b"x" * 2048))[0]
    response = en_client(personas.salesperson).get(url(lead), headers=HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="documents-region"' in page and "<html" not in page
    assert f'href="/documents/{document.pk}/download/"' in page
    assert "devis.pdf" in page and "2.0\xa0KB" in page
    assert "Salesperson Test" in page
    assert "Drop a document" in page


def test_plain_get_is_a_full_page_with_a_link_back_to_the_record(personas, lead):
    response = en_client(personas.salesperson).get(url(lead))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" in page and 'id="documents-region"' in page
    assert f'href="/leads/{lead.pk}/"' in page


@pytest.mark.parametrize("kind", ["lead", "partner", "contact", "opportunity", "event"])
def test_every_record_kind_has_its_documents(personas, kind):
    user = personas.salesperson
    partner = make_partner(user)
    record = {
        "lead": lambda: make_lead(user),
        "partner": lambda: partner,
        "contact": lambda: make_contact(user, partner),
        "opportunity": lambda: make_opportunity(user, partner),
        "event": lambda: Event.objects.create(
            company=personas.company, subject="Rendez-vous", start=timezone.now(),
            end=timezone.now() + timedelta(hours=1), assigned_to=user, created_by=user,
        ),
    }[kind]()  # fmt: skip
    client = en_client(user)
    response = client.post(url(record, kind), {"files": [upload("plan.pdf")]}, headers=HTMX)
    assert response.status_code == 200
    assert "plan.pdf" in response.content.decode()
    assert [d.name for d in docs(record)] == ["plan.pdf"]


@pytest.mark.parametrize("who", ["outsider", "other"])
def test_who_cannot_see_the_record_gets_404_everywhere(personas, lead, who):
    document = add(personas, lead)[0]
    client = en_client(getattr(personas, who))
    assert client.get(url(lead)).status_code == 404
    assert client.post(url(lead), {"files": [upload()]}).status_code == 404
    assert client.get(f"/documents/{document.pk}/download/").status_code == 404
    assert client.post(f"/documents/{document.pk}/delete/").status_code == 404
    assert len(docs(lead)) == 1


@pytest.mark.parametrize("bad", ["/documents/for/lead/999999999/", "/documents/for/nope/1/",
                                 "/documents/999999999/download/",
                                 "/documents/for/lead/99999999999999999999999/"])  # fmt: skip
def test_unknown_or_malformed_ids_are_404(personas, bad):
    assert en_client(personas.administrator).get(bad).status_code == 404


def test_teammate_and_manager_see_and_download(personas, lead):
    document = add(personas, lead)[0]
    for user in (personas.teammate, personas.manager, personas.reader):
        client = en_client(user)
        assert client.get(url(lead)).status_code == 200
        assert client.get(f"/documents/{document.pk}/download/").status_code == 200


def test_reader_sees_no_upload_form_and_cannot_upload_or_delete(personas, lead):
    document = add(personas, lead)[0]
    client = en_client(personas.reader)
    page = client.get(url(lead), headers=HTMX).content.decode()
    assert "data-drop-zone" not in page and "document-delete" not in page
    assert client.post(url(lead), {"files": [upload("x.pdf")]}).status_code == 403
    assert client.post(f"/documents/{document.pk}/delete/").status_code == 403
    assert len(docs(lead)) == 1


def test_wrong_methods_are_405(personas, lead):
    document = add(personas, lead)[0]
    client = en_client(personas.salesperson)
    assert client.put(url(lead)).status_code == 405
    assert client.get(f"/documents/{document.pk}/delete/").status_code == 405
    assert client.post(f"/documents/{document.pk}/download/").status_code == 405


# Uploads ----------------------------------------------------------------------------------


def test_upload_stores_the_file_through_the_storage_and_logs_the_timeline(personas, lead):
    client = en_client(personas.salesperson)
    response = client.post(url(lead), {"files": [upload("devis.pdf")]})
    assert response.status_code == 302 and response["Location"] == url(lead)
    [document] = docs(lead)
    assert document.name == "devis.pdf" and document.size == len(PDF)
    assert document.mime_type == "application/pdf"
    assert document.uploaded_by == personas.salesperson
    assert document.company == personas.company
    assert default_storage.exists(document.file.name)
    assert "devis" not in document.file.name  # a random path, never the user's name
    with default_storage.open(document.file.name) as handle:
        assert handle.read() == PDF
    line = Activity.objects.filter(verb=Activity.Verb.DOCUMENT_ADDED, object_id=lead.pk).get()
    assert line.data["message"] == "devis.pdf" and line.actor == personas.salesperson


def test_several_files_at_once(personas, lead):
    client = en_client(personas.salesperson)
    files = [upload("a.pdf"), upload("b.txt", b"hello", "text/plain")]
    response = client.post(url(lead), {"files": files}, headers=HTMX)
    assert "2 documents added." in response.content.decode()
    assert [d.name for d in docs(lead)] == ["a.pdf", "b.txt"]


def test_the_mime_type_comes_from_the_extension_not_from_the_browser(personas, lead):
    add(personas, lead, upload("photo.png", b"\x89PNG....", "text/html"))
    assert docs(lead)[0].mime_type == "image/png"


def test_no_file_is_a_clear_message(personas, lead):
    response = en_client(personas.salesperson).post(url(lead), {})
    assert response.status_code == 400
    assert "Choose a file to add." in response.content.decode()


def test_a_file_over_the_company_limit_is_refused(personas, lead):
    settings = personas.company.crm_settings
    settings.document_max_mb = 1
    settings.save(update_fields=["document_max_mb"])
    big = upload("gros.pdf", b"x" * (1024 * 1024 + 1))
    response = en_client(personas.salesperson).post(url(lead), {"files": [big]}, headers=HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="document-errors"' in page
    assert "gros.pdf" in page and "the limit is 1.0\xa0MB" in page
    assert docs(lead) == []


def test_a_type_not_allowed_is_refused(personas, lead):
    response = en_client(personas.salesperson).post(
        url(lead), {"files": [upload("script.exe", b"MZ", "application/pdf")]}
    )
    assert response.status_code == 400
    assert "Files of type “exe” are not allowed" in response.content.decode()
    assert docs(lead) == []


def test_an_empty_file_is_refused(personas, lead):
    response = en_client(personas.salesperson).post(url(lead), {"files": [upload("vide.pdf", b"")]})
    assert response.status_code == 400 and "is empty" in response.content.decode()


def test_one_bad_file_among_several_writes_nothing(personas, lead):
    files = [upload("bon.pdf"), upload("mauvais.exe"), upload("autre.pdf")]
    response = en_client(personas.salesperson).post(url(lead), {"files": files})
    assert response.status_code == 400
    assert "Files of type “exe” are not allowed" in response.content.decode()
    assert docs(lead) == []
    assert not default_storage.exists("documents")  # no file stored either


def test_a_database_failure_leaves_no_file_in_the_storage(personas, lead, monkeypatch):
    saved: list[str] = []
    real_save = Document.save

    def failing_save(self, *args, **kwargs):
        saved.append(self.file.name)
        if len(saved) == 2:
            raise RuntimeError("database down")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Document, "save", failing_save)
    with pytest.raises(RuntimeError):
        add(personas, lead, upload("a.pdf"), upload("b.pdf"))
    assert len(saved) == 2
    assert not any(default_storage.exists(name) for name in saved)
    assert docs(lead) == []


@pytest.mark.parametrize(
    "sent, kept",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("rap\x00port\x1b\r\n.pdf", "rapport.pdf"),
        ("compte rendu (v2).pdf", "compte_rendu_v2.pdf"),
    ],
)
def test_names_are_made_safe(personas, lead, sent, kept):
    add(personas, lead, upload(sent))
    [document] = docs(lead)
    assert document.name == kept
    assert ".." not in document.file.name and document.file.name.startswith("documents/")


# Downloads --------------------------------------------------------------------------------


def test_download_is_an_attachment_never_rendered_inline(personas, lead):
    document = add(personas, lead, upload("page.txt", b"<script>alert(1)</script>", "text/html"))[0]
    response = en_client(personas.reader).get(f"/documents/{document.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="page.txt"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Type"].startswith("text/plain")
    assert response.getvalue() == b"<script>alert(1)</script>"


def test_unknown_types_download_as_bytes(personas, lead):
    settings = personas.company.crm_settings
    settings.document_extensions = "svg html"
    settings.save(update_fields=["document_extensions"])
    forget_actor(personas.salesperson)  # its cached company read the settings before
    document = add(personas, lead, upload("x.svg", b"<svg onload=alert(1)>", "image/svg+xml"))[0]
    response = en_client(personas.salesperson).get(f"/documents/{document.pk}/download/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_a_file_lost_from_the_storage_is_404(personas, lead):
    document = add(personas, lead)[0]
    default_storage.delete(document.file.name)
    assert (
        en_client(personas.salesperson).get(f"/documents/{document.pk}/download/").status_code
        == 404
    )


# Deletion ---------------------------------------------------------------------------------


def test_the_uploader_deletes_their_document_and_its_file(personas, lead):
    document = add(personas, lead)[0]
    client = en_client(personas.salesperson)
    response = client.post(f"/documents/{document.pk}/delete/", headers=HTMX)
    assert response.status_code == 200 and "No documents yet." in response.content.decode()
    assert docs(lead) == []


@pytest.mark.django_db(transaction=True)
def test_the_file_leaves_the_storage_once_the_deletion_is_committed(personas, lead):
    document = add(personas, lead)[0]
    path = document.file.name
    assert default_storage.exists(path)
    response = en_client(personas.salesperson).post(f"/documents/{document.pk}/delete/")
    assert response.status_code == 302
    assert not default_storage.exists(path)


def test_a_teammate_without_the_delete_right_cannot_delete_anothers_document(personas, lead):
    document = add(personas, lead)[0]
    client = en_client(personas.teammate)
    assert "document-delete" not in client.get(url(lead), headers=HTMX).content.decode()
    assert client.post(f"/documents/{document.pk}/delete/").status_code == 403
    assert len(docs(lead)) == 1


def test_the_manager_deletes_anyones_document(personas, lead):
    document = add(personas, lead)[0]
    response = en_client(personas.manager).post(f"/documents/{document.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == url(lead)
    assert docs(lead) == []


# Query counts -----------------------------------------------------------------------------


def test_tab_query_count_does_not_grow_with_documents(personas, lead, django_assert_num_queries):
    add(personas, lead, upload("a.pdf"))
    client = en_client(personas.salesperson)
    client.get(url(lead), headers=HTMX)  # content types cached
    # session, user, memberships with company and settings, teams (the actor), the lead with
    # what its getter joins, the documents with who added them: 6 however many documents.
    with CaptureQueriesContext(connection) as first:
        client.get(url(lead), headers=HTMX)
    add(personas, lead, upload("b.pdf"), upload("c.pdf"), user=personas.teammate)
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(url(lead), headers=HTMX)
    assert response.content.decode().count('data-testid="document"') == 3
    assert len(first.captured_queries) == 6


@pytest.mark.django_db(transaction=True)
def test_a_deleted_records_documents_go_with_their_files(personas, lead):
    from django.db import transaction

    paths = [d.file.name for d in add(personas, lead, upload("a.pdf"), upload("b.pdf"))]
    with transaction.atomic():
        assert services.documents_delete_for_record(record=lead) == 2
    assert docs(lead) == []
    assert not any(default_storage.exists(path) for path in paths)


def test_more_files_than_allowed_at_once_is_a_clear_message(personas, lead):
    files = [upload(f"f{n}.pdf") for n in range(services.MAX_FILES + 1)]
    response = en_client(personas.salesperson).post(url(lead), {"files": files})
    assert response.status_code == 400
    assert f"At most {services.MAX_FILES} files at once." in response.content.decode()
    assert docs(lead) == []
