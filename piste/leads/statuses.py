"""The lead workflow (« Statuts de piste »): its steps, roles and configuration texts."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from piste.core.models import WorkflowStatus
from piste.core.statuses import RoleRule, StatusKind
from piste.leads.models import Lead, LeadStatus


def _in_use(status: WorkflowStatus) -> bool:
    return Lead.objects.filter(status_id=status.pk).exists()


Role = LeadStatus.Role

LEAD_STATUSES = StatusKind(
    model=LeadStatus,
    namespace="lead_statuses",
    title=_("Lead statuses"),
    new_title=_("New lead status"),
    intro=_(
        "The steps of the status bar on a lead's page, in this order. Drag a status by its "
        "handle, or use the arrows, to move it."
    ),
    open_help=_("Open statuses list under Open leads, closed ones under Closed leads."),
    delete_help=_(
        "Only a status no lead has, and which is not the default, converted or lost status, "
        "can be deleted."
    ),
    in_use_message=_("“%(name)s” is the status of leads: it cannot be deleted."),
    missing_role_message=_("Choose the %(role)s of leads in the configuration (lead statuses)."),
    roles=(
        RoleRule(
            Role.DEFAULT,
            Role.DEFAULT.label,
            True,
            _("New and reopened leads take this status. An open status."),
        ),
        RoleRule(
            Role.CONVERTED,
            Role.CONVERTED.label,
            False,
            _("Convert gives this status to a lead. A closed status."),
        ),
        RoleRule(
            Role.LOST,
            Role.LOST.label,
            False,
            _("Lose gives this status to a lead. A closed status."),
        ),
    ),
    defaults=(
        (gettext_noop("To be processed"), True, Role.DEFAULT),
        (gettext_noop("Marketing qualification"), True, Role.NONE),
        (gettext_noop("Sales qualification"), True, Role.NONE),
        (gettext_noop("Nurturing"), True, Role.NONE),
        (gettext_noop("Converted"), False, Role.CONVERTED),
        (gettext_noop("Lost"), False, Role.LOST),
    ),
    in_use=_in_use,
    foldable=True,
)
