"""The events a subscription may listen to, named "<record kind>.<what happened>" and derived
from the timeline: a record kind of ``piste.core.records.KINDS`` and an ``Activity.Verb``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from piste.core.models import Activity
from piste.core.records import KINDS

Verb = Activity.Verb

# Timeline verb -> event suffix. An assignment is an update seen from outside; a line an import
# writes on a record it brought in is a creation. Other verbs (notes, emails, merges) are not
# events a subscriber asked for.
VERB_EVENTS: dict[str, str] = {
    Verb.CREATED: "created",
    # Imports say "created" or "updated" in their lines' data (piste.webhooks.dispatch).
    Verb.IMPORTED: "created",
    Verb.CHANGED: "updated",
    Verb.ASSIGNED: "updated",
    Verb.STATUS_CHANGED: "status_changed",
    Verb.CONVERTED: "converted",
    Verb.DELETED: "deleted",
}

SUFFIX_LABELS = {
    "created": _("created"),
    "updated": _("updated"),
    "status_changed": _("status changed"),
    "converted": _("converted"),
    "deleted": _("deleted"),
}

# Which suffixes each kind offers: only leads are converted.
KIND_SUFFIXES: dict[str, tuple[str, ...]] = {
    "lead": ("created", "updated", "status_changed", "converted", "deleted"),
    "partner": ("created", "updated", "status_changed", "deleted"),
    "contact": ("created", "updated", "deleted"),
    "opportunity": ("created", "updated", "status_changed", "deleted"),
    # Not events (calendar entries): their changes are timeline lines of the records they are
    # linked to, not lines of their own, so nothing would ever be sent.
}

EVENT_NAMES: tuple[str, ...] = tuple(
    f"{kind}.{suffix}" for kind, suffixes in KIND_SUFFIXES.items() for suffix in suffixes
)

# The model label ("leads.Lead") of each kind, to name a timeline line's model in one lookup.
_KIND_OF_LABEL = {kind.model_label: slug for slug, kind in KINDS.items() if slug in KIND_SUFFIXES}


def kind_for_model(model: type[models.Model]) -> str | None:
    return _KIND_OF_LABEL.get(model._meta.label)


def event_name(model: type[models.Model], verb: str) -> str | None:
    """The event a timeline line of ``model`` with ``verb`` stands for, or None."""
    kind = _KIND_OF_LABEL.get(model._meta.label)
    suffix = VERB_EVENTS.get(verb)
    if kind is None or suffix is None or suffix not in KIND_SUFFIXES[kind]:
        return None
    return f"{kind}.{suffix}"


def event_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The events grouped by record kind, for the subscription form."""
    return [
        (
            str(KINDS[kind].label).capitalize(),
            [
                (f"{kind}.{suffix}", f"{kind}.{suffix} ({SUFFIX_LABELS[suffix]})")
                for suffix in suffixes
            ],
        )
        for kind, suffixes in KIND_SUFFIXES.items()
    ]
