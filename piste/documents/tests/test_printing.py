"""Printing records (« Éditer »): the dialog, each built-in template in both languages, the
company's templates, « Associer le document », broken templates shown with their line (never a
500), templates that cannot reach files or other machines, the PDF's name, and its speed."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from piste.core.models import Activity
from piste.core.testing import Personas, en_client
from piste.documents import printing
from piste.documents.models import Document, PrintTemplate
from piste.documents.pdf import DataOnlyFetcher, html_to_pdf
from piste.leads.models import Lead
from piste.leads.tests.factories import make_lead
from piste.opportunities.tests.test_opportunities import make_opportunity
from piste.partners.tests.factories import make_contact, make_partner

HTMX = {"HX-Request": "true", "HX-Target": "record-dialog"}


@pytest.fixture
def lead(personas: Personas) -> Lead:
    return make_lead(
        personas.salesperson,
        last_name="Dupont",
        first_name="Jean",
        enterprise_name="Boulangerie",
        email="jean.dupont@example.test",
        description="<p>Intéressé par <strong>la gamme bio</strong></p>",
    )


def print_url(record: Any, kind: str = "lead") -> str:
    return f"/documents/for/{kind}/{record.pk}/print/"


def docs(record: Any) -> list[Document]:
    return list(
        Document.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        )
    )


def template(personas: Personas, html: str, **extra: Any) -> PrintTemplate:
    return PrintTemplate.objects.create(
        company=extra.pop("company", personas.company), name=extra.pop("name", "Mon modèle"),
        kind=extra.pop("kind", "lead"), language=extra.pop("language", "fr"), html=html, **extra,
    )  # fmt: skip


# The dialog -------------------------------------------------------------------------------


def test_dialog_offers_the_built_in_templates_and_preselects_the_users_language(personas, lead):
    response = en_client(personas.salesperson).get(print_url(lead), headers=HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert 'data-testid="print-dialog"' in page
    assert '<option value="builtin-lead-en" selected>Lead report (English)</option>' in page
    assert '<option value="builtin-lead-fr">Lead report (French)</option>' in page
    assert "Attach the document" in page


def test_plain_get_is_a_full_page(personas, lead):
    response = en_client(personas.salesperson).get(print_url(lead))
    assert response.status_code == 200 and "<html" in response.content.decode()


def test_the_companys_default_template_is_preselected_and_inactive_ones_are_hidden(personas, lead):
    chosen = template(
        personas, "<p>{{ lead.last_name }}</p>", name="Rapport maison", is_default=True
    )
    template(personas, "<p>x</p>", name="Ancien", is_active=False)
    template(personas, "<p>x</p>", name="Autre société", company=personas.other_company)
    page = en_client(personas.salesperson).get(print_url(lead), headers=HTMX).content.decode()
    assert f'<option value="{chosen.pk}" selected>Rapport maison (French)</option>' in page
    assert "Ancien" not in page and "Autre société" not in page


def test_events_are_not_printed_and_other_kinds_404(personas, lead):
    client = en_client(personas.administrator)
    assert client.get(f"/documents/for/event/{lead.pk}/print/").status_code == 404
    assert client.get(f"/documents/for/nope/{lead.pk}/print/").status_code == 404


@pytest.mark.parametrize("who", ["outsider", "other"])
def test_who_cannot_see_the_record_gets_404(personas, lead, who):
    client = en_client(getattr(personas, who))
    assert client.get(print_url(lead)).status_code == 404
    assert client.post(print_url(lead), {"template": "builtin-lead-fr"}).status_code == 404


# Built-in templates -----------------------------------------------------------------------


def _record(personas: Personas, kind: str) -> Any:
    user = personas.salesperson
    partner = make_partner(user, name="Boulangerie Morel", email="contact@morel.test")
    return {
        "lead": lambda: make_lead(user, last_name="Dupont", first_name="Jean"),
        "partner": lambda: partner,
        "contact": lambda: make_contact(user, partner, last_name="Morel", first_name="Claire"),
        "opportunity": lambda: make_opportunity(user, partner),
    }[kind]()


@pytest.mark.parametrize("kind", ["lead", "partner", "contact", "opportunity"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_each_built_in_template_prints_in_both_languages(personas, kind, language):
    record = _record(personas, kind)
    response = en_client(personas.salesperson).post(
        print_url(record, kind), {"template": f"builtin-{kind}-{language}"}
    )
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF")
    assert docs(record) == []  # nothing attached unless asked


def test_the_lead_report_holds_the_reference_data(personas, lead):
    choice = next(c for c in printing.builtin_choices("lead") if c.language == "fr")
    html = printing.render_html(choice, lead, user=personas.salesperson, company=personas.company)
    expected = ["Fiche piste", "Dupont", "Jean", "Boulangerie", "jean.dupont@example.test",
                "Durand Conseil", "<strong>la gamme bio</strong>", "Salesperson Test"]  # fmt: skip
    for text in expected:
        assert text in html
    response = en_client(personas.salesperson).post(print_url(lead), {"template": choice.key})
    assert response.content.startswith(b"%PDF")


def test_the_file_is_named_as_the_reference_names_it(personas, lead):
    response = en_client(personas.salesperson).post(
        print_url(lead), {"template": "builtin-lead-en"}
    )
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    assert f'filename="Lead Dupont Jean-Boulangerie-{today}.pdf"' in response["Content-Disposition"]


def test_file_names_lose_reserved_and_control_characters(personas):
    lead = make_lead(personas.salesperson, last_name='A/B\\C:"x"', first_name="\x07Z")
    name = printing.print_file_name(lead, language="en")
    assert "/" not in name and "\\" not in name and '"' not in name and "\x07" not in name
    assert name.startswith("Lead A B C x Z-") and name.endswith(".pdf")


# Attach -----------------------------------------------------------------------------------


def test_attach_stores_the_pdf_on_the_record_and_redirects_to_its_download(personas, lead):
    client = en_client(personas.salesperson)
    response = client.post(print_url(lead), {"template": "builtin-lead-en", "attach": "on"})
    [document] = docs(lead)
    assert response.status_code == 302
    assert response["Location"] == f"/documents/{document.pk}/download/"
    assert document.name.startswith("Lead Dupont Jean-Boulangerie-")
    assert document.mime_type == "application/pdf" and document.size > 1000
    assert document.file.read().startswith(b"%PDF")
    assert Activity.objects.filter(verb=Activity.Verb.DOCUMENT_ADDED, object_id=lead.pk).exists()
    download = client.get(response["Location"])
    assert download.getvalue().startswith(b"%PDF")


def test_attach_with_htmx_redirects_the_browser_and_refreshes_the_documents(personas, lead):
    response = en_client(personas.salesperson).post(
        print_url(lead), {"template": "builtin-lead-fr", "attach": "on"}, headers=HTMX
    )
    [document] = docs(lead)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/documents/{document.pk}/download/"
    assert response["HX-Trigger"] == "documents-changed"


def test_htmx_print_without_attach_sends_the_browser_to_the_pdf(personas, lead):
    client = en_client(personas.salesperson)
    response = client.post(print_url(lead), {"template": "builtin-lead-fr"}, headers=HTMX)
    assert response["HX-Redirect"] == f"{print_url(lead)}pdf/?template=builtin-lead-fr"
    pdf = client.get(response["HX-Redirect"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert docs(lead) == []


def test_a_reader_prints_but_cannot_attach(personas, lead):
    client = en_client(personas.reader)
    assert "Attach the document" not in client.get(print_url(lead)).content.decode()
    assert client.post(print_url(lead), {"template": "builtin-lead-fr"}).status_code == 200
    response = client.post(print_url(lead), {"template": "builtin-lead-fr", "attach": "on"})
    assert response.status_code == 403
    assert docs(lead) == []


# Bad input and broken templates -----------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["", "builtin-lead-de", "999999", "x" * 5000, "builtin-partner-fr"]
)
def test_an_unknown_template_is_a_form_error(personas, lead, value):
    response = en_client(personas.salesperson).post(print_url(lead), {"template": value})
    assert response.status_code == 400
    assert 'data-testid="error-template"' in response.content.decode()


def test_other_companys_template_cannot_be_used(personas, lead):
    theirs = template(personas, "<p>secret</p>", company=personas.other_company)
    response = en_client(personas.salesperson).post(print_url(lead), {"template": theirs.pk})
    assert response.status_code == 400


def test_a_syntax_error_names_its_line(personas, lead):
    broken = template(personas, "<h1>{{ lead.last_name }}</h1>\n<p>\n{% if %}</p>")
    response = en_client(personas.salesperson).post(print_url(lead), {"template": broken.pk})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="print-error"' in page and "Line 3:" in page


def test_a_bad_filter_names_its_line_in_the_dialog(personas, lead):
    broken = template(personas, "<p>ok</p>\n{{ lead.last_name|nofilter }}")
    response = en_client(personas.salesperson).post(
        print_url(lead), {"template": broken.pk, "attach": "on"}, headers=HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Line 2:" in page and "nofilter" in page
    assert docs(lead) == []


def test_a_filter_failing_on_a_value_is_shown_not_a_500(personas, lead):
    broken = template(
        personas, "<p>{{ lead.last_name|date:'Y'|add:lead }}</p>\n{% widthratio 1 0 x %}"
    )
    response = en_client(personas.salesperson).post(print_url(lead), {"template": broken.pk})
    assert response.status_code in (200, 400)


def test_include_and_load_are_refused_clearly(personas, lead):
    broken = template(personas, '{% include "base.html" %}')
    response = en_client(personas.salesperson).post(print_url(lead), {"template": broken.pk})
    assert response.status_code == 400
    assert 'data-testid="print-error"' in response.content.decode()


def test_a_layout_weasyprint_cannot_make_is_shown(personas, lead, monkeypatch):
    from piste.documents import pdf as pdf_module

    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("layout failed")

    monkeypatch.setattr(pdf_module.HTML, "write_pdf", broken)
    response = en_client(personas.salesperson).post(
        print_url(lead), {"template": "builtin-lead-fr"}
    )
    assert response.status_code == 400 and "layout failed" in response.content.decode()


# No file, no network ----------------------------------------------------------------------


def test_the_fetcher_refuses_files_and_other_machines():
    fetcher = DataOnlyFetcher()
    for url in ("file:///etc/passwd", "http://127.0.0.1:1/", "https://example.com/x.png",
                "ftp://example.com/x", "FILE:///etc/hostname"):  # fmt: skip
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


def test_a_template_pointing_at_local_files_renders_without_them(personas, lead, monkeypatch):
    opened: list[str] = []
    import urllib.request

    real = urllib.request.OpenerDirector.open

    def spy(self: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(getattr(url, "full_url", url))
        return real(self, url, *args, **kwargs)

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", spy)
    html = (
        '<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png">'
        '<link rel="stylesheet" href="file:///etc/passwd">'
        '<iframe src="file:///etc/passwd"></iframe><object data="file:///etc/hostname"></object>'
        "<p>{{ lead.last_name }}</p>"
        # A data: image is fetched (and proves the spy sees what is fetched).
        '<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E">'
    )
    css = (
        '@import url("file:///etc/passwd"); body { background: url("http://127.0.0.1:9/bg.png"); }'
    )
    hostile = template(personas, html, css=css)
    response = en_client(personas.salesperson).post(print_url(lead), {"template": hostile.pk})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert opened and all(url.startswith("data:") for url in opened), opened


# Speed ------------------------------------------------------------------------------------


def test_a_lead_report_pdf_takes_under_a_second(personas, lead):
    client = en_client(personas.salesperson)
    client.post(print_url(lead), {"template": "builtin-lead-fr"})  # warm-up: imports, fonts
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        response = client.post(print_url(lead), {"template": "builtin-lead-fr"})
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    assert min(timings) < 1.0, timings


def test_html_to_pdf_makes_a_pdf():
    assert html_to_pdf("<p>Bonjour</p>", "p { color: red; }").startswith(b"%PDF")
