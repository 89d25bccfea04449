"""The lead, partner and contact forms carry the warnings region and its script, with the edited
record's id; a page that cannot be saved has none."""

from __future__ import annotations

import pytest

from piste.core.testing import en_client
from piste.leads.tests.factories import make_lead
from piste.partners.tests.factories import make_contact, make_partner

pytestmark = pytest.mark.django_db

SCRIPT = "piste/duplicate_warnings.js"


def region(html: str) -> str:
    start = html.index("data-duplicate-warnings-url=")
    return html[start : html.index(">", start)]


def test_the_lead_forms_ask_for_warnings(personas):
    client = en_client(personas.salesperson)
    html = client.get("/leads/new/").content.decode()
    assert 'data-duplicate-warnings-url="/duplicates/warnings/lead/"' in region(html)
    assert 'data-city-field="address-city_name"' in region(html)
    assert SCRIPT in html
    lead = make_lead(personas.salesperson)
    html = client.get(f"/leads/{lead.pk}/edit/").content.decode()
    assert f'"/duplicates/warnings/lead/?exclude={lead.pk}"' in region(html)


def test_the_partner_forms_ask_for_warnings(personas):
    client = en_client(personas.salesperson)
    html = client.get("/partners/new/").content.decode()
    assert 'data-duplicate-warnings-url="/duplicates/warnings/partner/"' in region(html)
    assert 'data-city-field="main_address-city_name"' in region(html)
    assert SCRIPT in html
    partner = make_partner(personas.salesperson)
    html = client.get(f"/partners/{partner.pk}/").content.decode()
    assert f'"/duplicates/warnings/partner/?exclude={partner.pk}"' in region(html)
    # Read-only for who may not change it: nothing to warn about.
    html = en_client(personas.reader).get(f"/partners/{partner.pk}/").content.decode()
    assert "data-duplicate-warnings-url" not in html and SCRIPT not in html


def test_the_contact_forms_ask_for_warnings_with_their_company(personas):
    client = en_client(personas.salesperson)
    partner = make_partner(personas.salesperson, name="Morel & Fils")
    html = client.get(f"/contacts/new/?partner={partner.pk}").content.decode()
    assert 'data-duplicate-warnings-url="/duplicates/warnings/contact/"' in region(html)
    assert 'data-enterprise-name="Morel &amp; Fils"' in region(html)
    contact = make_contact(personas.salesperson, partner)
    html = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert f'"/duplicates/warnings/contact/?exclude={contact.pk}"' in region(html)
