"""The access layer (piste/core/access.py): companies, scopes, rights and the 404 getter."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from piste.core.access import (
    actor_for,
    can_change,
    forget_actor,
    get_or_404,
    has_right,
    in_company,
    records_for_user,
    require_actor,
    require_right,
)
from piste.core.models import Tag
from piste.core.rights import ROLES, Right, Role, Scope
from piste.core.testing import make_company
from piste.users.models import Company, Membership, Team, User


def fresh(user: User) -> User:
    """The user as a new request would load it: no cached actor."""
    return User.objects.get(pk=user.pk)


def visible_teams(user: User) -> set[str]:
    qs = records_for_user(
        fresh(user), Team.objects.all(), owner_field="leader", team_field=None, creator_field=None
    )
    return set(qs.values_list("name", flat=True))


@pytest.fixture
def teams(personas):
    """Besides North (led by the manager) and South (no leader): teams led by others."""
    a, b = personas.company, personas.other_company
    east = Team.objects.create(company=a, name="Est", leader=personas.outsider)
    west = Team.objects.create(company=a, name="Ouest", leader=personas.teammate)
    # A team of company B led by a user of company A: the company rule must still hide it.
    foreign = Team.objects.create(company=b, name="Étranger", leader=personas.salesperson)
    Team.objects.create(company=b, name="Lemoine Nord", leader=personas.other)
    return {"east": east, "west": west, "foreign": foreign}


# records_for_user ---------------------------------------------------------------------------


def test_company_scope_sees_every_record_of_the_company(personas, teams):
    assert visible_teams(personas.administrator) == {"Nord", "Sud", "Est", "Ouest"}
    assert visible_teams(personas.manager) == {"Nord", "Sud", "Est", "Ouest"}
    assert visible_teams(personas.reader) == {"Nord", "Sud", "Est", "Ouest"}


def test_own_scope_sees_only_own_records(personas, teams):
    Membership.objects.filter(user=personas.manager).update(scope=Scope.OWN)
    assert visible_teams(personas.manager) == {"Nord"}


def test_own_scope_with_nothing_owned_sees_nothing(personas, teams):
    Membership.objects.filter(user=personas.reader).update(scope=Scope.OWN)
    assert visible_teams(personas.reader) == set()


def test_team_scope_sees_records_of_teammates(personas, teams):
    # The salesperson is in North with the manager and the teammate: North (manager) and
    # West (teammate) are theirs to see; East (outsider, South) is not.
    actor = actor_for(fresh(personas.salesperson))
    assert actor is not None
    assert actor.scope == Scope.TEAM
    assert visible_teams(personas.salesperson) == {"Nord", "Ouest"}
    assert visible_teams(personas.teammate) == {"Nord", "Ouest"}


def test_team_scope_of_other_team_sees_only_its_team(personas, teams):
    assert visible_teams(personas.outsider) == {"Est"}


def test_team_scope_without_team_falls_back_to_own_records(personas, teams):
    Team.members.through.objects.filter(user_id=personas.salesperson.pk).delete()
    actor = actor_for(fresh(personas.salesperson))
    assert actor is not None
    assert actor.team_ids == frozenset()
    assert visible_teams(personas.salesperson) == set()  # leads no team, has no teammates
    Team.objects.create(company=personas.company, name="Solo", leader=personas.salesperson)
    assert visible_teams(personas.salesperson) == {"Solo"}


def test_team_scope_on_another_model_with_an_owner(personas, teams):
    """Memberships as records owned by their user: teammates' ones are visible, no others."""
    qs = records_for_user(
        fresh(personas.salesperson),
        Membership.objects.all(),
        owner_field="user",
        team_field=None,
        creator_field=None,
    )
    assert set(qs.values_list("user__username", flat=True)) == {
        "manager",
        "salesperson",
        "teammate",
    }


def test_other_company_never_appears(personas, teams):
    for user in personas.all.values():
        if user == personas.other:
            continue
        names = visible_teams(user)
        assert "Étranger" not in names and "Lemoine Nord" not in names, user
    assert visible_teams(personas.other) == {"Étranger", "Lemoine Nord"}


def test_user_without_company_sees_nothing(db):
    user = User.objects.create(username="nobody")
    assert list(records_for_user(user, Team.objects.all(), owner_field="leader")) == []
    assert list(records_for_user(AnonymousUser(), Team.objects.all(), owner_field="leader")) == []


# actor_for ----------------------------------------------------------------------------------


