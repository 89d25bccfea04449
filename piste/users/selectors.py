from __future__ import annotations

from piste.users.models import Company, CrmSettings


def crm_settings_of(company: Company) -> CrmSettings:
    """The company's CRM settings (loaded with the actor's membership: usually no query)."""
    try:
        return company.crm_settings
    except CrmSettings.DoesNotExist:
        settings, _ = CrmSettings.objects.get_or_create(company=company)
        return settings


def memberships_of_company(company: Company, *, q: str = "", limit: int = 200):
    """The company's users with their roles and teams. Queries: 2 (memberships, teams)."""
    from django.db.models import Prefetch, Q

    from piste.users.models import Membership, Team

    qs = Membership.objects.filter(company=company).select_related("user")
    if q:
        qs = qs.filter(
            Q(user__username__icontains=q)
            | Q(user__first_name__icontains=q)
            | Q(user__last_name__icontains=q)
            | Q(user__email__icontains=q)
        )
    return qs.prefetch_related(
        Prefetch("user__teams", queryset=Team.objects.filter(company=company), to_attr="company_teams")
    ).order_by("user__last_name", "user__first_name", "user__username")[:limit]


def companies_administered_by(user):
    from piste.core.rights import Role

    return Company.objects.filter(
        memberships__user=user, memberships__is_active=True, memberships__role=Role.ADMINISTRATOR
    ).order_by("name_key")
