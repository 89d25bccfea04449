"""The address of a record: ``AddressForm``, ``address_save``, and the company form using them."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from piste.core.models import Activity
from piste.core.testing import en_client
from piste.geo.address import address_label, address_save
from piste.geo.forms import AddressForm
from piste.geo.models import Address, Country
from piste.geo.tests.test_address import Referential, make_referential
from piste.users.models import Company


@pytest.fixture
def ref(db) -> Referential:
    return make_referential()


def company_data(company: Company, **address: str) -> dict[str, str]:
    data = {"name": company.name, "legal_form": company.legal_form, "siren": company.siren}
    data.update({f"address-{k}": v for k, v in address.items()})
    return data


def edit(personas, **address: str):
    return en_client(personas.administrator).post(
        f"/config/companies/{personas.company.pk}/", company_data(personas.company, **address)
    )


def saved_address(company: Company) -> Address | None:
    company.refresh_from_db()
    return company.address


# The company form ------------------------------------------------------------------------------


def test_company_form_shows_the_address_block(personas, ref):
    body = en_client(personas.administrator).get(f"/config/companies/{personas.company.pk}/")
    html = body.content.decode()
    assert 'data-testid="address"' in html
    for name in ("line1", "line2", "line3", "postal_code", "city_name", "city", "country"):
        assert f'name="address-{name}"' in html
    assert 'role="combobox"' in html and 'role="listbox"' in html
    assert 'aria-controls="address-city-suggestions"' in html
    assert '<option value="FR" selected>France</option>' in html
    assert "/static/piste/address.js" in html


def test_company_saves_an_address_chosen_from_the_referential(personas, ref):
    response = edit(
        personas,
        line1="12 rue de la Roquette",
        postal_code="75011",
        # What the page posts when a suggestion was chosen: the hidden id wins over the rest.
        city=str(ref.paris_11.pk),
        city_name="paris onze",
        country="BE",
    )
    assert response.status_code == 302
    address = saved_address(personas.company)
    assert address is not None
    assert address.city == ref.paris_11
    assert (address.line1, address.postal_code, address.city_name) == (
        "12 rue de la Roquette",
        "75011",
        "Paris 11e Arrondissement",
    )
    assert address.country == ref.france
    page = en_client(personas.administrator).get(f"/config/companies/{personas.company.pk}/")
    # The edit page shows it again, the department read-only.
    assert 'value="75 Paris"' in page.content.decode()
    assert page.context["address_form"]["city"].value() == ref.paris_11.pk


def test_company_saves_a_free_text_city(personas, ref):
    response = edit(
        personas, line1="Lieu-dit Les Oies", postal_code="99999", city_name="Trifouilly", city=""
    )
    assert response.status_code == 302
    address = saved_address(personas.company)
    assert address is not None
    assert address.city is None
    assert (address.postal_code, address.city_name, address.country) == (
        "99999",
        "Trifouilly",
        None,
    )


def test_company_address_is_cleared_when_every_field_is_emptied(personas, ref):
    edit(personas, line1="1 rue A", postal_code="93100", city=str(ref.montreuil.pk), country="FR")
    address = saved_address(personas.company)
    assert address is not None
    response = edit(personas, line1="", postal_code="", city_name="", city="", country="FR")
    assert response.status_code == 302
    assert saved_address(personas.company) is None
    assert not Address.objects.filter(pk=address.pk).exists()
    activity = Activity.objects.filter(object_id=personas.company.pk).latest("id")
    assert activity.data["changes"] == [
        {"field": "address", "from": "1 rue A, 93100 Montreuil", "to": None}
    ]


def test_an_address_with_nothing_but_a_country_stores_nothing(personas, ref):
    assert edit(personas, country="FR").status_code == 302
    assert saved_address(personas.company) is None
    assert not Address.objects.exists()
    assert not Activity.objects.filter(verb=Activity.Verb.CHANGED).exists()


@pytest.mark.parametrize(
    "forged",
    ["abc", "0", "-1", "1e3", "999999", "99999999999999999999999", "１２", " 1 1"],  # noqa: RUF001
)
def test_a_forged_city_id_is_a_form_error(personas, ref, forged):
    response = edit(personas, postal_code="75011", city_name="Paris", city=forged)
    assert response.status_code == 200
    message = "Choose the city among the suggestions, or type its name."
    assert response.context["address_form"].errors["city"] == [message]
    assert escape(message) in response.content.decode()
    assert saved_address(personas.company) is None


def test_an_unknown_country_is_a_form_error(personas, ref):
    response = edit(personas, city_name="Paris", country="XX")
    assert response.status_code == 200
    assert response.context["address_form"].errors["country"]


def test_address_change_writes_the_timeline_once(personas, ref):
    edit(personas, line1="1 rue A", postal_code="93100", city=str(ref.montreuil.pk), country="FR")
    edit(personas, line1="1 rue A", postal_code="75011", city=str(ref.paris_11.pk), country="FR")
    changes = [
        a.data["changes"]
        for a in Activity.objects.filter(
            object_id=personas.company.pk, verb=Activity.Verb.CHANGED
        ).order_by("id")
    ]
    assert changes == [
        [{"field": "address", "from": None, "to": "1 rue A, 93100 Montreuil"}],
        [
            {
                "field": "address",
                "from": "1 rue A, 93100 Montreuil",
                "to": "1 rue A, 75011 Paris 11e Arrondissement",
            }
        ],
    ]
    # The same address again changes nothing and writes nothing.
    edit(personas, line1="1 rue A", postal_code="75011", city=str(ref.paris_11.pk), country="FR")
    assert Activity.objects.filter(verb=Activity.Verb.CHANGED).count() == 2
    page = en_client(personas.administrator).get(f"/config/companies/{personas.company.pk}/")
    assert "<ins>1 rue A, 75011 Paris 11e Arrondissement</ins>" in page.content.decode()


def test_a_foreign_address_shows_its_country_in_the_timeline(personas, ref):
    edit(personas, postal_code="7500", city=str(ref.tournai.pk), country="FR")
    activity = Activity.objects.get(verb=Activity.Verb.CHANGED)
    assert activity.data["changes"][0]["to"] == "7500 Tournai, Belgium"


def test_company_created_with_its_address(personas, ref):
    response = en_client(personas.administrator).post(
        "/config/companies/new/",
        {
            "name": "Société Nouvelle",
            "address-line1": "5 avenue Foch",
            "address-postal_code": "93100",
            "address-city_name": "Montreuil",
            "address-city": str(ref.montreuil.pk),
            "address-country": "FR",
        },
    )
    assert response.status_code == 302
    address = Company.objects.get(name="Société Nouvelle").address
    assert address is not None
    assert (address.city, address.postal_code) == (ref.montreuil, "93100")


def test_company_with_an_invalid_address_is_not_created(personas, ref):
    response = en_client(personas.administrator).post(
        "/config/companies/new/", {"name": "Société Nouvelle", "address-city": "nope"}
    )
    assert response.status_code == 200
    assert not Company.objects.filter(name="Société Nouvelle").exists()
    assert not Address.objects.exists()


def test_company_list_shows_the_city_in_one_query(personas, ref, django_assert_num_queries):
    edit(personas, city_name="Trifouilly")
    client = personas.client(personas.administrator)
    # 1. the session, 2. the user, 3. the memberships with their company and CRM settings,
    # 4. the user's team ids, 5. the companies administered with their address.
    with django_assert_num_queries(5):
        response = client.get("/config/companies/")
    assert "Trifouilly" in response.content.decode()


# AddressForm -----------------------------------------------------------------------------------


def test_new_address_form_proposes_france_and_active_countries_only(ref):
    Country.objects.filter(code="BE").update(is_active=False)
    form = AddressForm()
    html = str(form["country"])
    assert '<option value="FR" selected>' in html
    assert 'value="BE"' not in html
    assert form.prefix == "address"


def test_an_inactive_country_stays_offered_on_an_address_that_has_it(ref):
    Country.objects.filter(code="BE").update(is_active=False)
    address = Address.objects.create(city_name="Tournai", country=ref.belgium)
    html = str(AddressForm(address=address)["country"])
    assert '<option value="BE" selected>' in html


def test_a_city_of_an_inactive_country_is_accepted(ref):
    Country.objects.filter(code="BE").update(is_active=False)
    form = AddressForm({"address-city": str(ref.tournai.pk), "address-country": "BE"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["country"] == ref.belgium


def test_form_with_another_prefix_embeds_a_second_address(ref):
    form = AddressForm({"billing-city_name": "Trifouilly"}, prefix="billing")
    assert form.is_valid()
    assert form.cleaned_data["city_name"] == "Trifouilly"
    assert form.listbox_id == "billing-city-suggestions"


# address_save ----------------------------------------------------------------------------------


def test_empty_data_stores_nothing(ref):
    assert address_save(address=None, data={}) is None
    assert address_save(address=None, data={"line1": "  ", "country": ref.france}) is None
    assert not Address.objects.exists()


def test_a_city_gives_its_name_country_and_only_postal_code(ref):
    address = address_save(
        address=None, data={"city": ref.montreuil, "city_name": "x", "country": ref.belgium}
    )
    assert address is not None
    assert (address.city_name, address.country, address.postal_code) == (
        "Montreuil",
        ref.france,
        "93100",
    )


def test_a_city_with_several_codes_keeps_the_typed_one_or_none(ref):
    typed = address_save(address=None, data={"city": ref.toulouse, "postal_code": "31300"})
    assert typed is not None and typed.postal_code == "31300"  # a CEDEX code, say
    untyped = address_save(address=None, data={"city": ref.toulouse})
    assert untyped is not None and untyped.postal_code == ""


def test_update_writes_only_changed_fields(ref, django_assert_num_queries):
    address = address_save(address=None, data={"line1": "1 rue A", "city_name": "Trifouilly"})
    assert address is not None
    with django_assert_num_queries(0):
        same = address_save(
            address=address, data={"line1": " 1  rue A ", "city_name": "Trifouilly"}
        )
    assert same is address
    with django_assert_num_queries(1):
        address_save(address=address, data={"line1": "2 rue B", "city_name": "Trifouilly"})
    address.refresh_from_db()
    assert address.line1 == "2 rue B"


def test_an_existing_address_is_deleted_when_emptied(ref):
    address = Address.objects.create(city_name="Trifouilly")
    assert address_save(address=address, data={"city_name": ""}) is None
    assert not Address.objects.exists()


def test_too_long_values_are_refused(ref):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        address_save(address=None, data={"line1": "x" * 201})


def test_address_label(ref):
    assert address_label(None) == ""
    address = Address(line1="1 rue A", postal_code="93100", city_name="Montreuil")
    assert address_label(address) == "1 rue A, 93100 Montreuil"
