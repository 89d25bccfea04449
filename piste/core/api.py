"""Statuses and referentials in the REST API.

- ``/lead-statuses``, ``/prospect-statuses``, ``/opportunity-stages``: the company's workflow
  steps, in order (read only: their configuration page keeps the workflow's rules).
- ``/referentials`` and ``/referentials/{slug}``: every list of ``piste.core.referentials``
  (industry sectors, job titles, lead sources, teams…) plus the tags. Anyone of the company
  reads them (a program writing leads needs their ids); writing asks the right to manage the
  configuration, as the configuration pages do, through ``piste.core.services``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from piste.api.pagination import MAX_LIMIT, Page, keyset_page, page_of
from piste.api.schemas import (
    ERRORS,
    Id,
    InSchema,
    Str20,
    Str100,
    Str120,
    company_users,
    related,
    related_many,
)
from piste.core import services
from piste.core.access import Actor, get_or_404, in_company, require_actor, require_right
from piste.core.models import NamedReferential, Tag
from piste.core.referentials import REGISTRY, Referential
from piste.core.rights import Right
from piste.core.statuses import StatusKind, statuses
from piste.core.text import fold

router = Router(tags=["statuses and referentials"])

# Tags have their own configuration page, but a program tagging leads needs their ids too.
TAGS = Referential(slug="tags", model=Tag, fields=("color",))
# The fields a referential may have besides its name, as the API names them.
PLAIN_FIELDS = ("code", "comment_required", "color")
USER_FIELDS = {"leader": "leader_id", "members": "member_ids"}


def _referentials() -> dict[str, Referential]:
    return {**REGISTRY, TAGS.slug: TAGS}


# Statuses ------------------------------------------------------------------------------------


class StatusOut(Schema):
    id: int
    name: str
    sequence: int
    is_open: bool
    role: str = Field(description="default, won, lost, converted…; empty for the others")
    folded: bool


def _statuses(request: HttpRequest, kind: StatusKind) -> list[Any]:
    # Queries: the steps (one).
    return statuses(kind, require_actor(request.user).company)


@router.get("/lead-statuses", response={200: list[StatusOut], **ERRORS}, summary="Lead statuses")
def lead_statuses(request: HttpRequest) -> list[Any]:
    from piste.leads.statuses import LEAD_STATUSES

    return _statuses(request, LEAD_STATUSES)


@router.get(
    "/prospect-statuses", response={200: list[StatusOut], **ERRORS}, summary="Prospect statuses"
)
def prospect_statuses(request: HttpRequest) -> list[Any]:
    from piste.partners.statuses import PROSPECT_STATUSES

    return _statuses(request, PROSPECT_STATUSES)


@router.get(
    "/opportunity-stages", response={200: list[StatusOut], **ERRORS}, summary="Opportunity stages"
)
def opportunity_stages(request: HttpRequest) -> list[Any]:
    from piste.opportunities.statuses import OPPORTUNITY_STAGES

    return _statuses(request, OPPORTUNITY_STAGES)


# Referentials --------------------------------------------------------------------------------


class ReferentialKind(Schema):
    slug: str
    name: str
    fields: list[str] = Field(description="Its fields besides id and name.")


class ReferentialOut(Schema):
    """One entry; only the fields its list has are set (see ``/referentials``)."""

    id: int
    name: str
    code: str | None = None
    comment_required: bool | None = None
    color: str | None = None
    leader_id: int | None = None
    member_ids: list[int] | None = None


class ReferentialFields(InSchema):
    code: Str20 | None = None
    comment_required: bool | None = None
    color: Str20 | None = Field(None, description="#rrggbb")
    leader_id: Id | None = None
    member_ids: list[Id] | None = Field(None, max_length=1000)


class ReferentialIn(ReferentialFields):
    name: Str120


class ReferentialPatch(ReferentialFields):
    name: Str120 | None = None


class ReferentialQuery(InSchema):
    q: Str100 | None = Field(None, description="Part of the name (case and accents ignored).")
    cursor: Str100 | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


def _api_name(field: str) -> str:
    return USER_FIELDS.get(field, field)


def _referential(request: HttpRequest, slug: str) -> tuple[Actor, Referential]:
    actor = require_actor(request.user)
    referential = _referentials().get(slug)
    if referential is None or not referential.visible(actor):
        raise Http404
    return actor, referential


def _many(referential: Referential) -> list[str]:
    model = referential.model
    return [f for f in referential.fields if model._meta.get_field(f).many_to_many]


def item_out(referential: Referential, obj: NamedReferential) -> dict[str, Any]:
    out: dict[str, Any] = {"id": obj.pk, "name": obj.name}
    for name in referential.fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            # Prefetched by the callers: no query per row.
            out[_api_name(name)] = sorted(row.pk for row in getattr(obj, name).all())
        elif field.is_relation:
            out[_api_name(name)] = getattr(obj, f"{name}_id")
        else:
            out[name] = getattr(obj, name)
    return out


def _items(request: HttpRequest, referential: Referential) -> Any:
    return in_company(request.user, referential.model.objects.all()).prefetch_related(
        *_many(referential)
    )


def _data(actor: Actor, referential: Referential, fields: dict[str, Any]) -> dict[str, Any]:
    """The service's data from the sent fields: only the list's own fields, users by id among
    the company's members."""
    allowed = {"name", *(_api_name(f) for f in referential.fields)}
    unknown = sorted(set(fields) - allowed)
    if unknown:
        message = _("The list “%(slug)s” has no such field.") % {"slug": referential.slug}
        raise ValidationError({name: [message] for name in unknown})
    data: dict[str, Any] = {}
    for name in referential.fields:
        sent = _api_name(name)
        if sent not in fields:
            continue
        value = fields[sent]
        if name == "leader":
            data[name] = related(company_users(actor), value, field=sent)
        elif name == "members":
            data[name] = related_many(company_users(actor), value or [], field=sent)
        elif value is None:
            field = referential.model._meta.get_field(name)
            assert isinstance(field, models.Field)  # the registry lists concrete fields
            data[name] = field.get_default()
        else:
            data[name] = value
    if "name" in fields:
        name = " ".join((fields["name"] or "").split())
        if not name:
            raise ValidationError({"name": _("Enter a name.")})
        data["name"] = name
    return data


