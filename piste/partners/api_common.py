"""What the record endpoints of the REST API share (partners, contacts, opportunities, events):
typed ids and texts, and the lookups that turn an id sent in a body into a row the caller may
use, or a 400 naming the field.

Built on ``piste.api.schemas``; what is here may move there.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from pydantic import Field, StringConstraints

from piste.api.schemas import (
    ERRORS,
    MAX_ID,
    Id,
    InSchema,
    address_in,
    company_users,
    related,
    related_many,
)
from piste.core.access import Actor
from piste.core.models import Tag
from piste.users.models import User

__all__ = ["ERRORS", "MAX_ID", "Id", "Input"]  # re-exported for the record endpoints

M = TypeVar("M", bound=Model)

# PostgreSQL refuses NUL in text: such a string is a malformed request (422), not a 500.
_NO_NUL = r"^[^\x00]*$"
# Dates outside these years are typing mistakes (and overflow some date arithmetic).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def text(max_length: int) -> Any:
    """A string of at most ``max_length`` characters, without NUL."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=_NO_NUL)]


Cursor = Annotated[str, StringConstraints(max_length=40, pattern=r"^[A-Za-z0-9_=-]*$")]
Limit = Annotated[int, Field(ge=1, le=200)]
ExternalId = text(100)
LongText = text(20_000)
# A record's tags, all of them at once (as the leads API): a label list, not a bulk import.
TagIds = Annotated[list[Id], Field(max_length=100)]

# The tag ids of a page of records in one query (the link table joined to the tags, nothing
# else read); ``tag_ids`` reads them back.
TAG_IDS = Prefetch("tags", queryset=Tag.objects.only("id").order_by("id"))


Input = InSchema


def check_pk(pk: int) -> int:
    """A path's record id: out of the id range it is simply not found."""
    if not 1 <= pk <= MAX_ID:
        raise Http404
    return pk


def refused(field: str) -> ValidationError:
    return ValidationError(
        {field: _("No such record in this company, or it is out of your reach.")}
    )


def visible(queryset: QuerySet[M], pk: int | None, field: str) -> M | None:
    """The row ``pk`` of an access-filtered queryset (None for None); 400 on ``field`` when
    the caller cannot see it (another company's, out of their scope, or no such id)."""
    return related(queryset, pk, field=field)


def of_company(actor: Actor, model: type[M], pk: int | None, field: str) -> M | None:
    """A configuration row (team, source, stage, status…) of the actor's company, or 400."""
    return visible(model._default_manager.filter(company_id=actor.company.pk), pk, field)


def company_user(actor: Actor, pk: int | None, field: str = "assigned_to") -> User | None:
    """An active user of the actor's company, or 400."""
    found: User | None = visible(company_users(actor), pk, field)
    return found


def company_tags(actor: Actor, pks: list[int] | None, field: str = "tag_ids") -> list[Tag] | None:
    """The tags ``pks`` of the actor's company (None for None: the tags stay as they are), or
    400 naming every id it does not have."""
    if pks is None:
        return None
    return related_many(Tag.objects.filter(company_id=actor.company.pk), pks, field=field)


def address_data(actor: Actor, sent: dict[str, Any] | None, field: str) -> dict[str, Any]:
    """A sent address as the services take it; null is an empty address, which removes the
    stored one (a key left out of a PATCH never reaches here: that address stays)."""
    return address_in(sent, field=field)


def tag_ids(obj: Any) -> list[int]:
    """The record's tag ids, in id order: prefetched by ``TAG_IDS`` on lists, one query else."""
    return sorted(tag.pk for tag in obj.tags.all())


def resolve(actor: Actor, values: dict[str, Any], lookups: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each id of ``lookups`` (field -> function(actor, pk, field)) replaced
    by its row (or ids by rows, a sent address by the services' data); every refusal reported
    at once."""
    errors: dict[str, list[str]] = {}
    for name, lookup in lookups.items():
        if name in values:
            try:
                values[name] = lookup(actor, values[name], name)
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return values


def check_range(**moments: date | datetime | None) -> None:
    """Filter dates within the years Piste stores (a year 9999 with an offset overflows)."""
    for name, value in moments.items():
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValidationError(
                {
                    name: _("Enter a date between the years %(first)d and %(last)d.")
                    % {"first": FIRST_YEAR, "last": LAST_YEAR}
                }
            )
