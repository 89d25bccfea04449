"""The sales stages of opportunities (« Étapes de vente »): roles and configuration texts."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from piste.core.models import WorkflowStatus
from piste.core.statuses import RoleRule, StatusKind
from piste.opportunities.models import Opportunity, OpportunityStage


def _in_use(status: WorkflowStatus) -> bool:
    return Opportunity.objects.filter(stage_id=status.pk).exists()


Role = OpportunityStage.Role

OPPORTUNITY_STAGES = StatusKind(
    model=OpportunityStage,
    namespace="opportunity_stages",
    title=_("Sales stages"),
    new_title=_("New sales stage"),
    intro=_(
        "The steps of the status bar on an opportunity's page and the columns of the portfolio "
        "kanban, in this order. Drag a stage by its handle, or use the arrows, to move it."
    ),
    open_help=_(
        "Open stages list under Open opportunities, closed ones under Closed opportunities."
    ),
    delete_help=_(
        "Only a stage no opportunity has, and which is not the default, won or lost stage, "
        "can be deleted."
    ),
    in_use_message=_("“%(name)s” is the stage of opportunities: it cannot be deleted."),
    missing_role_message=_(
        "Choose the %(role)s of opportunities in the configuration (sales stages)."
    ),
    roles=(
        RoleRule(
            Role.DEFAULT,
            Role.DEFAULT.label,
            True,
            _("New opportunities take this stage. An open stage."),
        ),
        RoleRule(Role.WON, Role.WON.label, False, _("Winning gives this stage. A closed stage.")),
        RoleRule(
            Role.LOST,
            Role.LOST.label,
            False,
            _("Losing, with a lost reason, gives this stage. A closed stage."),
        ),
    ),
    defaults=(
        (gettext_noop("New"), True, Role.DEFAULT),
        (gettext_noop("Qualification"), True, Role.NONE),
        (gettext_noop("Proposal"), True, Role.NONE),
        (gettext_noop("Negotiation"), True, Role.NONE),
        (gettext_noop("Closed won"), False, Role.WON),
        (gettext_noop("Closed lost"), False, Role.LOST),
    ),
    in_use=_in_use,
)
