"""The leads endpoints of the REST API (``/api/v1/leads``).

Same rules as the pages: every lead is read through ``leads_for_user`` / ``lead_get_for_user``
(another company's lead, or one outside the caller's record scope, is a 404), every write goes
through ``piste.leads.services`` (a missing right is a 403, a refused value a 400 naming the
field, an edit from an old ``version`` a 409). Related values are given by id and must be the
caller's company's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from pydantic import AfterValidator, BaseModel, Field

from piste.api.pagination import MAX_LIMIT, Page, keyset_page, page_of
from piste.api.schemas import (
    ERRORS,
    AddressIn,
    AddressOut,
    Html,
    Id,
    InSchema,
    Str20,
    Str40,
    Str100,
    Str200,
    Str254,
    Str300,
    Str2000,
    address_in,
    address_out,
    company_users,
    related,
    related_many,
)
from piste.core.access import Actor, require_actor
from piste.core.contact import email_key
from piste.core.models import Tag
from piste.leads import services
from piste.leads import services_convert as convert
from piste.leads.models import Lead, LeadSource, LeadStatus, LostReason
from piste.leads.selectors import LeadFilters, filtered_leads, lead_get_for_user
from piste.partners.models import (
    Department,
    IndustrySector,
    JobTitle,
    PartnerCategory,
    PartnerStatus,
)
from piste.partners.selectors import contacts_for_user, partners_for_user
from piste.users.models import Agency, Team

router = Router(tags=["leads"])

CivilityCode = Literal["", "mr", "ms", "mx"]
SizeCode = Literal[1, 2, 3, 11, 12, 21, 22, 31, 32, 41, 42, 51, 52, 53]


def _sane_moment(value: datetime) -> datetime:
    # A naive time is the server's local time; years far away overflow the time-zone maths.
    if not 1900 <= value.year <= 2999:
        raise ValueError("Choose a date between the years 1900 and 2999.")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


Moment = Annotated[datetime, AfterValidator(_sane_moment)]


# Schemas -------------------------------------------------------------------------------------


# Answers are plain pydantic models: ninja's Schema reads each value through a Django-aware
# getter, a third of a 50-lead page's time; these are built from dicts already.
class StatusRef(BaseModel):
    id: int
    name: str
    is_open: bool
    role: str


class LeadOut(BaseModel):
    id: int
    version: int = Field(description="Send it back with PATCH: an older one is a 409.")
    full_name: str
    civility: str
    first_name: str
    last_name: str
    enterprise_name: str
    siren: str
    job_title_id: int | None
    industry_sector_id: int | None
    department_id: int | None
    fixed_phone: str
    mobile_phone: str
    email: str
    website: str
    do_not_call: bool
    do_not_email: bool
    description: str
    address: AddressOut | None
    status: StatusRef
    lost_reason_id: int | None
    lost_comment: str
    partner_id: int | None
    contact_id: int | None
    converted_at: datetime | None
    assigned_to_id: int | None
    team_id: int | None
    agency_id: int | None
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    scoring: int
    size: int | None
    is_key_account: bool
    is_nurturing: bool
    source_id: int | None
    category_id: int | None
    tag_ids: list[int]
    external_id: str


class LeadFields(InSchema):
    """The editable fields (every one optional: PATCH changes only the ones sent)."""

    civility: CivilityCode | None = None
    first_name: Str100 | None = None
    enterprise_name: Str200 | None = None
    siren: Str20 | None = None
    job_title_id: Id | None = None
    industry_sector_id: Id | None = None
    department_id: Id | None = None
    fixed_phone: Str40 | None = None
    mobile_phone: Str40 | None = None
    email: Str254 | None = None
    website: Str300 | None = None
    do_not_call: bool | None = None
    do_not_email: bool | None = None
    description: Html | None = None
    assigned_to_id: Id | None = Field(None, description="Default on create: the caller.")
    team_id: Id | None = None
    agency_id: Id | None = None
    scoring: int | None = Field(None, ge=0, le=5)
    size: SizeCode | None = None
    is_key_account: bool | None = None
    is_nurturing: bool | None = None
    source_id: Id | None = None
    category_id: Id | None = None
    tag_ids: list[Id] | None = Field(None, max_length=100)
    external_id: Str100 | None = None
    address: AddressIn | None = Field(None, description="null (PATCH): no address any more.")


class LeadCreate(LeadFields):
    last_name: Str100


class LeadPatch(LeadFields):
    version: int = Field(ge=1, le=2**31, description="The version read with the lead.")
    last_name: Str100 | None = None


class LoseIn(InSchema):
    reason_id: Id
    comment: Str2000 = ""


class StatusIn(InSchema):
    status_id: Id


class ConvertIn(InSchema):
    partner: Literal["new", "existing"] = Field(
        "new", description="A new partner, or an existing one (partner_id)."
    )
    partner_id: Id | None = None
    types: list[
        Literal[
            "is_prospect", "is_customer", "is_supplier", "is_partner", "is_internal", "is_factor"
        ]
    ] = Field(["is_prospect"], min_length=1, max_length=6, description="Types of a new partner.")
    status_id: Id | None = Field(None, description="The prospect status, when managed.")
    contact: Literal["none", "new", "existing"] = "new"
    contact_ids: list[Id] = Field([], max_length=100)


class ConversionOut(BaseModel):
    lead: LeadOut
    partner_id: int
    contact_ids: list[int]
    created_partner: bool
    already: bool = Field(description="The lead was already converted: nothing was written.")


class LeadQuery(InSchema):
    q: Str200 | None = Field(None, description="Name, company, email or phone.")
    status: list[Id] | None = Field(None, max_length=50, description="Status ids.")
    open: bool | None = Field(None, description="true: open statuses; false: closed ones.")
    assigned_to: Id | None = None
    source: Id | None = None
    created_after: Moment | None = None
    created_before: Moment | None = None
    external_id: Str100 | None = None
    email: Str254 | None = None
    cursor: Str100 | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


# Reading -------------------------------------------------------------------------------------

RELATIONS = (
    "job_title",
    "industry_sector",
    "department",
    "assigned_to",
    "team",
    "agency",
    "source",
    "category",
)


def lead_out(lead: Lead, tag_ids: list[int]) -> dict[str, Any]:
    status = lead.status
    out: dict[str, Any] = {
        name: getattr(lead, name)
        for name in LeadOut.model_fields
        if name not in ("address", "status", "tag_ids")
    }
    out.update(
        address=address_out(lead.address),
        status={
            "id": status.pk,
            "name": status.name,
            "is_open": status.is_open,
            "role": status.role,
        },
        tag_ids=tag_ids,
    )
    return out


def _tag_ids(leads: list[Lead]) -> dict[int, list[int]]:
    """Each lead's tag ids, in one query (none without leads)."""
    by_lead: dict[int, list[int]] = {lead.pk: [] for lead in leads}
    if by_lead:
        through = Lead.tags.through
        for lead_id, tag_id in (
            through.objects.filter(lead_id__in=list(by_lead))
            .order_by("tag_id")
            .values_list("lead_id", "tag_id")
        ):
            by_lead[lead_id].append(tag_id)
    return by_lead


