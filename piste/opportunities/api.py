"""The opportunity endpoints of the REST API (``/api/v1/opportunities``).

Every opportunity is read through ``opportunities_for_user`` (the pages' access rules: 404
outside them) and written through ``piste.opportunities.services``; the partner and contacts
sent must be ones the caller sees, the other ids rows of their company (400 otherwise).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from piste.api.pagination import Page, keyset_page, page_of
from piste.core.access import Actor, require_right
from piste.core.rights import Right
from piste.leads.models import LeadSource, LostReason
from piste.leads.selectors import leads_for_user
from piste.opportunities import services
from piste.opportunities.models import MAX_AMOUNT, Opportunity, OpportunityStage
from piste.opportunities.selectors import _search, opportunities_for_user, opportunity_get_for_user
from piste.partners.api_common import (
    ERRORS,
    Cursor,
    ExternalId,
    Id,
    Input,
    Limit,
    LongText,
    check_pk,
    check_range,
    company_user,
    of_company,
    refused,
    resolve,
    text,
    visible,
)
from piste.partners.models import Contact
from piste.partners.selectors import contacts_for_user, partners_for_user
from piste.users.models import Team

router = Router(tags=["opportunities"])

Role = OpportunityStage.Role


class State(StrEnum):
    """Where an opportunity stands: its stage open, or closed won, or closed lost."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"
    CLOSED = "closed"


class OpportunityOut(Schema):
    id: int
    version: int
    external_id: str
    number: int
    reference: str
    name: str
    partner: int = Field(..., alias="partner_id")
    contacts: list[int]
    amount: Decimal
    currency: str
    probability: int
    weighted_amount: Decimal
    expected_close_date: date | None
    stage: int = Field(..., alias="stage_id")
    state: State
    assigned_to: int | None = Field(None, alias="assigned_to_id")
    team: int | None = Field(None, alias="team_id")
    source: int | None = Field(None, alias="source_id")
    lost_reason: int | None = Field(None, alias="lost_reason_id")
    lost_comment: str
    description: str
    lead: int | None = Field(None, alias="lead_id")
    closed_at: datetime | None
    created_by: int | None = Field(None, alias="created_by_id")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_contacts(obj: Opportunity) -> list[int]:
        return [c.pk for c in obj.contacts.all()]

    @staticmethod
    def resolve_state(obj: Opportunity) -> State:
        if obj.stage.is_open:
            return State.OPEN
        if obj.stage.role == Role.WON:
            return State.WON
        if obj.stage.role == Role.LOST:
            return State.LOST
        return State.CLOSED


Amount = Field(None, ge=0, le=MAX_AMOUNT, max_digits=14, decimal_places=2)


class OpportunityFields(Input):
    external_id: ExternalId = ""
    contacts: list[Id] = Field(default_factory=list, max_length=200)
    amount: Decimal | None = Amount
    currency: str = Field("EUR", pattern=r"^[A-Za-z]{3}$")
    probability: int | None = Field(None, ge=0, le=100)
    expected_close_date: date | None = None
    assigned_to: Id | None = None
    team: Id | None = None
    source: Id | None = None
    description: LongText = ""


class OpportunityIn(OpportunityFields):
    name: text(200)  # type: ignore[valid-type]
    partner: Id
    stage: Id | None = Field(None, description="An open stage; the default one when not given.")
    lead: Id | None = None


class OpportunityPatch(OpportunityFields):
    """Only the fields sent change; ``version`` is the one the client read (409 if it moved).
    The stage moves as on the status bar (win and lose have their own endpoints)."""

    version: Id
    name: text(200) = ""  # type: ignore[valid-type]
    partner: Id | None = None
    stage: Id | None = None


class OpportunityFilters(Schema):
    q: text(100) | None = None  # type: ignore[valid-type]
    stage: Id | None = None
    state: State | None = None
    partner: Id | None = None
    assigned_to: Id | None = None
    external_id: ExternalId | None = None
    expected_from: date | None = Field(None, description="Expected signing on or after.")
    expected_to: date | None = Field(None, description="Expected signing on or before.")
    cursor: Cursor | None = None
    limit: Limit = 50


def _lookup(model: Any) -> Any:
    return lambda actor, pk, field: of_company(actor, model, pk, field)


def _visible_partner(actor: Actor, pk: int | None, field: str) -> Any:
    return visible(partners_for_user(actor.user), pk, field)


def _visible_lead(actor: Actor, pk: int | None, field: str) -> Any:
    return visible(leads_for_user(actor.user), pk, field)


_LOOKUPS = {
    "partner": _visible_partner,
    "stage": _lookup(OpportunityStage),
    "assigned_to": company_user,
    "team": _lookup(Team),
    "source": _lookup(LeadSource),
    "lead": _visible_lead,
}


