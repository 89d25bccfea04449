"""Likely duplicates of a record being typed (« Doublons possibles »), across the leads, partners
and contacts the user may see: the rules of ``rules_warnings`` run in turn, a record found by
several of them is listed once with each reason, best first. Nothing here ever blocks a save.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from piste.core.access import actor_for
from piste.core.text import is_id
from piste.duplicates.models import Entity
from piste.duplicates.rules_warnings import (
    Found,
    Hit,
    Pending,
    Tables,
    rule_company_name,
    rule_domain,
    rule_email,
    rule_phone,
    rule_same_city,
    rule_same_company,
    rule_siren,
    typed_values,
)
from piste.users.selectors import crm_settings_of

# Records the warning lists in all, best first (the others are counted).
SHOWN = 10
_URLS = {
    Entity.LEAD: "leads:detail",
    Entity.PARTNER: "partners:detail",
    Entity.CONTACT: "partners:contact",
}


@dataclass
class Match:
    """One record that may be the one being typed, with every reason found for it."""

    entity: str
    id: int
    label: str
    url: str
    reasons: list[str] = field(default_factory=list)
    # The best fuzzy name score (0-100) among its reasons, None when none is a name's.
    score: int | None = None
    # The strongest rule that found it (0 = same email): the list's order, then the score.
    rank: int = 0

    @property
    def entity_label(self) -> str:
        labels = {
            Entity.LEAD: _("Lead"),
            Entity.PARTNER: _("Partner"),
            Entity.CONTACT: _("Contact"),
        }
        return labels[Entity(self.entity)]


@dataclass
class Warnings:
    matches: list[Match] = field(default_factory=list)
    # One line per rule that found too many records to list ("10+ records at acme.fr").
    summaries: list[str] = field(default_factory=list)
    # Matches found beyond the SHOWN listed.
    more: int = 0

    def __bool__(self) -> bool:
        return bool(self.matches or self.summaries)


def ignored_domains(text: str) -> frozenset[str]:
    """The company's public email domains (``CrmSettings.ignored_email_domains``, one a line)."""
    lines = (line.strip().lower().lstrip("@") for line in text.splitlines())
    return frozenset(line for line in lines if line)


def _label(hit: Hit) -> str:
    pk, full_name, name, *_rest = hit.row
    label = full_name or name or f"#{pk}"
    if hit.entity == Entity.CONTACT and hit.row[4]:
        label = f"{label} · {hit.row[4]}"
    return str(label)


def duplicate_warnings(
    user: Any, *, entity: str, values: Mapping[str, str], exclude_id: object = None
) -> Warnings:
    """Likely duplicates of the ``entity`` being typed (``values``: see
    ``rules_warnings.typed_values``), best first. ``exclude_id``: the edited record, left out of
    its own table (anything but an id is ignored)."""
    actor = actor_for(user)
    if actor is None or entity not in Entity.values:
        return Warnings()
    typed = typed_values(entity, values)
    exclude = int(str(exclude_id)) if exclude_id is not None and is_id(exclude_id) else None
    tables = Tables(user, actor.company.pk, entity, exclude)
    # The settings came with the actor's membership: no query.
    ignored = ignored_domains(crm_settings_of(actor.company).ignored_email_domains)
    pending: list[Pending | None] = [
        rule_email(tables, typed),
        rule_phone(tables, typed),
        rule_siren(tables, typed),
        rule_same_company(tables, typed),
        rule_company_name(tables, entity, typed),
        rule_same_city(tables, typed),
        rule_domain(tables, typed, ignored),
    ]
    tables.run()
    found: dict[tuple[str, int], Match] = {}
    summaries: list[str] = []
    for rank, finish in enumerate(pending):
        rule = finish() if finish is not None else None
        if rule is None or not rule.hits:
            continue
        listed = rule.hits
        if rule.too_many:
            summaries.append(rule.summary)
            listed = rule.hits[: rule.preview]
        for hit in listed:
            _add(found, hit, rule, rank)
    matches = sorted(found.values(), key=lambda m: (m.rank, -(m.score or 0), m.label))
    return Warnings(matches=matches[:SHOWN], summaries=summaries, more=max(0, len(matches) - SHOWN))


def _add(found: dict[tuple[str, int], Match], hit: Hit, rule: Found, rank: int) -> None:
    key = (hit.entity, hit.row[0])
    match = found.get(key)
    if match is None:
        url = reverse(_URLS[Entity(hit.entity)], args=[hit.row[0]])
        match = found[key] = Match(hit.entity, hit.row[0], _label(hit), url, rank=rank)
    reason = rule.reason(hit)
    if reason not in match.reasons:
        match.reasons.append(reason)
    if hit.score is not None and (match.score is None or hit.score > match.score):
        match.score = hit.score