def test_actor_is_the_active_company(personas):
    Membership.objects.create(
        user=personas.administrator, company=personas.other_company, role=Role.READ_ONLY
    )
    user = fresh(personas.administrator)
    user.active_company = personas.other_company
    user.save(update_fields=["active_company"])
    actor = actor_for(fresh(user))
    assert actor is not None
    assert actor.company == personas.other_company
    assert actor.role == Role.READ_ONLY
    assert {c.pk for c in actor.companies} == {personas.company.pk, personas.other_company.pk}


def test_actor_falls_back_when_active_company_is_not_granted(personas):
    user = fresh(personas.salesperson)
    user.active_company = personas.other_company  # no membership there
    user.save(update_fields=["active_company"])
    actor = actor_for(fresh(user))
    assert actor is not None
    assert actor.company == personas.company
    assert actor.companies == (personas.company,)


def test_actor_falls_back_when_active_membership_is_inactive(personas):
    Membership.objects.create(
        user=personas.manager,
        company=personas.other_company,
        role=Role.ADMINISTRATOR,
        is_active=False,
    )
    user = fresh(personas.manager)
    user.active_company = personas.other_company
    user.save(update_fields=["active_company"])
    actor = actor_for(fresh(user))
    assert actor is not None
    assert actor.company == personas.company
    assert actor.role == Role.SALES_MANAGER
    assert not has_right(fresh(user), Right.MANAGE_USERS)


def test_actor_falls_back_to_first_granted_company_when_none_active(personas):
    b_only = fresh(personas.other)
    b_only.active_company = None
    b_only.save(update_fields=["active_company"])
    actor = actor_for(fresh(b_only))
    assert actor is not None
    assert actor.company == personas.other_company


def test_no_actor_without_membership(db):
    user = User.objects.create(username="lonely")
    assert actor_for(user) is None
    with pytest.raises(PermissionDenied):
        require_actor(user)


def test_no_actor_when_every_membership_is_inactive(personas):
    Membership.objects.filter(user=personas.reader).update(is_active=False)
    assert actor_for(fresh(personas.reader)) is None


def test_no_actor_for_inactive_user(personas):
    user = fresh(personas.administrator)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert actor_for(fresh(user)) is None
    assert not has_right(fresh(user), Right.MANAGE_CONFIGURATION)


def test_no_actor_for_anonymous_user(db):
    assert actor_for(AnonymousUser()) is None
    assert actor_for(None) is None
    assert not has_right(AnonymousUser(), Right.EXPORT)


def test_actor_team_ids_are_teams_of_the_active_company_only(personas):
    b_team = Team.objects.create(company=personas.other_company, name="B team")
    b_team.members.add(personas.salesperson)
    actor = actor_for(fresh(personas.salesperson))
    assert actor is not None
    assert actor.team_ids == {personas.north.pk}


def test_actor_is_cached_until_forgotten(personas):
    user = fresh(personas.salesperson)
    first = actor_for(user)
    Membership.objects.filter(user=user).update(role=Role.READ_ONLY)
    assert actor_for(user) is first
    forget_actor(user)
    actor = actor_for(user)
    assert actor is not None
    assert actor.role == Role.READ_ONLY


def test_membership_scope_overrides_the_role_scope(personas):
    Membership.objects.filter(user=personas.administrator).update(scope=Scope.TEAM)
    actor = actor_for(fresh(personas.administrator))
    assert actor is not None
    assert actor.scope == Scope.TEAM


# has_right / require_right against the declared matrix --------------------------------------


@pytest.fixture
def company(db) -> Company:
    return make_company("Matrice")


def user_with_role(company: Company, role: Role) -> User:
    user = User.objects.create(username=f"u-{role}")
    Membership.objects.create(user=user, company=company, role=role)
    return user


@pytest.mark.parametrize("right", list(Right), ids=[r.value for r in Right])
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_rights_follow_the_declared_role_matrix(company, role, right):
    user = user_with_role(company, role)
    expected = right in ROLES[role].rights
    assert has_right(user, right) is expected
    if expected:
        assert require_right(user, right).company == company
    else:
        with pytest.raises(PermissionDenied):
            require_right(user, right)


def test_reader_has_no_write_right():
    assert ROLES[Role.READ_ONLY].rights == frozenset()
    for right in (Right.CREATE_RECORDS, Right.CHANGE_RECORDS, Right.DELETE_RECORDS):
        assert right not in ROLES[Role.READ_ONLY].rights


def test_salesperson_cannot_delete_nor_export():
    assert Right.DELETE_RECORDS not in ROLES[Role.SALESPERSON].rights
    assert Right.EXPORT not in ROLES[Role.SALESPERSON].rights


