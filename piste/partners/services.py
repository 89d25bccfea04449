"""Writes on the address book: partners (prospects, customers…) and their contacts.

Every function takes the acting ``Actor`` (``piste.core.access``), checks the rights it needs and
that every record it touches belongs to the actor's company, writes the timeline, and runs in one
transaction: a refused action changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Model, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from piste.core.access import Actor
from piste.core.contact import email_key, normalise_contact_details, phone_display
from piste.core.html import html_to_plain, sanitise_html
from piste.core.images import image_field_save
from piste.core.models import Activity, Tag, external_id_clean
from piste.core.rights import Right
from piste.core.services import ConflictError
from piste.core.statuses import status_by_role
from piste.core.text import fold
from piste.core.timeline import activity_record
from piste.documents.services import documents_delete_for_record, documents_delete_for_records
from piste.geo.address import address_label, address_save
from piste.orders.models import SaleOrder
from piste.partners import identifiers
from piste.partners.models import Contact, Partner, PartnerStatus, PartnerType
from piste.partners.selectors_prospects import prospect_statuses_enabled
from piste.partners.statuses import PROSPECT_STATUSES
from piste.users.selectors import agencies_enabled

LOGO_MAX_SIDE = 256

TYPE_FLAGS = ["is_prospect", "is_customer", "is_supplier", "is_partner", "is_internal", "is_factor"]

# Fields a user edits on the partner form, in the order the timeline lists their changes.
PARTNER_FIELDS = [
    "partner_type",
    "civility",
    "first_name",
    "name",
    *TYPE_FLAGS,
    "category",
    "industry_sector",
    "ape_code",
    "siren",
    "siret",
    "vat_number",
    "size",
    "parent",
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
    "is_closed",
    "closed_on",
    "closed_reason",
]
PARTNER_ADDRESSES = ["main_address", "invoicing_address", "delivery_address"]

CONTACT_FIELDS = [
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
    "description",
    "assigned_to",
    "team",
    "agency",
]

# Relations a form or the API may set, each checked against the actor's company.
_RELATIONS = {
    "category",
    "industry_sector",
    "parent",
    "job_title",
    "department",
    "assigned_to",
    "team",
    "agency",
    "source",
}

DRAFT = gettext_noop("Draft prospect")
VALIDATED = gettext_noop("Validated prospect")


# Shared checks ---------------------------------------------------------------------------------


def _check_company(actor: Actor, data: Mapping[str, Any], tags: Iterable[Tag] = ()) -> None:
    """Every chosen record belongs to the actor's company (forms limit the choices; the API,
    imports and crafted requests go through here too)."""
    for name in _RELATIONS:
        value = data.get(name)
        if value is None:
            continue
        if name == "assigned_to":
            if not value.memberships.filter(company=actor.company, is_active=True).exists():
                raise ValidationError({name: _("Choose a user of this company.")})
        elif value.company_id != actor.company.pk:
            raise ValidationError({name: _("Choose a value of this company.")})
    for tag in tags:
        if tag.company_id != actor.company.pk:
            raise ValidationError({"tags": _("Choose tags of this company.")})


def _require(actor: Actor, right: Right, obj: Model | None = None) -> None:
    if obj is not None and getattr(obj, "company_id", None) != actor.company.pk:
        raise PermissionDenied
    if not actor.has(right):
        raise PermissionDenied(right.label)


def _external_id(values: dict[str, Any], errors: dict[str, Any]) -> None:
    """The key another system gives the record (imports and the API set it, not the forms)."""
    if "external_id" in values:
        try:
            values["external_id"] = external_id_clean(values["external_id"])
        except ValidationError as exc:
            errors.update(exc.message_dict)


def _contact_details(values: dict[str, Any], errors: dict[str, Any]) -> None:
    names = ("first_name", "last_name", "name", "closed_reason")
    normalise_contact_details(values, errors, names=names)
    if "description" in values:
        values["description"] = sanitise_html(values["description"] or "")


def _shown(obj: Model, field: str) -> Any:
    """A field's value as the timeline shows it."""
    value = getattr(obj, field)
    if field == "description":
        return html_to_plain(value) or None
    if field in ("fixed_phone", "mobile_phone"):
        return phone_display(value) or None
    if field in ("civility", "size", "partner_type") and value not in (None, ""):
        return str(getattr(obj, f"get_{field}_display")())
    if isinstance(value, Model):
        return str(value)
    if value == "" or value is None:
        return None
    return str(value) if not isinstance(value, bool | int) else value


