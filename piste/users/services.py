"""Writes on users, companies, memberships, profiles and CRM settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from piste.core.access import Actor, forget_actor
from piste.core.models import Activity
from piste.core.rights import Role, Scope
from piste.core.text import fold
from piste.core.timeline import activity_record, diff_fields, snapshot
from piste.geo.address import address_label, address_save
from piste.users.models import Company, CrmSettings, Membership, Team, User


def _check_company_name(name: str, exclude_pk: int | None = None) -> None:
    clash = Company.objects.filter(name_key=fold(name))
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": _("A company with this name already exists.")})


def install_defaults(company: Company) -> None:
    """What every new company starts with: its lead and prospect statuses, its sales stages."""
    # Imported here: leads, partners and opportunities build on users, not the other way round.
    from piste.core.statuses import statuses_install
    from piste.leads.services import lead_statuses_install
    from piste.opportunities.statuses import OPPORTUNITY_STAGES
    from piste.partners.statuses import PROSPECT_STATUSES

    lead_statuses_install(company=company)
    statuses_install(PROSPECT_STATUSES, company=company)
    statuses_install(OPPORTUNITY_STAGES, company=company)


@transaction.atomic
def company_create(
    *,
    creator: User,
    name: str,
    legal_form: str = "",
    siren: str = "",
    address: Mapping[str, Any] | None = None,
) -> Company:
    """A new company, its CRM settings, and its creator as its first administrator.

    ``address``: the fields of ``address_save`` (``AddressForm.cleaned_data``), or None.
    """
    name = " ".join(name.split())
    _check_company_name(name)
    company = Company.objects.create(
        name=name,
        legal_form=legal_form,
        siren=siren,
        address=address_save(address=None, data=address) if address else None,
    )
    CrmSettings.objects.create(company=company)
    install_defaults(company)
    Membership.objects.create(user=creator, company=company, role=Role.ADMINISTRATOR)
    activity_record(obj=company, verb=Activity.Verb.CREATED, actor=creator, company_id=company.pk)
    forget_actor(creator)
    return company


@transaction.atomic
def company_update(
    *,
    actor: Actor,
    company: Company,
    data: dict[str, Any],
    address: Mapping[str, Any] | None = None,
) -> Company:
    """Save the company's fields in ``data`` and, unless None, its ``address`` (the fields of
    ``address_save``); one timeline line lists what changed, the address as one line of text."""
    if "name" in data:
        data["name"] = " ".join(data["name"].split())
        _check_company_name(data["name"], exclude_pk=company.pk)
    fields = list(data)
    before = snapshot(company, fields)
    for name, value in data.items():
        setattr(company, name, value)
    changes = diff_fields(before, company, fields)
    updated = [c["field"] for c in changes]
    if address is not None:
        label_before = address_label(company.address)
        saved = address_save(address=company.address, data=address)
        label_after = address_label(saved)
        if company.address_id != (saved.pk if saved else None):
            company.address = saved
            updated.append("address")
        if label_after != label_before:
            changes.append(
                {"field": "address", "from": label_before or None, "to": label_after or None}
            )
    if updated:
        company.save(update_fields=updated)
    if changes:
        activity_record(
            obj=company,
            verb=Activity.Verb.CHANGED,
            actor=actor.user,
            company_id=company.pk,
            data={"changes": changes},
        )
    return company


def send_password_setup(*, user: User, request: HttpRequest | None, subject_template: str) -> None:
    """Mail the user a one-time link to choose a password (invitation or reset)."""

    class _ThisUser(PasswordResetForm):
        # Django's form skips users without a usable password: every invited user.
        def get_users(self, email: str) -> list[User]:
            return [user] if user.is_active else []

    form = _ThisUser({"email": user.email})
    if form.is_valid():
        form.save(
            request=request,
            use_https=bool(request and request.is_secure()),
            subject_template_name=subject_template,
            email_template_name="registration/password_reset_email.txt",
            html_email_template_name=None,
        )


def _other_active_admins(membership: Membership) -> bool:
    return (
        Membership.objects.filter(
            company_id=membership.company_id, role=Role.ADMINISTRATOR, is_active=True
        )
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def user_invite(
    *,
    actor: Actor,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: str,
    scope: str = "",
    teams: list[Team] | None = None,
) -> Membership:
    """Create a user in the actor's company (or grant an existing user access to it)."""
    existing = User.objects.filter(username__iexact=username).first()
    if existing is not None:
        if existing.email.lower() != email.lower():
            raise ValidationError({"username": _("This user name is already taken.")})
        user = existing
        if Membership.objects.filter(user=user, company=actor.company).exists():
            raise ValidationError({"username": _("This user already works in this company.")})
    else:
        if email and User.objects.filter(email__iexact=email).exists():
            raise ValidationError({"email": _("Another user already has this email address.")})
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
    membership = Membership.objects.create(
        user=user, company=actor.company, role=Role(role), scope=Scope(scope) if scope else ""
    )
    if user.active_company_id is None:
        user.active_company = actor.company
        user.save(update_fields=["active_company"])
    for team in teams or []:
        team.members.add(user)
    activity_record(
        obj=membership, verb=Activity.Verb.CREATED, actor=actor.user, data={"message": str(user)}
    )
    return membership


