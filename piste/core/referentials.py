"""The registry of configuration lists ("referentials") served by the generic config pages.

Each app declares its lists in its own ``referentials.py``; the pages, services, search, sort,
pagination and timeline are written once in ``piste.core``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.functional import Promise

if TYPE_CHECKING:
    from piste.core.access import Actor
    from piste.core.models import NamedReferential


def _always(actor: Actor) -> bool:
    return True


@dataclass(frozen=True)
class Referential:
    slug: str
    model: type[NamedReferential]
    # Editable fields besides ``name`` (foreign keys and many-to-many included).
    fields: tuple[str, ...] = ()
    # Columns shown in the list besides ``name``; the sortable ones must be NOT NULL.
    columns: tuple[str, ...] = ()
    sortable: tuple[str, ...] = ()
    section: str = "referentials"
    help_text: str | Promise = ""
    visible: Callable[[Actor], bool] = _always
    csv_import: bool = False
    order: int = 100
    extra: dict = field(default_factory=dict)

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def verbose_name_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)


REGISTRY: dict[str, Referential] = {}


def register(referential: Referential) -> Referential:
    REGISTRY[referential.slug] = referential
    return referential


def referentials_for(actor: Actor, section: str | None = None) -> list[Referential]:
    found = [
        r
        for r in REGISTRY.values()
        if r.visible(actor) and (section is None or r.section == section)
    ]
    return sorted(found, key=lambda r: (r.order, r.verbose_name_plural))
