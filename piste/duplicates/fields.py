"""The fields a duplicate check compares, per kind of record: what the user ticks, the columns a
scan reads for it and how their values are normalised (``piste.duplicates.normalise``).

A field's ``key`` builds, once per scan, the function turning a row's columns into the field's
normalised value: "" when the record has none (the record is then left out of the check), or,
for a multi-valued field (phones), the set of its values, each of which may match. Normalisers
are cached per scan where values repeat across records (first names, company names, cities,
job titles): the cache costs a dictionary look-up where folding a name costs ten times more.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from piste.duplicates.models import Entity
from piste.duplicates.normalise import norm_company, norm_email, norm_phone, norm_text
from piste.partners.models import PartnerType

# Distinct values a per-scan cache keeps (names, companies, cities): enough for the repeats of
# a million records, bounded so a scan of unique values does not hold them all twice.
CACHE_SIZE = 1 << 18

# What a built field returns for one row's columns: its normalised value, or its set of values.
Key = Callable[..., Any]


def _cached(function: Callable[[Any], str]) -> Callable[[Any], str]:
    return lru_cache(maxsize=CACHE_SIZE)(function)


def _text() -> Key:
    return _cached(norm_text)


def _company() -> Key:
    return _cached(norm_company)


def _words() -> Callable[[Any], tuple[str, ...]]:
    return lru_cache(maxsize=CACHE_SIZE)(lambda value: tuple(norm_text(value).split()))


def _person() -> Key:
    """``norm_person`` over the columns, each column's words cached: first and last names repeat
    far more than the pairs do."""
    words = _words()

    def key(*parts: Any) -> str:
        found = [w for part in parts for w in words(part)]
        found.sort()
        return " ".join(found)

    return key


def _partner_name() -> Key:
    """An organisation by its company name (without legal form), a person by their names."""
    company, person = _company(), _person()

    def key(partner_type: str, first_name: str, name: str) -> str:
        if partner_type == PartnerType.INDIVIDUAL:
            return person(first_name, name)
        return company(name)

    return key


def _partner_company() -> Key:
    """Organisations only: a person's name is no company name."""
    company = _company()

    def key(partner_type: str, name: str) -> str:
        return "" if partner_type == PartnerType.INDIVIDUAL else company(name)

    return key


def _email() -> Key:
    return norm_email


def _phones() -> Key:
    def key(*phones: Any) -> frozenset[str]:
        found = set()
        for phone in phones:
            if phone:
                # Stored phones are E.164 already (the services normalise them): most skip the
                # parser and its cache, which a million distinct numbers would only churn.
                plus = phone[0] == "+" and phone[1:].isdigit()
                found.add(phone if plus else norm_phone(phone))
        found.discard("")
        return frozenset(found)

    return key


def _siren() -> Key:
    def key(value: Any) -> str:
        return "".join(ch for ch in str(value or "") if ch.isdigit())

    return key


def _domain(ignored: Collection[str]) -> Key:
    """An address's domain, except the public ones (gmail.com…) the company listed: two people
    writing from gmail.com are no duplicates."""

    def key(value: Any) -> str:
        domain = norm_email(value)
        return "" if domain in ignored else domain

    return key


@dataclass(frozen=True)
class CheckField:
    key: str
    label: Promise
    # What a scan reads for it: values_list names (``__`` through relations).
    columns: tuple[str, ...]
    # Builds the per-scan normaliser: it takes the columns' values, in order.
    build: Callable[..., Key]
    multi: bool = False
    # Whether the builder takes the company's ignored email domains.
    needs_domains: bool = False

    def normaliser(self, ignored_domains: Collection[str] = ()) -> Key:
        return self.build(frozenset(ignored_domains)) if self.needs_domains else self.build()


def _field(key: str, label: Promise, columns: tuple[str, ...], build: Callable[..., Key],
           **extra: Any) -> CheckField:  # fmt: skip
    return CheckField(key=key, label=label, columns=columns, build=build, **extra)


_EMAIL = _field("email", _("Email"), ("email_key",), _email)
_PHONE = _field("phone", _("Phone"), ("fixed_phone", "mobile_phone"), _phones, multi=True)
_DOMAIN = _field("email_domain", _("Email domain"), ("email_domain",), _domain, needs_domains=True)
_JOB_TITLE = _field("job_title", _("Job title"), ("job_title__name",), _text)

FIELDS: dict[str, dict[str, CheckField]] = {
    Entity.LEAD: {
        f.key: f
        for f in (
            _field("name", _("Name"), ("first_name", "last_name"), _person),
            _field("company", _("Company"), ("enterprise_name",), _company),
            _JOB_TITLE,
            _EMAIL,
            _PHONE,
            _field("city", _("City"), ("city_name",), _text),
            _field("siren", _("SIREN"), ("siren",), _siren),
            _DOMAIN,
        )
    },
    Entity.PARTNER: {
        f.key: f
        for f in (
            _field("name", _("Name"), ("partner_type", "first_name", "name"), _partner_name),
            _field("company", _("Company name"), ("partner_type", "name"), _partner_company),
            _EMAIL,
            _PHONE,
            _field("city", _("City"), ("city_name",), _text),
            _field("siren", _("SIREN"), ("siren",), _siren),
            _DOMAIN,
        )
    },
    Entity.CONTACT: {
        f.key: f
        for f in (
            _field("name", _("Name"), ("first_name", "last_name"), _person),
            _field("company", _("Company"), ("main_partner__name",), _company),
            _JOB_TITLE,
            _EMAIL,
            _PHONE,
            _field("city", _("City"), ("address__city_name",), _text),
            _DOMAIN,
        )
    },
}

# What a check compares unless the user ticks otherwise, and what the scheduled scan compares.
DEFAULTS: dict[str, tuple[str, ...]] = {
    Entity.LEAD: ("name", "company"),
    Entity.PARTNER: ("name",),
    Entity.CONTACT: ("name", "company"),
}


def entity_clean(entity: object) -> str:
    if entity not in Entity.values:
        raise ValidationError(
            _("Duplicates are checked on leads, partners or contacts only."), code="entity"
        )
    return str(entity)


def fields_clean(entity: str, keys: Collection[object]) -> list[str]:
    """The chosen field keys, in the order given, once each; refused when empty or unknown."""
    known = FIELDS[entity_clean(entity)]
    chosen: list[str] = []
    for key in keys:
        if key not in known:
            raise ValidationError(
                _("“%(field)s” is not a field duplicates can be checked on.")
                % {"field": str(key)[:50]},
                code="field",
            )
        if key not in chosen:
            chosen.append(str(key))
    if not chosen:
        raise ValidationError(_("Choose at least one field to compare."), code="no_field")
    return chosen


def field_labels(entity: str, keys: Collection[str]) -> list[str]:
    """The labels of stored field keys (a key no longer offered shows as itself)."""
    known = FIELDS.get(entity, {})
    return [str(known[k].label) if k in known else str(k) for k in keys]
