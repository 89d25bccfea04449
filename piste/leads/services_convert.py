"""Convert a lead (« Convertir la piste »): the partner and contacts it becomes.

One transaction, idempotent: the lead's row is locked first, so a double click or a retried
submit finds the lead already converted and returns the partner of the first conversion instead
of creating a second one. The lead itself is kept, closed and linked to its partner (and first
contact): its history stays readable there, and the partner's and contact's timelines show it
(``piste.core.timeline`` follows ``Lead.partner`` and ``Lead.contact``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from piste.core.access import Actor
from piste.core.models import Activity
from piste.core.rights import Right
from piste.core.statuses import status_by_role
from piste.core.timeline import activity_record, field_label
from piste.leads.models import Lead, LeadStatus
from piste.leads.statuses import LEAD_STATUSES
from piste.partners import services as partner_services
from piste.partners.models import Contact, Partner, PartnerStatus, PartnerType
from piste.partners.services import TYPE_FLAGS
from piste.users.selectors import crm_settings_of

PARTNER_NEW = "new"
PARTNER_EXISTING = "existing"
CONTACT_NONE = "none"
CONTACT_NEW = "new"
CONTACT_EXISTING = "existing"

# Lead fields copied as they are onto a new partner (the mapping of the reference, §8.2, plus
# description, consent flags, scoring and category: nothing a user typed is dropped).
PARTNER_COPIED = [
    "siren",
    "industry_sector",
    "category",
    "size",
    "fixed_phone",
    "mobile_phone",
    "email",
    "website",
    "do_not_call",
    "do_not_email",
    "description",
    "assigned_to",
    "team",
    "agency",
    "scoring",
    "is_key_account",
    "is_nurturing",
    "source",
]
CONTACT_COPIED = [
    "civility",
    "first_name",
    "last_name",
    "job_title",
    "department",
    "fixed_phone",
    "mobile_phone",
    "email",
    "do_not_call",
    "do_not_email",
    "assigned_to",
    "team",
    "agency",
]


@dataclass
class Conversion:
    partner: Partner
    contacts: list[Contact] = field(default_factory=list)
    created_partner: bool = False
    # True when the lead was already converted (a retried submit): nothing was written.
    already: bool = False


def _address_data(lead: Lead) -> dict[str, Any] | None:
    address = lead.address
    if address is None:
        return None
    return {
        "line1": address.line1,
        "line2": address.line2,
        "line3": address.line3,
        "postal_code": address.postal_code,
        "city_name": address.city_name,
        "city": address.city,
        "country": address.country,
    }


def _label(name: str) -> str:
    return str(field_label(Lead, name))


def _leftovers(lead: Lead, *, organisation: bool, with_contact: bool) -> list[tuple[str, str]]:
    """Lead values that no created record has a field for: kept in the partner's description."""
    rows: list[tuple[str, str]] = []
    if not organisation and lead.enterprise_name:
        rows.append((_label("enterprise_name"), lead.enterprise_name))
    if not with_contact:
        for name in ("job_title", "department"):
            value = getattr(lead, name)
            if value is not None:
                rows.append((_label(name), str(value)))
    return rows


def _description(lead: Lead, leftovers: list[tuple[str, str]]) -> str:
    if not leftovers:
        return lead.description
    lines = "".join(
        f"<li>{escape(label[:1].upper() + label[1:])} : {escape(value)}</li>"
        for label, value in leftovers
    )
    heading = escape(_("From the lead:"))
    return f"{lead.description}<p>{heading}</p><ul>{lines}</ul>"


def _new_partner(
    actor: Actor, lead: Lead, types: Mapping[str, bool], *, with_contact: bool
) -> Partner:
    # A company partner when a contact will be created and the lead names its company; a
    # person's partner otherwise (then it gets no contact).
    organisation = with_contact and bool(lead.enterprise_name.strip())
    data: dict[str, Any] = {name: getattr(lead, name) for name in PARTNER_COPIED}
    data.update({flag: bool(types.get(flag)) for flag in TYPE_FLAGS})
    if organisation:
        data.update(partner_type=PartnerType.ORGANISATION, name=lead.enterprise_name.strip())
    else:
        data.update(
            partner_type=PartnerType.INDIVIDUAL,
            civility=lead.civility,
            first_name=lead.first_name,
            name=lead.last_name,
        )
    data["description"] = _description(
        lead, _leftovers(lead, organisation=organisation, with_contact=with_contact)
    )
    address = _address_data(lead)
    partner = partner_services.partner_create(
        actor=actor,
        data=data,
        addresses={"main_address": address} if address else None,
        tags=lead.tags.all(),
    )
    if lead.logo:
        with lead.logo.open("rb") as logo:
            partner.logo.save(lead.logo.name.rsplit("/", 1)[-1], ContentFile(logo.read()))
    return partner


def _new_contact(actor: Actor, lead: Lead, partner: Partner) -> Contact:
    data = {name: getattr(lead, name) for name in CONTACT_COPIED}
    data["civility"] = data["civility"] or ""
    return partner_services.contact_create(
        actor=actor,
        partner=partner,
        data=data,
        address=_address_data(lead),
        tags=lead.tags.all(),
    )


def _check_types(types: Mapping[str, bool]) -> None:
    if set(types) - set(TYPE_FLAGS):
        raise ValueError(f"Unknown partner types: {sorted(set(types) - set(TYPE_FLAGS))}")
    if not any(types.values()):
        raise ValidationError({"types": _("Choose at least one type: prospect, customer…")})


