"""The bench's city referential: ``manage.py generate_cities`` and the autocomplete on it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from piste.core.search import _after_prefix
from piste.geo.address import city_suggestions
from piste.geo.management.commands import generate_cities
from piste.geo.models import Address, City, Country, PostalCode


def _generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_cities", *args, stdout=out)
    return out.getvalue()


def test_generates_french_like_cities_with_postal_codes(db):
    _generate("--size", "300")
    generated = generate_cities.generated_cities()
    assert generated.count() == 300
    assert not generated.exclude(country__code="FR").exists()
    assert not generated.filter(postal_codes__isnull=True).exists()
    paris = City.objects.get(name="Paris")
    assert paris.geonames_id is not None and paris.geonames_id < 0
    assert paris.department is not None and paris.department.code == "75"
    assert paris.postal_codes.count() == 20
    assert City.objects.filter(name__startswith="Saint-").count() > 10
    # The autocomplete finds them.
    assert city_suggestions("75011", country="FR")[0]["name"] == "Paris"
    assert city_suggestions("Montreui")[0]["postal_code"] == "93100"


def test_beyond_the_french_part_cities_are_in_other_countries(db, monkeypatch):
    monkeypatch.setattr(generate_cities, "FRENCH_CITIES", 40)
    _generate("--size", "200")
    by_country = {
        code: generate_cities.generated_cities().filter(country__code=code).count()
        for code in ("FR", "BE", "DE")
    }
    assert by_country["FR"] == 40
    assert by_country["BE"] > 0 and by_country["DE"] > 0
    belgian = PostalCode.objects.filter(country__code="BE").first()
    assert belgian is not None and len(belgian.code) == 4


def test_second_run_without_reset_is_refused(db):
    _generate("--size", "20")
    with pytest.raises(CommandError):
        _generate("--size", "20")


def test_reset_replaces_generated_cities_only(db):
    france = Country.objects.get_or_create(code="FR", defaults={"name_fr": "France"})[0]
    imported = City.objects.create(name="Importée", country=france, geonames_id=2988507)
    PostalCode.objects.create(country=france, city=imported, code="75001")
    _generate("--size", "30")
    generated = generate_cities.generated_cities().get(name="Montreuil")
    address = Address.objects.create(city=generated, city_name="Montreuil", postal_code="93100")

    _generate("--size", "10", "--reset")

    assert generate_cities.generated_cities().count() == 10
    assert City.objects.filter(pk=imported.pk).exists()
    assert PostalCode.objects.filter(city=imported).count() == 1
    address.refresh_from_db()
    assert (address.city, address.city_name) == (None, "Montreuil")


@pytest.mark.parametrize(
    ("prefix", "after"),
    [
        ("sain", "saio"),
        ("75", "76"),
        ("a\U0010ffff", "b"),
        ("\U0010ffff", None),
        ("\ud7ff", "\ue000"),
    ],
)
def test_the_range_after_a_prefix(prefix, after):
    assert _after_prefix(prefix) == after
