"""Writes on leads: create, edit, status moves, take charge, lose, reopen, delete, bulk actions.

Every function takes the acting ``Actor`` (``piste.core.access``), checks the right it needs and
that every record it touches belongs to the actor's company, writes the timeline, and runs in one
transaction: a refused action changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from piste.core.access import Actor
from piste.core.contact import (
    email_key,
    normalise_contact_details,
    phone_display,
    phone_search_digits,
)
from piste.core.html import html_to_plain, sanitise_html
from piste.core.images import image_field_save
from piste.core.models import Activity, Tag, external_id_clean
from piste.core.rights import Right
from piste.core.services import ConflictError
from piste.core.statuses import status_by_role, statuses_install
from piste.core.text import fold
from piste.core.timeline import activities_record, activity_record
from piste.documents.services import documents_delete_for_record, documents_delete_for_records
from piste.geo.address import address_label, address_save
from piste.geo.models import Address
from piste.leads.models import Lead, LeadStatus, LostReason
from piste.leads.statuses import LEAD_STATUSES
from piste.partners.identifiers import siren_clean
from piste.users.models import Company, User
from piste.users.selectors import agencies_enabled

LOGO_MAX_SIDE = 256
# More leads than this in one bulk action is a background job's work, not a request's.
MAX_BULK = 10_000

# Fields a user edits on the lead form, in the order the timeline lists their changes.
FORM_FIELDS = [
    "civility",
    "first_name",
    "last_name",
    "enterprise_name",
    "siren",
    "job_title",
    "industry_sector",
    "department",
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
    "size",
    "is_key_account",
    "is_nurturing",
    "source",
    "category",
]
_RELATIONS = {
    "job_title",
    "industry_sector",
    "department",
    "assigned_to",
    "team",
    "agency",
    "source",
    "category",
}


# Statuses ------------------------------------------------------------------------------------


def lead_statuses_install(*, company: Company) -> list[LeadStatus]:
    """The six default statuses of a new company (none when it already has statuses)."""
    return statuses_install(LEAD_STATUSES, company=company)


def _status_by_role(company_id: int, role: str) -> LeadStatus:
    status: LeadStatus = status_by_role(LEAD_STATUSES, company_id, role)
    return status


# Lead fields ---------------------------------------------------------------------------------


def _shown(lead: Lead, field: str) -> Any:
    """A field's value as the timeline shows it."""
    value = getattr(lead, field)
    if field == "description":
        return html_to_plain(value) or None
    if field in ("fixed_phone", "mobile_phone"):
        return phone_display(value) or None
    if field in ("civility", "size") and value not in (None, ""):
        return str(getattr(lead, f"get_{field}_display")())
    if isinstance(value, Model):
        return str(value)
    if value == "":
        return None
    return value


def _check_company(actor: Actor, data: Mapping[str, Any]) -> None:
    """Every chosen record belongs to the actor's company (forms limit choices; the API, imports
    and crafted requests go through here too)."""
    for name in _RELATIONS:
        value = data.get(name)
        if value is None:
            continue
        if name == "assigned_to":
            if not value.memberships.filter(company=actor.company, is_active=True).exists():
                raise ValidationError({name: _("Choose a user of this company.")})
        elif value.company_id != actor.company.pk:
            raise ValidationError({name: _("Choose a value of this company.")})
    for tag in data.get("tags") or []:
        if tag.company_id != actor.company.pk:
            raise ValidationError({"tags": _("Choose tags of this company.")})


