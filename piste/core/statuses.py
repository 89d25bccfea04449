"""Status workflows: lead statuses, prospect statuses and opportunity stages.

Each is a ``WorkflowStatus`` table described by a ``StatusKind``: its roles (which step new,
won, lost… records take, and whether that step is open or closed), its default steps and what
its configuration page says. The configuration page and the rules it keeps (unique names, one
step per role, the roles' openness, no deleting a step in use) are written once, here and in
``piste.core.views_statuses``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from piste.core.access import Actor
from piste.core.models import Activity, WorkflowStatus
from piste.core.rights import Right
from piste.core.text import fold
from piste.core.timeline import activity_record

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from piste.users.models import Company


@dataclass(frozen=True)
class RoleRule:
    """A role some step of the workflow holds: its label, whether that step is open, and the
    help the lifecycle form shows."""

    role: str
    label: StrOrPromise
    is_open: bool
    help: StrOrPromise


@dataclass(frozen=True)
class StatusKind:
    model: type[WorkflowStatus]
    namespace: str  # the URL namespace of its configuration pages
    title: StrOrPromise  # "Lead statuses"
    new_title: StrOrPromise  # "New lead status"
    intro: StrOrPromise  # what the list page says above the steps
    open_help: StrOrPromise  # the help of the "open" box
    delete_help: StrOrPromise  # which steps can be deleted
    in_use_message: StrOrPromise  # "“%(name)s” is the status of leads: it cannot be deleted."
    missing_role_message: StrOrPromise  # "Choose the %(role)s of leads in the configuration…"
    roles: tuple[RoleRule, ...]
    # (name, open, role) in order; names are msgids, translated when a company is created.
    defaults: tuple[tuple[str, bool, str], ...]
    # Whether some record has this step (then it cannot be deleted).
    in_use: Callable[[WorkflowStatus], bool] = field(compare=False)
    # Whether its kanban can show a step folded (the lead kanban does; the others not yet).
    foldable: bool = False

    def rule(self, role: str) -> RoleRule | None:
        return next((r for r in self.roles if r.role == role), None)


def statuses(kind: StatusKind, company: Company | int) -> list[Any]:
    """The company's steps, in order."""
    company_id = company if isinstance(company, int) else company.pk
    return list(kind.model.objects.filter(company_id=company_id).order_by("sequence", "id"))


@transaction.atomic
def statuses_install(kind: StatusKind, *, company: Company) -> list[Any]:
    """The default steps of a new company, named in the active language; nothing when the
    company already has steps."""
    existing = statuses(kind, company)
    if existing:
        return existing
    return [
        kind.model.objects.create(
            company=company, name=_(name), sequence=(i + 1) * 10, is_open=is_open, role=role
        )
        for i, (name, is_open, role) in enumerate(kind.defaults)
    ]


def status_by_role(kind: StatusKind, company_id: int, role: str) -> Any:
    """The step holding ``role``; a clear error when the configuration left it unset."""
    status = kind.model.objects.filter(company_id=company_id, role=role).first()
    if status is None:
        rule = kind.rule(role)
        raise ValidationError(
            str(kind.missing_role_message) % {"role": rule.label if rule else role}
        )
    return status


def _require_config(actor: Actor) -> None:
    if not actor.has(Right.MANAGE_CONFIGURATION):
        raise PermissionDenied(Right.MANAGE_CONFIGURATION.label)


def _check(kind: StatusKind, status: WorkflowStatus, exclude_pk: int | None = None) -> None:
    clash = kind.model.objects.filter(company_id=status.company_id, name_key=fold(status.name))
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": _("A status with this name already exists.")})
    rule = kind.rule(status.role)
    if rule is not None and rule.is_open != status.is_open:
        message = (
            _("The %(role)s is an open status.")
            if rule.is_open
            else _("The %(role)s is a closed status.")
        )
        raise ValidationError({"is_open": message % {"role": rule.label}})


