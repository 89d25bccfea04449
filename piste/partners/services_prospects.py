"""Writes on the prospect workflow (« Statuts de prospect »), when the company manages statuses on
prospects: move a prospect along its statuses, win it (it becomes a customer), lose it with a
reason, reopen it.

Every function takes the acting ``Actor``, needs the right to change records and a partner of
the actor's company, locks the partner row, bumps its version (a form opened before the change
no longer saves over it unknowingly), writes the timeline, and runs in one transaction: a
refused action changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from piste.core.access import Actor
from piste.core.models import Activity
from piste.core.rights import Right
from piste.core.statuses import status_by_role
from piste.core.timeline import activity_record
from piste.leads.models import LostReason
from piste.partners.models import Partner, PartnerStatus
from piste.partners.selectors_prospects import in_workflow, prospect_statuses_enabled
from piste.partners.services import _require, partner_set_types
from piste.partners.statuses import PROSPECT_STATUSES

Role = PartnerStatus.Role


def off_message() -> str:
    return _(
        "This company does not manage statuses on prospects: an administrator turns them on in "
        "Configuration → Settings."
    )


def lose_elsewhere_message() -> str:
    return _("Lose a prospect from its page, with a reason.")


def won_message() -> str:
    return _("Prospect won and became a customer.")


def _status(company_id: int, role: str) -> PartnerStatus:
    status: PartnerStatus = status_by_role(PROSPECT_STATUSES, company_id, role)
    return status


def _locked(actor: Actor, partner: Partner) -> Partner:
    """The partner row, locked, with its status: the checks below read what is saved now, not
    what the page showed (two users losing the same prospect: the second one is told)."""
    _require(actor, Right.CHANGE_RECORDS, partner)
    if not prospect_statuses_enabled(actor.company):
        raise ValidationError(off_message())
    locked = (
        Partner.objects.select_for_update(of=("self",))
        .select_related("status", "lost_reason")
        .get(pk=partner.pk)
    )
    if not in_workflow(locked):
        raise ValidationError(_("Only a prospect has a prospect status."))
    return locked


def _move(
    actor: Actor,
    partner: Partner,
    locked: Partner,
    status: PartnerStatus,
    *,
    lost_reason: LostReason | None = None,
    lost_comment: str = "",
    message: str = "",
) -> None:
    """Give the partner ``status`` (and the lost reason and comment, empty unless losing)."""
    Partner.objects.filter(pk=locked.pk).update(
        status=status,
        lost_reason=lost_reason,
        lost_comment=lost_comment,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    changes: list[dict[str, Any]] = [
        {
            "field": "status",
            "from": locked.status.name if locked.status else None,
            "to": status.name,
        }
    ]
    before_reason = locked.lost_reason.name if locked.lost_reason else None
    after_reason = lost_reason.name if lost_reason else None
    if before_reason != after_reason:
        changes.append({"field": "lost_reason", "from": before_reason, "to": after_reason})
    partner.status = status
    partner.lost_reason = lost_reason
    partner.lost_comment = lost_comment
    partner.refresh_from_db(fields=["version", "updated_at"])
    data: dict[str, Any] = {"changes": changes}
    if message or lost_comment:
        data["message"] = message or lost_comment
    activity_record(obj=partner, verb=Activity.Verb.STATUS_CHANGED, actor=actor.user, data=data)


def _closed_refusal(locked: Partner) -> str | None:
    """Why a won or lost prospect's status does not change by a click, or None."""
    if locked.status is None:
        return None
    if locked.status.role == Role.WON:
        return _("This prospect is won: it is a customer now.")
    if locked.status.role == Role.LOST:
        return _("This prospect is lost: reopen it first.")
    return None


