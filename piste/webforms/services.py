"""Writes of web forms: the administrator's configuration, and a visitor's submission.

A submission has no signed-in user, but leads are written through ``lead_create``, which takes an
``Actor``: the form acts as its assigned user when that user may create records in the form's
company (the lead is then theirs, as if they had typed it), else as the company's first
administrator (the person who answers for the company's configuration). The visitor never
chooses: the form's company, source, team and assignee are the configuration's.
"""

from __future__ import annotations

import hashlib
import hmac
from html import escape
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from piste.core.access import Actor, actor_in_company
from piste.core.contact import email_key
from piste.core.models import Activity
from piste.core.rights import ROLES, Right, Role
from piste.core.text import fold
from piste.core.timeline import activity_record
from piste.leads.models import Lead
from piste.leads.services import lead_create
from piste.partners.models import JobTitle
from piste.users.models import Membership
from piste.webforms.fields import ALWAYS_REQUIRED, MAX_CONSENTS, SPECS
from piste.webforms.models import WebForm, WebFormSubmission

_CONFIG = ("name", "title", "submit_label", "thank_you_message", "redirect_url", "is_active")


# Configuration ----------------------------------------------------------------------------------


def _require_config(actor: Actor, webform: WebForm | None = None) -> None:
    if not actor.has(Right.MANAGE_CONFIGURATION):
        raise PermissionDenied(Right.MANAGE_CONFIGURATION.label)
    if webform is not None and webform.pk is not None and webform.company_id != actor.company.pk:
        raise PermissionDenied


def _check_choices(actor: Actor, data: dict[str, Any]) -> None:
    """The source, team and user belong to the actor's company (the form limits the choices;
    crafted requests and other callers come through here too)."""
    for name in ("source", "team"):
        value = data.get(name)
        if value is not None and value.company_id != actor.company.pk:
            raise ValidationError({name: _("Choose a value of this company.")})
    user = data.get("assigned_to")
    if (
        user is not None
        and not user.memberships.filter(company=actor.company, is_active=True).exists()
    ):
        raise ValidationError({"assigned_to": _("Choose a user of this company.")})


def _fields_clean(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Known keys only, each once, the last name always asked and required."""
    seen: dict[str, dict[str, Any]] = {}
    for field in fields:
        key = field.get("key")
        if key in SPECS and key not in seen:
            seen[key] = {
                "key": key,
                "label": str(field.get("label") or "")[:100],
                "required": bool(field.get("required")) or key == ALWAYS_REQUIRED,
            }
    seen.setdefault(ALWAYS_REQUIRED, {"key": ALWAYS_REQUIRED, "label": "", "required": True})
    return [seen[spec] for spec in SPECS if spec in seen]


@transaction.atomic
def webform_save(*, actor: Actor, data: dict[str, Any], webform: WebForm | None = None) -> WebForm:
    """Create or change a web form from the configuration form's cleaned data."""
    _require_config(actor, webform)
    _check_choices(actor, data)
    if data.get("redirect_url") and not str(data["redirect_url"]).startswith(
        ("https://", "http://")
    ):
        raise ValidationError({"redirect_url": _("Enter an address starting with https://.")})
    consents = [c for c in data.get("consents") or [] if str(c.get("text") or "").strip()]
    if len(consents) > MAX_CONSENTS:
        raise ValidationError({"consents": _("At most %(max)d consents.") % {"max": MAX_CONSENTS}})
    if webform is None:
        webform = WebForm(company_id=actor.company.pk, created_by=actor.user)
    for name in _CONFIG:
        setattr(webform, name, data.get(name) or ("" if name != "is_active" else False))
    webform.source = data.get("source")
    webform.assigned_to = data.get("assigned_to")
    webform.team = data.get("team")
    webform.fields = _fields_clean(list(data.get("fields") or []))
    webform.consents = [
        {"key": f"c{i}", "text": str(c["text"]).strip(), "required": bool(c.get("required"))}
        for i, c in enumerate(consents, start=1)
    ]
    webform.allowed_origins = list(data.get("allowed_origins") or [])
    webform.full_clean(exclude=["company", "created_by", "source", "assigned_to", "team"])
    webform.save()
    return webform


@transaction.atomic
def webform_delete(*, actor: Actor, webform: WebForm) -> None:
    """Its submissions stay (the proof of consents given), with the form's name."""
    _require_config(actor, webform)
    webform.delete()


# Submissions ------------------------------------------------------------------------------------


def webform_actor(webform: WebForm) -> Actor | None:
    """Who the form creates leads as: its assigned user when they may create records in the
    form's company, else the company's first active administrator; None when neither exists."""
    memberships = Membership.objects.filter(
        company_id=webform.company_id, is_active=True, user__is_active=True
    ).select_related("user", "company")
    if webform.assigned_to_id is not None:
        mine = memberships.filter(user_id=webform.assigned_to_id).first()
        if mine is not None and Right.CREATE_RECORDS in ROLES[Role(mine.role)].rights:
            return actor_in_company(mine.user, webform.company_id)
    admin = memberships.filter(role=Role.ADMINISTRATOR).order_by("id").first()
    return actor_in_company(admin.user, webform.company_id) if admin is not None else None


def ip_hash(ip: str) -> str:
    """A keyed hash of the visitor's address (the key is the site's secret)."""
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()


def known_open_lead(webform: WebForm, email: str) -> Lead | None:
    """The newest open lead of the form's company with this address (lower case), if any."""
    key, _domain = email_key(email)
    if not key:
        return None
    return (
        Lead.objects.filter(
            company_id=webform.company_id,
            email_key=key,
            status__is_open=True,
            merged_into__isnull=True,
        )
        .order_by("-id")
        .first()
    )


def _one_at_a_time(webform: WebForm, email: str) -> None:
    """On PostgreSQL, hold the company's lock on this address until the commit: the same form
    sent twice at once (a double click, a retried request) finds the first one's lead instead
    of both creating one. SQLite runs one write at a time already."""
    key, _domain = email_key(email)
    if not key or connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"webform:{webform.company_id}:{key}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
        )