@transaction.atomic
def status_create(
    kind: StatusKind, *, actor: Actor, name: str, is_open: bool, folded: bool = False
) -> Any:
    _require_config(actor)
    name = " ".join(name.split())
    last = (
        kind.model.objects.filter(company=actor.company)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    status = kind.model(
        company=actor.company,
        name=name,
        is_open=is_open,
        folded=folded,
        sequence=(last or 0) + 10,
    )
    _check(kind, status)
    status.save()
    activity_record(obj=status, verb=Activity.Verb.CREATED, actor=actor.user)
    return status


@transaction.atomic
def status_update(
    kind: StatusKind,
    *,
    actor: Actor,
    status: WorkflowStatus,
    name: str,
    is_open: bool,
    folded: bool | None = None,
) -> None:
    """Rename, open or close a step; fold or unfold its kanban column (None: as it is)."""
    _require_config(actor)
    before = {"name": status.name, "is_open": status.is_open, "folded": status.folded}
    status.name = " ".join(name.split())
    status.is_open = is_open
    if folded is not None:
        status.folded = folded
    _check(kind, status, exclude_pk=status.pk)
    changes = [
        {"field": f, "from": before[f], "to": getattr(status, f)}
        for f in before
        if before[f] != getattr(status, f)
    ]
    if changes:
        status.save(update_fields=["name", "is_open", "folded", "updated_at"])
        activity_record(
            obj=status, verb=Activity.Verb.CHANGED, actor=actor.user, data={"changes": changes}
        )


@transaction.atomic
def status_delete(kind: StatusKind, *, actor: Actor, status: WorkflowStatus) -> None:
    _require_config(actor)
    rule = kind.rule(status.role)
    if rule is not None:
        raise ValidationError(
            _("“%(name)s” is the %(role)s: choose another one first.")
            % {"name": status.name, "role": rule.label}
        )
    if kind.in_use(status):
        raise ValidationError(str(kind.in_use_message) % {"name": status.name})
    status.delete()


@transaction.atomic
def statuses_reorder(kind: StatusKind, *, actor: Actor, ids: list[int]) -> None:
    """Put the company's steps in the order of ``ids`` (every step exactly once)."""
    _require_config(actor)
    rows = {s.pk: s for s in kind.model.objects.filter(company=actor.company)}
    if sorted(ids) != sorted(rows):
        raise ValidationError(_("The list of statuses changed meanwhile: reload the page."))
    for position, pk in enumerate(ids, start=1):
        status = rows[pk]
        if status.sequence != position * 10:
            status.sequence = position * 10
            status.save(update_fields=["sequence"])


@transaction.atomic
def status_roles_update(
    kind: StatusKind, *, actor: Actor, chosen: dict[str, WorkflowStatus]
) -> None:
    """Choose which step holds each role (the lifecycle form)."""
    _require_config(actor)
    if set(chosen) != {r.role for r in kind.roles}:
        raise ValueError("Every role of the kind is chosen at once.")
    if any(s.company_id != actor.company.pk for s in chosen.values()):
        raise PermissionDenied
    if len({s.pk for s in chosen.values()}) != len(chosen):
        labels = ", ".join(str(r.label) for r in kind.roles)
        raise ValidationError(
            _("Choose a different status for each of: %(roles)s.") % {"roles": labels}
        )
    for rule in kind.roles:
        status = chosen[rule.role]
        if status.is_open != rule.is_open:
            message = (
                _("The %(role)s is an open status.") % {"role": rule.label}
                if rule.is_open
                else _("Choose a closed status.")
            )
            raise ValidationError({rule.role: message})
    for rule in kind.roles:
        status = chosen[rule.role]
        current = kind.model.objects.filter(company=actor.company, role=rule.role).first()
        if current == status:
            continue
        if current is not None:
            current.role = ""
            current.save(update_fields=["role"])
        if status.role:
            kind.model.objects.filter(pk=status.pk).update(role="")
        status.role = rule.role
        status.save(update_fields=["role"])
        activity_record(
            obj=status,
            verb=Activity.Verb.CHANGED,
            actor=actor.user,
            data={
                "changes": [
                    {"field": "role", "from": current.name if current else None, "to": status.name}
                ]
            },
        )
