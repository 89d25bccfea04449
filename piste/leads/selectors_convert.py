"""Reads of the conversion wizard: the partners and contacts that already match a lead (same
email, same SIREN, same company name in the same city, same person at a matching partner),
offered before creating new ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from piste.core.text import fold
from piste.leads.models import Lead
from piste.partners.models import Contact, Partner, PartnerType
from piste.partners.selectors import contacts_for_user, partners_for_user

# Matches shown per kind: more would be a duplicate problem, not a choice.
MAX_MATCHES = 10


@dataclass
class Match:
    record: Any
    reasons: list[str] = field(default_factory=list)


@dataclass
class Matches:
    partners: list[Match]
    contacts: list[Match]

    def __bool__(self) -> bool:
        return bool(self.partners or self.contacts)


def _add(found: dict[int, Match], rows: list[Any], reason: str) -> None:
    for row in rows:
        match = found.setdefault(row.pk, Match(row))
        if reason not in match.reasons:
            match.reasons.append(reason)


def conversion_matches(user: Any, lead: Lead) -> Matches:
    """Partners and contacts the user can see that look like ``lead``. Each lookup walks an
    index: (company, email) for emails, (company, siren) for the SIREN, (company, name_key, id)
    for names. Queries: up to 5."""
    partners: dict[int, Match] = {}
    contacts: dict[int, Match] = {}
    visible_partners = partners_for_user(user)
    visible_contacts = contacts_for_user(user).select_related("main_partner")
    # Emails are stored normalised (piste.core.contact.email_normalise): an exact match walks
    # the (company, email) index.
    email = lead.email
    if email:
        _add(
            partners,
            list(visible_partners.filter(email=email)[:MAX_MATCHES]),
            _("same email"),
        )
        _add(
            contacts,
            list(visible_contacts.filter(email=email)[:MAX_MATCHES]),
            _("same email"),
        )
    if lead.siren:
        # The (company, siren) index.
        _add(
            partners,
            list(visible_partners.filter(siren=lead.siren)[:MAX_MATCHES]),
            _("same SIREN"),
        )
    name_key = fold(lead.enterprise_name)
    if name_key:
        same_name = visible_partners.filter(
            name_key=name_key, partner_type=PartnerType.ORGANISATION
        )
        if lead.city_key:
            rows = [p for p in same_name[: MAX_MATCHES * 5] if fold(p.city_name) == lead.city_key]
            _add(partners, rows[:MAX_MATCHES], _("same name and city"))
        else:
            _add(partners, list(same_name[:MAX_MATCHES]), _("same name"))
    person_key = fold(f"{lead.last_name} {lead.first_name}")[:201]
    if person_key and partners:
        same_person = visible_contacts.filter(
            name_key=person_key, main_partner_id__in=list(partners)
        )
        _add(contacts, list(same_person[:MAX_MATCHES]), _("same name at a matching partner"))
    # Persons' partners carry the name of the person.
    person_partner_key = fold(f"{lead.last_name} {lead.first_name}")
    if not name_key and person_partner_key:
        individuals = visible_partners.filter(
            partner_type=PartnerType.INDIVIDUAL, name_key=person_partner_key
        )
        if lead.city_key:
            rows = [p for p in individuals[: MAX_MATCHES * 5] if fold(p.city_name) == lead.city_key]
            _add(partners, rows[:MAX_MATCHES], _("same name and city"))
    return Matches(
        partners=list(partners.values())[:MAX_MATCHES],
        contacts=list(contacts.values())[:MAX_MATCHES],
    )


def matched_partner_ids(matches: Matches) -> list[int]:
    return [m.record.pk for m in matches.partners]


def matched_contacts(matches: Matches) -> list[Contact]:
    return [m.record for m in matches.contacts]


def matched_partners(matches: Matches) -> list[Partner]:
    return [m.record for m in matches.partners]
