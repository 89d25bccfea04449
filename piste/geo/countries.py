"""All ISO 3166-1 countries with French and English names, from the maintained pycountry package."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from typing import Any, NamedTuple

import pycountry


class CountryData(NamedTuple):
    code: str
    code3: str
    numeric: str
    name_fr: str
    name_en: str


def iso_countries() -> Iterator[CountryData]:
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    for country in pycountry.countries:
        # The common name when ISO gives one ("Bolivia" rather than "Bolivia, Plurinational
        # State of"); French follows the same entry.
        english = getattr(country, "common_name", None) or country.name
        french_name = french.gettext(english)
        if french_name == english:  # no French entry for the common name: use the ISO name's
            french_name = french.gettext(country.name)
        yield CountryData(
            code=country.alpha_2,
            code3=country.alpha_3,
            numeric=country.numeric,
            name_fr=french_name,
            name_en=english,
        )


def load_countries(country_model: Any) -> int:
    """Create the missing countries and refresh the ISO codes of the others; returns created."""
    from piste.core.text import fold

    existing = {c.code: c for c in country_model._default_manager.all()}
    created = 0
    for data in iso_countries():
        row = existing.get(data.code)
        if row is None:
            country_model._default_manager.create(
                code=data.code,
                code3=data.code3,
                numeric=data.numeric,
                name_fr=data.name_fr,
                name_en=data.name_en,
                search_key=fold(f"{data.name_fr} {data.name_en} {data.code}"),
            )
            created += 1
    return created
