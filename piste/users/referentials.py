from django.utils.translation import gettext_lazy as _

from piste.core.access import Actor
from piste.core.referentials import Referential, register
from piste.users.models import Agency, Team
from piste.users.selectors import crm_settings_of


def _agencies_enabled(actor: Actor) -> bool:
    return crm_settings_of(actor.company).agencies_enabled


register(
    Referential(
        slug="teams",
        model=Team,
        fields=("leader", "members"),
        columns=("leader",),
        section="organisation",
        help_text=_("Sales teams, their leader and members."),
        order=20,
    )
)
register(
    Referential(
        slug="agencies",
        model=Agency,
        fields=("members",),
        section="organisation",
        help_text=_("Branches of the company and their members."),
        visible=_agencies_enabled,
        order=30,
    )
)
