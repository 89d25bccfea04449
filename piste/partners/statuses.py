"""The prospect workflow (« Statuts de prospect »): its steps, roles and configuration texts."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from piste.core.models import WorkflowStatus
from piste.core.statuses import RoleRule, StatusKind
from piste.partners.models import Partner, PartnerStatus


def _in_use(status: WorkflowStatus) -> bool:
    return Partner.objects.filter(status_id=status.pk).exists()


Role = PartnerStatus.Role

PROSPECT_STATUSES = StatusKind(
    model=PartnerStatus,
    namespace="prospect_statuses",
    title=_("Prospect statuses"),
    new_title=_("New prospect status"),
    intro=_(
        "The steps of the status bar on a prospect's page and the columns of the prospect "
        "kanban, in this order. Drag a status by its handle, or use the arrows, to move it."
    ),
    open_help=_("Open statuses list under Open prospects, closed ones under Closed prospects."),
    delete_help=_(
        "Only a status no prospect has, and which is not the default, won or lost status, "
        "can be deleted."
    ),
    in_use_message=_("“%(name)s” is the status of prospects: it cannot be deleted."),
    missing_role_message=_(
        "Choose the %(role)s of prospects in the configuration (prospect statuses)."
    ),
    roles=(
        RoleRule(
            Role.DEFAULT,
            Role.DEFAULT.label,
            True,
            _("New prospects take this status. An open status."),
        ),
        RoleRule(
            Role.WON,
            Role.WON.label,
            False,
            _("A prospect at this status becomes a customer. A closed status."),
        ),
        RoleRule(
            Role.LOST,
            Role.LOST.label,
            False,
            _("Losing a prospect, with a lost reason, gives it this status. A closed status."),
        ),
    ),
    defaults=(
        (gettext_noop("To be processed"), True, Role.DEFAULT),
        (gettext_noop("Marketing qualification"), True, Role.NONE),
        (gettext_noop("Sales qualification"), True, Role.NONE),
        (gettext_noop("Nurturing"), True, Role.NONE),
        (gettext_noop("Won"), False, Role.WON),
        (gettext_noop("Lost"), False, Role.LOST),
    ),
    in_use=_in_use,
)
