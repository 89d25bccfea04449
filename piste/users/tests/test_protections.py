"""Protections around signing in and team visibility that users count on."""

from __future__ import annotations

from django.core import mail

from piste.core.access import actor_for, records_for_user
from piste.core.rights import Role, Scope
from piste.core.testing import en_client, make_user
from piste.users.models import Membership, Team, User


def test_password_reset_mails_stop_after_the_limit_for_one_address(personas, settings):
    settings.PASSWORD_RESET_LIMIT = 3
    client = en_client()
    for _ in range(3):
        response = client.post("/password/reset/", {"email": personas.salesperson.email})
        assert response.status_code == 302
    assert len(mail.outbox) == 3
    response = client.post("/password/reset/", {"email": personas.salesperson.email})
    assert response.status_code == 200
    assert "Too many reset requests" in response.content.decode()
    assert len(mail.outbox) == 3
    # Another address from the same client still gets its mail.
    response = client.post("/password/reset/", {"email": personas.teammate.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 4


def test_the_admin_site_signs_in_through_the_throttled_sign_in_page(db):
    response = en_client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_team_leader_who_is_not_a_member_works_with_the_team(personas):
    east = Team.objects.create(company=personas.company, name="Est")
    leader = make_user("leader", personas.company, Role.SALESPERSON)
    member = make_user("member", personas.company, Role.SALESPERSON)
    east.leader = leader
    east.save(update_fields=["leader"])
    east.members.add(member)

    def visible_users(user: User) -> set[str]:
        fresh = User.objects.get(pk=user.pk)
        actor = actor_for(fresh)
        assert actor is not None
        assert actor.scope == Scope.TEAM
        rows = records_for_user(
            fresh,
            Membership.objects.all(),
            owner_field="user",
            team_field=None,
            creator_field=None,
        )
        return set(rows.values_list("user__username", flat=True))

    assert visible_users(leader) == {"leader", "member"}
    assert visible_users(member) == {"leader", "member"}
    assert "salesperson" not in visible_users(leader)
