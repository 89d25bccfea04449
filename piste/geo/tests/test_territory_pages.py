"""Configuration → Territory: countries, regions, departments and cities shared by every company."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils.html import escape

from piste.core.models import Activity
from piste.core.testing import en_client
from piste.geo.models import Address, City, Country, Department, PostalCode, Region

SAME_COMPANY = ["manager", "salesperson", "teammate", "outsider", "marketing", "reader"]
BASE = "/config/territory"
HTMX_ROWS = {"HX-Request": "true", "HX-Target": "rows"}


@pytest.fixture
def france(db) -> Country:
    return Country.objects.get(code="FR")


@pytest.fixture
def germany(db) -> Country:
    return Country.objects.get(code="DE")


@pytest.fixture
def geo(france, germany) -> dict:
    """Île-de-France and Bavaria, Paris (75) and Munich's district, a few cities."""
    idf = Region.objects.create(country=france, code="11", name="Île-de-France")
    normandie = Region.objects.create(country=france, code="28", name="Normandie")
    bavaria = Region.objects.create(country=germany, code="02", name="Bayern")
    paris_dep = Department.objects.create(country=france, region=idf, code="75", name="Paris")
    calvados = Department.objects.create(
        country=france, region=normandie, code="14", name="Calvados"
    )
    munich_dep = Department.objects.create(
        country=germany, region=bavaria, code="091", name="Oberbayern"
    )
    paris = City.objects.create(
        country=france, department=paris_dep, region=idf, name="Paris", insee_code="75056"
    )
    for code in ("75001", "75002", "75015"):
        PostalCode.objects.create(country=france, city=paris, code=code)
    munich = City.objects.create(
        country=germany, department=munich_dep, region=bavaria, name="München"
    )
    PostalCode.objects.create(country=germany, city=munich, code="80331")
    return {
        "idf": idf,
        "normandie": normandie,
        "bavaria": bavaria,
        "paris_dep": paris_dep,
        "calvados": calvados,
        "munich_dep": munich_dep,
        "paris": paris,
        "munich": munich,
    }


def rows(response) -> list[str]:
    return [str(row.name) for row in response.context["page"].rows]


def codes(response) -> list[str]:
    return [row.code for row in response.context["page"].rows]


def assert_form_error(response, field: str) -> None:
    """The page is shown again (200) with the field's error message in it."""
    assert response.status_code == 200, response.status_code
    errors = response.context["form"].errors.get(field)
    assert errors, response.context["form"].errors
    body = response.content.decode()
    for message in errors:
        assert escape(message) in body, message


def changes_of(obj) -> list[dict]:
    activity = Activity.objects.filter(object_id=obj.pk, verb=Activity.Verb.CHANGED).latest("id")
    return activity.data["changes"]


