"""The partner and contact endpoints of the REST API (``/api/v1/partners``, ``/contacts``).

Every record is read through ``partners_for_user`` / ``contacts_for_user`` (the pages' access
rules: 404 outside them) and written through ``piste.partners.services``; an id sent in a body
must name a row the caller may use (400 on that field otherwise).

Addresses and tags are read and written as the leads API does: an address object (or null), and
``tag_ids``, all of the record's tags at once. In a PATCH a field left out changes nothing; a
null address removes it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from piste.api.pagination import Page, keyset_page, page_of
from piste.api.schemas import AddressIn, AddressOut, address_out
from piste.core.access import Actor, require_right
from piste.core.models import Tag
from piste.core.people import Civility, CompanySize
from piste.core.rights import Right
from piste.leads.models import LeadSource, LostReason
from piste.partners import services, services_prospects
from piste.partners.api_common import (
    ERRORS,
    TAG_IDS,
    Cursor,
    ExternalId,
    Id,
    Input,
    Limit,
    LongText,
    TagIds,
    address_data,
    check_pk,
    company_tags,
    company_user,
    of_company,
    resolve,
    tag_ids,
    text,
    visible,
)
from piste.partners.models import (
    Contact,
    Department,
    IndustrySector,
    JobTitle,
    Partner,
    PartnerCategory,
    PartnerStatus,
    PartnerType,
)
from piste.partners.selectors import (
    contact_get_for_user,
    contacts_for_user,
    partner_get_for_user,
    partners_for_user,
    search_key,
)
from piste.users.models import Agency, Team

partners_router = Router(tags=["partners"])
contacts_router = Router(tags=["contacts"])


# Partners ------------------------------------------------------------------------------------


class PartnerOut(Schema):
    id: int
    version: int
    external_id: str
    partner_type: PartnerType
    civility: Civility | Literal[""]
    first_name: str
    name: str
    full_name: str
    is_prospect: bool
    is_customer: bool
    is_supplier: bool
    is_partner: bool
    is_internal: bool
    is_factor: bool
    prospect_validated_at: datetime | None
    status: int | None = Field(None, alias="status_id")
    lost_reason: int | None = Field(None, alias="lost_reason_id")
    lost_comment: str
    category: int | None = Field(None, alias="category_id")
    industry_sector: int | None = Field(None, alias="industry_sector_id")
    ape_code: str
    siren: str
    siret: str
    vat_number: str
    size: CompanySize | None
    parent: int | None = Field(None, alias="parent_id")
    description: str
    fixed_phone: str
    mobile_phone: str
    email: str
    website: str
    do_not_call: bool
    do_not_email: bool
    city_name: str
    assigned_to: int | None = Field(None, alias="assigned_to_id")
    team: int | None = Field(None, alias="team_id")
    agency: int | None = Field(None, alias="agency_id")
    source: int | None = Field(None, alias="source_id")
    scoring: int
    is_key_account: bool
    is_nurturing: bool
    is_closed: bool
    closed_on: date | None
    closed_reason: str
    created_by: int | None = Field(None, alias="created_by_id")
    created_at: datetime
    updated_at: datetime
    main_address: AddressOut | None
    invoicing_address: AddressOut | None
    delivery_address: AddressOut | None
    tag_ids: list[int]

    @staticmethod
    def resolve_main_address(obj: Partner) -> dict[str, Any] | None:
        return address_out(obj.main_address)

    @staticmethod
    def resolve_invoicing_address(obj: Partner) -> dict[str, Any] | None:
        return address_out(obj.invoicing_address)

    @staticmethod
    def resolve_delivery_address(obj: Partner) -> dict[str, Any] | None:
        return address_out(obj.delivery_address)

    @staticmethod
    def resolve_tag_ids(obj: Partner) -> list[int]:
        return tag_ids(obj)


class PartnerFields(Input):
    """The fields a client sets; related records by id."""

    external_id: ExternalId = ""
    partner_type: PartnerType = PartnerType.ORGANISATION
    civility: Civility | None = None
    first_name: text(100) = ""  # type: ignore[valid-type]
    is_prospect: bool = False
    is_customer: bool = False
    is_supplier: bool = False
    is_partner: bool = False
    is_internal: bool = False
    is_factor: bool = False
    category: Id | None = None
    industry_sector: Id | None = None
    ape_code: text(10) = ""  # type: ignore[valid-type]
    siren: text(20) = ""  # type: ignore[valid-type]
    siret: text(30) = ""  # type: ignore[valid-type]
    vat_number: text(20) = ""  # type: ignore[valid-type]
    size: CompanySize | None = None
    parent: Id | None = None
    description: LongText = ""
    fixed_phone: text(40) = ""  # type: ignore[valid-type]
    mobile_phone: text(40) = ""  # type: ignore[valid-type]
    email: text(254) = ""  # type: ignore[valid-type]
    # 300 stored: room for the "https://" the services add.
    website: text(290) = ""  # type: ignore[valid-type]
    do_not_call: bool = False
    do_not_email: bool = False
    assigned_to: Id | None = None
    team: Id | None = None
    agency: Id | None = None
    source: Id | None = None
    scoring: int = Field(0, ge=0, le=5)
    is_key_account: bool = False
    is_nurturing: bool = False
    is_closed: bool = False
    closed_on: date | None = None
    closed_reason: text(200) = ""  # type: ignore[valid-type]
    main_address: AddressIn | None = Field(None, description="null (PATCH): no address any more.")
    invoicing_address: AddressIn | None = Field(None, description="null (PATCH): none any more.")
    delivery_address: AddressIn | None = Field(None, description="null (PATCH): none any more.")
    tag_ids: TagIds | None = Field(None, description="All the tags; null or left out: unchanged.")


class PartnerIn(PartnerFields):
    name: text(200)  # type: ignore[valid-type]


class PartnerPatch(PartnerFields):
    """Only the fields sent change; ``version`` is the one the client read (409 if it moved)."""

    version: Id
    name: text(200) = ""  # type: ignore[valid-type]


class PartnerFilters(Schema):
    q: text(100) | None = None  # type: ignore[valid-type]
    partner_type: PartnerType | None = None
    is_prospect: bool | None = None
    is_customer: bool | None = None
    is_supplier: bool | None = None
    is_partner: bool | None = None
    is_internal: bool | None = None
    is_factor: bool | None = None
    validated: bool | None = Field(None, description="Prospects validated (true) or draft.")
    closed: bool | None = None
    assigned_to: Id | None = None
    status: Id | None = None
    external_id: ExternalId | None = None
    siren: text(9) | None = None  # type: ignore[valid-type]
    cursor: Cursor | None = None
    limit: Limit = 50


def _visible_partner(actor: Actor, pk: int | None, field: str) -> Partner | None:
    return visible(partners_for_user(actor.user), pk, field)


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """No civility is stored as "" (the column holds no NULL)."""
    if "civility" in data and data["civility"] is None:
        data["civility"] = ""
    return data


def _lookup(model: Any) -> Any:
    return lambda actor, pk, field: of_company(actor, model, pk, field)


_PARTNER_LOOKUPS = {
    "category": _lookup(PartnerCategory),
    "industry_sector": _lookup(IndustrySector),
    "parent": _visible_partner,
    "assigned_to": company_user,
    "team": _lookup(Team),
    "agency": _lookup(Agency),
    "source": _lookup(LeadSource),
    "tag_ids": company_tags,
    **{name: address_data for name in services.PARTNER_ADDRESSES},
}
# The page's addresses and their countries joined: the answer shows each country's code.
_PARTNER_JOINS = [f"{name}__country" for name in services.PARTNER_ADDRESSES]


def _partner_writes(
    data: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], list[Tag] | None]:
    """The resolved fields split as ``partner_update`` takes them: the fields, the addresses
    sent (an address left out is not a key: it stays) and the tags (None: they stay)."""
    addresses = {n: data.pop(n) for n in services.PARTNER_ADDRESSES if n in data}
    return data, addresses, data.pop("tag_ids", None)


def _name_q(key: str) -> Q:
    return Q(name_key__startswith=key) | Q(alt_key__startswith=key)


def _partner_rows(request: HttpRequest, f: PartnerFilters) -> QuerySet[Partner]:
    qs = partners_for_user(request.user)
    for flag in services.TYPE_FLAGS:
        value = getattr(f, flag)
        if value is not None:
            qs = qs.filter(**{flag: value})
    if f.partner_type is not None:
        qs = qs.filter(partner_type=f.partner_type)
    if f.validated is not None:
        qs = qs.filter(is_prospect=True, prospect_validated_at__isnull=not f.validated)
    if f.closed is not None:
        qs = qs.filter(is_closed=f.closed)
    if f.assigned_to is not None:
        qs = qs.filter(assigned_to_id=f.assigned_to)
    if f.status is not None:
        qs = qs.filter(status_id=f.status)
    if f.external_id:
        qs = qs.filter(external_id=f.external_id.strip())
    if f.siren:
        qs = qs.filter(siren=f.siren.strip())
    key = search_key(f.q)
    if key:
        qs = qs.filter(_name_q(key))
    return qs


@partners_router.get("", response={200: Page[PartnerOut], **ERRORS})
def partner_list(request: HttpRequest, filters: Query[PartnerFilters]) -> Any:
    """Partners the caller may see, newest first, a page at a time (``next_cursor``)."""
    # Queries (after the caller's token and actor): the page with its addresses and their
    # countries joined, then the page's tags.
    qs = _partner_rows(request, filters).select_related(*_PARTNER_JOINS).prefetch_related(TAG_IDS)
    rows, cursor = keyset_page(qs, cursor=filters.cursor, limit=filters.limit)
    return page_of(rows, cursor)


@partners_router.get("/{pk}", response={200: PartnerOut, **ERRORS})
def partner_read(request: HttpRequest, pk: int) -> Any:
    return partner_get_for_user(request.user, check_pk(pk))


@partners_router.post("", response={201: PartnerOut, **ERRORS})
def partner_create(request: HttpRequest, payload: PartnerIn) -> Any:
    actor = require_right(request.user, Right.CREATE_RECORDS)
    resolved = resolve(actor, _plain(payload.dict(exclude_unset=True)), _PARTNER_LOOKUPS)
    data, addresses, tags = _partner_writes(resolved)
    data.setdefault("name", payload.name)
    partner = services.partner_create(actor=actor, data=data, addresses=addresses, tags=tags or ())
    return Status(201, partner)


@partners_router.patch("/{pk}", response={200: PartnerOut, **ERRORS})
def partner_update(request: HttpRequest, pk: int, payload: PartnerPatch) -> Any:
    partner = partner_get_for_user(request.user, check_pk(pk))
    actor = require_right(request.user, Right.CHANGE_RECORDS)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    data, addresses, tags = _partner_writes(resolve(actor, _plain(data), _PARTNER_LOOKUPS))
    services.partner_update(
        actor=actor, partner=partner, data=data, version=version, addresses=addresses, tags=tags
    )
    return partner_get_for_user(request.user, partner.pk)


@partners_router.delete("/{pk}", response={204: None, **ERRORS})
def partner_delete(request: HttpRequest, pk: int) -> Any:
    """Delete the partner with its own contacts; refused (400) while it has orders or
    subsidiaries, or contacts the caller cannot see."""
    partner = partner_get_for_user(request.user, check_pk(pk))
    actor = require_right(request.user, Right.DELETE_RECORDS)
    mine = contacts_for_user(request.user).filter(main_partner=partner).count()
    services.partner_delete(actor=actor, partner=partner, visible_contacts=mine)
    return Status(204, None)


@partners_router.post("/{pk}/validate", response={200: PartnerOut, **ERRORS})
def partner_validate(request: HttpRequest, pk: int) -> Any:
    """« Valider le prospect »: a draft prospect becomes a validated prospect."""
    partner = partner_get_for_user(request.user, check_pk(pk))
    actor = require_right(request.user, Right.VALIDATE_PROSPECTS)
    services.partner_validate_prospect(actor=actor, partner=partner)
    return partner_get_for_user(request.user, partner.pk)


class StatusIn(Input):
    status: Id


class LoseIn(Input):
    reason: Id
    comment: LongText = ""


def _for_status(request: HttpRequest, pk: int) -> tuple[Actor, Partner]:
    partner = partner_get_for_user(request.user, check_pk(pk))
    return require_right(request.user, Right.CHANGE_RECORDS), partner


@partners_router.post("/{pk}/status", response={200: PartnerOut, **ERRORS})
def partner_status(request: HttpRequest, pk: int, payload: StatusIn) -> Any:
    """Move a prospect to an open status, or win it with the won status (when the company
    manages statuses on prospects). Losing takes a reason: ``/lose``."""
    actor, partner = _for_status(request, pk)
    status = of_company(actor, PartnerStatus, payload.status, "status")
    assert status is not None
    services_prospects.prospect_change_status(actor=actor, partner=partner, status=status)
    return partner_get_for_user(request.user, partner.pk)


@partners_router.post("/{pk}/win", response={200: PartnerOut, **ERRORS})
def partner_win(request: HttpRequest, pk: int) -> Any:
    """The prospect becomes a customer (needs « create customers »)."""
    actor, partner = _for_status(request, pk)
    services_prospects.prospect_win(actor=actor, partner=partner)
    return partner_get_for_user(request.user, partner.pk)


@partners_router.post("/{pk}/lose", response={200: PartnerOut, **ERRORS})
def partner_lose(request: HttpRequest, pk: int, payload: LoseIn) -> Any:
    actor, partner = _for_status(request, pk)
    reason = of_company(actor, LostReason, payload.reason, "reason")
    services_prospects.prospect_lose(
        actor=actor, partner=partner, reason=reason, comment=payload.comment
    )
    return partner_get_for_user(request.user, partner.pk)


@partners_router.post("/{pk}/reopen", response={200: PartnerOut, **ERRORS})
def partner_reopen(request: HttpRequest, pk: int) -> Any:
    actor, partner = _for_status(request, pk)
    services_prospects.prospect_reopen(actor=actor, partner=partner)
    return partner_get_for_user(request.user, partner.pk)


# Contacts ------------------------------------------------------------------------------------


class ContactOut(Schema):
    id: int
    version: int
    external_id: str
    civility: Civility | Literal[""]
    first_name: str
    last_name: str
    full_name: str
    main_partner: int = Field(..., alias="main_partner_id")
    job_title: int | None = Field(None, alias="job_title_id")
    department: int | None = Field(None, alias="department_id")
    fixed_phone: str
    mobile_phone: str
    email: str
    do_not_call: bool
    do_not_email: bool
    description: str
    assigned_to: int | None = Field(None, alias="assigned_to_id")
    team: int | None = Field(None, alias="team_id")
    agency: int | None = Field(None, alias="agency_id")
    created_by: int | None = Field(None, alias="created_by_id")
    created_at: datetime
    updated_at: datetime
    address: AddressOut | None
    tag_ids: list[int]

    @staticmethod
    def resolve_address(obj: Contact) -> dict[str, Any] | None:
        return address_out(obj.address)

    @staticmethod
    def resolve_tag_ids(obj: Contact) -> list[int]:
        return tag_ids(obj)


class ContactFields(Input):
    external_id: ExternalId = ""
    civility: Civility | None = None
    first_name: text(100) = ""  # type: ignore[valid-type]
    job_title: Id | None = None
    department: Id | None = None
    fixed_phone: text(40) = ""  # type: ignore[valid-type]
    mobile_phone: text(40) = ""  # type: ignore[valid-type]
    email: text(254) = ""  # type: ignore[valid-type]
    do_not_call: bool = False
    do_not_email: bool = False
    description: LongText = ""
    assigned_to: Id | None = None
    team: Id | None = None
    agency: Id | None = None
    address: AddressIn | None = Field(None, description="null (PATCH): no address any more.")
    tag_ids: TagIds | None = Field(None, description="All the tags; null or left out: unchanged.")


class ContactIn(ContactFields):
    main_partner: Id
    last_name: text(100)  # type: ignore[valid-type]


class ContactPatch(ContactFields):
    version: Id
    main_partner: Id | None = None
    last_name: text(100) = ""  # type: ignore[valid-type]


class ContactFilters(Schema):
    q: text(100) | None = None  # type: ignore[valid-type]
    partner: Id | None = Field(None, description="Contacts whose main partner this is.")
    email: text(254) | None = None  # type: ignore[valid-type]
    external_id: ExternalId | None = None
    assigned_to: Id | None = None
    cursor: Cursor | None = None
    limit: Limit = 50


_CONTACT_LOOKUPS = {
    "job_title": _lookup(JobTitle),
    "department": _lookup(Department),
    "assigned_to": company_user,
    "team": _lookup(Team),
    "agency": _lookup(Agency),
    "main_partner": _visible_partner,
    "tag_ids": company_tags,
    "address": address_data,
}


def _contact_rows(request: HttpRequest, f: ContactFilters) -> QuerySet[Contact]:
    qs = contacts_for_user(request.user)
    if f.partner is not None:
        qs = qs.filter(main_partner_id=f.partner)
    if f.email:
        qs = qs.filter(email_key=f.email.strip().lower())
    if f.external_id:
        qs = qs.filter(external_id=f.external_id.strip())
    if f.assigned_to is not None:
        qs = qs.filter(assigned_to_id=f.assigned_to)
    key = search_key(f.q)
    if key:
        qs = qs.filter(_name_q(key))
    return qs


@contacts_router.get("", response={200: Page[ContactOut], **ERRORS})
def contact_list(request: HttpRequest, filters: Query[ContactFilters]) -> Any:
    """Contacts the caller may see, newest first, a page at a time (``next_cursor``)."""
    # Queries (after the caller's token and actor): the page with its address and country
    # joined, then the page's tags.
    qs = _contact_rows(request, filters).select_related("address__country")
    rows, cursor = keyset_page(
        qs.prefetch_related(TAG_IDS), cursor=filters.cursor, limit=filters.limit
    )
    return page_of(rows, cursor)


@contacts_router.get("/{pk}", response={200: ContactOut, **ERRORS})
def contact_read(request: HttpRequest, pk: int) -> Any:
    return contact_get_for_user(request.user, check_pk(pk))


@contacts_router.post("", response={201: ContactOut, **ERRORS})
def contact_create(request: HttpRequest, payload: ContactIn) -> Any:
    actor = require_right(request.user, Right.CREATE_RECORDS)
    data = resolve(actor, payload.dict(exclude_unset=True), _CONTACT_LOOKUPS)
    partner = data.pop("main_partner")
    address = data.pop("address", None)
    tags = data.pop("tag_ids", None)
    data.setdefault("last_name", payload.last_name)
    contact = services.contact_create(
        actor=actor, partner=partner, data=data, address=address, tags=tags or ()
    )
    return Status(201, contact)


@contacts_router.patch("/{pk}", response={200: ContactOut, **ERRORS})
def contact_update(request: HttpRequest, pk: int, payload: ContactPatch) -> Any:
    contact = contact_get_for_user(request.user, check_pk(pk))
    actor = require_right(request.user, Right.CHANGE_RECORDS)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    data = resolve(actor, data, _CONTACT_LOOKUPS)
    main = data.pop("main_partner", None)
    # Left out: None, the address stays; sent null: an empty address, which removes it.
    address = data.pop("address", None)
    tags = data.pop("tag_ids", None)
    services.contact_update(
        actor=actor,
        contact=contact,
        data=data,
        version=version,
        main_partner=main,
        address=address,
        tags=tags,
    )
    return contact_get_for_user(request.user, contact.pk)


@contacts_router.delete("/{pk}", response={204: None, **ERRORS})
def contact_delete(request: HttpRequest, pk: int) -> Any:
    contact = contact_get_for_user(request.user, check_pk(pk))
    actor = require_right(request.user, Right.DELETE_RECORDS)
    services.contact_delete(actor=actor, contact=contact)
    return Status(204, None)
