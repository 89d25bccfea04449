"""What a merge knows about each kind of record: its model, who sees it, how its derived columns
are refreshed, which fields the user chooses between and how a value shows.

Shared by ``services_merge`` (the writes) and ``selectors_merge`` (the comparison table), so the
page offers exactly the fields the service merges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import formats
from django.utils.text import Truncator
from django.utils.timezone import is_aware, localtime
from django.utils.translation import gettext as _

from piste.core.contact import phone_display
from piste.core.html import html_to_plain
from piste.leads import services as lead_services
from piste.leads.models import Lead
from piste.leads.selectors import leads_for_user
from piste.partners import services as partner_services
from piste.partners.models import Contact, Partner
from piste.partners.selectors import contacts_for_user, partners_for_user

# At most this many records in one merge: the comparison table stays readable and the service's
# locks stay few.
MAX_RECORDS = 20

# Concrete editable fields that are no choice of the user: the row's identity and company, the
# merge's own bookkeeping, and who created the record (the survivor's history stays its own).
_NOT_CHOSEN = {"id", "company", "merged_into", "merged_at", "created_by"}


@dataclass(frozen=True)
class EntitySpec:
    """One kind of mergeable record."""

    name: str
    model: type[models.Model]
    # The access-filtered queryset (never holds merged records).
    visible: Callable[[Any], models.QuerySet[Any]]
    # Recomputes the derived (editable=False) columns from the record's own fields.
    refresh: Callable[[Any], None]
    detail_url: str
    # Fields whose value comes with another field's choice, so that a record never ends half one
    # record, half another: a lost status with its lost reason, a closed account with its date.
    followers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Fields whose default stays the survivor's even when empty: taking another record's text or
    # closing an open account must be the user's choice.
    keep_survivor: frozenset[str] = frozenset({"description"})

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def label_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)


ENTITIES: dict[str, EntitySpec] = {
    "lead": EntitySpec(
        name="lead",
        model=Lead,
        visible=leads_for_user,
        refresh=lead_services._refresh_derived,
        detail_url="leads:detail",
        followers={
            # The status decides the rest: a converted lead keeps what it was converted into, a
            # lost one why it was lost.
            "status": ("lost_reason", "lost_comment", "partner", "contact", "converted_at"),
        },
    ),
    "partner": EntitySpec(
        name="partner",
        model=Partner,
        visible=partners_for_user,
        refresh=partner_services._refresh_partner,
        detail_url="partners:detail",
        followers={
            "status": ("lost_reason", "lost_comment"),
            "is_prospect": ("prospect_validated_at", "prospect_validated_by"),
            "is_closed": ("closed_on", "closed_reason"),
        },
        keep_survivor=frozenset({"description", "is_closed"}),
    ),
    "contact": EntitySpec(
        name="contact",
        model=Contact,
        visible=contacts_for_user,
        refresh=partner_services._refresh_contact,
        detail_url="partners:contact",
    ),
}


def entity_spec(entity: str) -> EntitySpec | None:
    return ENTITIES.get(entity)


def chosen_fields(spec: EntitySpec) -> list[models.Field[Any, Any]]:
    """The fields the user chooses a value for, in the model's order: every editable concrete
    field but the bookkeeping ones and the followers (they come with their leader)."""
    following = {name for names in spec.followers.values() for name in names}
    return [
        f
        for f in spec.model._meta.concrete_fields
        if f.editable and f.name not in _NOT_CHOSEN and f.name not in following
    ]


def group_of(spec: EntitySpec, name: str) -> tuple[str, ...]:
    """A chosen field and the fields that follow it."""
    return (name, *spec.followers.get(name, ()))


def united_fields(spec: EntitySpec) -> list[models.ManyToManyField[Any, Any]]:
    """The multi-value fields (tags, a contact's other companies): united, never chosen."""
    return [f for f in spec.model._meta.many_to_many if isinstance(f, models.ManyToManyField)]


def is_empty(value: Any) -> bool:
    """A value not worth keeping over another record's: nothing, blank, no, zero."""
    if isinstance(value, FieldFile):
        return not value.name
    return value is None or value == "" or value is False or value == 0


def default_source(spec: EntitySpec, name: str, records: list[Any]) -> Any:
    """The record whose value a field keeps unless the user chooses: the survivor's (the first
    record) unless it is empty, then the first other record that has one."""
    survivor = records[0]
    if name in spec.keep_survivor:
        return survivor
    for record in records:
        if not is_empty(getattr(record, name)):
            return record
    return survivor


def shown(obj: Any, name: str) -> str:
    """A field's value as the comparison table and the timeline show it ("" for none)."""
    model_field = obj._meta.get_field(name)
    value = getattr(obj, name)
    if isinstance(value, FieldFile):
        return value.name.rsplit("/", 1)[-1] if value.name else ""
    if value is None or value == "":
        return ""
    if getattr(model_field, "choices", None):
        return str(getattr(obj, f"get_{name}_display")())
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name in ("fixed_phone", "mobile_phone"):
        return phone_display(value)
    if name == "description":
        return Truncator(html_to_plain(value)).chars(200)
    if isinstance(value, datetime):
        return formats.date_format(
            localtime(value) if is_aware(value) else value, "SHORT_DATETIME_FORMAT"
        )
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)
