"""Who sees and changes which lead: the access layer's persona matrix, at the service level."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from piste.core.access import require_actor as actor_for
from piste.leads import selectors, services
from piste.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads(personas):
    p = personas
    return {
        "salesperson": make_lead(p.salesperson, last_name="Vendeur", team=p.north),
        "teammate": make_lead(p.teammate, last_name="Coequipier"),
        "outsider": make_lead(p.outsider, last_name="Sud", team=p.south),
        "unassigned_north": make_lead(
            p.manager, last_name="Equipe", assigned_to=None, team=p.north
        ),
        "unassigned_none": make_lead(p.administrator, last_name="Personne", assigned_to=None),
        "other": make_lead(p.other, last_name="Autre"),
    }


VISIBLE = {
    # Whole-company roles see every lead of company A, never company B's.
    "administrator": {"salesperson", "teammate", "outsider", "unassigned_north", "unassigned_none"},
    "manager": {"salesperson", "teammate", "outsider", "unassigned_north", "unassigned_none"},
    "marketing": {"salesperson", "teammate", "outsider", "unassigned_north", "unassigned_none"},
    "reader": {"salesperson", "teammate", "outsider", "unassigned_north", "unassigned_none"},
    # Team scope: mine, my teammates' (the leader included) and my team's.
    "salesperson": {"salesperson", "teammate", "unassigned_north"},
    "teammate": {"salesperson", "teammate", "unassigned_north"},
    "outsider": {"outsider"},
    "other": {"other"},
}


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_each_persona_sees_exactly_the_leads_of_its_scope(personas, leads, persona):
    user = personas.all[persona]
    seen = set(selectors.leads_for_user(user).values_list("pk", flat=True))
    assert seen == {leads[name].pk for name in VISIBLE[persona]}


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_a_lead_out_of_scope_is_a_404(personas, leads, persona):
    user = personas.all[persona]
    for name, lead in leads.items():
        if name in VISIBLE[persona]:
            assert selectors.lead_get_for_user(user, lead.pk) == lead
        else:
            with pytest.raises(Http404):
                selectors.lead_get_for_user(user, lead.pk)


def test_read_only_users_change_nothing(personas, leads):
    actor = actor_for(personas.reader)
    lead = leads["salesperson"]
    with pytest.raises(PermissionDenied):
        services.lead_take_charge(actor=actor, lead=lead)
    with pytest.raises(PermissionDenied):
        services.lead_update(actor=actor, lead=lead, data={"last_name": "X"}, version=lead.version)
    with pytest.raises(PermissionDenied):
        services.lead_create(actor=actor, data={"last_name": "X"})
    lead.refresh_from_db()
    assert lead.last_name == "Vendeur" and lead.assigned_to == personas.salesperson


def test_only_users_with_the_delete_right_delete(personas, leads):
    with pytest.raises(PermissionDenied):
        services.lead_delete(actor=actor_for(personas.salesperson), lead=leads["salesperson"])
    services.lead_delete(actor=actor_for(personas.manager), lead=leads["salesperson"])
    assert not selectors.leads_for_user(personas.manager).filter(last_name="Vendeur").exists()


def test_a_service_refuses_a_lead_of_another_company(personas, leads):
    actor = actor_for(personas.administrator)
    with pytest.raises(PermissionDenied):
        services.lead_take_charge(actor=actor, lead=leads["other"])
    with pytest.raises(PermissionDenied):
        services.lead_delete(actor=actor, lead=leads["other"])


def test_bulk_actions_on_a_queryset_never_reach_another_company(personas, leads):
    # What a view passes: the user's access-filtered leads, narrowed to the posted ids.
    actor = actor_for(personas.administrator)
    posted = [leads["other"].pk, leads["outsider"].pk]
    qs = selectors.leads_for_user(personas.administrator).filter(pk__in=posted)
    changed, skipped = services.leads_bulk_assign(actor=actor, leads=qs, user=actor.user)
    assert (changed, skipped) == (1, 0)
    leads["other"].refresh_from_db()
    assert leads["other"].assigned_to == personas.other


def test_new_companies_start_with_the_six_statuses_and_their_roles(personas):
    from piste.users.services import company_create

    company = company_create(creator=personas.administrator, name="Nouvelle SAS")
    statuses = selectors.lead_statuses(company)
    assert len(statuses) == 6
    assert [s.is_open for s in statuses] == [True, True, True, True, False, False]
    assert [s.role for s in statuses] == ["default", "", "", "", "converted", "lost"]