def test_only_administrator_manages_configuration_and_users():
    for right in (Right.MANAGE_CONFIGURATION, Right.MANAGE_USERS):
        holders = {role for role, spec in ROLES.items() if right in spec.rights}
        assert holders == {Role.ADMINISTRATOR}


def test_administrator_has_every_right():
    assert ROLES[Role.ADMINISTRATOR].rights == frozenset(Right)


def test_every_role_is_declared():
    assert set(ROLES) == set(Role)


def test_personas_rights(personas):
    assert has_right(fresh(personas.administrator), Right.MANAGE_USERS)
    assert not has_right(fresh(personas.manager), Right.MANAGE_CONFIGURATION)
    assert has_right(fresh(personas.manager), Right.DELETE_RECORDS)
    assert not has_right(fresh(personas.salesperson), Right.DELETE_RECORDS)
    assert has_right(fresh(personas.marketing), Right.EXPORT)
    assert not has_right(fresh(personas.marketing), Right.DELETE_RECORDS)
    assert not has_right(fresh(personas.reader), Right.CREATE_RECORDS)


# get_or_404 and in_company ------------------------------------------------------------------


@pytest.mark.parametrize(
    "pk",
    [
        "abc",
        "1e9",
        "1.5",
        "",
        None,
        "-1",
        "0",
        "99999999999999999999999999",
        str(2**63),
        str(-(2**63) - 1),
        "1; DROP TABLE core_tag",
        "0x1",
    ],
)
def test_get_or_404_with_malformed_or_unknown_id_is_404(personas, pk):
    Tag.objects.create(company=personas.company, name="Client")
    with pytest.raises(Http404):
        get_or_404(Tag.objects.all(), pk)


def test_get_or_404_finds_the_row(personas):
    tag = Tag.objects.create(company=personas.company, name="Client")
    assert get_or_404(Tag.objects.all(), str(tag.pk)) == tag
    assert get_or_404(Tag.objects.all(), tag.pk) == tag


def test_get_or_404_of_other_company_row_is_404(personas):
    theirs = Tag.objects.create(company=personas.other_company, name="Client")
    with pytest.raises(Http404):
        get_or_404(in_company(fresh(personas.administrator), Tag.objects.all()), theirs.pk)


def test_in_company_keeps_only_the_active_company(personas):
    Tag.objects.create(company=personas.company, name="Chez A")
    Tag.objects.create(company=personas.other_company, name="Chez B")
    for name, user in personas.all.items():
        names = set(in_company(fresh(user), Tag.objects.all()).values_list("name", flat=True))
        assert names == ({"Chez B"} if name == "other" else {"Chez A"}), name


def test_in_company_follows_the_company_switch(personas):
    Tag.objects.create(company=personas.company, name="Chez A")
    Tag.objects.create(company=personas.other_company, name="Chez B")
    Membership.objects.create(
        user=personas.reader, company=personas.other_company, role=Role.READ_ONLY
    )
    user = fresh(personas.reader)
    user.active_company = personas.other_company
    user.save(update_fields=["active_company"])
    assert list(in_company(fresh(user), Tag.objects.values_list("name", flat=True))) == ["Chez B"]


def test_in_company_is_empty_without_actor(db):
    make_company("Seule")
    Tag.objects.create(company=Company.objects.get(), name="Orphelin")
    assert list(in_company(AnonymousUser(), Tag.objects.all())) == []
    assert list(in_company(User.objects.create(username="x"), Tag.objects.all())) == []


def test_can_change_needs_the_right_and_the_company(personas):
    ours = Tag.objects.create(company=personas.company, name="Chez A")
    theirs = Tag.objects.create(company=personas.other_company, name="Chez B")
    assert can_change(fresh(personas.salesperson), ours)
    assert not can_change(fresh(personas.reader), ours)
    assert not can_change(fresh(personas.administrator), theirs)
    assert can_change(fresh(personas.other), theirs)
    assert not can_change(AnonymousUser(), ours)


def test_actor_in_company_acts_in_that_company_only_when_granted(personas):
    from piste.core.access import actor_in_company

    Membership.objects.create(
        user=personas.administrator, company=personas.other_company, role=Role.READ_ONLY
    )
    user = fresh(personas.administrator)
    opened = actor_for(user)
    assert opened is not None and opened.company == personas.company  # the company they have open
    actor = actor_in_company(user, personas.other_company.pk)
    assert actor is not None and actor.company == personas.other_company
    assert actor.role == Role.READ_ONLY
    assert fresh(user).active_company_id == personas.company.pk  # their choice is not saved
    # No fallback to another company: a salesperson of one company is nobody in the other.
    assert actor_in_company(fresh(personas.salesperson), personas.other_company.pk) is None
