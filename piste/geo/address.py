"""Addresses of any record: the city autocomplete (a selector) and ``address_save`` (a service).

Reuse on a record (a company, a lead, a partner, a contact…):

1. the model holds ``address = models.OneToOneField("geo.Address", null=True, blank=True,
   on_delete=models.SET_NULL, related_name="+")``;
2. its page builds ``AddressForm(posted(request), address=record.address)`` (prefix
   ``"address"``, see ``piste.geo.forms``) beside the record's own form, validates both, and
   renders ``{% include "components/address_fields.html" with address_form=address_form %}``
   inside the record's ``<form>`` (``static/piste/address.js``, loaded by ``base.html``, makes the
   postal code and city fields suggest cities from ``GET /geo/cities/suggest/``);
3. the record's create/update service takes the form's ``cleaned_data`` and, inside its own
   transaction, calls ``record.address = address_save(address=record.address, data=...)`` and
   writes the timeline with ``address_label`` before and after (an address has no timeline of its
   own: it belongs to its record).

``address_save`` keeps the address coherent: a city from the referential gives its name and
country (and its postal code when the city has exactly one and none was typed); a city unknown to
the referential is free text in ``city_name`` with no ``city``. An address with no line, postal
code or city is no address: nothing is stored (an existing one is deleted and ``None`` returned).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from piste.core.search import prefix_q
from piste.core.text import fold, search_text
from piste.geo.models import Address, City, Country, PostalCode

# Queries shorter than this suggest nothing: one character matches too much to be useful.
MIN_QUERY_LENGTH = 2
# Rows read through the prefix index before ranking in Python: bounded whatever the referential's
# size (1,000,000 cities included), so a short prefix costs no more than a long one.
CANDIDATES = 200
MAX_LIMIT = 50
MAX_QUERY_LENGTH = 1000
_TEXT_FIELDS = ("line1", "line2", "line3", "postal_code", "city_name")


class CitySuggestion(TypedDict):
    """One suggestion of the city autocomplete (also the JSON shape of the endpoint)."""

    city_id: int
    name: str
    postal_code: str
    department_code: str
    department: str
    region: str
    country_id: int
    country_code: str
    country: str


# Selector ------------------------------------------------------------------------------------


_COLUMNS = (
    "name",
    "name_key",
    "population",
    "department__code",
    "department__name",
    "region__name",
    "department__region__name",
    "country_id",
    "country__code",
    "country__name_fr",
    "country__name_en",
)


def _suggestion(
    row: Mapping[str, Any], city_prefix: str, postal_code: str | None
) -> CitySuggestion:
    french = (get_language() or "fr").startswith("fr")
    return {
        "city_id": row[f"{city_prefix}id"],
        "name": row[f"{city_prefix}name"],
        "postal_code": postal_code or "",
        "department_code": row[f"{city_prefix}department__code"] or "",
        "department": row[f"{city_prefix}department__name"] or "",
        "region": (
            row[f"{city_prefix}region__name"] or row[f"{city_prefix}department__region__name"] or ""
        ),
        "country_id": row[f"{city_prefix}country_id"],
        "country_code": row[f"{city_prefix}country__code"],
        "country": row[
            f"{city_prefix}country__name_fr" if french else f"{city_prefix}country__name_en"
        ],
    }


def city_suggestions(q: str, country: str | None = None, limit: int = 10) -> list[CitySuggestion]:
    """Cities matching what is typed in an address's postal code or city field.

    - digits (spaces ignored), "75011", "750": postal codes starting with them, one suggestion
      per (postal code, city); exact code first, then by code, larger cities first;
    - anything else, "Montreui", "MONTRÉUIL": cities whose name starts with it ignoring case and
      accents, one suggestion per (city, postal code) or the city alone when it has none; exact
      name first, then larger cities first, then by name.

    ``country`` (an ISO code such as "FR") keeps that country's cities. Queries shorter than two
    characters, or too long to be a postal code or a city, suggest nothing.

    Queries: 2, each with a plan that does not grow with the referential: the ids of the first
    ``CANDIDATES`` matching rows through the prefix index, then those rows joined to their city,
    department, region, country (and postal codes); ranked in Python. 1 when nothing matches,
    none for a query too short or too long to suggest anything.
    """
    if len(q or "") > MAX_QUERY_LENGTH:
        return []  # no city is named so: not worth folding
    text = search_text(q, MAX_QUERY_LENGTH)
    limit = max(0, min(limit, MAX_LIMIT))
    code = (country or "").strip().upper()
    digits = "".join(text.split())
    if not limit:
        return []
    if digits.isascii() and digits.isdigit():
        max_length = PostalCode._meta.get_field("code").max_length or 20
        if not MIN_QUERY_LENGTH <= len(digits) <= max_length:
            return []
        return _by_postal_code(digits, code, limit)
    key = fold(text)
    if not MIN_QUERY_LENGTH <= len(key) <= (City._meta.get_field("name_key").max_length or 200):
        return []
    return _by_name(key, code, limit)


def _country_filter(code: str) -> Q:
    # Anything but a two-letter code is no filter (the widget sends the selected country's code).
    # A semi-join on the country's code: the planner looks the country up once.
    if len(code) == 2 and code.isascii() and code.isalpha():
        return Q(country_id__in=Country.objects.filter(code=code).values("id"))
    return Q()


def _candidates(
    model: type[City] | type[PostalCode], field: str, prefix: str, country: str
) -> list[int]:
    """Ids of the first ``CANDIDATES`` rows whose ``field`` starts with ``prefix``.

    A query of its own, on one table: the planner walks the prefix index and stops early, and no
    join can talk it into another plan. No ORDER BY: the pattern index has no ordinary order to
    sort by (ordering would sort every match), and ranking happens in Python.
    """
    return list(
        model.objects.filter(prefix_q(field, prefix), _country_filter(country))
        .order_by()
        .values_list("id", flat=True)[:CANDIDATES]
    )


def _by_postal_code(digits: str, country: str, limit: int) -> list[CitySuggestion]:
    ids = _candidates(PostalCode, "code", digits, country)
    if not ids:
        return []
    rows = list(
        PostalCode.objects.filter(id__in=ids)
        .order_by()
        .values("code", "city_id", *(f"city__{c}" for c in _COLUMNS))
    )
    rows.sort(
        key=lambda r: (r["code"] != digits, r["code"], -r["city__population"], r["city__name_key"])
    )
    return [_suggestion({"city__id": r["city_id"], **r}, "city__", r["code"]) for r in rows[:limit]]


def _by_name(key: str, country: str, limit: int) -> list[CitySuggestion]:
    ids = _candidates(City, "name_key", key, country)
    if not ids:
        return []
    rows = list(
        City.objects.filter(id__in=ids)
        .order_by()
        # The LEFT JOIN gives one row per (city, postal code), and the city alone without any.
        .values("id", *_COLUMNS, "postal_codes__code")
    )
    rows.sort(
        key=lambda r: (
            r["name_key"] != key,
            -r["population"],
            r["name_key"],
            r["id"],
            r["postal_codes__code"] or "",
        )
    )
    return [_suggestion(r, "", r["postal_codes__code"]) for r in rows[:limit]]


# Service -------------------------------------------------------------------------------------


def address_label(address: Address | None) -> str:
    """The address on one line, as the timeline shows it ("" for no address)."""
    return str(address) if address is not None else ""


def _coherent(data: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: " ".join(str(data.get(name) or "").split()) for name in _TEXT_FIELDS
    }
    city: City | None = data.get("city")
    country: Country | None = data.get("country")
    if city is not None:
        # The referential's city decides the name and the country; a typed postal code stays (a
        # CEDEX code is not in the referential), an empty one takes the city's only code.
        values["city_name"] = city.name
        country = city.country
        if not values["postal_code"]:
            codes = list(city.postal_codes.values_list("code", flat=True)[:2])
            if len(codes) == 1:
                values["postal_code"] = codes[0]
    values["city"] = city
    values["country"] = country
    for name in _TEXT_FIELDS:
        field = Address._meta.get_field(name)
        max_length = getattr(field, "max_length", None)
        if max_length and len(values[name]) > max_length:
            raise ValidationError(
                _("%(field)s: %(max)d characters at most.")
                % {
                    "field": str(getattr(field, "verbose_name", name)).capitalize(),
                    "max": max_length,
                }
            )
    return values


# No savepoint: called inside the record's own transaction, its failure fails the record's save.
@transaction.atomic(savepoint=False)
def address_save(*, address: Address | None, data: Mapping[str, Any]) -> Address | None:
    """Create, update or delete an address from ``data`` and return what the record should hold.

    ``data``: ``line1``, ``line2``, ``line3``, ``postal_code``, ``city_name`` (strings; missing
    keys are empty), ``city`` (a ``City`` or None) and ``country`` (a ``Country`` or None), as
    ``AddressForm.cleaned_data`` gives them. Returns the saved address, or None when ``data``
    holds no address (an existing ``address`` is then deleted: records point at it with
    ``on_delete=SET_NULL``). The caller stores the result on its record and writes its timeline.
    """
    values = _coherent(data)
    if not any(values[name] for name in (*_TEXT_FIELDS, "city")):
        if address is not None and address.pk is not None:
            address.delete()
        return None
    if address is None or address.pk is None:
        return Address.objects.create(**values)
    changed = [name for name in _TEXT_FIELDS if getattr(address, name) != values[name]]
    for name in ("city", "country"):
        new = values[name]
        if getattr(address, f"{name}_id") != (new.pk if new is not None else None):
            changed.append(name)
    for name in changed:
        setattr(address, name, values[name])
    if changed:
        address.save(update_fields=changed)
    return address