def _contacts(actor: Actor, ids: list[int]) -> list[Contact]:
    """The contacts sent, each one the caller sees (the services check they are the
    partner's)."""
    wanted = set(ids)
    found = list(contacts_for_user(actor.user).filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise refused("contacts")
    return found


def _with_relations(qs: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    return qs.select_related("stage").prefetch_related(
        Prefetch("contacts", queryset=Contact.objects.only("id"))
    )


def _rows(request: HttpRequest, f: OpportunityFilters) -> QuerySet[Opportunity]:
    check_range(expected_from=f.expected_from, expected_to=f.expected_to)
    qs = opportunities_for_user(request.user)
    if f.stage is not None:
        qs = qs.filter(stage_id=f.stage)
    if f.state == State.OPEN:
        qs = qs.filter(stage__is_open=True)
    elif f.state in (State.WON, State.LOST):
        qs = qs.filter(stage__role=f.state.value)
    elif f.state == State.CLOSED:
        qs = qs.filter(stage__is_open=False)
    if f.partner is not None:
        qs = qs.filter(partner_id=f.partner)
    if f.assigned_to is not None:
        qs = qs.filter(assigned_to_id=f.assigned_to)
    if f.external_id:
        qs = qs.filter(external_id=f.external_id.strip())
    if f.expected_from is not None:
        qs = qs.filter(expected_close_date__gte=f.expected_from)
    if f.expected_to is not None:
        qs = qs.filter(expected_close_date__lte=f.expected_to)
    if f.q:
        qs = _search(qs, f.q)
    return _with_relations(qs)


def _read(request: HttpRequest, pk: int) -> Opportunity:
    return opportunity_get_for_user(request.user, check_pk(pk))


@router.get("", response={200: Page[OpportunityOut], **ERRORS})
def opportunity_list(request: HttpRequest, filters: Query[OpportunityFilters]) -> Any:
    """Opportunities the caller may see, newest first, a page at a time (``next_cursor``)."""
    rows, cursor = keyset_page(_rows(request, filters), cursor=filters.cursor, limit=filters.limit)
    return page_of(rows, cursor)


@router.get("/{pk}", response={200: OpportunityOut, **ERRORS})
def opportunity_read(request: HttpRequest, pk: int) -> Any:
    return _read(request, pk)


@router.post("", response={201: OpportunityOut, **ERRORS})
def opportunity_create(request: HttpRequest, payload: OpportunityIn) -> Any:
    actor = require_right(request.user, Right.CREATE_RECORDS)
    data = resolve(actor, payload.dict(exclude_unset=True), _LOOKUPS)
    data.setdefault("name", payload.name)
    contacts = _contacts(actor, data.pop("contacts", []))
    created = services.opportunity_create(actor=actor, data=data, contacts=contacts)
    return Status(201, _read(request, created.pk))


@router.patch("/{pk}", response={200: OpportunityOut, **ERRORS})
def opportunity_update(request: HttpRequest, pk: int, payload: OpportunityPatch) -> Any:
    opportunity = _read(request, pk)
    actor = require_right(request.user, Right.CHANGE_RECORDS)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    data = resolve(actor, data, _LOOKUPS)
    contacts = _contacts(actor, data.pop("contacts")) if "contacts" in data else None
    services.opportunity_update(
        actor=actor, opportunity=opportunity, data=data, version=version, contacts=contacts
    )
    return _read(request, opportunity.pk)


@router.delete("/{pk}", response={204: None, **ERRORS})
def opportunity_delete(request: HttpRequest, pk: int) -> Any:
    opportunity = _read(request, pk)
    actor = require_right(request.user, Right.DELETE_RECORDS)
    services.opportunity_delete(actor=actor, opportunity=opportunity)
    return Status(204, None)


# Actions -------------------------------------------------------------------------------------


class MoveIn(Input):
    stage: Id


class WinIn(Input):
    """What the partner becomes: each flag sent takes its value; by default it becomes a
    customer (when the caller may make customers) and stops being a prospect."""

    is_customer: bool | None = None
    is_prospect: bool | None = None
    is_supplier: bool | None = None
    is_partner: bool | None = None
    is_internal: bool | None = None
    is_factor: bool | None = None


class LoseIn(Input):
    reason: Id
    comment: LongText = ""


def _for_change(request: HttpRequest, pk: int) -> tuple[Actor, Opportunity]:
    opportunity = _read(request, pk)
    return require_right(request.user, Right.CHANGE_RECORDS), opportunity


@router.post("/{pk}/move", response={200: OpportunityOut, **ERRORS})
def opportunity_move(request: HttpRequest, pk: int, payload: MoveIn) -> Any:
    """Move to another stage, as the status bar does (an open stage reopens a closed one)."""
    actor, opportunity = _for_change(request, pk)
    stage = of_company(actor, OpportunityStage, payload.stage, "stage")
    assert stage is not None
    services.opportunity_move(actor=actor, opportunity=opportunity, stage=stage)
    return _read(request, opportunity.pk)


@router.post("/{pk}/win", response={200: OpportunityOut, **ERRORS})
def opportunity_win(request: HttpRequest, pk: int, payload: WinIn) -> Any:
    actor, opportunity = _for_change(request, pk)
    partner = opportunity.partner
    may_make_customer = partner.is_customer or actor.has(Right.CREATE_CUSTOMERS)
    types = {"is_customer": may_make_customer, "is_prospect": False}
    types.update(payload.dict(exclude_none=True))
    services.opportunity_win(actor=actor, opportunity=opportunity, partner_types=types)
    return _read(request, opportunity.pk)


@router.post("/{pk}/lose", response={200: OpportunityOut, **ERRORS})
def opportunity_lose(request: HttpRequest, pk: int, payload: LoseIn) -> Any:
    actor, opportunity = _for_change(request, pk)
    reason = of_company(actor, LostReason, payload.reason, "reason")
    services.opportunity_lose(
        actor=actor, opportunity=opportunity, reason=reason, comment=payload.comment
    )
    return _read(request, opportunity.pk)


@router.post("/{pk}/reopen", response={200: OpportunityOut, **ERRORS})
def opportunity_reopen(request: HttpRequest, pk: int) -> Any:
    actor, opportunity = _for_change(request, pk)
    services.opportunity_reopen(actor=actor, opportunity=opportunity)
    return _read(request, opportunity.pk)
