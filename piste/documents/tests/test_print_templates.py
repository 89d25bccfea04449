"""Print templates in the configuration (administrators): list, create (blank or copied from a
built-in), edit with the syntax checked (the line named), one default per record type, delete;
other roles 403, other companies' templates 404, bad input never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from piste.core.testing import Personas, en_client
from piste.documents.models import PrintTemplate

BASE = "/config/print-templates/"


def data(**values: Any) -> dict[str, Any]:
    return {
        "name": "Rapport commercial",
        "kind": "lead",
        "language": "fr",
        "html": "<h1>{{ lead.last_name }}</h1>",
        "css": "h1 { color: navy; }",
        "is_active": "on",
        **values,
    }


def make(personas: Personas, **values: Any) -> PrintTemplate:
    values = {
        "company": personas.company,
        "name": "Fiche",
        "kind": "lead",
        "html": "<p>x</p>",
        **values,
    }
    return PrintTemplate.objects.create(**values)


def test_list_shows_the_companys_templates_and_the_built_in_ones(personas):
    make(personas, name="Fiche maison")
    make(personas, name="Fiche étrangère", company=personas.other_company)
    page = en_client(personas.administrator).get(BASE).content.decode()
    assert "Fiche maison" in page and "Fiche étrangère" not in page
    assert "Lead report (French)" in page and "Contact sheet (English)" in page
    assert f"{BASE}new/?copy=builtin-partner-fr" in page


@pytest.mark.parametrize("who", ["manager", "salesperson", "marketing", "reader"])
def test_only_administrators_manage_print_templates(personas, who):
    template = make(personas)
    client = en_client(getattr(personas, who))
    assert client.get(BASE).status_code == 403
    assert client.post(f"{BASE}new/", data()).status_code == 403
    assert client.post(f"{BASE}{template.pk}/", data()).status_code == 403
    assert client.post(f"{BASE}{template.pk}/delete/").status_code == 403
    assert PrintTemplate.objects.count() == 1


def test_other_companys_template_is_404(personas):
    theirs = make(personas, company=personas.other_company)
    client = en_client(personas.administrator)
    assert client.get(f"{BASE}{theirs.pk}/").status_code == 404
    assert client.post(f"{BASE}{theirs.pk}/delete/").status_code == 404
    assert client.get(f"{BASE}99999999999999999999999/").status_code == 404


def test_create_then_edit(personas):
    client = en_client(personas.administrator)
    response = client.post(f"{BASE}new/", data())
    template = PrintTemplate.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{BASE}{template.pk}/"
    assert template.company == personas.company and template.updated_by == personas.administrator
    response = client.post(
        f"{BASE}{template.pk}/", data(name="Rapport v2", html="<p>{{ today }}</p>")
    )
    template.refresh_from_db()
    assert response.status_code == 302 and template.name == "Rapport v2"


def test_the_form_lists_the_placeholders(personas):
    page = en_client(personas.administrator).get(f"{BASE}new/").content.decode()
    assert "{{ record.last_name }}" in page and "{{ company.name }}" in page


def test_copy_of_a_built_in_starts_with_its_html(personas):
    page = (
        en_client(personas.administrator).get(f"{BASE}new/?copy=builtin-lead-fr").content.decode()
    )
    assert "Fiche piste" in page and "Copy of Lead report" in page


@pytest.mark.parametrize("copy", ["builtin-nope-fr", "abc", "99999999", "9" * 40])
def test_copy_of_nothing_starts_blank(personas, copy):
    response = en_client(personas.administrator).get(f"{BASE}new/?copy={copy}")
    assert response.status_code == 200


def test_a_syntax_error_is_refused_with_its_line(personas):
    html = "<h1>Titre</h1>\n<p>\n{% for x %}\n</p>"
    response = en_client(personas.administrator).post(f"{BASE}new/", data(html=html))
    page = response.content.decode()
    assert response.status_code == 400 and "Line 3:" in page
    assert PrintTemplate.objects.count() == 0


@pytest.mark.parametrize(
    "values",
    [
        {"kind": "event"},
        {"kind": ""},
        {"language": "de"},
        {"name": ""},
        {"name": "x" * 500},
        {"html": ""},
        {"html": "a\x00b"},
        {"html": "x" * 200_001},
        {"html": '{% load static %}{% static "x" %}'},
    ],
)
def test_bad_input_is_a_form_error(personas, values):
    response = en_client(personas.administrator).post(f"{BASE}new/", data(**values))
    assert response.status_code == 400
    assert PrintTemplate.objects.count() == 0


def test_one_default_per_record_type(personas):
    first = make(personas, name="A", is_default=True)
    other_kind = make(personas, name="C", kind="partner", is_default=True)
    client = en_client(personas.administrator)
    client.post(f"{BASE}new/", data(name="B", is_default="on"))
    first.refresh_from_db()
    other_kind.refresh_from_db()
    assert not first.is_default and other_kind.is_default
    assert PrintTemplate.objects.get(name="B").is_default


def test_delete(personas):
    template = make(personas)
    response = en_client(personas.administrator).post(f"{BASE}{template.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == BASE
    assert not PrintTemplate.objects.exists()


def test_list_query_count(personas, django_assert_num_queries):
    for n in range(3):
        make(personas, name=f"T{n}", updated_by=personas.administrator)
    client = en_client(personas.administrator)
    client.get(BASE)
    # session, user, memberships with company and settings, teams (the actor); the templates
    # with who updated them.
    with django_assert_num_queries(5):
        client.get(BASE)


def test_preview_prints_the_saved_template_on_the_newest_record(personas):
    from piste.leads.tests.factories import make_lead

    make_lead(personas.salesperson, last_name="Ancien")
    make_lead(personas.salesperson, last_name="Récent")
    template = make(personas, html="<p>{{ lead.last_name }}</p>")
    response = en_client(personas.administrator).get(f"{BASE}{template.pk}/preview/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "Piste%20R%C3%A9cent-" in response["Content-Disposition"]  # French template


def test_preview_without_records_or_with_a_broken_template_says_why(personas):
    template = make(personas, kind="contact")
    client = en_client(personas.administrator)
    response = client.get(f"{BASE}{template.pk}/preview/")
    assert response.status_code == 400
    assert "no record of this type" in response.content.decode()
    from piste.leads.tests.factories import make_lead

    make_lead(personas.salesperson)
    broken = make(personas, html="<p>\n{{ lead.last_name|nofilter }}</p>")
    response = client.get(f"{BASE}{broken.pk}/preview/")
    assert response.status_code == 400 and "Line 2:" in response.content.decode()
    assert en_client(personas.manager).get(f"{BASE}{broken.pk}/preview/").status_code == 403