@router.get("/referentials", response={200: list[ReferentialKind], **ERRORS}, summary="Lists")
def referential_kinds(request: HttpRequest) -> list[dict[str, Any]]:
    """The referentials this company has, by slug, and their fields."""
    actor = require_actor(request.user)
    return [
        {
            "slug": r.slug,
            "name": r.verbose_name_plural,
            "fields": [_api_name(f) for f in r.fields],
        }
        for r in sorted(_referentials().values(), key=lambda r: r.slug)
        if r.visible(actor)
    ]


@router.get(
    "/referentials/{slug}",
    response={200: Page[ReferentialOut], **ERRORS},
    summary="List a referential",
)
def referential_list(
    request: HttpRequest, slug: str, filters: Query[ReferentialQuery]
) -> dict[str, Any]:
    """Newest first, by pages; ``q`` searches the names."""
    _actor, referential = _referential(request, slug)
    qs = _items(request, referential)
    key = fold(filters.q or "")
    if key:
        qs = qs.filter(name_key__contains=key)
    # Queries: the page, plus one per many-to-many field (teams' and agencies' members).
    rows, next_cursor = keyset_page(qs, cursor=filters.cursor, limit=filters.limit)
    return page_of([item_out(referential, row) for row in rows], next_cursor)


@router.get(
    "/referentials/{slug}/{item_id}",
    response={200: ReferentialOut, **ERRORS},
    summary="Read a referential entry",
)
def referential_read(request: HttpRequest, slug: str, item_id: Id) -> dict[str, Any]:
    _actor, referential = _referential(request, slug)
    return item_out(referential, get_or_404(_items(request, referential), item_id))


@router.post(
    "/referentials/{slug}",
    response={201: ReferentialOut, **ERRORS},
    summary="Create a referential entry",
)
def referential_create(
    request: HttpRequest, slug: str, payload: ReferentialIn
) -> Status[dict[str, Any]]:
    actor, referential = _referential(request, slug)
    require_right(request.user, Right.MANAGE_CONFIGURATION)
    data = _data(actor, referential, payload.model_dump(exclude_unset=True))
    obj = services.referential_create(actor=actor, model=referential.model, data=data)
    return Status(201, item_out(referential, get_or_404(_items(request, referential), obj.pk)))


@router.patch(
    "/referentials/{slug}/{item_id}",
    response={200: ReferentialOut, **ERRORS},
    summary="Change a referential entry",
)
def referential_update(
    request: HttpRequest, slug: str, item_id: Id, payload: ReferentialPatch
) -> dict[str, Any]:
    actor, referential = _referential(request, slug)
    obj = get_or_404(_items(request, referential), item_id)
    require_right(request.user, Right.MANAGE_CONFIGURATION)
    data = _data(actor, referential, payload.model_dump(exclude_unset=True))
    services.referential_update(actor=actor, obj=obj, data=data)
    return item_out(referential, get_or_404(_items(request, referential), obj.pk))


@router.delete(
    "/referentials/{slug}/{item_id}",
    response={204: None, **ERRORS},
    summary="Delete a referential entry",
)
def referential_delete(request: HttpRequest, slug: str, item_id: Id) -> Status[None]:
    """Refused (400) while records still use the entry."""
    actor, referential = _referential(request, slug)
    obj = get_or_404(_items(request, referential), item_id)
    require_right(request.user, Right.MANAGE_CONFIGURATION)
    services.referential_delete(actor=actor, obj=obj)
    return Status(204, None)
