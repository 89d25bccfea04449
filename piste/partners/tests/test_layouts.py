"""The partner and contact forms in the company's layout: hidden fields neither shown nor changed,
mandatory fields asked next to themselves, the order as chosen."""

from __future__ import annotations

import re
from typing import Any

from piste.core.access import require_actor
from piste.core.layouts import LayoutField, layout_for
from piste.core.services_layouts import form_layout_save
from piste.core.testing import en_client
from piste.leads.tests.factories import address_data
from piste.partners import services
from piste.partners.models import Contact, Partner
from piste.partners.tests.factories import make_contact, make_partner


def arrange(form_name: str, user: Any, order: list[str] | None = None, **choices: Any) -> None:
    layout = layout_for(user.active_company_id, form_name)
    names = order or [f.name for f in layout.fields]
    fields = []
    for name in names:
        current = layout.get(name)
        assert current is not None
        fields.append(LayoutField(**{**current.as_json(), **choices.get(name, {})}))
    form_layout_save(
        actor=require_actor(user), form_name=form_name, fields=fields, version=layout.version
    )


def drawn(html: str) -> list[str]:
    return re.findall(r'data-field="([a-z_]+)"', html)


def test_a_hidden_partner_field_is_not_drawn_and_keeps_its_value(personas):
    partner = make_partner(personas.salesperson, name="Alpha", website="www.alpha.fr")
    services.partner_update(
        actor=require_actor(personas.salesperson),
        partner=partner,
        data={},
        version=partner.version,
        addresses={"delivery_address": address_data(line1="Quai 4", city_name="Lyon")},
    )
    arrange(
        "partner",
        personas.administrator,
        website={"visible": False},
        delivery_address={"visible": False},
    )
    client = en_client(personas.salesperson)
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    assert "website" not in drawn(page) and "delivery_address" not in drawn(page)
    assert "name" in drawn(page) and "main_address" in drawn(page)
    response = client.post(
        f"/partners/{partner.pk}/",
        {"partner_type": "organisation", "name": "Alpha Bis", "version": "2", "is_prospect": "on"},
    )
    assert response.status_code == 302
    partner = Partner.objects.get()
    assert partner.name == "Alpha Bis" and partner.website == "https://www.alpha.fr"
    assert partner.delivery_address is not None and partner.delivery_address.line1 == "Quai 4"


def test_a_mandatory_partner_field_is_asked_next_to_itself(personas):
    arrange("partner", personas.administrator, siret={"required": True})
    response = en_client(personas.salesperson).post(
        "/partners/new/", {"partner_type": "organisation", "name": "Alpha", "is_prospect": "on"}
    )
    page = response.content.decode()
    assert 'data-testid="error-siret"' in page and "This field is required." in page
    assert not Partner.objects.exists()


def test_the_contact_form_follows_its_layout_order(personas):
    partner = make_partner(personas.salesperson)
    default = [f.name for f in layout_for(personas.company.pk, "contact").fields]
    order = ["email", *[n for n in default if n != "email"]]
    arrange(
        "contact",
        personas.administrator,
        order=order,
        email={"section": "identity"},
        address={"visible": False},
    )
    page = en_client(personas.salesperson).get(f"/contacts/new/?partner={partner.pk}")
    fields = drawn(page.content.decode())
    assert fields.index("email") < fields.index("civility")
    assert "address" not in fields
    contact = make_contact(personas.salesperson, partner, email="jean@alpha.fr")
    response = en_client(personas.salesperson).post(
        f"/contacts/{contact.pk}/", {"last_name": "Martin", "version": "1", "email": "j@alpha.fr"}
    )
    assert response.status_code == 302
    assert Contact.objects.get().email == "j@alpha.fr"


def test_layouts_of_another_company_do_not_apply(personas):
    arrange("partner", personas.other, website={"visible": False})
    page = en_client(personas.salesperson).get("/partners/new/").content.decode()
    assert "website" in drawn(page)


def test_the_configuration_offers_the_partner_and_contact_forms(personas):
    page = en_client(personas.administrator).get("/config/layouts/").content.decode()
    assert "/config/layouts/partner/" in page and "/config/layouts/contact/" in page
    assert en_client(personas.administrator).get("/config/layouts/partner/").status_code == 200
    assert en_client(personas.salesperson).get("/config/layouts/contact/").status_code == 403