@transaction.atomic
def prospect_change_status(*, actor: Actor, partner: Partner, status: PartnerStatus) -> None:
    """A click on the status bar, or a card dropped in a kanban column: move the prospect to an
    open status, or win it (the won status: ``prospect_win``). Losing needs a reason: refused
    here, done by ``prospect_lose``."""
    if status.company_id != actor.company.pk:
        # Checked first: another company's status says nothing of this one's.
        _require(actor, Right.CHANGE_RECORDS, partner)
        raise ValidationError(_("Choose a status of this company."))
    if status.role == Role.WON:
        prospect_win(actor=actor, partner=partner)
        return
    locked = _locked(actor, partner)
    if status.role == Role.LOST:
        raise ValidationError(lose_elsewhere_message())
    refusal = _closed_refusal(locked)
    if refusal:
        raise ValidationError(refusal)
    if not status.is_open:
        raise ValidationError(_("A prospect reaches a closed status only by being won or lost."))
    if status.pk != locked.status_id:
        _move(actor, partner, locked, status)


@transaction.atomic
def prospect_win(*, actor: Actor, partner: Partner) -> None:
    """« Gagné »: the prospect becomes a customer (no longer a prospect) and takes the won
    status. Needs the right « create customers »."""
    locked = _locked(actor, partner)
    if not actor.has(Right.CREATE_CUSTOMERS):
        raise ValidationError(
            _("Only users with the right « create customers » may win a prospect.")
        )
    if locked.status is not None and locked.status.role == Role.WON:
        raise ValidationError(_("This prospect is already won."))
    if locked.status is not None and locked.status.role == Role.LOST:
        raise ValidationError(_("This prospect is lost: reopen it first."))
    won = _status(actor.company.pk, Role.WON)
    # The types change with the won status in one line of the timeline (partner_set_types moves
    # a prospect at an open status to the won status).
    partner_set_types(
        actor=actor,
        partner=partner,
        types={"is_customer": True, "is_prospect": False},
        message=won_message(),
    )
    if partner.status_id != won.pk:
        # Already a customer too, or at a closed status of no role: the status moves alone.
        _move(actor, partner, locked, won, message=won_message())


@transaction.atomic
def prospect_lose(
    *, actor: Actor, partner: Partner, reason: LostReason | None, comment: str = ""
) -> None:
    """« Perdu »: the prospect takes the lost status, with a lost reason (and a comment when
    the reason asks for one)."""
    locked = _locked(actor, partner)
    if locked.status is not None and locked.status.role == Role.LOST:
        raise ValidationError(_("This prospect is already lost."))
    if locked.status is not None and locked.status.role == Role.WON:
        raise ValidationError(_("A won prospect cannot be lost: it is a customer now."))
    if reason is None:
        raise ValidationError({"reason": _("Choose a lost reason.")})
    if reason.company_id != actor.company.pk:
        raise ValidationError({"reason": _("Choose a value of this company.")})
    comment = (comment or "").strip()
    if reason.comment_required and not comment:
        raise ValidationError({"comment": _("This reason asks for a comment.")})
    lost = _status(actor.company.pk, Role.LOST)
    _move(actor, partner, locked, lost, lost_reason=reason, lost_comment=comment)


@transaction.atomic
def prospect_reopen(*, actor: Actor, partner: Partner) -> None:
    """A lost prospect goes back to the default status; its lost reason and comment go."""
    locked = _locked(actor, partner)
    if locked.status is None or locked.status.role != Role.LOST:
        raise ValidationError(_("Only a lost prospect can be reopened."))
    default = _status(actor.company.pk, Role.DEFAULT)
    _move(actor, partner, locked, default)


def prospect_statuses_backfill(*, company_id: int) -> int:
    """Give the default status to the company's prospects that have none: those created before
    the company turned "manage statuses on prospects" on. One UPDATE; returns how many."""
    default = PROSPECT_STATUSES.model.objects.filter(
        company_id=company_id, role=PartnerStatus.Role.DEFAULT
    ).first()
    if default is None:
        return 0
    return Partner.objects.filter(
        company_id=company_id, is_prospect=True, status__isnull=True
    ).update(status=default, version=F("version") + 1, updated_at=timezone.now())
