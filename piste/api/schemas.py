"""Shared pieces of the API's schemas: bounded ids and texts, the error body, related ids.

Every text an endpoint accepts has a maximum length and refuses NUL characters (PostgreSQL
cannot store them): a 1 MB string or a ``\\x00`` is a 422 naming the field, never a 500. Ids are
positive 64-bit integers, so a huge id is refused before any query.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from piste.core.access import Actor
from piste.core.html import MAX_HTML_LENGTH
from piste.geo.models import Address, City, Country

M = TypeVar("M", bound=Model)

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed.")
    return value


NoNul = AfterValidator(_no_nul)
# Texts by their longest value (the model's max_length): one alias each, so the type checker
# reads them as plain str.
Str20 = Annotated[str, Field(max_length=20), NoNul]
Str40 = Annotated[str, Field(max_length=40), NoNul]
Str100 = Annotated[str, Field(max_length=100), NoNul]
Str120 = Annotated[str, Field(max_length=120), NoNul]
Str200 = Annotated[str, Field(max_length=200), NoNul]
Str254 = Annotated[str, Field(max_length=254), NoNul]
Str300 = Annotated[str, Field(max_length=300), NoNul]
Str2000 = Annotated[str, Field(max_length=2000), NoNul]
# Rich text (descriptions): the forms' limit.
Html = Annotated[str, Field(max_length=MAX_HTML_LENGTH), NoNul]


class Error(Schema):
    """Every error answer: a sentence, and for refused values the messages by field."""

    detail: str
    errors: dict[str, list[str]] | None = None


# The answers any authenticated endpoint may give besides its success (documented, so clients
# and the schemathesis run know them).
ERRORS: dict[int, type[Schema]] = {
    400: Error,
    401: Error,
    403: Error,
    404: Error,
    409: Error,
    413: Error,
    422: Error,
}


class InSchema(Schema):
    """A request body: an unknown field is refused (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class Deleted(Schema):
    deleted: bool = True


def related(queryset: QuerySet[M], pk: int | None, *, field: str) -> M | None:
    """The row of ``queryset`` (already narrowed to the actor's company) with id ``pk``; a
    refusal naming ``field`` when there is none (never saying whether another company has it)."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: _("No such value in your company: %(id)s.") % {"id": pk}})
    return found


def related_many(queryset: QuerySet[M], pks: list[int], *, field: str) -> list[M]:
    wanted = set(pks)
    found = list(queryset.filter(pk__in=wanted))
    missing = wanted - {row.pk for row in found}
    if missing:
        raise ValidationError(
            {
                field: _("No such value in your company: %(id)s.")
                % {"id": ", ".join(str(pk) for pk in sorted(missing))}
            }
        )
    return found


def company_users(actor: Actor) -> QuerySet[Any]:
    """Users who may be chosen in the actor's company (active members)."""
    from piste.users.models import User

    return User.objects.filter(
        memberships__company_id=actor.company.pk, memberships__is_active=True
    ).distinct()


# Addresses (leads, partners, contacts) -------------------------------------------------------


class AddressOut(BaseModel):
    line1: str
    line2: str
    line3: str
    postal_code: str
    city_name: str
    city_id: int | None
    country: str | None = Field(description="ISO 3166 alpha-2 code")


class AddressIn(InSchema):
    line1: Str200 = ""
    line2: Str200 = ""
    line3: Str200 = ""
    postal_code: Str20 = ""
    city_name: Str200 = ""
    city_id: Id | None = Field(None, description="A city of the referential: decides the name.")
    country: Str20 | None = Field(None, description="ISO 3166 alpha-2 code, such as FR")


def address_out(address: Address | None) -> dict[str, Any] | None:
    """An ``AddressOut`` of a stored address (its country joined by the caller, or one more
    query)."""
    if address is None:
        return None
    return {
        "line1": address.line1,
        "line2": address.line2,
        "line3": address.line3,
        "postal_code": address.postal_code,
        "city_name": address.city_name,
        "city_id": address.city_id,
        "country": address.country.code if address.country is not None else None,
    }


def address_in(sent: dict[str, Any] | None, *, field: str) -> dict[str, Any]:
    """The ``data`` of ``address_save`` from a dumped ``AddressIn`` (None: no address, which
    removes a stored one); an unknown city or country is refused on ``field``."""
    sent = sent or {}
    city = None
    country = None
    if sent.get("city_id") is not None:
        city = related(City.objects.select_related("country"), sent["city_id"], field=field)
    if sent.get("country"):
        country = Country.objects.filter(code=sent["country"].upper()).first()
        if country is None:
            raise ValidationError({field: _("Unknown country code: use ISO codes (FR).")})
    text = {k: sent.get(k, "") for k in ("line1", "line2", "line3", "postal_code", "city_name")}
    return {**text, "city": city, "country": country}