def _normalise(data: Mapping[str, Any]) -> dict[str, Any]:
    """The form fields of ``data`` validated and normalised; errors keyed by field."""
    values = {k: v for k, v in data.items() if k in FORM_FIELDS or k == "external_id"}
    errors: dict[str, Any] = {}
    if "external_id" in values:
        try:
            values["external_id"] = external_id_clean(values["external_id"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    names = ("civility", "first_name", "last_name", "enterprise_name")
    normalise_contact_details(values, errors, names=names)
    if "last_name" in values and not values["last_name"]:
        errors["last_name"] = [_("Enter the last name.")]
    if "siren" in values:
        try:
            values["siren"] = siren_clean(values["siren"] or "")
        except ValidationError as exc:
            errors["siren"] = exc.messages
    if "description" in values:
        values["description"] = sanitise_html(values["description"])
    if "scoring" in values:
        values["scoring"] = values["scoring"] or 0
        if not 0 <= values["scoring"] <= 5:
            errors["scoring"] = [_("Lead scoring goes from 0 to 5 stars.")]
    if errors:
        raise ValidationError(errors)
    return values


def _refresh_derived(lead: Lead) -> None:
    """The list columns derived from the lead's own fields."""
    simple = lead.simple_full_name
    lead.full_name = ", ".join(p for p in (lead.enterprise_name, simple) if p)
    lead.name_key = fold(f"{lead.last_name} {lead.first_name}")[:201]
    lead.enterprise_key = fold(lead.enterprise_name)[:200]
    lead.main_phone = lead.fixed_phone or lead.mobile_phone
    lead.city_name = lead.address.city_name if lead.address_id and lead.address else ""
    lead.city_key = fold(lead.city_name)[:200]
    lead.email_key, lead.email_domain = email_key(lead.email)
    lead.search_key = " ".join(
        p
        for p in (
            fold(f"{lead.first_name} {lead.last_name} {lead.last_name} {lead.first_name}"),
            lead.enterprise_key,
            fold(lead.email),
            phone_search_digits(lead.fixed_phone),
            phone_search_digits(lead.mobile_phone),
        )
        if p
    )


DERIVED = ["full_name", "name_key", "enterprise_key", "main_phone", "city_name", "city_key"]
DERIVED += ["search_key", "email_key", "email_domain"]


def _save_logo(lead: Lead, logo: UploadedFile | Literal[False] | None) -> dict[str, Any] | None:
    return image_field_save(lead, "logo", logo, max_side=LOGO_MAX_SIDE)


@transaction.atomic
def lead_create(
    *,
    actor: Actor,
    data: Mapping[str, Any],
    address: Mapping[str, Any] | None = None,
    tags: Iterable[Tag] = (),
    logo: UploadedFile | None = None,
) -> Lead:
    """A new lead with the default status; unset tracking fields take the creator's defaults
    (assigned to them, their active team and agency)."""
    if not actor.has(Right.CREATE_RECORDS):
        raise PermissionDenied(Right.CREATE_RECORDS.label)
    values = _normalise(data)
    tags = list(tags)
    _check_company(actor, {**values, "tags": tags})
    user = actor.user
    if "assigned_to" not in data:
        values["assigned_to"] = user
    if "team" not in data and user.active_team_id:
        values["team_id"] = user.active_team_id
    if "agency" not in data and user.active_agency_id and agencies_enabled(actor.company):
        values["agency_id"] = user.active_agency_id
    lead = Lead(
        company=actor.company,
        status=_status_by_role(actor.company.pk, LeadStatus.Role.DEFAULT),
        created_by=user,
        **values,
    )
    if address:
        lead.address = address_save(address=None, data=address)
    if logo is not None:
        _save_logo(lead, logo)
    _refresh_derived(lead)
    lead.save()
    if tags:
        lead.tags.set(tags)
    activity_record(obj=lead, verb=Activity.Verb.CREATED, actor=user)
    return lead


@transaction.atomic
def lead_update(
    *,
    actor: Actor,
    lead: Lead,
    data: Mapping[str, Any],
    version: int,
    address: Mapping[str, Any] | None = None,
    tags: Iterable[Tag] | None = None,
    logo: UploadedFile | Literal[False] | None = None,
) -> Lead:
    """Save the fields in ``data`` (and the address, tags and logo when given) if nobody saved the
    lead since ``version`` was read; ConflictError otherwise, and nothing is written."""
    _require_change(actor, lead)
    values = _normalise(data)
    tag_list = list(tags) if tags is not None else None
    _check_company(actor, {**values, "tags": tag_list or []})
    # The version moves first: of two saves from the same version, only one passes this line.
    if not Lead.objects.filter(pk=lead.pk, version=version).update(version=F("version") + 1):
        raise ConflictError(
            _(
                "Someone else saved this lead while you were editing it. Your values are kept "
                "below: check them against the saved lead and save again to keep yours."
            ),
            code="conflict",
        )
    lead.version = version + 1
    changes = []
    for name, value in values.items():
        before = _shown(lead, name)
        setattr(lead, name, value)
        after = _shown(lead, name)
        if before != after:
            changes.append({"field": name, "from": before, "to": after})
    if address is not None:
        label_before = address_label(lead.address)
        lead.address = address_save(address=lead.address, data=address)
        label_after = address_label(lead.address)
        if label_before != label_after:
            changes.append({"field": "address", "from": label_before or None, "to": label_after})
    logo_change = _save_logo(lead, logo)
    if logo_change:
        changes.append(logo_change)
    _refresh_derived(lead)
    lead.save()
    if tag_list is not None:
        tag_change = _set_tags(lead, tag_list)
        if tag_change:
            changes.append(tag_change)
    assigned = next((c for c in changes if c["field"] == "assigned_to"), None)
    others = [c for c in changes if c is not assigned]
    if others:
        activity_record(
            obj=lead, verb=Activity.Verb.CHANGED, actor=actor.user, data={"changes": others}
        )
    if assigned:
        activity_record(
            obj=lead, verb=Activity.Verb.ASSIGNED, actor=actor.user, data={"changes": [assigned]}
        )
    return lead


def _set_tags(lead: Lead, tags: list[Tag]) -> dict[str, Any] | None:
    current = {t.pk: t for t in lead.tags.all()}
    wanted = {t.pk: t for t in tags}
    added = [wanted[pk] for pk in wanted.keys() - current.keys()]
    removed = [current[pk] for pk in current.keys() - wanted.keys()]
    if not added and not removed:
        return None
    lead.tags.set(tags)
    return {
        "field": "tags",
        "added": sorted(t.name for t in added),
        "removed": sorted(t.name for t in removed),
    }


def _require_change(actor: Actor, lead: Lead) -> None:
    if lead.company_id != actor.company.pk:
        raise PermissionDenied
    if not actor.has(Right.CHANGE_RECORDS):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)


def _status_change(actor: Actor, lead: Lead, status: LeadStatus, **extra: Any) -> None:
    before = lead.status
    lead.status = status
    fields = ["status", "updated_at"]
    for name, value in extra.items():
        setattr(lead, name, value)
        fields.append(name)
    lead.save(update_fields=fields)
    data: dict[str, Any] = {
        "changes": [{"field": "status", "from": before.name, "to": status.name}]
    }
    if extra.get("lost_reason"):
        data["changes"].append(
            {"field": "lost_reason", "from": None, "to": extra["lost_reason"].name}
        )
    if extra.get("lost_comment"):
        data["message"] = extra["lost_comment"]
    activity_record(obj=lead, verb=Activity.Verb.STATUS_CHANGED, actor=actor.user, data=data)


def _status_move_refusal(lead: Lead, status: LeadStatus) -> str | None:
    """Why ``lead`` may not move to ``status`` by a click (status bar, kanban, bulk), or None."""
    if status.company_id != lead.company_id:
        return _("Choose a status of this company.")
    if status.role == LeadStatus.Role.CONVERTED:
        return _("To convert a lead, use the Convert button.")
    if status.role == LeadStatus.Role.LOST:
        return _("To lose a lead, use the Lose button.")
    if lead.status.role == LeadStatus.Role.CONVERTED:
        return _("This lead is converted: its status no longer changes.")
    if lead.status.role == LeadStatus.Role.LOST:
        return _("This lead is lost: reopen it first.")
    if not status.is_open:
        return _("A lead moves to a closed status only through Convert or Lose.")
    return None


@transaction.atomic
def lead_change_status(*, actor: Actor, lead: Lead, status: LeadStatus) -> None:
    """Move the lead to an open status (the status bar); Convert and Lose have their own ways."""
    _require_change(actor, lead)
    refusal = _status_move_refusal(lead, status)
    if refusal:
        raise ValidationError(refusal)
    if status.pk != lead.status_id:
        _status_change(actor, lead, status, lost_reason=None, lost_comment="")


def _assign(actor: Actor, lead: Lead, user: User | None) -> None:
    if lead.assigned_to_id == (user.pk if user else None):
        return
    before = str(lead.assigned_to) if lead.assigned_to_id else None
    lead.assigned_to = user
    lead.version += 1
    lead.save(update_fields=["assigned_to", "version", "updated_at"])
    activity_record(
        obj=lead,
        verb=Activity.Verb.ASSIGNED,
        actor=actor.user,
        data={"changes": [{"field": "assigned_to", "from": before, "to": str(user) or None}]},
    )


@transaction.atomic
def lead_take_charge(*, actor: Actor, lead: Lead) -> None:
    """Assign the lead to me (« Prendre en charge »); refused on a lost lead."""
    _require_change(actor, lead)
    if lead.status.role == LeadStatus.Role.LOST:
        raise ValidationError(_("A lost lead cannot be taken in charge: reopen it first."))
    _assign(actor, lead, actor.user)


@transaction.atomic
def lead_lose(*, actor: Actor, lead: Lead, reason: LostReason | None, comment: str = "") -> None:
    """Mark the lead lost with a reason (and a comment when the reason asks for one)."""
    _require_change(actor, lead)
    if lead.status.role == LeadStatus.Role.LOST:
        raise ValidationError(_("This lead is already lost."))
    if lead.status.role == LeadStatus.Role.CONVERTED:
        raise ValidationError(_("A converted lead cannot be lost."))
    if reason is None:
        raise ValidationError({"reason": _("Choose a lost reason.")})
    if reason.company_id != actor.company.pk:
        raise ValidationError({"reason": _("Choose a value of this company.")})
    comment = comment.strip()
    if reason.comment_required and not comment:
        raise ValidationError({"comment": _("This reason asks for a comment.")})
    lost = _status_by_role(actor.company.pk, LeadStatus.Role.LOST)
    _status_change(actor, lead, lost, lost_reason=reason, lost_comment=comment)


@transaction.atomic
def lead_reopen(*, actor: Actor, lead: Lead) -> None:
    """Give a lost lead the default status again, forgetting why it was lost."""
    _require_change(actor, lead)
    if lead.status.role != LeadStatus.Role.LOST:
        raise ValidationError(_("Only a lost lead can be reopened."))
    default = _status_by_role(actor.company.pk, LeadStatus.Role.DEFAULT)
    _status_change(actor, lead, default, lost_reason=None, lost_comment="")


def _require_delete(actor: Actor, lead: Lead) -> None:
    if lead.company_id != actor.company.pk:
        raise PermissionDenied
    if not actor.has(Right.DELETE_RECORDS):
        raise PermissionDenied(Right.DELETE_RECORDS.label)


def _delete(actor: Actor, lead: Lead) -> None:
    activity_record(
        obj=lead, verb=Activity.Verb.DELETED, actor=actor.user, data={"message": lead.full_name}
    )
    address = lead.address
    logo = lead.logo.name if lead.logo else ""
    documents_delete_for_record(record=lead)
    lead.delete()
    if address is not None:
        address.delete()
    if logo:
        storage = lead.logo.storage
        transaction.on_commit(lambda: storage.delete(logo))


@transaction.atomic
def lead_delete(*, actor: Actor, lead: Lead) -> None:
    _require_delete(actor, lead)
    _delete(actor, lead)


# Bulk actions --------------------------------------------------------------------------------


def _bulk_rows(leads: QuerySet[Lead]) -> list[Lead]:
    """The selected leads, locked for the action (``leads`` is already access-filtered)."""
    rows = list(leads.select_related("status", "assigned_to").order_by("id")[: MAX_BULK + 1])
    if len(rows) > MAX_BULK:
        raise ValidationError(
            _("At most %(max)s leads at once: narrow the selection with filters.")
            % {"max": f"{MAX_BULK:,}".replace(",", "\u202f")}
        )
    return rows


def _chunks(ids: list[int], size: int = 1000) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


@transaction.atomic
def leads_bulk_assign(*, actor: Actor, leads: QuerySet[Lead], user: User | None) -> tuple[int, int]:
    """Assign every selected lead to ``user`` (None: unassign). Lost leads are skipped, as Take
    charge refuses them. Returns (changed, skipped).

    Set-based: one UPDATE per thousand leads and the timeline lines in batches, so 10,000 leads
    take a moment, not 20,000 queries."""
    if not actor.has(Right.CHANGE_RECORDS):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    if user is not None:
        _check_company(actor, {"assigned_to": user})
    rows = _bulk_rows(leads)
    lost = {r.pk for r in rows if r.status.role == LeadStatus.Role.LOST}
    wanted = user.pk if user else None
    targets = [r for r in rows if r.pk not in lost and r.assigned_to_id != wanted]
    now = timezone.now()
    for ids in _chunks([r.pk for r in targets]):
        # The version moves: a form opened before this change reports a conflict on save.
        Lead.objects.filter(pk__in=ids).update(
            assigned_to=user, version=F("version") + 1, updated_at=now
        )
    to = str(user) if user else None
    activities_record(
        objs=targets,
        verb=Activity.Verb.ASSIGNED,
        actor=actor.user,
        company_id=actor.company.pk,
        data=lambda lead: {
            "changes": [
                {
                    "field": "assigned_to",
                    "from": str(lead.assigned_to) if lead.assigned_to_id else None,
                    "to": to,
                }
            ]
        },
    )
    return len(targets), len(lost)


@transaction.atomic
def leads_bulk_status(
    *, actor: Actor, leads: QuerySet[Lead], status: LeadStatus
) -> tuple[int, int]:
    """Move every selected lead to an open status; leads that may not move are skipped.
    Set-based like ``leads_bulk_assign``."""
    if not actor.has(Right.CHANGE_RECORDS):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    if status.company_id != actor.company.pk:
        raise PermissionDenied
    if status.role in (LeadStatus.Role.CONVERTED, LeadStatus.Role.LOST) or not status.is_open:
        raise ValidationError(_("Leads move to a closed status only through Convert or Lose."))
    rows = _bulk_rows(leads)
    refused = {r.pk for r in rows if _status_move_refusal(r, status)}
    targets = [r for r in rows if r.pk not in refused and r.status_id != status.pk]
    now = timezone.now()
    for ids in _chunks([r.pk for r in targets]):
        Lead.objects.filter(pk__in=ids).update(
            status=status, lost_reason=None, lost_comment="", updated_at=now
        )
    activities_record(
        objs=targets,
        verb=Activity.Verb.STATUS_CHANGED,
        actor=actor.user,
        company_id=actor.company.pk,
        data=lambda lead: {
            "changes": [{"field": "status", "from": lead.status.name, "to": status.name}]
        },
    )
    return len(targets), len(refused)


@transaction.atomic
def leads_bulk_tag(*, actor: Actor, leads: QuerySet[Lead], tag: Tag, add: bool) -> tuple[int, int]:
    """Add ``tag`` to (or remove it from) every selected lead."""
    if not actor.has(Right.CHANGE_RECORDS):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    if tag.company_id != actor.company.pk:
        raise PermissionDenied
    rows = _bulk_rows(leads)
    through = Lead.tags.through
    tagged = set(
        through.objects.filter(tag_id=tag.pk, lead_id__in=[r.pk for r in rows]).values_list(
            "lead_id", flat=True
        )
    )
    targets = [r for r in rows if (r.pk in tagged) != add]
    if add:
        through.objects.bulk_create([through(lead_id=r.pk, tag_id=tag.pk) for r in targets])
    else:
        through.objects.filter(tag_id=tag.pk, lead_id__in=[r.pk for r in targets]).delete()
    change = {
        "field": "tags",
        "added": [tag.name] if add else [],
        "removed": [] if add else [tag.name],
    }
    now = timezone.now()
    for ids in _chunks([r.pk for r in targets]):
        Lead.objects.filter(pk__in=ids).update(updated_at=now)
    activities_record(
        objs=targets,
        verb=Activity.Verb.CHANGED,
        actor=actor.user,
        company_id=actor.company.pk,
        data=lambda lead: {"changes": [change]},
    )
    return len(targets), len(rows) - len(targets)


@transaction.atomic
def leads_bulk_delete(*, actor: Actor, leads: QuerySet[Lead]) -> int:
    if not actor.has(Right.DELETE_RECORDS):
        raise PermissionDenied(Right.DELETE_RECORDS.label)
    rows = _bulk_rows(leads)
    for lead in rows:
        _require_delete(actor, lead)
    activities_record(
        objs=rows,
        verb=Activity.Verb.DELETED,
        actor=actor.user,
        company_id=actor.company.pk,
        data=lambda lead: {"message": lead.full_name},
    )
    address_ids = [r.address_id for r in rows if r.address_id]
    logos = [r.logo.name for r in rows if r.logo]
    documents_delete_for_records(model=Lead, ids=[r.pk for r in rows])
    for ids in _chunks([r.pk for r in rows]):
        Lead.objects.filter(pk__in=ids).delete()
    for ids in _chunks(address_ids):
        Address.objects.filter(pk__in=ids).delete()
    if logos:
        storage = rows[0].logo.storage

        def delete_logos() -> None:
            for name in logos:
                storage.delete(name)

        transaction.on_commit(delete_logos)
    return len(rows)
