"""Each import format, from small files in its real shape (piste/geo/tests/data/)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from piste.geo.models import City, CityImport, Department, PostalCode, Region
from piste.geo.tests.import_support import (
    assert_done,
    codes_of,
    data,
    must,
    row_counts,
    run_file,
    run_import,
    zipped,
)

pytestmark = pytest.mark.django_db

FORMAT = CityImport.Format


def city(**lookup: object) -> City:
    return City.objects.select_related("department", "region", "country").get(**lookup)


# -- GeoNames ------------------------------------------------------------------------------------


def test_geonames_admin_codes_create_regions_and_departments():
    assert_done(run_file(FORMAT.GEONAMES_ADMIN, "admin1CodesASCII.txt"))
    job = run_file(FORMAT.GEONAMES_ADMIN, "admin2Codes.txt")
    assert_done(job)
    # 7 departments created; the 6 regions they name found again.
    assert (job.created_count, job.updated_count) == (7, 6)
    assert Region.objects.get(country__code="FR", code="11").name == "Île-de-France"
    paris = Department.objects.select_related("region").get(country__code="FR", code="75")
    assert (paris.name, must(paris.region).code) == ("Paris", "11")
    corse_du_sud = Department.objects.get(country__code="FR", code="2A")
    assert must(corse_du_sud.region).name == "Corse"


def test_geonames_admin2_codes_outside_france_are_unique_within_their_admin1():
    """United States counties: "001" in every state, so the code keeps its state."""
    assert_done(run_file(FORMAT.GEONAMES_ADMIN, "admin2Codes.txt"))
    us = Department.objects.filter(country__code="US").order_by("code")
    assert [(d.code, d.name) for d in us] == [
        ("AL.001", "Autauga County"),
        ("CA.001", "Alameda County"),
    ]


def test_geonames_cities_keep_populated_places_with_the_commune_insee_code():
    job = run_file(FORMAT.GEONAMES, "geonames_FR.txt")
    assert_done(job)
    paris = city(insee_code="75056")
    assert (paris.name, paris.geonames_id, paris.population) == ("Paris", 2988507, 2138551)
    assert (paris.latitude, paris.longitude) == (Decimal("48.853410"), Decimal("2.348800"))
    assert (must(paris.department).code, must(paris.region).code) == ("75", "11")
    # The ADM4 feature (class A), the arrondissement (75101) and the hamlet of Bourg-en-Bresse
    # are not cities; Ajaccio and Bastia keep their Corsican department codes.
    assert City.objects.filter(name__startswith="Paris 01").count() == 0
    assert City.objects.filter(name="Brou").count() == 0
    assert must(city(insee_code="2A004").department).code == "2A"
    assert must(city(insee_code="2B033").department).code == "2B"
    # A populated place without commune code is found by its GeoNames id.
    assert city(geonames_id=6942553).insee_code == ""
    assert City.objects.count() == 7


def test_geonames_departments_without_admin_file_are_named_after_their_code_until_named():
    assert_done(run_file(FORMAT.GEONAMES, "geonames_FR.txt"))
    assert Department.objects.get(country__code="FR", code="75").name == "75"
    assert_done(run_file(FORMAT.GEONAMES_ADMIN, "admin2Codes.txt"))
    assert Department.objects.get(country__code="FR", code="75").name == "Paris"


def test_geonames_cities_from_a_zip_skip_the_readme():
    job = run_import(FORMAT.GEONAMES, "FR.zip", zipped("FR.txt", data("geonames_FR.txt")))
    assert_done(job)
    assert City.objects.count() == 7
    assert job.total_lines == 10


def test_geonames_country_filter_imports_only_that_country(tmp_path):
    other = "\t".join(
        ["2800866", "Brussels", "Brussels", "", "50.85045", "4.34878", "P", "PPLC", "BE", "",
         "BRU", "21", "", "", "1019022", "", "28", "Europe/Brussels", "2024-01-01"]
    )  # fmt: skip
    content = data("geonames_FR.txt") + other.encode() + b"\n"
    assert_done(run_import(FORMAT.GEONAMES, "allCountries.txt", content, country="BE"))
    assert list(City.objects.values_list("name", flat=True)) == ["Brussels"]


def test_geonames_postal_codes_shared_code_and_city_with_several_codes():
    job = run_file(FORMAT.GEONAMES_POSTAL, "geonames_postal_FR.txt")
    assert_done(job)
    # 75001 Paris 01: a city of department 75 in region 11.
    paris_01 = city(name="Paris 01")
    assert codes_of(paris_01) == ["75001"]
    assert (must(paris_01.department).code, must(paris_01.department).name) == ("75", "Paris")
    assert must(paris_01.region).name == "Île-de-France"
    # One city, three codes.
    assert codes_of(city(name="Toulouse")) == ["31000", "31100", "31200"]
    assert City.objects.filter(name="Toulouse").count() == 1
    # One code, two cities.
    shared = PostalCode.objects.filter(code="01000").order_by("city__name")
    assert [p.city.name for p in shared] == ["Bourg-en-Bresse", "Saint-Denis-lès-Bourg"]
    assert codes_of(city(name="Ajaccio")) == ["20000", "20090"]
    assert must(city(name="Ajaccio").department).code == "2A"
    assert row_counts() == {"regions": 4, "departments": 4, "cities": 5, "postal_codes": 8}
    assert (job.created_count, job.updated_count, job.rejected_count) == (21, 0, 0)


def test_geonames_postal_fills_an_existing_city_without_renaming_it():
    assert_done(run_file(FORMAT.GEONAMES, "geonames_FR.txt"))
    assert_done(run_file(FORMAT.GEONAMES_POSTAL, "geonames_postal_FR.txt"))
    toulouse = city(insee_code="31555")
    assert codes_of(toulouse) == ["31000", "31100", "31200"]
    # The dump's coordinates stay (postal code centroids do not move a city).
    assert toulouse.latitude == Decimal("43.604260")
    assert City.objects.filter(name="Toulouse").count() == 1


# -- INSEE COG -----------------------------------------------------------------------------------


def import_cog() -> None:
    for name in ("v_region_2024.csv", "v_departement_2024.csv", "v_commune_2024.csv"):
        assert_done(run_file(FORMAT.INSEE_COG, name))


def test_insee_cog_files_are_told_apart_by_their_header():
    import_cog()
    assert list(
        Region.objects.filter(country__code="FR").order_by("code").values_list("code", "name")
    ) == [
        ("01", "Guadeloupe"),
        ("11", "Île-de-France"),
        ("76", "Occitanie"),
        ("84", "Auvergne-Rhône-Alpes"),
        ("94", "Corse"),
    ]
    departments = {d.code: d for d in Department.objects.select_related("region")}
    assert set(departments) == {"01", "2A", "2B", "31", "75", "971"}
    assert departments["2B"].name == "Haute-Corse"
    assert must(departments["971"].region).code == "01"


def test_insee_cog_communes_keep_codes_as_text_and_skip_non_communes():
    import_cog()
    assert city(insee_code="01001").name == "L'Abergement-Clémenciat"
    assert must(city(insee_code="2A004").department).code == "2A"
    assert must(city(insee_code="2B033").region).code == "94"
    basse_terre = city(insee_code="97105")
    assert (must(basse_terre.department).code, must(basse_terre.region).name) == (
        "971",
        "Guadeloupe",
    )
    # The commune nouvelle 01015 once, not its delegated communes; no Paris arrondissement.
    assert City.objects.filter(insee_code="01015").get().name == "Arboys en Bugey"
    assert not City.objects.filter(name__in=["Arbignieu", "Brens"]).exists()
    assert not City.objects.filter(insee_code__startswith="751").exclude(insee_code="75056")
    assert City.objects.count() == 9


def test_insee_communes_before_departments_name_them_later():
    assert_done(run_file(FORMAT.INSEE_COG, "v_commune_2024.csv"))
    assert Department.objects.get(code="2A").name == "2A"
    assert_done(run_file(FORMAT.INSEE_COG, "v_departement_2024.csv"))
    assert Department.objects.get(code="2A").name == "Corse-du-Sud"
    assert must(City.objects.get(insee_code="2A004").department).name == "Corse-du-Sud"


def test_insee_cog_names_a_city_created_by_geonames_postal_codes():
    """No INSEE code in GeoNames postal lines: COG finds the city by department and name."""
    assert_done(run_file(FORMAT.GEONAMES_POSTAL, "geonames_postal_FR.txt"))
    import_cog()
    toulouse = city(name="Toulouse")
    assert toulouse.insee_code == "31555"
    assert codes_of(toulouse) == ["31000", "31100", "31200"]
    assert City.objects.filter(name_key="toulouse").count() == 1


# -- La Poste ------------------------------------------------------------------------------------


def test_laposte_current_file_latin1_with_hash_header():
    import_cog()
    job = run_file(FORMAT.LAPOSTE, "laposte_hexasmal.csv")
    assert_done(job)
    # Arrondissements give their codes to Paris (75056), once each, with La Poste's label.
    paris = city(insee_code="75056")
    assert codes_of(paris) == ["75001", "75002", "75016", "75116"]
    assert set(paris.postal_codes.values_list("label", flat=True)) == {"PARIS"}
    assert City.objects.filter(name_key__startswith="paris").count() == 1
    # INSEE's names stay; a code shared by two communes; a commune with two codes.
    bourg = city(insee_code="01053")
    assert bourg.name == "Bourg-en-Bresse"
    shared = PostalCode.objects.filter(code="01000").values_list("city__insee_code", flat=True)
    assert sorted(shared) == ["01053", "01344"]
    assert codes_of(city(insee_code="2A004")) == ["20000", "20090"]
    assert PostalCode.objects.get(code="01000", city__insee_code="01344").label == (
        "ST DENIS LES BOURG"
    )
    assert job.rejected_count == 0


def test_laposte_alone_creates_cities_with_accents_decoded():
    assert_done(run_file(FORMAT.LAPOSTE, "laposte_hexasmal.csv"))
    assert city(insee_code="01344").name == "SAINT-DENIS-LÈS-BOURG"
    assert city(insee_code="75056").name == "Paris"
    assert city(insee_code="97105").department is None  # no department imported yet


def test_laposte_older_header_with_coordinates():
    import_cog()
    assert_done(run_file(FORMAT.LAPOSTE, "laposte_older.csv"))
    toulouse = city(insee_code="31555")
    assert codes_of(toulouse) == ["31000", "31100", "31200", "31300"]
    assert toulouse.latitude == Decimal("43.596381")
    assert codes_of(city(insee_code="75056")) == ["75005"]
    assert codes_of(city(insee_code="2B033")) == ["20200", "20600"]


def test_laposte_file_saved_as_utf8_with_bom():
    content = "\ufeff" + data("laposte_hexasmal.csv").decode("cp1252")
    assert_done(run_import(FORMAT.LAPOSTE, "laposte.csv", content.encode("utf-8")))
    assert city(insee_code="01344").name == "SAINT-DENIS-LÈS-BOURG"


# -- Piste CSV template --------------------------------------------------------------------------


def test_csv_template_creates_everything_it_names():
    job = run_file(FORMAT.CSV, "piste_cities.csv")
    assert_done(job)
    paris = city(insee_code="75056")
    assert codes_of(paris) == ["75001", "75002"]
    assert (must(paris.department).name, must(paris.region).name) == ("Paris", "Île-de-France")
    assert paris.latitude == Decimal("48.856614")
    assert [
        p.city.name for p in PostalCode.objects.filter(code="01000").order_by("city__name")
    ] == [
        "Bourg-en-Bresse",
        "Saint-Denis-lès-Bourg",
    ]
    brussels = city(country__code="BE")
    assert (brussels.name, must(brussels.region).name, brussels.department) == (
        "Bruxelles",
        "Bruxelles-Capitale",
        None,
    )
    assert codes_of(brussels) == ["1000"]


def test_csv_template_ignores_the_country_chosen_each_line_names_its_own():
    job = run_import(FORMAT.CSV, "villes.csv", data("piste_cities.csv"), country="FR")
    assert_done(job)
    assert City.objects.filter(country__code="BE").count() == 1


def test_csv_template_with_commas_and_windows_1252():
    text = "country,city,postal_code\nFR,Évry-Courcouronnes,91000\n"
    assert_done(run_import(FORMAT.CSV, "villes.csv", text.encode("cp1252")))
    assert codes_of(city(name="Évry-Courcouronnes")) == ["91000"]


def test_csv_template_line_without_department_finds_the_one_city_of_that_name():
    import_cog()
    text = "country;city;postal_code\nFR;Toulouse;31400\n"
    assert_done(run_import(FORMAT.CSV, "villes.csv", text.encode()))
    assert codes_of(city(insee_code="31555")) == ["31400"]
    assert City.objects.filter(name_key="toulouse").count() == 1


def test_csv_template_download_is_a_valid_import():
    from piste.geo.importers.csv_template import template_text

    assert_done(run_import(FORMAT.CSV, "piste-cities.csv", template_text().encode()))
    assert City.objects.count() == 4