def _one(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    lead = lead_get_for_user(request.user, lead_id)
    return lead_out(lead, _tag_ids([lead])[lead.pk])


@router.get("", response={200: Page[LeadOut], **ERRORS}, summary="List leads")
def list_leads(request: HttpRequest, filters: Query[LeadQuery]) -> dict[str, Any]:
    """Newest first, by pages of ``limit``; follow ``next_cursor`` for the next page."""
    # Queries (after the caller's token and actor): the page with its status and address,
    # then the page's tags. No COUNT: the cursor says whether there is more.
    qs = filtered_leads(
        user=request.user,  # type: ignore[arg-type]
        kind="",
        filters=LeadFilters(
            q=filters.q or "",
            statuses=filters.status or [],
            source=filters.source,
            assigned=filters.assigned_to,
        ),
        statuses=[],
    )
    if filters.open is not None:
        qs = qs.filter(status__is_open=filters.open)
    if filters.created_after:
        qs = qs.filter(created_at__gte=filters.created_after)
    if filters.created_before:
        qs = qs.filter(created_at__lt=filters.created_before)
    if filters.external_id:
        qs = qs.filter(external_id=filters.external_id.strip())
    if filters.email:
        key, _domain = email_key(filters.email)
        qs = qs.filter(email_key=key) if key else qs.none()
    # search_key (the folded search text) is the lists' business, not the answer's.
    qs = qs.select_related("status", "address", "address__country").defer("search_key")
    rows, next_cursor = keyset_page(qs, cursor=filters.cursor, limit=filters.limit)
    tags = _tag_ids(rows)
    return page_of([lead_out(lead, tags[lead.pk]) for lead in rows], next_cursor)


@router.get("/{lead_id}", response={200: LeadOut, **ERRORS}, summary="Read a lead")
def read_lead(request: HttpRequest, lead_id: Id) -> dict[str, Any]:
    return _one(request, lead_id)


# Writing -------------------------------------------------------------------------------------


def _values(actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    """The service's ``data`` from the sent fields: related ids become the company's rows."""
    company = actor.company.pk
    querysets: dict[str, Any] = {
        "job_title": JobTitle.objects.filter(company_id=company),
        "industry_sector": IndustrySector.objects.filter(company_id=company),
        "department": Department.objects.filter(company_id=company),
        "assigned_to": company_users(actor),
        "team": Team.objects.filter(company_id=company),
        "agency": Agency.objects.filter(company_id=company),
        "source": LeadSource.objects.filter(company_id=company),
        "category": PartnerCategory.objects.filter(company_id=company),
    }
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name in ("tag_ids", "address"):
            continue
        relation = name.removesuffix("_id")
        try:
            if relation in querysets:
                data[relation] = related(querysets[relation], value, field=name)
            elif value is None:
                # null on a text or flag: its empty value (the form's empty field).
                field = Lead._meta.get_field(name)
                assert isinstance(field, models.Field)  # the schema's own fields
                data[name] = field.get_default()
                if name == "scoring":
                    data[name] = 0
            else:
                data[name] = value
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return data


def _address(fields: dict[str, Any]) -> dict[str, Any] | None:
    if "address" not in fields:
        return None
    return address_in(fields["address"], field="address")


def _tags(actor: Actor, fields: dict[str, Any]) -> list[Tag] | None:
    if fields.get("tag_ids") is None:
        return None
    tags = Tag.objects.filter(company_id=actor.company.pk)
    return related_many(tags, fields["tag_ids"], field="tag_ids")


@router.post("", response={201: LeadOut, **ERRORS}, summary="Create a lead")
def create_lead(request: HttpRequest, payload: LeadCreate) -> Status[dict[str, Any]]:
    actor = require_actor(request.user)
    fields = payload.model_dump(exclude_unset=True)
    address = _address(fields)
    lead = services.lead_create(
        actor=actor,
        data=_values(actor, fields),
        address=address if address and any(address.values()) else None,
        tags=_tags(actor, fields) or (),
    )
    return Status(201, _one(request, lead.pk))


@router.patch("/{lead_id}", response={200: LeadOut, **ERRORS}, summary="Change a lead")
def update_lead(request: HttpRequest, lead_id: Id, payload: LeadPatch) -> dict[str, Any]:
    """Only the fields sent change. ``version`` is the one read with the lead: if someone saved
    it since, nothing is written and the answer is 409 (read it again, then retry)."""
    actor = require_actor(request.user)
    lead = lead_get_for_user(request.user, lead_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    if "last_name" in fields and fields["last_name"] is None:
        raise ValidationError({"last_name": _("Enter the last name.")})
    services.lead_update(
        actor=actor,
        lead=lead,
        data=_values(actor, fields),
        version=version,
        address=_address(fields),
        tags=_tags(actor, fields),
    )
    return _one(request, lead.pk)


@router.delete("/{lead_id}", response={204: None, **ERRORS}, summary="Delete a lead")
def delete_lead(request: HttpRequest, lead_id: Id) -> Status[None]:
    actor = require_actor(request.user)
    lead = lead_get_for_user(request.user, lead_id)
    services.lead_delete(actor=actor, lead=lead)
    return Status(204, None)


# Actions -------------------------------------------------------------------------------------


@router.post("/{lead_id}/take-charge", response={200: LeadOut, **ERRORS}, summary="Take charge")
def take_charge(request: HttpRequest, lead_id: Id) -> dict[str, Any]:
    """Assign the lead to the caller (refused on a lost lead)."""
    actor = require_actor(request.user)
    services.lead_take_charge(actor=actor, lead=lead_get_for_user(request.user, lead_id))
    return _one(request, lead_id)


@router.post("/{lead_id}/lose", response={200: LeadOut, **ERRORS}, summary="Lose a lead")
def lose(request: HttpRequest, lead_id: Id, payload: LoseIn) -> dict[str, Any]:
    actor = require_actor(request.user)
    lead = lead_get_for_user(request.user, lead_id)
    reason = related(
        LostReason.objects.filter(company_id=actor.company.pk), payload.reason_id, field="reason_id"
    )
    services.lead_lose(actor=actor, lead=lead, reason=reason, comment=payload.comment)
    return _one(request, lead_id)


@router.post("/{lead_id}/reopen", response={200: LeadOut, **ERRORS}, summary="Reopen a lead")
def reopen(request: HttpRequest, lead_id: Id) -> dict[str, Any]:
    """A lost lead takes the default status again."""
    actor = require_actor(request.user)
    services.lead_reopen(actor=actor, lead=lead_get_for_user(request.user, lead_id))
    return _one(request, lead_id)


@router.post("/{lead_id}/status", response={200: LeadOut, **ERRORS}, summary="Change status")
def change_status(request: HttpRequest, lead_id: Id, payload: StatusIn) -> dict[str, Any]:
    """Move the lead to an open status (converting and losing have their own actions)."""
    actor = require_actor(request.user)
    lead = lead_get_for_user(request.user, lead_id)
    status = related(
        LeadStatus.objects.filter(company_id=actor.company.pk),
        payload.status_id,
        field="status_id",
    )
    assert status is not None  # a required id: related() found it or refused
    services.lead_change_status(actor=actor, lead=lead, status=status)
    return _one(request, lead_id)


@router.post("/{lead_id}/convert", response={200: ConversionOut, **ERRORS}, summary="Convert")
def convert_lead(request: HttpRequest, lead_id: Id, payload: ConvertIn) -> dict[str, Any]:
    """Turn the lead into a new partner (``types``) or attach it to ``partner_id``, with a new
    contact, the existing ``contact_ids`` or none. Converting twice returns the first result."""
    actor = require_actor(request.user)
    lead = lead_get_for_user(request.user, lead_id)
    partner = related(partners_for_user(request.user), payload.partner_id, field="partner_id")
    contacts = related_many(
        contacts_for_user(request.user), payload.contact_ids, field="contact_ids"
    )
    status = related(
        PartnerStatus.objects.filter(company_id=actor.company.pk),
        payload.status_id,
        field="status_id",
    )
    result = convert.lead_convert(
        actor=actor,
        lead=lead,
        partner_choice=payload.partner,
        partner=partner,
        types={flag: True for flag in payload.types},
        status=status,
        contact_choice=payload.contact,
        contacts=contacts,
    )
    return {
        "lead": _one(request, lead_id),
        "partner_id": result.partner.pk,
        "contact_ids": [c.pk for c in result.contacts],
        "created_partner": result.created_partner,
        "already": result.already,
    }