def _check_status(actor: Actor, status: PartnerStatus | None) -> PartnerStatus | None:
    """The prospect status the wizard must ask when the company manages prospect statuses."""
    if not crm_settings_of(actor.company).manage_prospect_statuses:
        return None
    if status is None:
        raise ValidationError({"status": _("Choose the prospect status.")})
    if status.company_id != actor.company.pk:
        raise ValidationError({"status": _("Choose a value of this company.")})
    return status


def _set_status(actor: Actor, partner: Partner, status: PartnerStatus | None) -> None:
    if status is None or partner.status_id == status.pk:
        return
    before = str(partner.status) if partner.status_id else None
    partner.status = status
    partner.save(update_fields=["status", "updated_at"])
    activity_record(
        obj=partner,
        verb=Activity.Verb.STATUS_CHANGED,
        actor=actor.user,
        data={"changes": [{"field": "status", "from": before, "to": status.name}]},
    )


@transaction.atomic
def lead_convert(
    *,
    actor: Actor,
    lead: Lead,
    partner_choice: str,
    partner: Partner | None = None,
    types: Mapping[str, bool] | None = None,
    status: PartnerStatus | None = None,
    contact_choice: str = CONTACT_NEW,
    contacts: Iterable[Contact] = (),
) -> Conversion:
    """Turn ``lead`` into a new partner (``partner_choice`` "new", with the type flags
    ``types``) or attach it to an existing ``partner`` ("existing"), with a new contact, chosen
    existing contacts or none. The lead takes the converted status and points at its partner.

    Callers pass records they read through the access layer; this checks the company and rights.
    """
    if lead.company_id != actor.company.pk:
        raise PermissionDenied
    for right in (Right.CHANGE_RECORDS, Right.CREATE_RECORDS):
        if not actor.has(right):
            raise PermissionDenied(right.label)
    locked = Lead.objects.select_for_update().select_related("status").get(pk=lead.pk)
    if locked.status.role == LeadStatus.Role.CONVERTED:
        if locked.partner_id is None:
            raise ValidationError(_("This lead is already converted."))
        return Conversion(partner=Partner.objects.get(pk=locked.partner_id), already=True)
    if locked.status.role == LeadStatus.Role.LOST:
        raise ValidationError(_("A lost lead cannot be converted: reopen it first."))
    chosen_status = _check_status(actor, status)
    contact_list = list(contacts)
    if contact_choice not in (CONTACT_NONE, CONTACT_NEW, CONTACT_EXISTING):
        raise ValidationError({"contact_choice": _("Choose what becomes of the contact.")})
    if contact_choice == CONTACT_EXISTING and not contact_list:
        raise ValidationError({"contacts": _("Choose at least one contact.")})
    if any(c.company_id != actor.company.pk for c in contact_list):
        raise ValidationError({"contacts": _("Choose a value of this company.")})

    if partner_choice == PARTNER_NEW:
        types = dict(types or {"is_prospect": True})
        _check_types(types)
        target = _new_partner(actor, locked, types, with_contact=contact_choice != CONTACT_NONE)
        created = True
    elif partner_choice == PARTNER_EXISTING:
        if partner is None:
            raise ValidationError({"partner": _("Choose the partner.")})
        if partner.company_id != actor.company.pk:
            raise ValidationError({"partner": _("Choose a value of this company.")})
        target, created = partner, False
        if not target.is_customer and not target.is_prospect:
            partner_services.partner_set_types(
                actor=actor, partner=target, types={"is_prospect": True}
            )
        new_tags = set(locked.tags.values_list("pk", flat=True)) - set(
            target.tags.values_list("pk", flat=True)
        )
        if new_tags:
            target.tags.add(*new_tags)
    else:
        raise ValidationError({"partner_choice": _("Choose a new or an existing partner.")})
    _set_status(actor, target, chosen_status)

    linked: list[Contact] = []
    # A person's partner never gets contacts: it is the person.
    if target.partner_type == PartnerType.ORGANISATION:
        if contact_choice == CONTACT_NEW:
            linked.append(_new_contact(actor, locked, target))
        elif contact_choice == CONTACT_EXISTING:
            for contact in contact_list:
                if contact.main_partner_id != target.pk:
                    partner_services.contact_attach(actor=actor, contact=contact, partner=target)
                linked.append(contact)

    converted = status_by_role(LEAD_STATUSES, actor.company.pk, LeadStatus.Role.CONVERTED)
    before = locked.status.name
    locked.status = converted
    locked.partner = target
    locked.contact = linked[0] if linked else None
    locked.converted_at = timezone.now()
    locked.version += 1
    locked.save(
        update_fields=["status", "partner", "contact", "converted_at", "version", "updated_at"]
    )
    names = [str(c) for c in linked]
    activity_record(
        obj=locked,
        verb=Activity.Verb.CONVERTED,
        actor=actor.user,
        data={
            "changes": [
                {"field": "status", "from": before, "to": converted.name},
                {"field": "partner", "from": None, "to": str(target)},
                *([{"field": "contact", "from": None, "to": ", ".join(names)}] if names else []),
            ]
        },
    )
    message = _("Converted from the lead “%(lead)s”.") % {"lead": locked}
    for obj in (target, *linked):
        activity_record(
            obj=obj, verb=Activity.Verb.CONVERTED, actor=actor.user, data={"message": message}
        )
    return Conversion(partner=target, contacts=linked, created_partner=created)