def _label(webform: WebForm, key: str) -> str:
    for field in webform.fields:
        if field.get("key") == key and field.get("label"):
            return str(field["label"])
    return str(SPECS[key].label)


def _summary(webform: WebForm, values: dict[str, str], consents: dict[str, Any]) -> str:
    """The timeline line: the form's name, each answer, each consent ticked or not. Written
    with the form's own labels, which are the administrator's words."""
    parts = [f"{_label(webform, key)}: {value}" for key, value in values.items() if value]
    parts += [f"{'☑' if c['given'] else '☐'} {c['text']}" for c in consents.values()]
    return f"{webform.name} — " + " · ".join(parts)


def _lead_data(webform: WebForm, values: dict[str, str]) -> tuple[dict[str, Any], dict | None]:
    data: dict[str, Any] = {
        name: values[name]
        for name in (
            "civility",
            "first_name",
            "last_name",
            "enterprise_name",
            "email",
            "fixed_phone",
            "mobile_phone",
            "website",
        )
        if values.get(name)
    }
    notes: list[str] = []
    if values.get("message"):
        notes.append(values["message"])
    if values.get("job_title"):
        # A job title of the company's list when the visitor typed one of its names; else
        # kept as text in the description rather than adding to the administrator's list.
        title = JobTitle.objects.filter(
            company_id=webform.company_id, name_key=fold(values["job_title"])
        ).first()
        if title is not None:
            data["job_title"] = title
        else:
            notes.append(f"{_label(webform, 'job_title')}: {values['job_title']}")
    if notes:
        data["description"] = "".join(
            "<div>" + escape(note).replace("\n", "<br>") + "</div>" for note in notes
        )
    data["source"] = webform.source
    data["team"] = webform.team
    data["agency"] = None
    assigned = webform.assigned_to
    if (
        assigned is not None
        and not assigned.memberships.filter(company_id=webform.company_id, is_active=True).exists()
    ):
        assigned = None  # left the company since: the lead waits, unassigned, for a manager
    data["assigned_to"] = assigned
    address = None
    if values.get("postal_code") or values.get("city"):
        address = {
            "postal_code": values.get("postal_code", ""),
            "city_name": values.get("city", ""),
        }
    return data, address


@transaction.atomic
def webform_submit(
    *,
    webform: WebForm,
    values: dict[str, str],
    consents: dict[str, dict[str, Any]],
    ip: str = "",
    user_agent: str = "",
    origin: str = "",
) -> WebFormSubmission:
    """A visitor's answers become a lead, or join the open lead of the same address (a line on
    its timeline, no duplicate). The submission keeps the consents given. ValidationError when
    the lead cannot be written (nothing is then kept)."""
    if not webform.is_active:
        raise ValidationError(_("This form is not available."))
    _one_at_a_time(webform, values.get("email", ""))
    lead = known_open_lead(webform, values.get("email", ""))
    created = lead is None
    if lead is None:
        actor = webform_actor(webform)
        if actor is None:
            raise ValidationError(_("This form is not available."))
        data, address = _lead_data(webform, values)
        lead = lead_create(actor=actor, data=data, address=address)
    submission = WebFormSubmission.objects.create(
        company_id=webform.company_id,
        form=webform,
        form_name=webform.name,
        lead=lead,
        created_lead=created,
        values=values,
        consents=consents,
        ip_hash=ip_hash(ip) if ip else "",
        user_agent=user_agent.replace("\x00", "")[:300],
        origin=origin.replace("\x00", "")[:200],
    )
    activity_record(
        obj=lead,
        verb=Activity.Verb.FORM_SUBMITTED,
        data={
            "message": _summary(webform, values, consents),
            "form": webform.pk,
            "submission": submission.pk,
            "values": values,
            "consents": {key: c["given"] for key, c in consents.items()},
        },
    )
    return submission
