"""The migration that moves a company's typed city into its address (users 0004)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("users", "0003_company_address")]
AFTER = [("users", "0005_remove_company_city")]


@pytest.fixture
def executor(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield executor
    # Back to the latest state for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_typed_cities_become_addresses(executor):
    apps = executor.loader.project_state(BEFORE).apps
    Company = apps.get_model("users", "Company")
    Country = apps.get_model("geo", "Country")
    City = apps.get_model("geo", "City")
    PostalCode = apps.get_model("geo", "PostalCode")
    france, _ = Country.objects.get_or_create(code="FR", defaults={"name_fr": "France"})
    lyon = City.objects.create(name="Lyon", name_key="lyon", country=france)
    PostalCode.objects.create(city=lyon, country=france, code="69001")
    for name, key in (("Saint-Denis", "saint-denis"), ("Saint-Denis", "saint-denis")):
        City.objects.create(name=name, name_key=key, country=france)
    Company.objects.create(name="A", name_key="a", city="  LYON ")
    Company.objects.create(name="B", name_key="b", city="Saint-Denis")  # two: not linked
    Company.objects.create(name="C", name_key="c", city="Trifouilly")
    Company.objects.create(name="D", name_key="d", city="")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    apps = executor.loader.project_state(AFTER).apps
    Company = apps.get_model("users", "Company")
    addresses = {
        c.name: c.address and (c.address.city_id, c.address.city_name, c.address.postal_code)
        for c in Company.objects.select_related("address")
    }
    assert addresses == {
        "A": (lyon.pk, "Lyon", "69001"),
        "B": (None, "Saint-Denis", ""),
        "C": (None, "Trifouilly", ""),
        "D": None,
    }
    assert Company.objects.get(name="C").address.country_id == france.pk

    # And back: the address's city returns to the column.
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    Company = executor.loader.project_state(BEFORE).apps.get_model("users", "Company")
    assert Company.objects.get(name="A").city == "Lyon"
