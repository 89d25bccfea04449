"""Engine details the other tests rely on."""

from __future__ import annotations

import pytest

from piste.geo.importers.base import department_code, department_of_commune, parent_commune
from piste.geo.importers.writer import CITY_COLUMNS, IdSet
from piste.geo.models import City


def test_copy_columns_are_the_city_table_columns():
    """New cities go through COPY on PostgreSQL: a new City column must be written there too."""
    assert set(CITY_COLUMNS) == {f.column for f in City._meta.concrete_fields}


def test_id_set():
    ids = IdSet()
    for value in (1, 8, 9, 1_000_003):
        ids.add(value)
    assert [v for v in (0, 1, 2, 8, 9, 10, 1_000_003, 1_000_004, 5_000_000) if v in ids] == [
        1,
        8,
        9,
        1_000_003,
    ]


@pytest.mark.parametrize(
    ("insee", "department"), [("75056", "75"), ("2A004", "2A"), ("97411", "974"), ("01053", "01")]
)
def test_department_of_a_commune(insee, department):
    assert department_of_commune(insee) == department


def test_arrondissements_belong_to_their_commune():
    assert [parent_commune(c) for c in ("75101", "75120", "69385", "13216", "75056")] == [
        "75056",
        "75056",
        "69123",
        "13055",
        "75056",
    ]


def test_department_codes_outside_france_keep_their_admin1():
    assert department_code("FR", "11", "75") == "75"
    assert department_code("US", "CA", "001") == "CA.001"
    assert department_code("BE", "BRU", "") == ""
