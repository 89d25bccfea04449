from __future__ import annotations

from django.db.models import Prefetch, Q, prefetch_related_objects

from piste.core.pagination import Page, keyset_page
from piste.users.models import Company, CrmSettings, Membership, Team


def crm_settings_of(company: Company) -> CrmSettings:
    """The company's CRM settings (loaded with the actor's membership: usually no query)."""
    try:
        return company.crm_settings
    except CrmSettings.DoesNotExist:
        settings, _ = CrmSettings.objects.get_or_create(company=company)
        return settings


def agencies_enabled(company: Company) -> bool:
    """Whether the company shows the Agency field on records (its CRM settings come with the
    actor's membership: no query)."""
    settings = getattr(company, "crm_settings", None)
    return bool(settings and settings.agencies_enabled)


USER_SORTS = {
    "username": "user__username",
    "last_name": "user__last_name",
    "email": "user__email",
    "role": "role",
}


def memberships_page(
    company: Company, *, q: str = "", sort: str | None = None, cursor: str | None = None
) -> Page[Membership]:
    """One page of the company's users with their teams.

    Queries: 2 (the memberships joined to their users, then their teams in this company).
    """
    qs = Membership.objects.filter(company=company).select_related("user")
    if q:
        qs = qs.filter(
            Q(user__username__icontains=q)
            | Q(user__first_name__icontains=q)
            | Q(user__last_name__icontains=q)
            | Q(user__email__icontains=q)
        )
    field = USER_SORTS.get((sort or "").lstrip("-"), "user__username")
    order = f"-{field}" if sort and sort.startswith("-") else field
    page = keyset_page(qs, sort=order, cursor=cursor, per_page=50)
    prefetch_related_objects(
        page.rows,
        Prefetch(
            "user__teams",
            queryset=Team.objects.filter(company=company),
            to_attr="company_teams",
        ),
    )
    return page