def _apply(obj: Model, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    changes = []
    for name, value in values.items():
        before = _shown(obj, name)
        setattr(obj, name, value)
        after = _shown(obj, name)
        if before != after:
            changes.append({"field": name, "from": before, "to": after})
    return changes


def _set_tags(obj: Partner | Contact, tags: list[Tag]) -> dict[str, Any] | None:
    current = {t.pk: t for t in obj.tags.all()}
    wanted = {t.pk: t for t in tags}
    added = [wanted[pk] for pk in wanted.keys() - current.keys()]
    removed = [current[pk] for pk in current.keys() - wanted.keys()]
    if not added and not removed:
        return None
    obj.tags.set(tags)
    return {
        "field": "tags",
        "added": sorted(t.name for t in added),
        "removed": sorted(t.name for t in removed),
    }


def _bump_version(
    model: type[Partner] | type[Contact], obj: Partner | Contact, version: int
) -> None:
    # The version moves first: of two saves from the same version, only one passes this line.
    if not model.objects.filter(pk=obj.pk, version=version).update(version=F("version") + 1):
        raise ConflictError(
            _(
                "Someone else saved this record while you were editing it. Your values are kept "
                "below: check them against the saved record and save again to keep yours."
            ),
            code="conflict",
        )
    obj.version = version + 1


def _record_changes(actor: Actor, obj: Model, changes: list[dict[str, Any]]) -> None:
    assigned = next((c for c in changes if c["field"] == "assigned_to"), None)
    others = [c for c in changes if c is not assigned]
    if others:
        activity_record(
            obj=obj, verb=Activity.Verb.CHANGED, actor=actor.user, data={"changes": others}
        )
    if assigned:
        activity_record(
            obj=obj, verb=Activity.Verb.ASSIGNED, actor=actor.user, data={"changes": [assigned]}
        )


def _tracking_defaults(actor: Actor, values: dict[str, Any], data: Mapping[str, Any]) -> None:
    """Unset tracking fields take the creator's defaults: assigned to them, their active team
    and agency."""
    user = actor.user
    if "assigned_to" not in data:
        values["assigned_to"] = user
    if "team" not in data and user.active_team_id:
        values["team_id"] = user.active_team_id
    if "agency" not in data and user.active_agency_id and agencies_enabled(actor.company):
        values["agency_id"] = user.active_agency_id


# Partners --------------------------------------------------------------------------------------


def _partner_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The partner fields of ``data`` validated and normalised; errors keyed by field."""
    values = {k: v for k, v in data.items() if k in PARTNER_FIELDS or k == "external_id"}
    errors: dict[str, Any] = {}
    _external_id(values, errors)
    _contact_details(values, errors)
    if "name" in values and not values["name"]:
        errors["name"] = [_("Enter the name.")]
    if values.get("partner_type") not in (None, *PartnerType.values):
        errors["partner_type"] = [_("Choose organisation or individual.")]
    for name, clean in (
        ("siren", identifiers.siren_clean),
        ("siret", identifiers.siret_clean),
        ("vat_number", identifiers.vat_clean),
        ("ape_code", identifiers.ape_clean),
    ):
        if name in values:
            try:
                values[name] = clean(values[name] or "")
            except ValidationError as exc:
                errors[name] = exc.messages
    siren, siret = values.get("siren"), values.get("siret")
    if siren and siret and "siren" not in errors and "siret" not in errors:
        try:
            identifiers.siret_siren_check(siren, siret)
        except ValidationError as exc:
            errors["siret"] = exc.messages
    if "scoring" in values:
        values["scoring"] = values["scoring"] or 0
        if not 0 <= values["scoring"] <= 5:
            errors["scoring"] = [_("Lead scoring goes from 0 to 5 stars.")]
    if errors:
        raise ValidationError(errors)
    return values


def _closing(partner: Partner) -> None:
    """A closed partner has a closing date (today unless given); an open one has none."""
    if partner.is_closed:
        partner.closed_on = partner.closed_on or timezone.localdate()
    else:
        partner.closed_on = None
        partner.closed_reason = ""


# Short words that never start what a user types to find a company.
_LINK_WORDS = {"de", "du", "des", "d", "la", "le", "les", "l", "et", "en", "a", "au", "aux"}


def organisation_alt_key(name_key: str) -> str:
    """A company's name from its second significant word ("boulangeries morel" -> "morel",
    "mairie de villeurbanne" -> "villeurbanne"): what users type when the first word is a
    trade or a legal form."""
    words = name_key.split(" ")[1:]
    while words and words[0] in _LINK_WORDS:
        words.pop(0)
    return " ".join(words)


def _refresh_partner(partner: Partner) -> None:
    if partner.partner_type == PartnerType.INDIVIDUAL:
        partner.full_name = " ".join(p for p in (partner.first_name, partner.name) if p)
        partner.name_key = fold(f"{partner.name} {partner.first_name}")[:320]
        partner.alt_key = (
            fold(f"{partner.first_name} {partner.name}")[:320] if partner.first_name else ""
        )
    else:
        partner.first_name = ""
        partner.civility = ""
        partner.full_name = partner.name
        partner.name_key = fold(partner.name)[:320]
        partner.alt_key = organisation_alt_key(partner.name_key)
    address = partner.main_address
    partner.city_name = address.city_name if partner.main_address_id and address else ""
    if partner.siret and not partner.siren:
        partner.siren = partner.siret[:9]
    partner.email_key, partner.email_domain = email_key(partner.email)


def _check_types(actor: Actor, values: Mapping[str, Any], partner: Partner | None) -> None:
    """Only users with the right create customers, or turn a partner into one."""
    becomes_customer = values.get("is_customer") and not (partner and partner.is_customer)
    if becomes_customer and not actor.has(Right.CREATE_CUSTOMERS):
        raise ValidationError({"is_customer": _("You may not create customers.")})


def _save_addresses(
    partner: Partner, addresses: Mapping[str, Mapping[str, Any] | None]
) -> list[dict[str, Any]]:
    changes = []
    for name in PARTNER_ADDRESSES:
        data = addresses.get(name)
        if data is None:
            continue
        current = getattr(partner, name)
        before = address_label(current)
        setattr(partner, name, address_save(address=current, data=data))
        after = address_label(getattr(partner, name))
        if before != after:
            changes.append({"field": name, "from": before or None, "to": after or None})
    return changes


# Prospect statuses -----------------------------------------------------------------------------


def _prospect_status(actor: Actor, role: str) -> PartnerStatus:
    status: PartnerStatus = status_by_role(PROSPECT_STATUSES, actor.company.pk, role)
    return status


def _prospect_status_follows(
    actor: Actor, partner: Partner, *, becomes_prospect: bool, becomes_customer: bool
) -> list[dict[str, Any]]:
    """When the company manages statuses on prospects: a partner that becomes a prospect takes
    the default status (unless it is at an open one), a prospect at an open status that becomes
    a customer takes the won status. The partner is changed, not saved; returns the changes."""
    becomes_customer = becomes_customer and partner.status_id is not None
    if not (becomes_customer or becomes_prospect) or not prospect_statuses_enabled(actor.company):
        return []
    current = partner.status if partner.status_id else None
    if becomes_customer and current is not None and current.is_open:
        target = _prospect_status(actor, PartnerStatus.Role.WON)
    elif becomes_prospect and (current is None or not current.is_open):
        target = _prospect_status(actor, PartnerStatus.Role.DEFAULT)
    else:
        return []
    changes = [{"field": "status", "from": str(current) if current else None, "to": str(target)}]
    if partner.lost_reason_id:
        changes.append({"field": "lost_reason", "from": str(partner.lost_reason), "to": None})
    partner.status = target
    partner.lost_reason = None
    partner.lost_comment = ""
    return changes


@transaction.atomic
def partner_create(
    *,
    actor: Actor,
    data: Mapping[str, Any],
    addresses: Mapping[str, Mapping[str, Any] | None] | None = None,
    tags: Iterable[Tag] = (),
    logo: UploadedFile | None = None,
) -> Partner:
    """A new partner. A prospect starts as a draft prospect; a customer needs the right to create
    customers."""
    _require(actor, Right.CREATE_RECORDS)
    values = _partner_values(data)
    tag_list = list(tags)
    _check_company(actor, values, tag_list)
    _check_types(actor, values, None)
    _tracking_defaults(actor, values, data)
    partner = Partner(company=actor.company, created_by=actor.user, **values)
    if partner.is_prospect and prospect_statuses_enabled(actor.company):
        # « Gérer les statuts sur les prospects »: a new prospect takes the default status.
        partner.status = _prospect_status(actor, PartnerStatus.Role.DEFAULT)
    _save_addresses(partner, addresses or {})
    image_field_save(partner, "logo", logo, max_side=LOGO_MAX_SIDE)
    _closing(partner)
    _refresh_partner(partner)
    partner.save()
    if tag_list:
        partner.tags.set(tag_list)
    activity_record(obj=partner, verb=Activity.Verb.CREATED, actor=actor.user)
    return partner


@transaction.atomic
def partner_update(
    *,
    actor: Actor,
    partner: Partner,
    data: Mapping[str, Any],
    version: int,
    addresses: Mapping[str, Mapping[str, Any] | None] | None = None,
    tags: Iterable[Tag] | None = None,
    logo: UploadedFile | Literal[False] | None = None,
) -> Partner:
    """Save the fields in ``data`` (and the addresses, tags and logo when given) if nobody saved
    the partner since ``version`` was read; ConflictError otherwise, and nothing is written."""
    _require(actor, Right.CHANGE_RECORDS, partner)
    values = _partner_values(data)
    tag_list = list(tags) if tags is not None else None
    _check_company(actor, values, tag_list or [])
    _check_types(actor, values, partner)
    if values.get("parent") is not None and values["parent"].pk == partner.pk:
        raise ValidationError({"parent": _("A company cannot be its own parent.")})
    _bump_version(Partner, partner, version)
    was_closed = partner.is_closed
    was_prospect, was_customer = partner.is_prospect, partner.is_customer
    changes = _apply(partner, values)
    changes += _prospect_status_follows(
        actor,
        partner,
        becomes_prospect=partner.is_prospect and not was_prospect,
        becomes_customer=partner.is_customer and not was_customer,
    )
    changes += _save_addresses(partner, addresses or {})
    logo_change = image_field_save(partner, "logo", logo, max_side=LOGO_MAX_SIDE)
    if logo_change:
        changes.append(logo_change)
    _closing(partner)
    _refresh_partner(partner)
    partner.save()
    if tag_list is not None:
        tag_change = _set_tags(partner, tag_list)
        if tag_change:
            changes.append(tag_change)
    if partner.is_closed != was_closed:
        # The accounts search hides contacts of closed accounts through this copy.
        Contact.objects.filter(main_partner=partner).update(partner_closed=partner.is_closed)
    _record_changes(actor, partner, changes)
    return partner


@transaction.atomic
def partner_validate_prospect(*, actor: Actor, partner: Partner) -> None:
    """« Valider le prospect »: a draft prospect becomes a validated prospect."""
    _require(actor, Right.VALIDATE_PROSPECTS, partner)
    if not partner.is_draft_prospect:
        raise ValidationError(_("Only a draft prospect can be validated."))
    partner.prospect_validated_at = timezone.now()
    partner.prospect_validated_by = actor.user
    partner.version = F("version") + 1
    partner.save(
        update_fields=["prospect_validated_at", "prospect_validated_by", "version", "updated_at"]
    )
    partner.refresh_from_db(fields=["version"])
    activity_record(
        obj=partner,
        verb=Activity.Verb.STATUS_CHANGED,
        actor=actor.user,
        data={"changes": [{"field": "is_prospect", "from": _(DRAFT), "to": _(VALIDATED)}]},
    )


@transaction.atomic
def partner_set_types(
    *, actor: Actor, partner: Partner, types: Mapping[str, bool], message: str = ""
) -> bool:
    """Set some type flags of ``partner`` (``is_customer``, ``is_prospect``…; the others stay):
    what winning an opportunity or a prospect, or confirming a first order, does. Becoming a
    customer needs the right « create customers ». The timeline says what changed, with
    ``message``; returns whether anything changed."""
    _require(actor, Right.CHANGE_RECORDS, partner)
    if set(types) - set(TYPE_FLAGS):
        raise ValueError(f"Unknown partner types: {sorted(set(types) - set(TYPE_FLAGS))}")
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    changes = [
        {"field": name, "from": getattr(locked, name), "to": bool(value)}
        for name, value in types.items()
        if getattr(locked, name) != bool(value)
    ]
    if not changes:
        return False
    making_customer = types.get("is_customer") and not locked.is_customer
    if making_customer and not actor.has(Right.CREATE_CUSTOMERS):
        raise ValidationError(
            _("Only users with the right « create customers » may make a customer.")
        )
    values: dict[str, Any] = {change["field"]: change["to"] for change in changes}
    # A prospect won another way (a confirmed order, a won opportunity) takes the won status.
    status_changes = _prospect_status_follows(
        actor,
        locked,
        becomes_prospect=bool(types.get("is_prospect")) and not locked.is_prospect,
        becomes_customer=bool(making_customer),
    )
    if status_changes:
        changes += status_changes
        values.update(status=locked.status, lost_reason=None, lost_comment="")
    Partner.objects.filter(pk=partner.pk).update(
        **values, version=F("version") + 1, updated_at=timezone.now()
    )
    for name, value in values.items():
        setattr(partner, name, value)
    partner.refresh_from_db(fields=["version", "updated_at"])
    data: dict[str, Any] = {"changes": changes}
    if message:
        data["message"] = message
    activity_record(obj=partner, verb=Activity.Verb.STATUS_CHANGED, actor=actor.user, data=data)
    return True


def partner_delete_refusal(actor: Actor, partner: Partner, visible_contacts: int) -> str | None:
    """Why the partner cannot be deleted, or None. ``visible_contacts``: how many of its contacts
    the actor sees (a contact hidden from them must not vanish with it)."""
    if SaleOrder.objects.filter(partner=partner).exists():
        return _("This partner has orders: they are kept for good, and the partner with them.")
    if partner.subsidiaries.exists():
        return _(
            "This company is the parent company of other partners: change their parent "
            "company first."
        )
    if Contact.objects.filter(main_partner=partner).count() > visible_contacts:
        return _(
            "Some contacts of this partner are not visible to you: ask a manager to delete it."
        )
    return None


@transaction.atomic
def partner_delete(*, actor: Actor, partner: Partner, visible_contacts: int) -> None:
    """Delete the partner and its own contacts, for good (its timeline records who did it)."""
    _require(actor, Right.DELETE_RECORDS, partner)
    refusal = partner_delete_refusal(actor, partner, visible_contacts)
    if refusal:
        raise ValidationError(refusal)
    addresses = [getattr(partner, f"{n}_id") for n in PARTNER_ADDRESSES]
    contacts = list(Contact.objects.filter(main_partner=partner).values_list("pk", "address_id"))
    for pk, _address in contacts:
        activity_record(
            obj=Contact(pk=pk, company_id=partner.company_id),
            verb=Activity.Verb.DELETED,
            actor=actor.user,
        )
    activity_record(
        obj=partner, verb=Activity.Verb.DELETED, actor=actor.user, data={"message": str(partner)}
    )
    documents_delete_for_records(model=Contact, ids=[pk for pk, _address in contacts])
    documents_delete_for_record(record=partner)
    try:
        partner.delete()
    except ProtectedError as exc:  # a link added by a later feature, not foreseen above
        names = ", ".join(sorted({str(o) for o in exc.protected_objects})[:5])
        raise ValidationError(
            _("This partner is still linked to: %(names)s.") % {"names": names}
        ) from exc
    from piste.geo.models import Address

    Address.objects.filter(
        pk__in=[a for a in [*addresses, *(c[1] for c in contacts)] if a]
    ).delete()


# Contacts --------------------------------------------------------------------------------------


def _contact_values(data: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k in CONTACT_FIELDS or k == "external_id"}
    errors: dict[str, Any] = {}
    _external_id(values, errors)
    _contact_details(values, errors)
    if "civility" in values:
        values["civility"] = values["civility"] or ""
    if "last_name" in values and not values["last_name"]:
        errors["last_name"] = [_("Enter the last name.")]
    if errors:
        raise ValidationError(errors)
    return values


def _refresh_contact(contact: Contact) -> None:
    contact.full_name = contact.simple_full_name
    contact.name_key = fold(f"{contact.last_name} {contact.first_name}")[:201]
    contact.alt_key = fold(f"{contact.first_name} {contact.last_name}")[:201]
    contact.partner_closed = contact.main_partner.is_closed
    contact.email_key, contact.email_domain = email_key(contact.email)


def _check_partners(actor: Actor, main: Partner, others: list[Partner]) -> None:
    if main.company_id != actor.company.pk:
        raise ValidationError({"main_partner": _("Choose a value of this company.")})
    if any(p.company_id != actor.company.pk for p in others):
        raise ValidationError({"other_partners": _("Choose a value of this company.")})


@transaction.atomic
def contact_create(
    *,
    actor: Actor,
    partner: Partner,
    data: Mapping[str, Any],
    address: Mapping[str, Any] | None = None,
    other_partners: Iterable[Partner] = (),
    tags: Iterable[Tag] = (),
) -> Contact:
    """A new contact of ``partner``; unset tracking fields follow the partner's (its owner, team
    and agency), so the contact shows to those who see the partner."""
    _require(actor, Right.CREATE_RECORDS)
    values = _contact_values(data)
    others = [p for p in other_partners if p.pk != partner.pk]
    tag_list = list(tags)
    _check_partners(actor, partner, others)
    _check_company(actor, values, tag_list)
    for name in ("assigned_to", "team", "agency"):
        if name not in data:
            values[f"{name}_id"] = getattr(partner, f"{name}_id")
    contact = Contact(company=actor.company, main_partner=partner, created_by=actor.user, **values)
    if address:
        contact.address = address_save(address=None, data=address)
    _refresh_contact(contact)
    contact.save()
    if others:
        contact.other_partners.set(others)
    if tag_list:
        contact.tags.set(tag_list)
    activity_record(obj=contact, verb=Activity.Verb.CREATED, actor=actor.user)
    activity_record(
        obj=partner,
        verb=Activity.Verb.CHANGED,
        actor=actor.user,
        data={"changes": [{"field": "contacts", "added": [str(contact)], "removed": []}]},
    )
    return contact


@transaction.atomic
def contact_update(
    *,
    actor: Actor,
    contact: Contact,
    data: Mapping[str, Any],
    version: int,
    main_partner: Partner | None = None,
    address: Mapping[str, Any] | None = None,
    other_partners: Iterable[Partner] | None = None,
    tags: Iterable[Tag] | None = None,
) -> Contact:
    _require(actor, Right.CHANGE_RECORDS, contact)
    values = _contact_values(data)
    main = main_partner or contact.main_partner
    others = [p for p in other_partners if p.pk != main.pk] if other_partners is not None else None
    _check_partners(actor, main, others or [])
    tag_list = list(tags) if tags is not None else None
    _check_company(actor, values, tag_list or [])
    _bump_version(Contact, contact, version)
    changes = _apply(contact, values)
    if main.pk != contact.main_partner_id:
        changes.append(
            {"field": "main_partner", "from": str(contact.main_partner), "to": str(main)}
        )
        contact.main_partner = main
    if address is not None:
        before = address_label(contact.address)
        contact.address = address_save(address=contact.address, data=address)
        after = address_label(contact.address)
        if before != after:
            changes.append({"field": "address", "from": before or None, "to": after or None})
    _refresh_contact(contact)
    contact.save()
    if others is not None:
        current = set(contact.other_partners.values_list("pk", flat=True))
        if current != {p.pk for p in others}:
            contact.other_partners.set(others)
            changes.append({"field": "other_partners", "from": None, "to": None})
    if tag_list is not None:
        tag_change = _set_tags(contact, tag_list)
        if tag_change:
            changes.append(tag_change)
    _record_changes(actor, contact, changes)
    return contact


@transaction.atomic
def contact_delete(*, actor: Actor, contact: Contact) -> None:
    """Delete the contact for good; its partner's timeline says who removed it."""
    _require(actor, Right.DELETE_RECORDS, contact)
    activity_record(
        obj=contact, verb=Activity.Verb.DELETED, actor=actor.user, data={"message": str(contact)}
    )
    activity_record(
        obj=contact.main_partner,
        verb=Activity.Verb.CHANGED,
        actor=actor.user,
        data={"changes": [{"field": "contacts", "added": [], "removed": [str(contact)]}]},
    )
    address_id = contact.address_id
    documents_delete_for_record(record=contact)
    try:
        contact.delete()
    except ProtectedError as exc:  # a link added by a later feature
        names = ", ".join(sorted({str(o) for o in exc.protected_objects})[:5])
        raise ValidationError(
            _("This contact is still linked to: %(names)s.") % {"names": names}
        ) from exc
    if address_id:
        from piste.geo.models import Address

        Address.objects.filter(pk=address_id).delete()