@transaction.atomic
def membership_update(
    *,
    actor: Actor,
    membership: Membership,
    role: str,
    scope: str,
    is_active: bool,
    teams: list[Team],
) -> Membership:
    if membership.company_id != actor.company.pk:
        raise ValidationError(_("This user does not work in your company."))
    demoted = membership.role == Role.ADMINISTRATOR and (
        role != Role.ADMINISTRATOR or not is_active
    )
    if demoted and not _other_active_admins(membership):
        raise ValidationError(
            _("A company keeps at least one active administrator: appoint another one first.")
        )
    fields = ["role", "scope", "is_active"]
    before = snapshot(membership, fields)
    membership.role, membership.scope, membership.is_active = role, scope, is_active
    changes = diff_fields(before, membership, fields)
    if changes:
        membership.save(update_fields=[c["field"] for c in changes])
    company_teams = Team.objects.filter(company_id=actor.company.pk)
    current = set(company_teams.filter(members=membership.user).values_list("pk", flat=True))
    wanted = {t.pk for t in teams}
    for team in company_teams.filter(pk__in=current ^ wanted):
        if team.pk in wanted:
            team.members.add(membership.user)
        else:
            team.members.remove(membership.user)
    if current != wanted:
        changes.append(
            {
                "field": "teams",
                "added": sorted(map(str, company_teams.filter(pk__in=wanted - current))),
                "removed": sorted(map(str, company_teams.filter(pk__in=current - wanted))),
            }
        )
    if changes:
        activity_record(
            obj=membership, verb=Activity.Verb.CHANGED, actor=actor.user, data={"changes": changes}
        )
    return membership


@transaction.atomic
def profile_update(*, user: User, data: dict[str, Any]) -> User:
    """The user's own profile: names, email, language, active company, team and agency."""
    company = data.get("active_company")
    if (
        company is not None
        and not Membership.objects.filter(user=user, company=company, is_active=True).exists()
    ):
        raise ValidationError({"active_company": _("This company is not granted to you.")})
    for name in ("active_team", "active_agency"):
        value = data.get(name)
        if value is not None and company is not None and value.company_id != company.pk:
            data[name] = None
    email = data.get("email")
    if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": _("Another user already has this email address.")})
    for name, value in data.items():
        setattr(user, name, value)
    user.save(update_fields=list(data))
    forget_actor(user)
    return user


@transaction.atomic
def user_switch_company(*, user: User, company_id: int) -> Company:
    membership = (
        Membership.objects.filter(user=user, company_id=company_id, is_active=True)
        .select_related("company")
        .first()
    )
    if membership is None:
        raise ValidationError(_("This company is not granted to you."))
    user.active_company = membership.company
    fields = ["active_company"]
    if (
        user.active_team_id
        and not Team.objects.filter(pk=user.active_team_id, company_id=company_id).exists()
    ):
        user.active_team = None
        fields.append("active_team")
    if user.active_agency_id is not None:
        user.active_agency = None
        fields.append("active_agency")
    user.save(update_fields=fields)
    forget_actor(user)
    return membership.company


@transaction.atomic
def user_set_language(*, user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


@transaction.atomic
def crm_settings_update(
    *, actor: Actor, settings: CrmSettings, data: dict[str, Any], version: int
) -> CrmSettings:
    """Save the company's CRM settings; refused when someone else saved them meanwhile."""
    if settings.company_id != actor.company.pk:
        raise ValidationError(_("These settings belong to another company."))
    fields = list(data)
    before = snapshot(settings, fields)
    for name, value in data.items():
        setattr(settings, name, value)
    changes = diff_fields(before, settings, fields)
    if not changes:
        return settings
    updated = CrmSettings.objects.filter(pk=settings.pk, version=version).update(
        **{c["field"]: getattr(settings, c["field"]) for c in changes}, version=version + 1
    )
    if not updated:
        raise ValidationError(
            _("Someone else changed these settings meanwhile: reload the page and try again.")
        )
    settings.version = version + 1
    note: dict[str, Any] = {"changes": changes}
    if any(c["field"] == "manage_prospect_statuses" and c["to"] for c in changes):
        # Imported here: partners build on users, not the other way round.
        from piste.partners.services_prospects import prospect_statuses_backfill

        given = prospect_statuses_backfill(company_id=settings.company_id)
        if given:
            note["message"] = ngettext(
                "%(count)s prospect took the default status.",
                "%(count)s prospects took the default status.",
                given,
            ) % {"count": given}
    activity_record(
        obj=settings,
        verb=Activity.Verb.CHANGED,
        actor=actor.user,
        company_id=settings.company_id,
        data=note,
    )
    return settings