def city_data(country: Country, /, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {"name": "Caen", "country": country.code}
    data.update(extra)
    return data


def territory_urls(geo) -> list[str]:
    return [
        f"{BASE}/",
        f"{BASE}/countries/",
        f"{BASE}/countries/{geo['paris'].country_id}/",
        f"{BASE}/regions/",
        f"{BASE}/regions/new/",
        f"{BASE}/regions/{geo['idf'].pk}/",
        f"{BASE}/departments/",
        f"{BASE}/departments/new/",
        f"{BASE}/departments/{geo['paris_dep'].pk}/",
        f"{BASE}/cities/",
        f"{BASE}/cities/new/",
        f"{BASE}/cities/{geo['paris'].pk}/",
    ]


# Who may open what ---------------------------------------------------------------------------


def test_every_territory_page_follows_the_persona_matrix(personas, geo):
    admin = personas.client(personas.administrator)
    # Geography is shared by every company: company B's administrator opens the same rows.
    other = personas.client(personas.other)
    same_company = {name: personas.client(getattr(personas, name)) for name in SAME_COMPANY}
    anonymous = Client()
    for url in territory_urls(geo):
        assert admin.get(url).status_code == 200, url
        assert other.get(url).status_code == 200, url
        for name, client in same_company.items():
            assert client.get(url).status_code == 403, (url, name)
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/login/?next={url}", url


def test_non_administrators_cannot_write(personas, geo, france):
    paris, idf = geo["paris"], geo["idf"]
    posts = [
        (f"{BASE}/regions/new/", {"country": "FR", "code": "99", "name": "Volée"}),
        (f"{BASE}/regions/{idf.pk}/", {"country": "FR", "code": "11", "name": "Volée"}),
        (f"{BASE}/regions/{idf.pk}/delete/", {}),
        (f"{BASE}/departments/new/", {"country": "FR", "code": "99", "name": "Volé"}),
        (f"{BASE}/cities/new/", city_data(france, name="Volée")),
        (f"{BASE}/cities/{paris.pk}/", city_data(france, name="Volée")),
        (f"{BASE}/cities/{paris.pk}/delete/", {}),
        (f"{BASE}/countries/{france.pk}/", {"name_fr": "Volée", "name_en": "Stolen"}),
        (f"{BASE}/countries/{france.pk}/delete/", {}),
    ]
    for name in SAME_COMPANY:
        client = personas.client(getattr(personas, name))
        for url, data in posts:
            assert client.post(url, data).status_code == 403, (url, name)
    for url, data in posts:
        assert Client().post(url, data).status_code == 302, url
    paris.refresh_from_db()
    france.refresh_from_db()
    assert paris.name == "Paris" and france.name_fr == "France"
    assert Region.objects.filter(pk=idf.pk, name="Île-de-France").exists()
    assert not City.objects.filter(name="Volée").exists()
    assert not Activity.objects.exists()


def test_administrator_of_another_company_edits_the_same_shared_rows(personas, geo):
    paris = geo["paris"]
    response = en_client(personas.other).post(
        f"{BASE}/cities/{paris.pk}/",
        city_data(
            paris.country,
            name="Paris",
            department=geo["paris_dep"].pk,
            insee_code="75056",
            postal_codes="75001 75002 75015 75016",
        ),
    )
    assert response.status_code == 302
    # Company A's administrator sees B's change: one shared row, a timeline without company.
    listed = en_client(personas.administrator).get(f"{BASE}/cities/", {"q": "75016"})
    assert rows(listed) == ["Paris"]
    activity = Activity.objects.get(object_id=paris.pk, verb=Activity.Verb.CHANGED)
    assert activity.company_id is None
    assert activity.actor == personas.other


def test_configuration_home_links_to_the_territory_pages(personas):
    body = en_client(personas.administrator).get("/config/").content.decode()
    for url in ["countries/", "regions/", "departments/", "cities/", "imports/"]:
        assert f'href="{BASE}/{url}"' in body, url
    assert "City import" in body


def test_territory_index_lists_the_referentials(personas):
    body = en_client(personas.administrator).get(f"{BASE}/").content.decode()
    for word in ["Countries", "Regions", "Departments", "Cities", "City import"]:
        assert word in body


# Countries -------------------------------------------------------------------------------------


def test_every_iso_country_is_loaded_with_french_and_english_names(db):
    assert Country.objects.count() == 249
    france = Country.objects.get(code="FR")
    assert (france.name_fr, france.name_en, france.code3) == ("France", "France", "FRA")
    germany = Country.objects.get(code="DE")
    assert (germany.name_fr, germany.name_en) == ("Allemagne", "Germany")


def test_country_search_ignores_case_and_accents(personas):
    client = en_client(personas.administrator)
    url = f"{BASE}/countries/"
    assert codes(client.get(url, {"q": "allem"})) == ["DE"]
    assert codes(client.get(url, {"q": "GERMANY"})) == ["DE"]
    assert codes(client.get(url, {"q": "Côte"})) == ["CI"]
    assert codes(client.get(url, {"q": "cote d'iv"})) == ["CI"]
    response = client.get(url, {"q": "zzzz"})
    assert rows(response) == [] and b"Nothing matches this search." in response.content


def test_countries_show_names_in_the_language_of_the_page(personas):
    german = {"q": "DE", "sort": "code"}
    english = en_client(personas.administrator).get(f"{BASE}/countries/", german)
    assert "Germany" in rows(english)
    french = Client(HTTP_ACCEPT_LANGUAGE="fr")
    french.force_login(personas.administrator)
    assert "Allemagne" in rows(french.get(f"{BASE}/countries/", german))
    # Sorted by the shown name, ignoring accents: "Åland, Îles" among the As.
    first = rows(french.get(f"{BASE}/countries/"))
    assert first[:4] == ["Afghanistan", "Afrique du Sud", "Åland, Îles", "Albanie"]
    english_first = rows(en_client(personas.administrator).get(f"{BASE}/countries/"))
    assert english_first[0] == "Afghanistan"


def test_country_pages_walk_every_country_once_in_both_directions(personas):
    client = en_client(personas.administrator)
    url = f"{BASE}/countries/"
    for sort in ["code", "-code", "name"]:
        seen: list[list[str]] = []
        response = client.get(url, {"sort": sort})
        while True:
            seen.append(codes(response))
            cursor = response.context["page"].next_cursor
            if cursor is None:
                break
            response = client.get(url, {"sort": sort, "cursor": cursor})
            assert len(seen) < 20
        flat = [code for page in seen for code in page]
        assert len(flat) == len(set(flat)) == 249, sort
        if sort == "code":
            assert flat == sorted(flat)
        back = [codes(response)]
        while (cursor := response.context["page"].prev_cursor) is not None:
            response = client.get(url, {"sort": sort, "cursor": cursor})
            back.append(codes(response))
        assert list(reversed(back)) == seen, sort


def test_country_edit_changes_names_and_active_flag_not_codes(personas, france):
    client = en_client(personas.administrator)
    url = f"{BASE}/countries/{france.pk}/"
    assert "FRA" in client.get(url).content.decode()  # the ISO codes are shown, read-only
    response = client.post(
        url,
        {"name_fr": " France  métropolitaine ", "name_en": "France", "code": "XX", "is_active": ""},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/countries/"
    france.refresh_from_db()
    assert (france.code, france.name_fr, france.is_active) == ("FR", "France métropolitaine", False)
    assert "metropolitaine" in france.search_key
    assert changes_of(france) == [
        {"field": "name_fr", "from": "France", "to": "France métropolitaine"},
        {"field": "is_active", "from": True, "to": False},
    ]
    page = client.get(url).content.decode()
    assert "<del>France</del> → <ins>France métropolitaine</ins>" in page
    assert "<del>yes</del> → <ins>no</ins>" in page
    # An inactive country is still offered on the forms of its own records, not on others.
    assert_form_error(
        client.post(f"{BASE}/regions/new/", {"country": "FR", "code": "1", "name": "X"}), "country"
    )


def test_country_names_are_required(personas, france):
    response = en_client(personas.administrator).post(
        f"{BASE}/countries/{france.pk}/", {"name_fr": "   ", "name_en": "France", "is_active": "on"}
    )
    assert_form_error(response, "name_fr")
    assert not Activity.objects.exists()


def test_used_country_cannot_be_deleted(personas, geo, france):
    client = en_client(personas.administrator)
    response = client.post(f"{BASE}/countries/{france.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == f"{BASE}/countries/{france.pk}/"
    body = response.content.decode()
    assert (
        escape("“France” cannot be deleted: it is still used by 2 regions, 2 departments, 1 city.")
        in body
    )
    assert "Deactivate it instead" in body
    assert Country.objects.filter(pk=france.pk).exists()
    assert not Activity.objects.filter(verb=Activity.Verb.DELETED).exists()
    # An address is a use too.
    andorra = Country.objects.get(code="AD")
    Address.objects.create(country=andorra, city_name="Andorra la Vella")
    response = client.post(f"{BASE}/countries/{andorra.pk}/delete/", follow=True)
    assert escape("“Andorra” cannot be deleted: it is still used by 1 address.") in (
        response.content.decode()
    )


def test_unused_country_can_be_deleted(personas):
    antarctica = Country.objects.get(code="AQ")
    client = en_client(personas.administrator)
    assert client.get(f"{BASE}/countries/{antarctica.pk}/delete/").status_code == 405
    response = client.post(f"{BASE}/countries/{antarctica.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == f"{BASE}/countries/"
    assert "“Antarctica” was deleted." in response.content.decode()
    assert not Country.objects.filter(code="AQ").exists()
    deleted = Activity.objects.get(verb=Activity.Verb.DELETED)
    assert deleted.company_id is None and deleted.data == {"message": "Antarctica"}


# Regions ---------------------------------------------------------------------------------------


def test_region_create_edit_delete_with_timeline(personas, france, germany):
    client = en_client(personas.administrator)
    response = client.post(
        f"{BASE}/regions/new/", {"country": "FR", "code": " 84 ", "name": " Auvergne-Rhône-Alpes "}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/regions/"
    region = Region.objects.get(country=france, code="84")
    assert (region.name, region.name_key) == ("Auvergne-Rhône-Alpes", "auvergne rhone alpes")
    created = Activity.objects.get(object_id=region.pk, verb=Activity.Verb.CREATED)
    assert created.company_id is None and created.actor == personas.administrator

    url = f"{BASE}/regions/{region.pk}/"
    assert (
        client.post(url, {"country": "DE", "code": "84", "name": "Rhône-Alpes"}).status_code == 302
    )
    region.refresh_from_db()
    assert (region.country, region.name) == (germany, "Rhône-Alpes")
    assert changes_of(region) == [
        {"field": "country", "from": "France", "to": "Germany"},
        {"field": "name", "from": "Auvergne-Rhône-Alpes", "to": "Rhône-Alpes"},
    ]
    page = client.get(url).content.decode()
    assert "<del>Auvergne-Rhône-Alpes</del> → <ins>Rhône-Alpes</ins>" in page
    # Saving without a change writes nothing.
    client.post(url, {"country": "DE", "code": "84", "name": "Rhône-Alpes"})
    assert Activity.objects.filter(object_id=region.pk, verb=Activity.Verb.CHANGED).count() == 1

    response = client.post(f"{url}delete/", follow=True)
    assert response.redirect_chain[-1][0] == f"{BASE}/regions/"
    assert "“Rhône-Alpes” was deleted." in response.content.decode()
    assert not Region.objects.filter(pk=region.pk).exists()
    assert Activity.objects.filter(object_id=region.pk, verb=Activity.Verb.DELETED).exists()


def test_region_code_is_unique_per_country(personas, geo):
    client = en_client(personas.administrator)
    response = client.post(f"{BASE}/regions/new/", {"country": "FR", "code": "11", "name": "Bis"})
    assert_form_error(response, "code")
    assert "“Île-de-France” already has the code 11 in this country." in response.content.decode()
    assert (
        client.post(
            f"{BASE}/regions/new/", {"country": "DE", "code": "11", "name": "Berlin"}
        ).status_code
        == 302
    )


def test_used_region_cannot_be_deleted_nor_moved(personas, geo):
    idf = geo["idf"]
    client = en_client(personas.administrator)
    response = client.post(f"{BASE}/regions/{idf.pk}/delete/", follow=True)
    assert (
        escape(
            "“Île-de-France” cannot be deleted: it is still used by 1 department, 1 city. "
            "Move them to another region first."
        )
        in response.content.decode()
    )
    assert Region.objects.filter(pk=idf.pk).exists()
    response = client.post(
        f"{BASE}/regions/{idf.pk}/", {"country": "DE", "code": "11", "name": "X"}
    )
    assert_form_error(response, "country")
    assert response.context["object"].name == "Île-de-France"  # the heading shows the saved name
    idf.refresh_from_db()
    assert idf.country.code == "FR"


def test_region_list_filters_by_country_and_searches(personas, geo):
    client = en_client(personas.administrator)
    url = f"{BASE}/regions/"
    assert rows(client.get(url)) == ["Bayern", "Île-de-France", "Normandie"]
    assert rows(client.get(url, {"country": "fr"})) == ["Île-de-France", "Normandie"]
    assert rows(client.get(url, {"country": "DE"})) == ["Bayern"]
    assert rows(client.get(url, {"q": "ile"})) == ["Île-de-France"]
    assert rows(client.get(url, {"q": "28"})) == ["Normandie"]
    assert rows(client.get(url, {"sort": "-code"})) == ["Normandie", "Île-de-France", "Bayern"]
    # The "New" button starts in the filtered country.
    assert (
        f'href="{BASE}/regions/new/?country=DE"'
        in client.get(url, {"country": "DE"}).content.decode()
    )
    assert (
        client.get(f"{BASE}/regions/new/", {"country": "DE"}).context["form"].initial["country"]
        == "DE"
    )


# Departments -------------------------------------------------------------------------------------


def test_department_create_edit_delete_with_timeline(personas, geo, france):
    client = en_client(personas.administrator)
    data = {"country": "FR", "region": geo["normandie"].pk, "code": "50", "name": "Manche"}
    assert client.post(f"{BASE}/departments/new/", data).status_code == 302
    manche = Department.objects.get(country=france, code="50")
    assert manche.region == geo["normandie"]
    assert Activity.objects.filter(object_id=manche.pk, verb=Activity.Verb.CREATED).exists()
    url = f"{BASE}/departments/{manche.pk}/"
    data.update(region="", name="La Manche")
    assert client.post(url, data).status_code == 302
    assert changes_of(manche) == [
        {"field": "region", "from": "Normandie", "to": None},
        {"field": "name", "from": "Manche", "to": "La Manche"},
    ]
    assert "<del>Normandie</del> → <ins>—</ins>" in client.get(url).content.decode()
    assert client.post(f"{url}delete/").status_code == 302
    assert not Department.objects.filter(pk=manche.pk).exists()


def test_department_region_must_be_of_its_country(personas, geo):
    client = en_client(personas.administrator)
    response = client.post(
        f"{BASE}/departments/new/",
        {"country": "FR", "region": geo["bavaria"].pk, "code": "50", "name": "Manche"},
    )
    assert_form_error(response, "region")
    assert "Choose a region of the chosen country." in response.content.decode()
    offered = response.context["form"].fields["region"].queryset
    assert set(offered) == {geo["idf"], geo["normandie"]}
    assert not Department.objects.filter(code="50").exists()


def test_used_department_cannot_be_deleted(personas, geo):
    dep = geo["paris_dep"]
    response = en_client(personas.administrator).post(
        f"{BASE}/departments/{dep.pk}/delete/", follow=True
    )
    assert escape("“75 Paris” cannot be deleted: it is still used by 1 city.") in (
        response.content.decode()
    )
    assert Department.objects.filter(pk=dep.pk).exists()


def test_department_list_filters_by_country_and_region(personas, geo):
    client = en_client(personas.administrator)
    url = f"{BASE}/departments/"
    assert codes(client.get(url)) == ["091", "14", "75"]
    assert codes(client.get(url, {"country": "FR"})) == ["14", "75"]
    response = client.get(url, {"country": "FR", "region": geo["idf"].pk})
    assert codes(response) == ["75"]
    # The region filter offers the chosen country's regions only.
    assert response.context["filters"].subdivisions == [geo["idf"], geo["normandie"]]
    # A region of another country, or a region without a country, filters nothing.
    assert codes(client.get(url, {"country": "FR", "region": geo["bavaria"].pk})) == ["14", "75"]
    assert codes(client.get(url, {"region": geo["idf"].pk})) == ["091", "14", "75"]
    assert codes(client.get(url, {"q": "75"})) == ["75"]
    assert codes(client.get(url, {"q": "calva"})) == ["14"]
    assert rows(client.get(url, {"sort": "name"})) == ["Calvados", "Oberbayern", "Paris"]


# Cities ------------------------------------------------------------------------------------------


def test_city_create_with_several_postal_codes(personas, geo, france):
    client = en_client(personas.administrator)
    data = city_data(
        france,
        department=geo["calvados"].pk,
        postal_codes=" 14000, 14000;14200 14210\n14000 ",
        insee_code="14118",
        latitude="49,182863",
        longitude="-0.370679",
    )
    response = client.post(f"{BASE}/cities/new/", data)
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == f"{BASE}/cities/"
    caen = City.objects.get(name="Caen")
    assert sorted(caen.postal_codes.values_list("code", flat=True)) == ["14000", "14200", "14210"]
    assert set(caen.postal_codes.values_list("country", flat=True)) == {france.pk}
    # The region follows from the department when left empty.
    assert caen.region == geo["normandie"]
    assert (caen.latitude, caen.longitude) == (Decimal("49.182863"), Decimal("-0.370679"))
    assert Activity.objects.get(object_id=caen.pk, verb=Activity.Verb.CREATED).company_id is None
    listed = client.get(f"{BASE}/cities/", {"q": "caen"})
    assert rows(listed) == ["Caen"]
    assert "14000" in listed.content.decode() and "14 Calvados" in listed.content.decode()


def test_city_edit_writes_every_change_on_the_timeline(personas, geo, france):
    paris = geo["paris"]
    client = en_client(personas.administrator)
    url = f"{BASE}/cities/{paris.pk}/"
    form = client.get(url).context["form"]
    assert form.initial["postal_codes"] == "75001, 75002, 75015"
    data = city_data(
        france,
        name="Paris ",
        department=geo["paris_dep"].pk,
        region=geo["idf"].pk,
        insee_code="75056",
        postal_codes="75001, 75015, 75016",
        latitude="48.8566",
    )
    assert client.post(url, data).status_code == 302
    assert changes_of(paris) == [
        {"field": "latitude", "from": None, "to": "48.856600"},
        {"field": "postal_codes", "from": "75001, 75002, 75015", "to": "75001, 75015, 75016"},
    ]
    page = client.get(url).content.decode()
    assert "Postal codes:" in page
    assert "<del>75001, 75002, 75015</del> → <ins>75001, 75015, 75016</ins>" in page
    # Saving the same values again writes nothing.
    assert client.post(url, data).status_code == 302
    assert Activity.objects.filter(object_id=paris.pk, verb=Activity.Verb.CHANGED).count() == 1


def test_city_moved_to_another_country_takes_its_postal_codes(personas, geo, germany):
    paris = geo["paris"]
    data = city_data(germany, name="Paris", postal_codes="75001")
    assert (
        en_client(personas.administrator).post(f"{BASE}/cities/{paris.pk}/", data).status_code
        == 302
    )
    paris.refresh_from_db()
    assert (paris.country, paris.department, paris.region) == (germany, None, None)
    assert list(paris.postal_codes.values_list("code", "country")) == [("75001", germany.pk)]


def test_postal_code_shared_by_two_cities_finds_both(personas, geo, france):
    calvados = geo["calvados"]
    for name in ["Louvigny", "Fontaine-Étoupefour"]:
        city = City.objects.create(country=france, department=calvados, name=name)
        PostalCode.objects.create(country=france, city=city, code="14111")
        PostalCode.objects.create(country=france, city=city, code="14112")
    client = en_client(personas.administrator)
    # Two matching codes per city, each city listed once.
    assert rows(client.get(f"{BASE}/cities/", {"q": "14111"})) == [
        "Fontaine-Étoupefour",
        "Louvigny",
    ]
    assert rows(client.get(f"{BASE}/cities/", {"q": "1411"})) == ["Fontaine-Étoupefour", "Louvigny"]
    assert rows(client.get(f"{BASE}/cities/", {"q": "750"})) == ["Paris"]
    assert rows(client.get(f"{BASE}/cities/", {"q": "99"})) == []


@pytest.mark.parametrize("dense_from", [1, 1000], ids=["walk-the-order", "collect-first"])
def test_code_search_finds_the_same_cities_whichever_the_plan(
    personas, geo, france, monkeypatch, dense_from
):
    monkeypatch.setattr("piste.geo.selectors.DENSE_POSTAL_MATCHES", dense_from)
    City.objects.create(country=france, name="Bayeux", insee_code="14047")
    client = en_client(personas.administrator)
    url = f"{BASE}/cities/"
    assert rows(client.get(url, {"q": "7"})) == ["Paris"]
    assert rows(client.get(url, {"q": "75015"})) == ["Paris"]
    assert rows(client.get(url, {"q": "14047"})) == ["Bayeux"]
    assert rows(client.get(url, {"q": "8"})) == ["München"]
    assert rows(client.get(url, {"q": "7", "country": "DE"})) == []
    assert rows(client.get(url, {"q": "99999"})) == []


def test_city_search_by_name_insee_code_and_filters(personas, geo, france):
    City.objects.create(
        country=france, department=geo["calvados"], name="Saint-Étienne-la-Thillaye"
    )
    client = en_client(personas.administrator)
    url = f"{BASE}/cities/"
    assert rows(client.get(url)) == ["München", "Paris", "Saint-Étienne-la-Thillaye"]
    assert rows(client.get(url, {"q": "etienne"})) == ["Saint-Étienne-la-Thillaye"]
    assert rows(client.get(url, {"q": "MUNCH"})) == ["München"]
    assert rows(client.get(url, {"q": "75056"})) == ["Paris"]
    assert rows(client.get(url, {"country": "DE"})) == ["München"]
    response = client.get(url, {"country": "FR", "department": geo["calvados"].pk})
    assert rows(response) == ["Saint-Étienne-la-Thillaye"]
    assert response.context["filters"].subdivisions == [geo["calvados"], geo["paris_dep"]]
    assert rows(client.get(url, {"sort": "insee_code"})) == [
        "München",
        "Saint-Étienne-la-Thillaye",
        "Paris",
    ]
    assert rows(client.get(url, {"sort": "-name"}))[0] == "Saint-Étienne-la-Thillaye"
    body = client.get(url).content.decode()
    assert 'href="/config/territory/imports/"' in body and "City import" in body


def test_city_department_must_be_of_its_country(personas, geo, germany):
    client = en_client(personas.administrator)
    data = city_data(germany, name="Ulm", department=geo["paris_dep"].pk)
    response = client.post(f"{BASE}/cities/new/", data)
    assert_form_error(response, "department")
    assert "Choose a department of the chosen country." in response.content.decode()
    # The form now offers the chosen country's departments.
    assert list(response.context["form"].fields["department"].queryset) == [geo["munich_dep"]]
    data = city_data(germany, name="Ulm", region=geo["idf"].pk)
    assert_form_error(client.post(f"{BASE}/cities/new/", data), "region")
    assert not City.objects.filter(name="Ulm").exists()


def test_changing_the_country_reloads_the_dependent_fields(personas, geo):
    client = en_client(personas.administrator)
    response = client.get(
        f"{BASE}/cities/{geo['paris'].pk}/", {"country": "DE"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body and 'id="dependent-fields"' in body
    assert "Oberbayern" in body and "Paris" not in body and "Bayern" in body
    response = client.get(
        f"{BASE}/departments/new/", {"country": "DE"}, headers={"HX-Request": "true"}
    )
    assert "Bayern" in response.content.decode() and "Normandie" not in response.content.decode()
    # Without HTMX, the whole page in that country.
    page = client.get(f"{BASE}/cities/new/", {"country": "DE"})
    assert "<html" in page.content.decode()
    assert list(page.context["form"].fields["department"].queryset) == [geo["munich_dep"]]
    # France is the default country of a new city.
    assert client.get(f"{BASE}/cities/new/").context["form"].initial["country"] == "FR"


def test_insee_code_is_checked(personas, geo, france, germany):
    client = en_client(personas.administrator)
    response = client.post(f"{BASE}/cities/new/", city_data(france, insee_code="75056"))
    assert_form_error(response, "insee_code")
    assert "Paris already has the INSEE code 75056." in response.content.decode()
    assert_form_error(
        client.post(f"{BASE}/cities/new/", city_data(france, insee_code="7505")), "insee_code"
    )
    assert_form_error(
        client.post(f"{BASE}/cities/new/", city_data(france, insee_code="75-56")), "insee_code"
    )
    # Corsica's codes hold a letter; another country's city may reuse a French code.
    assert (
        client.post(
            f"{BASE}/cities/new/", city_data(france, name="Ajaccio", insee_code="2a004")
        ).status_code
        == 302
    )
    assert City.objects.get(name="Ajaccio").insee_code == "2A004"
    assert (
        client.post(f"{BASE}/cities/new/", city_data(germany, insee_code="75056")).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"latitude": "91"}, "latitude"),
        ({"latitude": "-90.0000001"}, "latitude"),
        ({"longitude": "180.5"}, "longitude"),
        ({"longitude": "abc"}, "longitude"),
        ({"latitude": "NaN"}, "latitude"),
        ({"latitude": "1e999999"}, "latitude"),
        ({"latitude": "9" * 5000}, "latitude"),
        ({"postal_codes": "14000, <b>14</b>"}, "postal_codes"),
        ({"postal_codes": "A" * 25}, "postal_codes"),
        ({"postal_codes": "1" * 3000}, "postal_codes"),
        ({"postal_codes": ", ".join(f"{n:05}" for n in range(150))}, "postal_codes"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"country": "ZZ"}, "country"),
        ({"country": "France"}, "country"),
        ({"department": "abc"}, "department"),
        ({"department": "99999999999999999999999"}, "department"),
        ({"insee_code": "12345678901"}, "insee_code"),
    ],
    ids=[
        "latitude-91",
        "latitude-below",
        "longitude-180.5",
        "longitude-text",
        "latitude-nan",
        "latitude-huge-exponent",
        "latitude-5000-digits",
        "postal-code-markup",
        "postal-code-too-long",
        "postal-codes-3000-chars",
        "postal-codes-too-many",
        "blank-name",
        "long-name",
        "unknown-country",
        "country-by-name",
        "department-text",
        "department-overflow",
        "insee-too-long",
    ],
)
def test_bad_city_input_is_a_form_error_and_writes_nothing(personas, geo, france, data, field):
    response = en_client(personas.administrator).post(
        f"{BASE}/cities/new/", city_data(france, **data)
    )
    assert_form_error(response, field)
    assert not City.objects.filter(name="Caen").exists()
    assert not Activity.objects.exists()


def test_coordinates_at_the_limits_are_rounded_to_six_places(personas, geo, france):
    data = city_data(france, latitude="-90", longitude="179.99999951")
    assert en_client(personas.administrator).post(f"{BASE}/cities/new/", data).status_code == 302
    caen = City.objects.get(name="Caen")
    assert (caen.latitude, caen.longitude) == (Decimal("-90"), Decimal("180.000000"))


def test_city_delete_removes_its_postal_codes_unless_an_address_uses_it(personas, geo):
    paris, munich = geo["paris"], geo["munich"]
    client = en_client(personas.administrator)
    Address.objects.create(city=paris, city_name="Paris", postal_code="75001")
    response = client.post(f"{BASE}/cities/{paris.pk}/delete/", follow=True)
    assert escape("“Paris” cannot be deleted: it is still used by 1 address.") in (
        response.content.decode()
    )
    assert City.objects.filter(pk=paris.pk).exists()
    response = client.post(f"{BASE}/cities/{munich.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == f"{BASE}/cities/"
    assert "“München” was deleted." in response.content.decode()
    assert not PostalCode.objects.filter(code="80331").exists()


def test_edit_page_shows_older_timeline_entries_on_demand(personas, geo):
    paris = geo["paris"]
    client = en_client(personas.administrator)
    url = f"{BASE}/cities/{paris.pk}/"
    for n in range(22):
        data = city_data(paris.country, name=f"Paris {n}", department=geo["paris_dep"].pk)
        assert client.post(url, data).status_code == 302
    page = client.get(url)
    assert len(page.context["activities"]) == 20
    next_before = page.context["next_before"]
    assert f'hx-get="?before={next_before}"' in page.content.decode()
    older = client.get(url, {"before": next_before}, headers={"HX-Request": "true"})
    body = older.content.decode()
    assert "<html" not in body and body.count('data-testid="activity"') == 2
    assert client.get(url, {"before": "abc"}, headers={"HX-Request": "true"}).status_code == 200
    # Without HTMX the link opens the whole page from there.
    assert len(client.get(url, {"before": next_before}).context["activities"]) == 2


# Lists: pages, query counts, bad input ---------------------------------------------------------


def make_cities(country: Country, department: Department | None, count: int) -> None:
    City.objects.bulk_create(
        City(country=country, department=department, name=f"Ville {i:02}", name_key=f"ville {i:02}")
        for i in range(count)
    )
    PostalCode.objects.bulk_create(
        PostalCode(country=country, city=city, code=f"{10000 + n}")
        for city in City.objects.filter(name__startswith="Ville")
        for n in range(2)
    )


def test_city_pages_walk_every_city_once(personas, geo, france):
    make_cities(france, geo["calvados"], 60)
    client = en_client(personas.administrator)
    url = f"{BASE}/cities/"
    params = {"country": "FR", "department": geo["calvados"].pk}
    seen: list[list[str]] = []
    response = client.get(url, params)
    assert response.context["page"].prev_cursor is None
    while True:
        seen.append(rows(response))
        cursor = response.context["page"].next_cursor
        if cursor is None:
            break
        assert 'rel="next"' in response.content.decode()
        response = client.get(url, {**params, "cursor": cursor})
        assert len(seen) < 10
    assert [len(page) for page in seen] == [25, 25, 10]
    assert [name for page in seen for name in page] == [f"Ville {i:02}" for i in range(60)]
    back = [rows(response)]
    while (cursor := response.context["page"].prev_cursor) is not None:
        response = client.get(url, {**params, "cursor": cursor})
        back.append(rows(response))
    assert list(reversed(back)) == seen


def test_city_list_query_count_is_pinned(personas, geo, france, django_assert_num_queries):
    make_cities(france, geo["calvados"], 60)
    client = personas.client(personas.administrator)
    # 1. the session, 2. the user, 3. the memberships with their company and CRM settings,
    # 4. the user's team ids, 5. the countries of the filter, 6. the page of cities joined to
    # their country, department and region, 7. the page's postal codes.
    with django_assert_num_queries(7):
        response = client.get(f"{BASE}/cities/")
    assert len(response.context["page"].rows) == 25
    assert response.content.decode().count("badge text-bg-light") >= 50
    # 8. with a country: its departments, for the second filter.
    params = {"country": "FR", "department": geo["calvados"].pk}
    with django_assert_num_queries(8):
        response = client.get(f"{BASE}/cities/", params)
    with django_assert_num_queries(8):
        client.get(f"{BASE}/cities/", {**params, "cursor": response.context["page"].next_cursor})
    # 5-7 as above, with 8. a bounded count of the matching postal codes: a code search picks
    # its plan from it.
    with django_assert_num_queries(8):
        response = client.get(f"{BASE}/cities/", {"q": "1000"})
    assert len(response.context["page"].rows) == 25


def test_other_lists_query_counts_are_pinned(personas, geo, django_assert_num_queries):
    client = personas.client(personas.administrator)
    # 1-4. session, user, memberships, team ids; 5. the page of countries.
    with django_assert_num_queries(5):
        client.get(f"{BASE}/countries/")
    # 5. the countries of the filter, 6. the page of regions joined to their country.
    with django_assert_num_queries(6):
        client.get(f"{BASE}/regions/", {"country": "FR"})
    # 5. the countries of the filter, 6. the chosen country's regions, 7. the page of departments
    # joined to their country and region.
    with django_assert_num_queries(7):
        client.get(f"{BASE}/departments/", {"country": "FR"})


def test_htmx_rows_request_returns_the_rows_and_the_second_filter(personas, geo):
    client = en_client(personas.administrator)
    response = client.get(f"{BASE}/cities/", {"country": "DE"}, headers=HTMX_ROWS)
    body = response.content.decode()
    assert "<html" not in body and "<table" in body and "München" in body
    # The department filter follows the chosen country (swapped out of band).
    assert 'id="subdivision-filter" hx-swap-oob="true"' in body and "091 Oberbayern" in body
    full = client.get(f"{BASE}/cities/", {"country": "DE"})
    assert "<html" in full.content.decode() and "hx-swap-oob" not in full.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"country": "ZZ"},
        {"country": "x" * 10_000},
        {"country": "FR", "department": "abc"},
        {"country": "FR", "department": "-1"},
        {"country": "FR", "department": "99999999999999999999999999"},
        {"q": "x" * 10_000},
        {"q": "9" * 10_000},
        {"q": "%_\\'\""},
        {"cursor": "%%%"},
        {"cursor": "W251bGwsMSwibiJd"},
        {"cursor": "WyJhIiwxLCJuIl0", "sort": "insee_code"},
        {"sort": "population"},
        {"sort": "-name_key; DROP TABLE geo_city"},
        {"before": "abc"},
    ],
)
def test_bad_list_parameters_never_fail(personas, geo, params):
    client = en_client(personas.administrator)
    for kind in ["countries", "regions", "departments", "cities"]:
        response = client.get(f"{BASE}/{kind}/", params)
        assert response.status_code == 200, (kind, params)


def test_malformed_or_unknown_ids_are_404(personas, geo):
    client = en_client(personas.administrator)
    for kind in ["countries", "regions", "departments", "cities"]:
        for pk in ["abc", "0", "999999", "99999999999999999999999", "1.5"]:
            assert client.get(f"{BASE}/{kind}/{pk}/").status_code == 404, (kind, pk)
            assert client.post(f"{BASE}/{kind}/{pk}/delete/").status_code == 404, (kind, pk)