@transaction.atomic
def contact_attach(*, actor: Actor, contact: Contact, partner: Partner) -> None:
    """Attach ``contact`` to ``partner`` besides its main partner (« autres sociétés »)."""
    _require(actor, Right.CHANGE_RECORDS, contact)
    _check_partners(actor, partner, [])
    if partner.pk == contact.main_partner_id:
        raise ValidationError(_("This contact already belongs to this company."))
    if contact.other_partners.filter(pk=partner.pk).exists():
        return
    contact.other_partners.add(partner)
    for obj, name in ((contact, str(partner)), (partner, str(contact))):
        field = "other_partners" if obj is contact else "contacts"
        activity_record(
            obj=obj,
            verb=Activity.Verb.CHANGED,
            actor=actor.user,
            data={"changes": [{"field": field, "added": [name], "removed": []}]},
        )


@transaction.atomic
def contact_detach(*, actor: Actor, contact: Contact, partner: Partner) -> None:
    """Detach ``contact`` from a partner it is attached to besides its main one."""
    _require(actor, Right.CHANGE_RECORDS, contact)
    if not contact.other_partners.filter(pk=partner.pk).exists():
        return
    contact.other_partners.remove(partner)
    for obj, name in ((contact, str(partner)), (partner, str(contact))):
        field = "other_partners" if obj is contact else "contacts"
        activity_record(
            obj=obj,
            verb=Activity.Verb.CHANGED,
            actor=actor.user,
            data={"changes": [{"field": field, "added": [], "removed": [name]}]},
        )
