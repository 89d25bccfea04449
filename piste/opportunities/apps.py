from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    from piste.opportunities.services import stage_totals_rebuild_for_user

    stage_totals_rebuild_for_user(instance.pk)


def _team_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    from piste.opportunities.services import stage_totals_rebuild_for_team

    stage_totals_rebuild_for_team(instance.pk, instance.company_id)


class OpportunitiesConfig(AppConfig):
    name = "piste.opportunities"
    label = "opportunities"
    verbose_name = _("Opportunities")

    def ready(self) -> None:
        from piste.users.models import Team, User

        # The running totals of the kanban key on owner, team and creator ids as plain numbers
        # (StageTotal): deleting a user or a team empties those fields on the opportunities
        # (SET NULL) before post_delete, and the totals of the companies concerned follow.
        post_delete.connect(_user_deleted, sender=User, dispatch_uid="opportunity_totals_user")
        post_delete.connect(_team_deleted, sender=Team, dispatch_uid="opportunity_totals_team")
