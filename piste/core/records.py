"""The records that events, emails, documents and printing hang on: lead, partner, contact,
opportunity and event, named by a short kind in URLs (``/documents/for/lead/42/``).

``record_get_for_user`` resolves a kind and an id through that entity's one access-checked
getter, so every feature that works "on any record" inherits its access rules (404 otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class RecordKind:
    slug: str
    model_label: str  # "leads.Lead"
    getter: str  # dotted path of the access-checked getter (user, pk) -> record
    detail_url: str  # URL name of the record's page, taking its pk
    label: Any  # translatable singular name

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    def get_for_user(self, user: Any, pk: Any) -> models.Model:
        return _getter(self.getter)(user, pk)


KINDS: dict[str, RecordKind] = {
    kind.slug: kind
    for kind in (
        RecordKind("lead", "leads.Lead", "piste.leads.selectors.lead_get_for_user",
                   "leads:detail", _("lead")),
        RecordKind("partner", "partners.Partner",
                   "piste.partners.selectors.partner_get_for_user", "partners:detail",
                   _("account")),
        RecordKind("contact", "partners.Contact",
                   "piste.partners.selectors.contact_get_for_user", "partners:contact",
                   _("contact")),
        RecordKind("opportunity", "opportunities.Opportunity",
                   "piste.opportunities.selectors.opportunity_get_for_user",
                   "opportunities:detail", _("opportunity")),
        RecordKind("event", "activities.Event", "piste.activities.selectors.event_get_for_user",
                   "activities:detail", _("event")),
    )
}  # fmt: skip


@cache
def _getter(path: str) -> Callable[[Any, Any], models.Model]:
    module, name = path.rsplit(".", 1)
    return getattr(import_module(module), name)


def record_kind(slug: str) -> RecordKind:
    """The kind named in a URL; 404 for any other word."""
    try:
        return KINDS[slug]
    except KeyError as exc:
        raise Http404 from exc


def record_get_for_user(user: Any, slug: str, pk: Any) -> models.Model:
    """One record of that kind the user may see, through its entity's checked getter; 404
    otherwise (unknown kind, malformed id, another company, out of the user's scope)."""
    return record_kind(slug).get_for_user(user, pk)


def kind_of(record: models.Model) -> RecordKind:
    label = record._meta.label
    for kind in KINDS.values():
        if kind.model_label == label:
            return kind
    raise LookupError(label)


def record_url(record: models.Model) -> str:
    return reverse(kind_of(record).detail_url, args=[record.pk])


def kind_of_content_type(content_type_id: int) -> RecordKind:
    """The kind a generic link's content type (documents, emails) stands for; 404 for any other
    model."""
    content_type = ContentType.objects.get_for_id(content_type_id)  # cached by Django
    label = f"{content_type.app_label}.{content_type.model}"
    for kind in KINDS.values():
        if kind.model_label.lower() == label:
            return kind
    raise Http404


def content_type_of(slug: str) -> ContentType:
    """The content type generic links (documents, emails) store for a kind (cached by Django)."""
    return ContentType.objects.get_for_model(record_kind(slug).model)
