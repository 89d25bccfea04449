"""The city autocomplete of address fields: ``city_suggestions``, ``GET /geo/cities/suggest/``."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import translation

from piste.core.testing import en_client
from piste.geo.address import CANDIDATES, city_suggestions
from piste.geo.models import City, Country, Department, PostalCode, Region
from piste.users.models import User

URL = "/geo/cities/suggest/"


@dataclass
class Referential:
    """A small French (and a little Belgian and Swiss) city referential."""

    france: Country
    belgium: Country
    switzerland: Country
    paris_1: City
    paris_10: City
    paris_11: City
    montreuil: City
    montreuil_bellay: City
    montreuil_sur_mer: City
    montreuil_juigne: City
    vaudelnay: City
    toulouse: City
    tournai: City
    montreux: City


def _city(
    name: str,
    country: Country,
    department: Department | None,
    population: int,
    *codes: str,
) -> City:
    city = City.objects.create(
        name=name,
        country=country,
        department=department,
        region=department.region if department else None,
        population=population,
    )
    for code in codes:
        PostalCode.objects.create(country=country, city=city, code=code)
    return city


def _country(code: str, name_fr: str, name_en: str) -> Country:
    # Loaded by a data migration, but a transactional test (the browser's) empties the tables.
    country, _ = Country.objects.get_or_create(
        code=code, defaults={"name_fr": name_fr, "name_en": name_en}
    )
    return country


def make_referential() -> Referential:
    france = _country("FR", "France", "France")
    belgium = _country("BE", "Belgique", "Belgium")
    switzerland = _country("CH", "Suisse", "Switzerland")
    idf = Region.objects.create(country=france, code="11", name="Île-de-France")
    pdl = Region.objects.create(country=france, code="52", name="Pays de la Loire")
    hdf = Region.objects.create(country=france, code="32", name="Hauts-de-France")
    occ = Region.objects.create(country=france, code="76", name="Occitanie")
    d75 = Department.objects.create(country=france, region=idf, code="75", name="Paris")
    d93 = Department.objects.create(country=france, region=idf, code="93", name="Seine-Saint-Denis")
    d49 = Department.objects.create(country=france, region=pdl, code="49", name="Maine-et-Loire")
    d62 = Department.objects.create(country=france, region=hdf, code="62", name="Pas-de-Calais")
    d31 = Department.objects.create(country=france, region=occ, code="31", name="Haute-Garonne")
    return Referential(
        france=france,
        belgium=belgium,
        switzerland=switzerland,
        paris_1=_city("Paris 1er Arrondissement", france, d75, 16_000, "75001"),
        paris_10=_city("Paris 10e Arrondissement", france, d75, 83_000, "75010"),
        paris_11=_city("Paris 11e Arrondissement", france, d75, 142_000, "75011"),
        montreuil=_city("Montreuil", france, d93, 111_000, "93100"),
        montreuil_bellay=_city("Montreuil-Bellay", france, d49, 4_000, "49260"),
        # Same name as the one above, another department (Montreuil-sur-Mer's commune name).
        montreuil_sur_mer=_city("Montreuil", france, d62, 2_000, "62170"),
        # No postal code in the referential: suggested alone.
        montreuil_juigne=_city("Montreuil-Juigné", france, d49, 7_000),
        # Shares 49260 with Montreuil-Bellay.
        vaudelnay=_city("Vaudelnay", france, d49, 700, "49260"),
        toulouse=_city("Toulouse", france, d31, 500_000, "31000", "31100", "31200", "31500"),
        tournai=_city("Tournai", belgium, None, 69_000, "7500"),
        montreux=_city("Montreux", switzerland, None, 26_000, "1820"),
    )


@pytest.fixture
def ref(db) -> Referential:
    return make_referential()


def pairs(results) -> list[tuple[str, str]]:
    return [(r["postal_code"], r["name"]) for r in results]


# Postal codes ----------------------------------------------------------------------------------


def test_a_full_postal_code_suggests_its_city_with_everything_to_fill(ref):
    [result] = city_suggestions("75011")
    assert result == {
        "city_id": ref.paris_11.pk,
        "name": "Paris 11e Arrondissement",
        "postal_code": "75011",
        "department_code": "75",
        "department": "Paris",
        "region": "Île-de-France",
        "country_id": ref.france.pk,
        "country_code": "FR",
        "country": result["country"],
    }
    with translation.override("fr"):
        assert city_suggestions("75011")[0]["country"] == "France"


def test_a_postal_code_prefix_suggests_each_code_in_order(ref):
    assert pairs(city_suggestions("7501")) == [
        ("75010", "Paris 10e Arrondissement"),
        ("75011", "Paris 11e Arrondissement"),
    ]
    assert pairs(city_suggestions("750")) == [
        ("7500", "Tournai"),  # Belgian, but no country asked
        ("75001", "Paris 1er Arrondissement"),
        ("75010", "Paris 10e Arrondissement"),
        ("75011", "Paris 11e Arrondissement"),
    ]


def test_spaces_in_a_postal_code_are_ignored(ref):
    assert pairs(city_suggestions(" 75 011 ")) == [("75011", "Paris 11e Arrondissement")]


def test_a_postal_code_shared_by_two_cities_suggests_both_larger_first(ref):
    assert pairs(city_suggestions("49260")) == [
        ("49260", "Montreuil-Bellay"),
        ("49260", "Vaudelnay"),
    ]


def test_the_exact_postal_code_comes_before_longer_ones(ref):
    PostalCode.objects.create(country=ref.belgium, city=ref.tournai, code="75001")
    _city("Ville Longue", ref.france, None, 1_000_000, "750012")
    codes = [r["postal_code"] for r in city_suggestions("75001")]
    assert codes == ["75001", "75001", "750012"]


# City names ------------------------------------------------------------------------------------


def test_a_name_prefix_suggests_cities_larger_first(ref):
    assert pairs(city_suggestions("Montreui")) == [
        ("93100", "Montreuil"),
        ("", "Montreuil-Juigné"),
        ("49260", "Montreuil-Bellay"),
        ("62170", "Montreuil"),
    ]


def test_case_and_accents_are_ignored(ref):
    assert pairs(city_suggestions("MONTRÉUIL")) == pairs(city_suggestions("montreuil"))
    assert [r["name"] for r in city_suggestions("montreuil-juigne")] == ["Montreuil-Juigné"]


def test_the_exact_name_comes_first_whatever_the_population(ref):
    _city("Montreuillois-Grand", ref.france, None, 9_000_000, "99999")
    names = [r["name"] for r in city_suggestions("montreuil")]
    assert names[:2] == ["Montreuil", "Montreuil"]  # both exact, the larger one first
    assert names[2] == "Montreuillois-Grand"


def test_a_city_with_several_postal_codes_is_suggested_once_per_code(ref):
    assert pairs(city_suggestions("Toulouse")) == [
        ("31000", "Toulouse"),
        ("31100", "Toulouse"),
        ("31200", "Toulouse"),
        ("31500", "Toulouse"),
    ]


def test_limit_keeps_the_best_suggestions(ref):
    assert pairs(city_suggestions("toulouse", limit=2)) == [
        ("31000", "Toulouse"),
        ("31100", "Toulouse"),
    ]


# Country filter --------------------------------------------------------------------------------


def test_the_country_filter_keeps_that_countrys_cities(ref):
    assert {r["country_code"] for r in city_suggestions("75")} == {"FR", "BE"}
    assert pairs(city_suggestions("75", country="BE")) == [("7500", "Tournai")]
    assert [r["name"] for r in city_suggestions("Mont", country="ch")] == ["Montreux"]
    assert city_suggestions("Montreui", country="BE") == []
    assert city_suggestions("Montreui", country="ZZ") == []


@pytest.mark.parametrize("country", ["", "France", "F", "1", "%%", "F\x00"])
def test_a_country_that_is_no_iso_code_filters_nothing(ref, country):
    assert len(city_suggestions("Montreui", country=country)) == 4


# Queries that suggest nothing ------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "7",
        "M",
        "é",
        "%",
        "%%",
        "__",
        "\\",
        "'; DROP TABLE geo_city; --",
        "\x00\x00",
        "\ud800\udfff",
        "\U0010ffff\U0010ffff",
        "🏙️🏙️",
        "7" * 21,
        "x" * 201,
        "Montreuil " * 10_000,
        "1" * 100_000,
    ],
)
def test_empty_short_or_garbage_queries_suggest_nothing_and_never_fail(ref, q):
    assert city_suggestions(q) == []


def test_like_wildcards_are_literal(ref):
    assert city_suggestions("Mont%") == []
    assert city_suggestions("Mon_reuil") == []


def test_nul_characters_are_dropped_not_sent_to_the_database(ref):
    assert pairs(city_suggestions("Montreuil-Be\x00llay")) == [("49260", "Montreuil-Bellay")]


def test_a_prefix_matching_more_than_the_candidates_stays_bounded(ref, django_assert_num_queries):
    france = ref.france
    cities = City.objects.bulk_create(
        City(name=f"Saint-Ville {i:04}", name_key=f"saint ville {i:04}", country=france)
        for i in range(CANDIDATES + 50)
    )
    PostalCode.objects.bulk_create(
        PostalCode(country=france, city=c, code=f"80{i:03}") for i, c in enumerate(cities)
    )
    with django_assert_num_queries(2):
        assert len(city_suggestions("saint-ville", limit=50)) == 50
    with django_assert_num_queries(2):
        assert len(city_suggestions("80")) == 10


def test_suggestions_take_two_queries(ref, django_assert_num_queries):
    # 1. the ids of the first matching postal codes (prefix index), 2. those postal codes joined
    # to their city, department, region and country.
    with django_assert_num_queries(2):
        city_suggestions("750")
    # 1. the ids of the first matching cities of France (prefix index), 2. those cities joined to
    # their department, region and country, and left-joined to their postal codes.
    with django_assert_num_queries(2):
        city_suggestions("Montreui", country="FR")
    # Nothing matches: no second query. Too short: no query.
    with django_assert_num_queries(1):
        city_suggestions("Zzyzx")
    with django_assert_num_queries(0):
        city_suggestions("M")


# The endpoint ----------------------------------------------------------------------------------


def test_endpoint_answers_json_suggestions(personas, ref):
    response = en_client(personas.salesperson).get(URL, {"q": "75011", "country": "FR"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    [result] = response.json()["results"]
    assert result["city_id"] == ref.paris_11.pk
    assert result["department_code"] == "75"
    assert result["country"] == "France"


def test_endpoint_finds_montreuil_by_its_start(personas, ref):
    results = en_client(personas.reader).get(URL, {"q": "Montreui"}).json()["results"]
    assert [(r["name"], r["department_code"]) for r in results][:3] == [
        ("Montreuil", "93"),
        ("Montreuil-Juigné", "49"),
        ("Montreuil-Bellay", "49"),
    ]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "7"},
        {"q": "x" * 5000},
        {"q": "\x00"},
        {"q": "%"},
        {"q": "Montreuil", "country": "\x00"},
        {"q": ["75", "Mont"]},
        {"country": "FR"},
    ],
)
def test_endpoint_never_fails_on_odd_input(personas, ref, params):
    response = en_client(personas.salesperson).get(URL, params)
    assert response.status_code == 200
    assert "results" in response.json()


def test_endpoint_reads_raw_bad_bytes_without_failing(personas, ref):
    client = en_client(personas.salesperson)
    response = client.get(f"{URL}?q=%FF%FE%00Mon&country=%C0")
    assert response.status_code == 200


def test_anonymous_gets_403_json(ref):
    response = Client().get(URL, {"q": "75011"})
    assert response.status_code == 403
    assert response.json()["results"] == []


def test_user_without_company_gets_403_json(db, ref):
    user = User.objects.create_user(username="nobody", password="x")
    client = Client()
    client.force_login(user)
    response = client.get(URL, {"q": "75011"})
    assert response.status_code == 403
    assert response.json()["results"] == []


def test_endpoint_is_get_only(personas, ref):
    assert en_client(personas.salesperson).post(URL, {"q": "75011"}).status_code == 405


def test_endpoint_query_count_is_pinned(personas, ref, django_assert_num_queries):
    client = personas.client(personas.salesperson)
    # 1. the session, 2. the user, 3. the memberships with their company and CRM settings,
    # 4. the user's team ids, 5. the ids of the first matching cities or postal codes, 6. those
    # rows joined to their city, department, region, country (and postal codes).
    with django_assert_num_queries(6):
        assert client.get(URL, {"q": "Montreui", "country": "FR"}).status_code == 200
    with django_assert_num_queries(6):
        assert client.get(URL, {"q": "49"}).status_code == 200
    # A query too short to suggest anything costs no suggestion query.
    with django_assert_num_queries(4):
        assert client.get(URL, {"q": "4"}).status_code == 200


def test_a_name_typed_without_its_hyphens_finds_the_city(db):
    france = Country.objects.get(code="FR")
    city = City.objects.create(name="Saint-Denis", country=france, population=110_000)
    PostalCode.objects.create(country=france, code="93200", city=city)
    for typed in ("saint denis", "Saint-Denis", "SAINT DEN", "saint\u2019denis"):
        assert [s["name"] for s in city_suggestions(typed)] == ["Saint-Denis"], typed
