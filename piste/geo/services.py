"""Writes on the territory referentials: countries, regions, departments, cities and their postal
codes. Shared by every company: the timeline entries have no company (``company_id=None``).

Each service validates the whole row (the form only checks the input's shape), so the pages,
the API and the importers get the same errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from piste.core.access import Actor
from piste.core.models import Activity
from piste.core.timeline import activity_record, diff_fields, snapshot
from piste.geo.models import Address, City, Country, Department, PostalCode, Region

P = TypeVar("P", bound=models.Model)

COUNTRY_FIELDS = ["name_fr", "name_en", "is_active"]
REGION_FIELDS = ["country", "code", "name"]
DEPARTMENT_FIELDS = ["country", "region", "code", "name"]
CITY_FIELDS = ["name", "country", "department", "region", "insee_code", "latitude", "longitude"]

# Region and department codes: INSEE ("11", "2A", "971") or GeoNames admin codes ("A8", "75").
CODE_RE = re.compile(r"^[0-9A-Za-z._-]+$")
# Postal codes of every country: "75001", "SW1A 1AA", "1011 AB", "00-950", "H2X 1Y4".
POSTAL_CODE_RE = re.compile(r"^[0-9A-Z](?:[0-9A-Z -]*[0-9A-Z])?$")
POSTAL_CODE_MAX_LENGTH = 20
MAX_POSTAL_CODES = 100
# French INSEE commune codes: 5 digits, or 2A/2B (Corsica) and 3 digits.
FRENCH_INSEE_RE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
INSEE_RE = re.compile(r"^[0-9A-Z]+$")
LATITUDE_LIMIT = Decimal(90)
LONGITUDE_LIMIT = Decimal(180)


# Postal codes --------------------------------------------------------------------------------


def split_postal_codes(text: str) -> list[str]:
    """The codes of a typed list: "75001, 75002 75003" gives three codes.

    Commas, semicolons and new lines always separate codes; spaces separate them only when every
    word is a number, so that "SW1A 1AA" or "1011 AB" stay one code.
    """
    codes: list[str] = []
    for piece in re.split(r"[,;\n\r]+", text or ""):
        words = piece.split()
        if words and all(word.isdigit() for word in words):
            codes.extend(words)
        elif words:
            codes.append(" ".join(words))
    return codes


def normalize_postal_codes(codes: Iterable[str]) -> list[str]:
    """Upper-cased, single-spaced, without repeats and sorted; ValidationError naming the bad
    codes (characters other than letters, digits, spaces and hyphens; too long; too many)."""
    found: set[str] = set()
    errors: list[str] = []
    for raw in codes:
        code = " ".join(str(raw).split()).upper()
        if not code or code in found:
            continue
        if len(code) > POSTAL_CODE_MAX_LENGTH:
            errors.append(
                _("“%(code)s” is longer than %(max)d characters.")
                % {"code": code[:40], "max": POSTAL_CODE_MAX_LENGTH}
            )
        elif not POSTAL_CODE_RE.match(code):
            errors.append(
                _("“%(code)s” is not a postal code: use letters, digits, spaces and hyphens.")
                % {"code": code[:40]}
            )
        else:
            found.add(code)
    if len(found) > MAX_POSTAL_CODES:
        errors.append(_("A city has at most %(max)d postal codes.") % {"max": MAX_POSTAL_CODES})
    if errors:
        raise ValidationError({"postal_codes": errors[:10]})
    return sorted(found)


def _postal_codes_text(codes: Iterable[str]) -> str | None:
    return ", ".join(sorted(codes)) or None


def _set_postal_codes(city: City, codes: list[str] | None) -> dict[str, Any] | None:
    """Make the city's postal codes exactly ``codes`` (None: keep them), keeping the rows, and
    their delivery labels, of the codes that stay; the timeline change, or None."""
    existing = {pc.code: pc for pc in PostalCode.objects.filter(city=city)}
    wanted = set(existing) if codes is None else set(codes)
    removed = [pc.pk for code, pc in existing.items() if code not in wanted]
    if removed:
        PostalCode.objects.filter(pk__in=removed).delete()
    PostalCode.objects.bulk_create(
        PostalCode(country_id=city.country_id, code=code, city=city)
        for code in sorted(wanted - set(existing))
    )
    # The codes follow their city into another country.
    PostalCode.objects.filter(city=city).exclude(country_id=city.country_id).update(
        country_id=city.country_id
    )
    before, after = _postal_codes_text(existing), _postal_codes_text(wanted)
    if before == after:
        return None
    return {"field": "postal_codes", "from": before, "to": after}


# Shared checks ----------------------------------------------------------------------------------


def _tidy_name(obj: Any) -> None:
    obj.name = " ".join((obj.name or "").split())


def _full_clean(obj: models.Model, errors: dict[str, list]) -> dict[str, list]:
    try:
        # The unique constraints are checked by the callers, with messages naming the clash.
        obj.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    return errors


def _add(errors: dict[str, list], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _check_code(obj: Region | Department, errors: dict[str, list]) -> None:
    obj.code = (obj.code or "").strip()
    if obj.code and not CODE_RE.match(obj.code):
        _add(errors, "code", _("Use letters, digits, dots, hyphens and underscores only."))
        return
    if not obj.code or not obj.country_id:
        return
    clash = (
        type(obj).objects.filter(country_id=obj.country_id, code=obj.code).exclude(pk=obj.pk)
    ).first()
    if clash is not None:
        _add(
            errors,
            "code",
            _("“%(other)s” already has the code %(code)s in this country.")
            % {"other": clash.name, "code": obj.code},
        )


def _check_country_move(obj: Region | Department, errors: dict[str, list]) -> None:
    """A region or department with cities (or departments) keeps its country: moving it alone
    would leave them in the other country."""
    if obj.pk is None:
        return
    saved = type(obj).objects.filter(pk=obj.pk).values_list("country_id", flat=True).first()
    if saved is None or saved == obj.country_id:
        return
    used = obj.cities.exists() or (isinstance(obj, Region) and obj.departments.exists())
    if used:
        _add(
            errors,
            "country",
            _("It has departments or cities in its country: its country cannot change."),
        )


def _raise(errors: dict[str, list]) -> None:
    if errors:
        raise ValidationError(errors)


def _save(obj: P, *, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            obj.save(update_fields=update_fields)
    except IntegrityError as exc:  # a concurrent save of the same code
        raise ValidationError(
            _("Another user saved the same code at the same time. Check and save again.")
        ) from exc


def _record_changes(*, actor: Actor, obj: models.Model, changes: list[dict]) -> None:
    if changes:
        activity_record(
            obj=obj,
            verb=Activity.Verb.CHANGED,
            actor=actor.user,
            data={"changes": changes},
            company_id=None,
        )


def _refuse_if_used(obj: models.Model, uses: list[tuple[int, str]], advice: str) -> None:
    parts = [text for count, text in uses if count]
    if parts:
        raise ValidationError(
            _("“%(name)s” cannot be deleted: it is still used by %(uses)s. %(advice)s")
            % {"name": obj, "uses": ", ".join(parts), "advice": advice}
        )


def _delete(*, actor: Actor, obj: models.Model, uses: list[tuple[int, str]], advice: str) -> None:
    _refuse_if_used(obj, uses, advice)
    # The row goes, its timeline stays: who deleted what, and when, remains readable in audits.
    activity_record(
        obj=obj,
        verb=Activity.Verb.DELETED,
        actor=actor.user,
        data={"message": str(obj)},
        company_id=None,
    )
    try:
        with transaction.atomic():
            obj.delete()
    except models.ProtectedError as exc:  # a use created meanwhile, or one not counted above
        raise ValidationError(
            _("“%(name)s” cannot be deleted: it is still used by other records. %(advice)s")
            % {"name": obj, "advice": advice}
        ) from exc


def _regions(count: int) -> tuple[int, str]:
    return count, ngettext("%(count)d region", "%(count)d regions", count) % {"count": count}


def _departments(count: int) -> tuple[int, str]:
    text = ngettext("%(count)d department", "%(count)d departments", count)
    return count, text % {"count": count}


def _cities(count: int) -> tuple[int, str]:
    return count, ngettext("%(count)d city", "%(count)d cities", count) % {"count": count}


def _addresses(count: int) -> tuple[int, str]:
    text = ngettext("%(count)d address", "%(count)d addresses", count)
    return count, text % {"count": count}


# Countries -----------------------------------------------------------------------------------


def _update(
    *,
    actor: Actor,
    obj: P,
    allowed: Iterable[str],
    data: dict[str, Any],
    validate: Callable[[P], None],
) -> None:
    """Set the allowed fields from ``data``, validate, save only what changed, record it."""
    fields = [name for name in allowed if name in data]
    before = snapshot(obj, fields)
    for name in fields:
        setattr(obj, name, data[name])
    validate(obj)
    changes = diff_fields(before, obj, fields)
    if changes:
        _save(obj, update_fields=[c["field"] for c in changes])
    _record_changes(actor=actor, obj=obj, changes=changes)


@transaction.atomic
def country_update(*, actor: Actor, country: Country, data: dict[str, Any]) -> Country:
    """Names and active flag; the ISO codes never change."""
    tidy = {k: " ".join(v.split()) if isinstance(v, str) else v for k, v in data.items()}
    _update(
        actor=actor,
        obj=country,
        allowed=COUNTRY_FIELDS,
        data=tidy,
        validate=lambda c: _raise(_full_clean(c, {})),
    )
    return country


@transaction.atomic
def country_delete(*, actor: Actor, country: Country) -> None:
    uses = [
        _regions(country.regions.count()),
        _departments(country.departments.count()),
        _cities(country.cities.count()),
        _addresses(Address.objects.filter(country=country).count()),
    ]
    _delete(
        actor=actor,
        obj=country,
        uses=uses,
        advice=_("Deactivate it instead: it will no longer be offered in forms."),
    )


# Regions --------------------------------------------------------------------------------------


def _validate_region(region: Region) -> None:
    _tidy_name(region)
    errors = _full_clean(region, {})
    _check_code(region, errors)
    _check_country_move(region, errors)
    _raise(errors)


@transaction.atomic
def region_create(*, actor: Actor, data: dict[str, Any]) -> Region:
    region = Region(**{name: data[name] for name in REGION_FIELDS if name in data})
    _validate_region(region)
    _save(region)
    activity_record(obj=region, verb=Activity.Verb.CREATED, actor=actor.user, company_id=None)
    return region


@transaction.atomic
def region_update(*, actor: Actor, region: Region, data: dict[str, Any]) -> Region:
    _update(actor=actor, obj=region, allowed=REGION_FIELDS, data=data, validate=_validate_region)
    return region


@transaction.atomic
def region_delete(*, actor: Actor, region: Region) -> None:
    uses = [_departments(region.departments.count()), _cities(region.cities.count())]
    _delete(
        actor=actor,
        obj=region,
        uses=uses,
        advice=_("Move them to another region first."),
    )


# Departments ----------------------------------------------------------------------------------


def _validate_department(department: Department) -> None:
    _tidy_name(department)
    errors = _full_clean(department, {})
    _check_code(department, errors)
    _check_country_move(department, errors)
    region = department.region
    if region is not None and department.country_id and region.country_id != department.country_id:
        _add(errors, "region", _("Choose a region of the department's country."))
    _raise(errors)


@transaction.atomic
def department_create(*, actor: Actor, data: dict[str, Any]) -> Department:
    department = Department(**{name: data[name] for name in DEPARTMENT_FIELDS if name in data})
    _validate_department(department)
    _save(department)
    activity_record(obj=department, verb=Activity.Verb.CREATED, actor=actor.user, company_id=None)
    return department


@transaction.atomic
def department_update(*, actor: Actor, department: Department, data: dict[str, Any]) -> Department:
    _update(
        actor=actor,
        obj=department,
        allowed=DEPARTMENT_FIELDS,
        data=data,
        validate=_validate_department,
    )
    return department


@transaction.atomic
def department_delete(*, actor: Actor, department: Department) -> None:
    uses = [_cities(department.cities.count())]
    _delete(
        actor=actor,
        obj=department,
        uses=uses,
        advice=_("Move its cities to another department first."),
    )


# Cities ---------------------------------------------------------------------------------------


def _validate_city(city: City) -> None:
    _tidy_name(city)
    city.insee_code = "".join((city.insee_code or "").split()).upper()
    errors = _full_clean(city, {})
    country_id = city.country_id
    department, region = city.department, city.region
    if department is not None and country_id and department.country_id != country_id:
        _add(errors, "department", _("Choose a department of the city's country."))
    if region is None and department is not None and department.region_id:
        # The region follows from the department when left empty.
        city.region = region = department.region
    if region is not None and country_id and region.country_id != country_id:
        _add(errors, "region", _("Choose a region of the city's country."))
    code = city.insee_code
    if code:
        if not INSEE_RE.match(code):
            _add(errors, "insee_code", _("Use letters and digits only."))
        elif city.country_id and city.country.code == "FR" and not FRENCH_INSEE_RE.match(code):
            _add(
                errors,
                "insee_code",
                _("A French INSEE code has 5 digits, or 2A or 2B then 3 digits (Corsica)."),
            )
        elif country_id:
            clash = City.objects.filter(country_id=country_id, insee_code=code).exclude(pk=city.pk)
            other = clash.first()
            if other is not None:
                _add(
                    errors,
                    "insee_code",
                    _("%(city)s already has the INSEE code %(code)s.")
                    % {"city": other.name, "code": code},
                )
    for field, limit in (("latitude", LATITUDE_LIMIT), ("longitude", LONGITUDE_LIMIT)):
        value = getattr(city, field)
        if value is not None and not (-limit <= Decimal(value) <= limit):
            _add(
                errors,
                field,
                _("Enter a value between %(min)s and %(max)s.") % {"min": -limit, "max": limit},
            )
    _raise(errors)


@transaction.atomic
def city_create(*, actor: Actor, data: dict[str, Any], postal_codes: Iterable[str] = ()) -> City:
    city = City(**{name: data[name] for name in CITY_FIELDS if name in data})
    errors: dict[str, list] = {}
    try:
        codes = normalize_postal_codes(postal_codes)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        _validate_city(city)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    _raise(errors)
    _save(city)
    _set_postal_codes(city, codes)
    activity_record(obj=city, verb=Activity.Verb.CREATED, actor=actor.user, company_id=None)
    return city


@transaction.atomic
def city_update(
    *, actor: Actor, city: City, data: dict[str, Any], postal_codes: Iterable[str] | None = None
) -> City:
    """Change the city's fields and, when ``postal_codes`` is given, make them its codes."""
    fields = [name for name in CITY_FIELDS if name in data]
    before = snapshot(city, fields)
    for name in fields:
        setattr(city, name, data[name])
    errors: dict[str, list] = {}
    codes: list[str] | None = None
    if postal_codes is not None:
        try:
            codes = normalize_postal_codes(postal_codes)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    try:
        _validate_city(city)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    _raise(errors)
    # "region" may have been filled from the department.
    changes = diff_fields(before, city, [*fields, *(["region"] if "region" not in fields else [])])
    if changes:
        _save(city, update_fields=[*(c["field"] for c in changes), "updated_at"])
    if codes is not None or changes:
        postal_change = _set_postal_codes(city, codes)
        if postal_change:
            changes.append(postal_change)
    _record_changes(actor=actor, obj=city, changes=changes)
    return city


@transaction.atomic
def city_delete(*, actor: Actor, city: City) -> None:
    """Refused while addresses point at the city; its postal codes go with it."""
    uses = [_addresses(Address.objects.filter(city=city).count())]
    _delete(
        actor=actor,
        obj=city,
        uses=uses,
        advice=_("Point those addresses at another city first."),
    )
