"""The one access layer: which company a user works in, what they may see, what they may do.

Every view, service, API endpoint and export reads and writes through these functions.
Company isolation always holds: a record of another company is never returned (404, not 403,
so its existence is not revealed). Missing rights give 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from piste.core.rights import ROLES, Right, Role, Scope

if TYPE_CHECKING:
    from piste.users.models import Company, Membership, User

M = TypeVar("M", bound=Model)
# Any queryset, rows as models or as values()/values_list() rows.
QS = TypeVar("QS", bound=QuerySet[Any, Any])
_CACHE_ATTR = "_piste_actor"


@dataclass(frozen=True)
class Actor:
    """A signed-in user working in one company with one role."""

    user: User
    company: Company
    membership: Membership
    role: Role
    scope: Scope
    rights: frozenset[Right]
    team_ids: frozenset[int]
    companies: tuple[Company, ...]
    # The members and leaders of my teams (me included): "my teams" scope sees their records.
    teammate_ids: frozenset[int] = frozenset()

    def has(self, right: Right) -> bool:
        return right in self.rights


def memberships_for_user(user: User) -> QuerySet[Membership]:
    from piste.users.models import Membership

    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("company", "company__crm_settings")
        .order_by("company__name_key")
    )


def companies_for_user(user: User) -> QuerySet[Company]:
    from piste.users.models import Company

    if not user.is_authenticated or not user.is_active:
        return Company.objects.none()
    return Company.objects.filter(memberships__user=user, memberships__is_active=True).order_by(
        "name_key"
    )


def companies_administered_by(user: Any) -> QuerySet[Company]:
    """Companies whose settings and users the user may manage: those they administer."""
    from piste.users.models import Company

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Company.objects.none()
    return Company.objects.filter(
        memberships__user=user,
        memberships__is_active=True,
        memberships__role=Role.ADMINISTRATOR,
    ).order_by("name_key")


def actor_for(user: Any) -> Actor | None:
    """The user's actor in their active company (falling back to their first granted company)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    memberships = list(memberships_for_user(user))
    if not memberships:
        return None
    membership = next(
        (m for m in memberships if m.company_id == user.active_company_id), memberships[0]
    )
    spec = ROLES[Role(membership.role)]
    from piste.users.models import Team

    # A leader works for their team even when not listed among its members. One query reads my
    # teams with their leaders and members: the record scope then filters on plain id lists,
    # which PostgreSQL combines with the owner, creator and team indexes (a subquery there made
    # a salesperson's list read the whole company: 650 ms at 1,000,000 partners).
    mine = Team.objects.filter(
        Q(members=user) | Q(leader=user), company_id=membership.company_id
    ).values("id")
    rows = list(Team.objects.filter(id__in=mine).values_list("id", "leader_id", "members__id"))
    team_ids = frozenset(team for team, _leader, _member in rows)
    teammate_ids = frozenset(
        person for _team, *people in rows for person in people if person is not None
    )
    actor = Actor(
        user=user,
        company=membership.company,
        membership=membership,
        role=Role(membership.role),
        scope=membership.effective_scope,
        rights=spec.rights,
        team_ids=team_ids,
        companies=tuple(m.company for m in memberships),
        teammate_ids=teammate_ids,
    )
    setattr(user, _CACHE_ATTR, actor)
    return actor


def actor_in_company(user: Any, company_id: int) -> Actor | None:
    """The user's actor in one given company, whatever company they have open: an API token
    acts in the company it was made in, a web form in its own. None when the user is not an
    active member of that company (``actor_for`` would fall back to another one)."""
    if getattr(user, "active_company_id", None) != company_id:
        forget_actor(user)
        # In memory only, never saved: the user's own choice of company is left alone.
        user.active_company_id = company_id
    actor = actor_for(user)
    return actor if actor is not None and actor.company.pk == company_id else None


def forget_actor(user: Any) -> None:
    """Drop the cached actor after the user's company, role or teams changed."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def require_actor(user: Any) -> Actor:
    actor = actor_for(user)
    if actor is None:
        raise PermissionDenied("No company is granted to this user.")
    return actor


def has_right(user: Any, right: Right) -> bool:
    actor = actor_for(user)
    return actor is not None and actor.has(right)


def require_right(user: Any, right: Right) -> Actor:
    actor = require_actor(user)
    if not actor.has(right):
        raise PermissionDenied(right.label)
    return actor


def in_company(user: Any, queryset: QS) -> QS:
    """Rows of the user's active company: referentials and other company-wide lists."""
    actor = actor_for(user)
    if actor is None:
        return queryset.none()
    return queryset.filter(company_id=actor.company.pk)


def records_for_user(
    user: Any,
    queryset: QuerySet[M],
    *,
    owner_field: str = "assigned_to",
    team_field: str | None = "team",
    creator_field: str | None = "created_by",
) -> QuerySet[M]:
    """Business records the user may see: their company, narrowed by their record scope.

    - whole company: every record of the company;
    - my teams: records I own or created, records of my teams and of my teams' members;
    - my own records: records I own or created.
    """
    actor = actor_for(user)
    if actor is None:
        return queryset.none()
    queryset = queryset.filter(company_id=actor.company.pk)
    if actor.scope == Scope.COMPANY:
        return queryset
    mine = Q(**{f"{owner_field}_id": actor.user.pk})
    if creator_field:
        mine |= Q(**{f"{creator_field}_id": actor.user.pk})
    if actor.scope == Scope.OWN or not actor.team_ids:
        return queryset.filter(mine)
    visible = mine | Q(**{f"{owner_field}_id__in": sorted(actor.teammate_ids)})
    if team_field:
        visible |= Q(**{f"{team_field}_id__in": actor.team_ids})
    return queryset.filter(visible)


def get_or_404(queryset: QuerySet[M], pk: Any) -> M:
    """One row of an access-filtered queryset, or 404 (also for malformed ids)."""
    try:
        return queryset.get(pk=int(pk))
    # ObjectDoesNotExist, the base of every model's DoesNotExist: only concrete models have
    # their own, so the type checker knows none on a generic model.
    except (ValueError, TypeError, OverflowError, ObjectDoesNotExist) as exc:
        raise Http404 from exc


def can_change(user: Any, obj: Model) -> bool:
    """Whether the user may change a record they can see."""
    actor = actor_for(user)
    if actor is None or getattr(obj, "company_id", None) != actor.company.pk:
        return False
    return actor.has(Right.CHANGE_RECORDS)


View = Callable[..., HttpResponse]


def company_required(view: View) -> View:
    """The user must be signed in and work in at least one company."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_actor(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def right_required(right: Right) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require_right(request.user, right)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
