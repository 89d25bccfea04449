"""What the record endpoints of the REST API share (partners, contacts, opportunities, events):
typed ids and texts, and the lookups that turn an id sent in a body into a row the caller may
use, or a 400 naming the field.

Built on ``piste.api.schemas``; what is here may move there.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from pydantic import Field, StringConstraints

from piste.api.schemas import ERRORS, MAX_ID, Id, InSchema, company_users, related
from piste.core.access import Actor
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


def resolve(actor: Actor, values: dict[str, Any], lookups: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each id of ``lookups`` (field -> function(actor, pk, field)) replaced
    by its row; every refused id reported at once."""
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
