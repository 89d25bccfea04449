"""The lead form in the company's layout: sections and order as chosen, hidden fields neither
shown nor changed, mandatory fields asked next to themselves, another company's layout never
applied."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from piste.core.access import require_actor
from piste.core.layouts import LayoutField, layout_for, spec_get
from piste.core.services_layouts import form_layout_save
from piste.core.testing import en_client
from piste.leads.models import Lead
from piste.leads.tests.factories import address_data, make_lead
from piste.leads.tests.test_record_pages import edit_data, form_data

DEFAULT_ORDER = spec_get("lead").field_names  # type: ignore[union-attr]


def arrange(
    company_id: int, user: Any, order: list[str] | None = None, **choices: dict[str, Any]
) -> None:
    """Save the company's lead layout: the default, with ``choices`` per entry (``section``,
    ``visible``, ``required``) and ``order=[names]`` for another order."""
    layout = layout_for(company_id, "lead")
    names = order or [f.name for f in layout.fields]
    fields = []
    for name in names:
        current = layout.get(name)
        assert current is not None
        fields.append(LayoutField(**{**current.as_json(), **choices.get(name, {})}))
    form_layout_save(
        actor=require_actor(user), form_name="lead", fields=fields, version=layout.version
    )


def rendered(response) -> list[str]:
    """The entries the page draws, top to bottom (``data-field`` of each row)."""
    html = response.content.decode()
    return re.findall(r'data-field="([a-z_]+)"', html)


def sections(response) -> list[str]:
    return re.findall(
        r'<section class="card mb-3" aria-labelledby="section-([a-z]+)"', response.content.decode()
    )


@pytest.fixture
def lead(personas) -> Lead:
    return make_lead(
        personas.salesperson,
        first_name="Anne",
        email="anne@aero.example",
        website="www.aero.example",
        scoring=3,
        address=address_data(line1="12 rue des Ailes", postal_code="31000", city_name="Toulouse"),
    )


def edit_url(lead: Lead) -> str:
    return reverse("leads:edit", args=[lead.pk])


# Rendering --------------------------------------------------------------------------------------


def test_default_layout_draws_every_field_in_its_section(personas, lead):
    response = en_client(personas.salesperson).get(edit_url(lead))
    assert response.status_code == 200
    assert sections(response) == [
        "identity",
        "contact",
        "address",
        "description",
        "tracking",
        "marketing",
    ]
    # Every entry of the spec, in its default order (agency only when agencies are on).
    assert rendered(response) == [n for n in DEFAULT_ORDER if n != "agency"]
    html = response.content.decode()
    # What the page draws itself is still there: the job title "+", the stars, Trix, the logo.
    for marker in (
        'data-testid="job-title-add"',
        "data-star-rating",
        "data-rich-text",
        "data-upload-message",
        'data-testid="address"',
        'data-testid="company"',
        'name="logo"',
        'name="form_layout"',
    ):
        assert marker in html, marker
    assert re.search(r'for="id_last_name">Last name <span class="text-danger"', html)


def test_reordering_changes_the_drawn_order(personas, lead):
    order = list(DEFAULT_ORDER)
    order.remove("email")
    order.insert(order.index("fixed_phone"), "email")
    arrange(
        personas.company.pk,
        personas.administrator,
        order=order,
        job_title={"section": "marketing"},
        address={"section": "tracking"},
    )
    response = en_client(personas.salesperson).get(edit_url(lead))
    drawn = rendered(response)
    assert drawn.index("email") < drawn.index("fixed_phone")
    # Saved through the service as listed: first of Marketing (the page puts a moved field
    # last of its new section before it posts, see test_layouts).
    assert drawn[drawn.index("job_title") + 1] == "scoring"
    assert drawn.index("description") < drawn.index("address") < drawn.index("assigned_to")
    assert "address" not in sections(response)  # left empty: not drawn
    # Away from its default section a field takes the whole width.
    assert re.search(r'class="mb-3 col-12" data-field="job_title"', response.content.decode())


def test_a_hidden_field_is_not_drawn_and_an_edit_keeps_its_value(personas, lead):
    arrange(
        personas.company.pk,
        personas.administrator,
        email={"visible": False},
        scoring={"visible": False},
        logo={"visible": False},
    )
    client = en_client(personas.salesperson)
    html = client.get(edit_url(lead)).content.decode()
    assert 'name="email"' not in html and 'name="scoring"' not in html
    assert 'name="logo"' not in html and 'name="remove_logo"' not in html
    # Even posted (an old page, a crafted request), a hidden field is not saved.
    data = edit_data(lead, first_name="Ann", email="other@example.test", scoring="5")
    response = client.post(edit_url(lead), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    lead.refresh_from_db()
    assert lead.first_name == "Ann"
    assert lead.email == "anne@aero.example" and lead.scoring == 3


def test_a_hidden_address_and_hidden_tags_stay_as_they_are(personas, lead):
    from piste.core.models import Tag

    tag = Tag.objects.create(company=personas.company, name="Hot")
    lead.tags.add(tag)
    arrange(
        personas.company.pk,
        personas.administrator,
        address={"visible": False},
        tags={"visible": False},
    )
    client = en_client(personas.salesperson)
    html = client.get(edit_url(lead)).content.decode()
    assert 'data-testid="address"' not in html and 'name="tags"' not in html
    data = {
        k: v for k, v in edit_data(lead, first_name="Ann").items() if not k.startswith("address-")
    }
    assert client.post(edit_url(lead), data).status_code == 302
    lead.refresh_from_db()
    assert lead.first_name == "Ann"
    assert lead.address is not None and lead.address.line1 == "12 rue des Ailes"
    assert list(lead.tags.all()) == [tag]


def test_a_mandatory_field_gives_its_error_next_to_it_and_saves_nothing(personas, lead):
    arrange(
        personas.company.pk,
        personas.administrator,
        website={"required": True},
        source={"required": True},
    )
    client = en_client(personas.salesperson)
    html = client.get(edit_url(lead)).content.decode()
    assert re.search(r'for="id_source">Source <span class="text-danger"', html)
    response = client.post(edit_url(lead), edit_data(lead, first_name="Ann", website=""))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("website", "source"):
        assert re.search(
            rf'data-field="{name}">.*?data-testid="error-{name}">This field is required\.</div>',
            html,
            re.S,
        ), name
    lead.refresh_from_db()
    assert lead.first_name == "Anne" and lead.website


def test_a_mandatory_field_on_the_create_page(personas):
    arrange(personas.company.pk, personas.administrator, first_name={"required": True})
    client = en_client(personas.salesperson)
    response = client.post(reverse("leads:create"), form_data(last_name="Durand"))
    assert response.status_code == 200
    assert 'data-testid="error-first_name">This field is required.' in response.content.decode()
    assert not Lead.objects.exists()
    response = client.post(reverse("leads:create"), form_data(last_name="Durand", first_name="Zoé"))
    assert response.status_code == 302
    assert Lead.objects.get().first_name == "Zoé"


def test_create_with_hidden_fields_and_address(personas):
    arrange(
        personas.company.pk,
        personas.administrator,
        address={"visible": False},
        tags={"visible": False},
        assigned_to={"visible": False},
    )
    client = en_client(personas.salesperson)
    data = {k: v for k, v in form_data(last_name="Durand").items() if not k.startswith("address-")}
    data.pop("assigned_to")
    response = client.post(reverse("leads:create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    lead = Lead.objects.get()
    assert lead.address is None and lead.assigned_to == personas.salesperson


def test_the_last_name_cannot_be_hidden_from_the_form(personas, lead):
    # A layout stored by hand (or by an older code) that hides it: the form still asks it.
    from piste.core.models_layouts import FormLayout

    FormLayout.objects.create(
        company=personas.company,
        form_name="lead",
        fields=[{"name": "last_name", "section": "identity", "visible": False}],
    )
    client = en_client(personas.salesperson)
    assert "last_name" in rendered(client.get(edit_url(lead)))
    response = client.post(edit_url(lead), edit_data(lead, last_name=""))
    assert 'data-testid="error-last_name"' in response.content.decode()


def test_another_companys_layout_does_not_apply(personas, lead):
    arrange(personas.other_company.pk, personas.other, email={"visible": False})
    html = en_client(personas.salesperson).get(edit_url(lead)).content.decode()
    assert 'name="email"' in html


def test_a_field_shown_while_the_page_was_open_keeps_its_value(personas, lead):
    arrange(personas.company.pk, personas.administrator, website={"visible": False})
    client = en_client(personas.salesperson)
    html = client.get(edit_url(lead)).content.decode()
    shown = re.search(r'name="form_layout" value="([^"]*)"', html)
    assert shown is not None and "website" not in shown.group(1)
    # The administrator shows the website again; the page, opened before, posts without it.
    arrange(personas.company.pk, personas.administrator, website={"visible": True})
    data = edit_data(lead, first_name="Ann", form_layout=shown.group(1))
    data.pop("website")
    assert client.post(edit_url(lead), data).status_code == 302
    lead.refresh_from_db()
    assert lead.first_name == "Ann" and lead.website == "https://www.aero.example"


def test_job_title_keeps_its_plus_wherever_it_is(personas, lead):
    arrange(personas.company.pk, personas.administrator, job_title={"section": "tracking"})
    html = en_client(personas.salesperson).get(reverse("leads:create")).content.decode()
    assert 'data-select="id_job_title"' in html
    assert 'data-testid="job-title-add"' in html


def test_edit_page_query_count_with_a_layout(personas, lead, django_assert_num_queries):
    arrange(personas.company.pk, personas.administrator, address={"visible": False})
    client = en_client(personas.salesperson)
    client.get(edit_url(lead))
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 the lead, 6 its tags (the
    # form's initial value), 7 the tags offered, 8 the layout, then the choices of the selects,
    # read when the first is drawn: 9 the company's job titles, industry sectors, departments,
    # teams, sources and categories (one query), 10 users. No countries: the address block is
    # hidden.
    with django_assert_num_queries(10):
        response = client.get(edit_url(lead))
    assert response.status_code == 200
    assert 'data-testid="address"' not in response.content.decode()
