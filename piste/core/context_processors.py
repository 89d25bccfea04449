from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from piste.core.access import actor_for
from piste.core.rights import Right


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the navigation needs: the actor, their companies and what they may open.

    No query of its own: the actor (memberships, companies, teams) is loaded once per request.
    """
    actor = actor_for(getattr(request, "user", None))
    if actor is None:
        return {"actor": None}
    return {
        "actor": actor,
        "nav_config": actor.has(Right.MANAGE_CONFIGURATION) or actor.has(Right.MANAGE_USERS),
        "can_manage_users": actor.has(Right.MANAGE_USERS),
        "can_configure": actor.has(Right.MANAGE_CONFIGURATION),
        "can_create_leads": actor.has(Right.CREATE_RECORDS),
        # Merging archives records: it takes the change and the delete rights (piste.duplicates).
        "can_merge": actor.has(Right.CHANGE_RECORDS) and actor.has(Right.DELETE_RECORDS),
        # The Prospects menu shows when the company manages statuses on prospects.
        "nav_prospects": bool(
            getattr(getattr(actor.company, "crm_settings", None), "manage_prospect_statuses", False)
        ),
    }
