"""Reads of the territory referentials (countries, regions, departments, cities) for the
configuration pages. Shared by every company: no company filter, the pages require the
configuration right instead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils.translation import get_language

from piste.core.access import get_or_404
from piste.core.pagination import Page, keyset_page
from piste.core.selectors import CONFIG_PAGE_SIZE
from piste.core.text import fold, search_text
from piste.geo.models import City, Country, Department, PostalCode, Region

# Longer searches match nothing anyway; the cut keeps LIKE patterns and URLs small.
MAX_QUERY_LENGTH = 100
# From this many matching postal codes on, a code search walks the list's order (city_search).
DENSE_POSTAL_MATCHES = 1000


def _french() -> bool:
    return (get_language() or "fr").startswith("fr")


def _sort_key(sorts: dict[str, str], sort: str | None, default: str) -> tuple[str, str]:
    """(the sort as shown in the URL, the column it orders by) for an allowed sort; the default
    otherwise (unknown or crafted values never reach the ORM)."""
    sort = sort or ""
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name not in sorts:
        name, descending = default, False
    prefix = "-" if descending else ""
    return prefix + name, prefix + sorts[name]


def clean_query(q: str | None) -> str:
    return search_text(q, MAX_QUERY_LENGTH)


def _int_or_none(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    # Ids are positive 64-bit integers: anything else would overflow the database's integer.
    return number if 0 < number < 2**63 else None


# Getters ------------------------------------------------------------------------------------


def country_get(pk: Any) -> Country:
    return get_or_404(Country.objects.all(), pk)


def region_get(pk: Any) -> Region:
    return get_or_404(Region.objects.select_related("country"), pk)


def department_get(pk: Any) -> Department:
    return get_or_404(Department.objects.select_related("country", "region"), pk)


def city_get(pk: Any) -> City:
    return get_or_404(
        City.objects.select_related("country", "department", "region").prefetch_related(
            Prefetch("postal_codes", queryset=PostalCode.objects.order_by("code"))
        ),
        pk,
    )


# Choices for filters and forms -----------------------------------------------------------------


def countries_by_name(queryset: QuerySet[Country] | None = None) -> QuerySet[Country]:
    """Countries ordered by their name in the current language (French: the folded French name,
    which leads ``search_key``, so that "Égypte" sorts under E)."""
    qs = queryset if queryset is not None else Country.objects.all()
    return qs.order_by("search_key" if _french() else "name_en", "id")


def country_choices() -> list[Country]:
    """Every country, for the list filters. Queries: 1."""
    return list(countries_by_name().only("id", "code", "name_fr", "name_en", "search_key"))


def regions_of(country_id: int | None) -> QuerySet[Region]:
    if country_id is None:
        return Region.objects.none()
    return Region.objects.filter(country_id=country_id).order_by("name_key", "id")


def departments_of(country_id: int | None) -> QuerySet[Department]:
    if country_id is None:
        return Department.objects.none()
    return Department.objects.filter(country_id=country_id).order_by("code", "id")


@dataclass
class Filters:
    """The list filters read from the URL: unknown or malformed values are dropped."""

    countries: list[Country]
    country: Country | None = None
    # Regions or departments of the chosen country, for the second filter.
    subdivisions: list[Any] | None = None
    subdivision: Any = None


def read_filters(params: Any, *, subdivision: str | None = None) -> Filters:
    """The country (by ISO code) and, within it, the region or department (by id) to filter on.

    Queries: 1 (the countries), and 1 more (the country's regions or departments) when a known
    country is chosen and ``subdivision`` is "region" or "department".
    """
    countries = country_choices()
    code = str(params.get("country") or "").strip().upper()[:2]
    country = next((c for c in countries if c.code == code), None) if code else None
    filters = Filters(countries=countries, country=country)
    if country is None or subdivision is None:
        return filters
    qs = regions_of(country.pk) if subdivision == "region" else departments_of(country.pk)
    filters.subdivisions = list(qs.only("id", "code", "name", "country_id"))
    wanted = _int_or_none(params.get(subdivision))
    filters.subdivision = next((s for s in filters.subdivisions if s.pk == wanted), None)
    return filters


# Lists ----------------------------------------------------------------------------------------


def countries_page(*, q: str, sort: str | None, cursor: str | None) -> tuple[Page[Country], str]:
    """One page of countries and the sort applied. Queries: 1 (the page)."""
    # The name in the current language; in French the folded French name, which leads search_key.
    sorts = {"code": "code", "name": "search_key" if _french() else "name_en"}
    shown, column = _sort_key(sorts, sort, "name")
    qs = Country.objects.all()
    key = fold(clean_query(q))
    if key:
        qs = qs.filter(search_key__contains=key)
    return keyset_page(qs, sort=column, cursor=cursor, per_page=CONFIG_PAGE_SIZE), shown


REGION_SORTS = {"name": "name_key", "code": "code"}


def regions_page(
    *, q: str, country: Country | None, sort: str | None, cursor: str | None
) -> tuple[Page[Region], str]:
    """One page of regions with their country. Queries: 1 (the page joined to the countries)."""
    shown, column = _sort_key(REGION_SORTS, sort, "name")
    qs = Region.objects.select_related("country")
    if country is not None:
        qs = qs.filter(country=country)
    q = clean_query(q)
    if q:
        qs = qs.filter(Q(name_key__contains=fold(q)) | Q(code__iexact=q))
    return keyset_page(qs, sort=column, cursor=cursor, per_page=CONFIG_PAGE_SIZE), shown


DEPARTMENT_SORTS = {"code": "code", "name": "name_key"}


def departments_page(
    *,
    q: str,
    country: Country | None,
    region: Region | None,
    sort: str | None,
    cursor: str | None,
) -> tuple[Page[Department], str]:
    """One page of departments with their country and region.

    Queries: 1 (the page joined to the countries and regions).
    """
    shown, column = _sort_key(DEPARTMENT_SORTS, sort, "code")
    qs = Department.objects.select_related("country", "region")
    if country is not None:
        qs = qs.filter(country=country)
    if region is not None:
        qs = qs.filter(region=region)
    q = clean_query(q)
    if q:
        # "75" finds 75 Paris by its code, "paris" by its name.
        qs = qs.filter(Q(name_key__contains=fold(q)) | Q(code__iexact=q))
    return keyset_page(qs, sort=column, cursor=cursor, per_page=CONFIG_PAGE_SIZE), shown


CITY_SORTS = {"name": "name_key", "insee_code": "insee_code"}


def city_search(qs: QuerySet[City], q: str) -> QuerySet[City]:
    """Cities matching a search: a query holding a digit is a code (postal code prefix, or INSEE
    code: "750" finds 75001 to 75020, "75056" Paris); any other query is part of the name,
    ignoring case and accents ("montreui" finds Montreuil, "saint-d" Saint-Denis).

    The postal codes are matched in a subquery, so a city with several matching codes is listed
    once. On PostgreSQL the code prefix uses the postal code pattern index, the name the trigram
    index, the INSEE code the (insee_code, id) index.

    A code search costs one more query: a bounded count of the matching postal codes picks the
    plan. Few matches ("75001", or a code nobody has): collect those cities, then sort them.
    Many ("7", a tenth of France): walk the page's order and test each city, a match comes
    soon. The other way round each takes 400 ms at a million cities instead of 1 to 20 ms.
    """
    q = clean_query(q)
    if not q:
        return qs
    if any(ch.isdigit() for ch in q):
        code = q.upper()
        postal = PostalCode.objects.filter(code__startswith=code).order_by()
        by_postal_code = postal.values("city_id")
        insee = "".join(code.split())
        matches = postal[:DENSE_POSTAL_MATCHES].count()
        if matches < DENSE_POSTAL_MATCHES:
            by_insee = City.objects.filter(insee_code=insee).order_by().values("id")
            return qs.filter(id__in=by_postal_code.union(by_insee))
        return qs.filter(Q(id__in=by_postal_code) | Q(insee_code=insee))
    return qs.filter(name_key__contains=fold(q))


def cities_page(
    *,
    q: str,
    country: Country | None,
    department: Department | None,
    sort: str | None,
    cursor: str | None,
) -> tuple[Page[City], str]:
    """One page of cities with their country, department, region and postal codes.

    Ordered by (name_key, id) or (insee_code, id), each served by an index, so page 40,000
    costs what page 1 costs. Queries: 2 (the page joined to countries, departments and regions;
    the page's postal codes).
    """
    shown, column = _sort_key(CITY_SORTS, sort, "name")
    qs = City.objects.select_related("country", "department", "region")
    if country is not None:
        qs = qs.filter(country=country)
    if department is not None:
        qs = qs.filter(department=department)
    page = keyset_page(city_search(qs, q), sort=column, cursor=cursor, per_page=CONFIG_PAGE_SIZE)
    prefetch_related_objects(
        page.rows,
        Prefetch("postal_codes", queryset=PostalCode.objects.order_by("code").only("code", "city")),
    )
    return page, shown
