"""The opportunity services' rules, whoever calls them (pages, kanban, calendar, API): what is
stored, what is refused (and that a refused call writes nothing), the running totals, and who
sees which opportunity."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from piste.core.access import Actor, actor_for, forget_actor
from piste.core.models import Activity
from piste.core.statuses import status_by_role
from piste.leads.models import LeadSource, LostReason
from piste.opportunities import selectors, services
from piste.opportunities.models import Opportunity, OpportunityStage, StageTotal
from piste.opportunities.statuses import OPPORTUNITY_STAGES
from piste.partners.models import Partner
from piste.partners.tests.factories import make_contact, make_partner
from piste.users.models import Team, User

Role = OpportunityStage.Role


# Helpers (also used by test_opportunity_pages.py) ---------------------------------------------


def actor(user: User) -> Actor:
    found = actor_for(user)
    assert found is not None
    return found


def stage(company_id: int, role: str) -> OpportunityStage:
    found: OpportunityStage = status_by_role(OPPORTUNITY_STAGES, company_id, role)
    return found


def stages(company_id: int) -> list[OpportunityStage]:
    return list(OpportunityStage.objects.filter(company_id=company_id).order_by("sequence", "id"))


def open_stage(company_id: int, n: int = 1) -> OpportunityStage:
    """The n-th open stage (0: the default one, 1: Qualification…)."""
    return [s for s in stages(company_id) if s.is_open][n]


def make_opportunity(
    user: User, partner: Partner | None = None, contacts: Any = (), **data: Any
) -> Opportunity:
    """An opportunity created by ``user`` through the service (for a new prospect unless told)."""
    if partner is None:
        partner = make_partner(user, name=data.pop("partner_name", "Boulangeries Morel"))
    data.setdefault("name", "Refonte du site")
    data.setdefault("amount", Decimal("12500.00"))
    data.setdefault("probability", 40)
    return services.opportunity_create(
        actor=actor(user), data={"partner": partner, **data}, contacts=contacts
    )


def reload(opportunity: Opportunity) -> Opportunity:
    return Opportunity.objects.select_related("stage", "partner").get(pk=opportunity.pk)


def timeline(opportunity: Opportunity) -> list[Activity]:
    return list(
        Activity.objects.filter(
            content_type=ContentType.objects.get_for_model(Opportunity),
            object_id=opportunity.pk,
        ).order_by("id")
    )


def totals(company_id: int) -> dict[tuple, tuple]:
    """The company's StageTotal rows, as {key: (count, amount, weighted)}."""
    return {
        (r.stage_id, r.currency, r.owner_id, r.team_id, r.creator_id): (
            r.count,
            Decimal(r.amount).quantize(Decimal("0.01")),
            Decimal(r.weighted_amount).quantize(Decimal("0.01")),
        )
        for r in StageTotal.objects.filter(company_id=company_id)
    }


def rebuilt(company_id: int) -> dict[tuple, tuple]:
    services.stage_totals_rebuild(company=company_id)
    return totals(company_id)


def update(user: User, opportunity: Opportunity, **data: Any) -> Opportunity:
    fresh = reload(opportunity)
    return services.opportunity_update(
        actor=actor(user), opportunity=fresh, data=data, version=fresh.version
    )


@pytest.fixture
def reasons(personas) -> dict[str, LostReason]:
    return {
        "price": LostReason.objects.create(company=personas.company, name="Prix"),
        "other": LostReason.objects.create(
            company=personas.company, name="Autre", comment_required=True
        ),
        "foreign": LostReason.objects.create(company=personas.other_company, name="Budget"),
    }


# Create ---------------------------------------------------------------------------------------


def test_create_numbers_per_company_and_takes_the_default_stage_and_the_creator(personas):
    first = make_opportunity(personas.salesperson)
    second = make_opportunity(personas.salesperson, name="Audit")
    other = make_opportunity(personas.other)
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert first.reference == "OPP-00001"
    assert first.stage == stage(personas.company.pk, Role.DEFAULT)
    assert first.assigned_to == personas.salesperson
    assert first.created_by == personas.salesperson
    assert first.closed_at is None
    assert [a.verb for a in timeline(first)] == [Activity.Verb.CREATED]


def test_create_keeps_the_name_key_and_the_weighted_amount(personas):
    opportunity = make_opportunity(
        personas.salesperson, name="  Étude   ÉNERGÉTIQUE ", amount="1000.005", probability=33
    )
    assert opportunity.name == "Étude ÉNERGÉTIQUE"
    assert opportunity.name_key == "etude energetique"
    assert opportunity.amount == Decimal("1000.01")
    assert opportunity.weighted_amount == Decimal("330.00")


def test_create_takes_an_open_stage_given(personas):
    qualification = open_stage(personas.company.pk, 1)
    opportunity = make_opportunity(personas.salesperson, stage=qualification)
    assert opportunity.stage == qualification


@pytest.mark.parametrize("role", [Role.WON, Role.LOST])
def test_create_refuses_a_closed_stage(personas, role):
    with pytest.raises(ValidationError) as error:
        make_opportunity(personas.salesperson, stage=stage(personas.company.pk, role))
    assert "stage" in error.value.message_dict
    assert not Opportunity.objects.exists()


def test_create_defaults_the_team_to_the_creators_active_team(personas):
    personas.salesperson.active_team = personas.north
    personas.salesperson.save(update_fields=["active_team"])
    opportunity = make_opportunity(personas.salesperson)
    assert opportunity.team == personas.north
    unassigned = make_opportunity(personas.salesperson, assigned_to=None, team=None)
    assert unassigned.assigned_to is None and unassigned.team is None


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"amount": Decimal("-1")}, "amount"),
        ({"amount": Decimal("1000000000000")}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "douze"}, "amount"),
        ({"probability": 101}, "probability"),
        ({"probability": -1}, "probability"),
        ({"probability": "12.5"}, "probability"),
        ({"currency": "euro"}, "currency"),
        ({"expected_close_date": date(1, 1, 1)}, "expected_close_date"),
        ({"expected_close_date": "2026-01-01"}, "expected_close_date"),
    ],
)
def test_create_refuses_bad_values_and_writes_nothing(personas, values, field):
    partner = make_partner(personas.salesperson)
    with pytest.raises(ValidationError) as error:
        make_opportunity(personas.salesperson, partner, **values)
    assert field in error.value.message_dict
    assert not Opportunity.objects.exists()
    assert not StageTotal.objects.exists()


def test_create_needs_a_partner(personas):
    with pytest.raises(ValidationError) as error:
        services.opportunity_create(actor=actor(personas.salesperson), data={"name": "Audit"})
    assert "partner" in error.value.message_dict


def test_create_refuses_records_of_another_company(personas):
    foreign_partner = make_partner(personas.other, name="Lemoine")
    foreign_team = Team.objects.create(company=personas.other_company, name="Ailleurs")
    foreign_source = LeadSource.objects.create(company=personas.other_company, name="Salon")
    partner = make_partner(personas.salesperson)
    for values in (
        {"partner": foreign_partner},
        {"team": foreign_team},
        {"source": foreign_source},
        {"assigned_to": personas.other},
        {"stage": stage(personas.other_company.pk, Role.DEFAULT)},
    ):
        data = {"name": "Audit", "partner": partner, **values}
        with pytest.raises(ValidationError):
            services.opportunity_create(actor=actor(personas.salesperson), data=data)
    assert not Opportunity.objects.exists()


def test_create_needs_the_create_right(personas):
    partner = make_partner(personas.salesperson)
    with pytest.raises(PermissionDenied):
        make_opportunity(personas.reader, partner)


def test_contacts_must_be_the_partners(personas):
    partner = make_partner(personas.salesperson)
    own = make_contact(personas.salesperson, partner, last_name="Morel")
    elsewhere = make_contact(personas.salesperson, make_partner(personas.salesperson, name="Autre"))
    opportunity = make_opportunity(personas.salesperson, partner, contacts=[own])
    assert list(opportunity.contacts.all()) == [own]
    with pytest.raises(ValidationError) as error:
        make_opportunity(personas.salesperson, partner, contacts=[elsewhere])
    assert "contacts" in error.value.message_dict
    assert Opportunity.objects.count() == 1


def test_a_contact_attached_to_the_partner_may_be_chosen(personas):
    partner = make_partner(personas.salesperson)
    other = make_partner(personas.salesperson, name="Autre")
    contact = make_contact(personas.salesperson, other)
    contact.other_partners.add(partner)
    opportunity = make_opportunity(personas.salesperson, partner, contacts=[contact])
    assert list(opportunity.contacts.all()) == [contact]


# Update ---------------------------------------------------------------------------------------


def test_update_saves_records_the_changes_and_moves_the_version(personas):
    opportunity = make_opportunity(personas.salesperson)
    saved = update(
        personas.salesperson,
        opportunity,
        name="Refonte du site web",
        amount=Decimal("20000"),
        probability=50,
        expected_close_date=date(2026, 11, 24),
    )
    assert saved.version == 2
    assert saved.name_key == "refonte du site web"
    assert saved.weighted_amount == Decimal("10000.00")
    changes = timeline(saved)[-1].data["changes"]
    assert {c["field"] for c in changes} == {
        "name",
        "amount",
        "probability",
        "expected_close_date",
    }
    assert {"field": "amount", "from": "12500.00", "to": "20000.00"} in changes


def test_update_without_changes_writes_nothing(personas):
    opportunity = make_opportunity(personas.salesperson)
    saved = update(personas.salesperson, opportunity, name="Refonte du site")
    assert saved.version == 1
    assert len(timeline(saved)) == 1


def test_update_refuses_a_stale_version_and_writes_nothing(personas):
    opportunity = make_opportunity(personas.salesperson)
    stale = reload(opportunity)
    update(personas.teammate, opportunity, name="Changé par un collègue")
    with pytest.raises(services.ConflictError):
        services.opportunity_update(
            actor=actor(personas.salesperson),
            opportunity=stale,
            data={"name": "Le mien"},
            version=stale.version,
        )
    assert reload(opportunity).name == "Changé par un collègue"


def test_a_stage_move_makes_an_open_form_stale(personas):
    opportunity = make_opportunity(personas.salesperson)
    stale = reload(opportunity)
    services.opportunity_move(
        actor=actor(personas.teammate),
        opportunity=reload(opportunity),
        stage=open_stage(personas.company.pk, 2),
    )
    with pytest.raises(services.ConflictError):
        services.opportunity_update(
            actor=actor(personas.salesperson),
            opportunity=stale,
            data={"amount": Decimal(1)},
            version=stale.version,
        )


@pytest.mark.parametrize("closing", ["win", "lose"])
def test_a_won_or_lost_opportunity_is_read_only(personas, reasons, closing):
    opportunity = make_opportunity(personas.manager)
    if closing == "win":
        services.opportunity_win(
            actor=actor(personas.manager), opportunity=opportunity, partner_types={}
        )
    else:
        services.opportunity_lose(
            actor=actor(personas.manager), opportunity=opportunity, reason=reasons["price"]
        )
    with pytest.raises(ValidationError):
        update(personas.manager, opportunity, name="Autre nom")
    with pytest.raises(ValidationError):
        services.opportunity_reschedule(
            actor=actor(personas.manager),
            opportunity=reload(opportunity),
            expected_close_date=date(2026, 12, 1),
        )
    assert reload(opportunity).name == "Refonte du site"


def test_update_of_the_owner_is_an_assignment_line(personas):
    opportunity = make_opportunity(personas.salesperson)
    update(personas.salesperson, opportunity, assigned_to=personas.teammate)
    last = timeline(opportunity)[-1]
    assert last.verb == Activity.Verb.ASSIGNED
    assert last.data["changes"][0]["to"] == str(personas.teammate)


def test_update_changing_the_partner_keeps_only_its_contacts(personas):
    partner = make_partner(personas.salesperson)
    contact = make_contact(personas.salesperson, partner)
    opportunity = make_opportunity(personas.salesperson, partner, contacts=[contact])
    other = make_partner(personas.salesperson, name="Transports Girard")
    update(personas.salesperson, opportunity, partner=other)
    assert reload(opportunity).partner == other
    assert not reload(opportunity).contacts.exists()


def test_update_contacts_are_recorded(personas):
    partner = make_partner(personas.salesperson)
    contact = make_contact(personas.salesperson, partner, last_name="Lambert")
    opportunity = make_opportunity(personas.salesperson, partner)
    fresh = reload(opportunity)
    services.opportunity_update(
        actor=actor(personas.salesperson),
        opportunity=fresh,
        data={},
        version=fresh.version,
        contacts=[contact],
    )
    change = timeline(opportunity)[-1].data["changes"][0]
    assert change["field"] == "contacts" and change["added"] == [str(contact)]


def test_update_needs_the_change_right_and_the_company(personas):
    opportunity = make_opportunity(personas.salesperson)
    with pytest.raises(PermissionDenied):
        update(personas.reader, opportunity, name="Lu seulement")
    with pytest.raises(PermissionDenied):
        update(personas.other, opportunity, name="Ailleurs")
    assert reload(opportunity).name == "Refonte du site"


# Stages ---------------------------------------------------------------------------------------


def test_move_to_an_open_stage(personas):
    opportunity = make_opportunity(personas.salesperson)
    proposal = open_stage(personas.company.pk, 2)
    moved = services.opportunity_move(
        actor=actor(personas.salesperson), opportunity=opportunity, stage=proposal
    )
    assert moved.stage == proposal and moved.version == 2
    assert reload(opportunity).stage == proposal
    last = timeline(opportunity)[-1]
    assert last.verb == Activity.Verb.STATUS_CHANGED
    assert last.data["changes"][0]["to"] == proposal.name


@pytest.mark.parametrize(("role", "word"), [(Role.WON, "Win"), (Role.LOST, "Lose")])
def test_move_refuses_the_won_and_lost_stages(personas, role, word):
    opportunity = make_opportunity(personas.salesperson)
    with pytest.raises(ValidationError) as error:
        services.opportunity_move(
            actor=actor(personas.salesperson),
            opportunity=opportunity,
            stage=stage(personas.company.pk, role),
        )
    assert word in " ".join(error.value.messages)
    assert reload(opportunity).stage.role == Role.DEFAULT


def test_move_refuses_another_companys_stage(personas):
    opportunity = make_opportunity(personas.salesperson)
    with pytest.raises(ValidationError):
        services.opportunity_move(
            actor=actor(personas.salesperson),
            opportunity=opportunity,
            stage=stage(personas.other_company.pk, Role.DEFAULT),
        )


def test_move_to_a_closed_stage_without_role_closes_and_back_reopens(personas):
    shelved = OpportunityStage.objects.create(
        company=personas.company, name="En sommeil", sequence=99, is_open=False
    )
    opportunity = make_opportunity(personas.salesperson)
    services.opportunity_move(
        actor=actor(personas.salesperson), opportunity=opportunity, stage=shelved
    )
    assert reload(opportunity).closed_at is not None
    services.opportunity_move(
        actor=actor(personas.salesperson),
        opportunity=reload(opportunity),
        stage=open_stage(personas.company.pk, 1),
    )
    assert reload(opportunity).closed_at is None


def test_moving_a_lost_opportunity_to_an_open_stage_reopens_it(personas, reasons):
    opportunity = make_opportunity(personas.salesperson)
    services.opportunity_lose(
        actor=actor(personas.salesperson),
        opportunity=opportunity,
        reason=reasons["other"],
        comment="Trop cher",
    )
    services.opportunity_move(
        actor=actor(personas.salesperson),
        opportunity=reload(opportunity),
        stage=open_stage(personas.company.pk, 1),
    )
    found = reload(opportunity)
    assert found.stage.is_open
    assert (found.lost_reason, found.lost_comment, found.closed_at) == (None, "", None)


def test_move_needs_the_change_right(personas):
    opportunity = make_opportunity(personas.salesperson)
    with pytest.raises(PermissionDenied):
        services.opportunity_move(
            actor=actor(personas.reader),
            opportunity=opportunity,
            stage=open_stage(personas.company.pk, 1),
        )


def test_reopen_gives_the_default_stage(personas, reasons):
    opportunity = make_opportunity(personas.salesperson, stage=open_stage(personas.company.pk, 2))
    services.opportunity_lose(
        actor=actor(personas.salesperson), opportunity=opportunity, reason=reasons["price"]
    )
    services.opportunity_reopen(actor=actor(personas.salesperson), opportunity=reload(opportunity))
    found = reload(opportunity)
    assert found.stage.role == Role.DEFAULT and found.lost_reason is None
    with pytest.raises(ValidationError):
        services.opportunity_reopen(actor=actor(personas.salesperson), opportunity=found)


# Win ------------------------------------------------------------------------------------------


def test_win_closes_and_sets_the_partner_types_as_chosen(personas):
    opportunity = make_opportunity(personas.manager)
    won = services.opportunity_win(
        actor=actor(personas.manager),
        opportunity=opportunity,
        partner_types={"is_customer": True, "is_prospect": False, "is_supplier": True},
    )
    assert won.stage.role == Role.WON and won.closed_at is not None
    partner = Partner.objects.get(pk=opportunity.partner_id)
    assert (partner.is_customer, partner.is_prospect, partner.is_supplier) == (True, False, True)
    assert timeline(opportunity)[-1].data["changes"][0]["to"] == won.stage.name
    # A won sale counts whole in the weighted sums.
    found = reload(won)
    assert (found.probability, found.weighted_amount) == (100, Decimal("12500.00"))
    assert {"field": "probability", "from": 40, "to": 100} in timeline(opportunity)[-1].data[
        "changes"
    ]


def test_win_refuses_to_make_a_customer_without_the_right(personas):
    opportunity = make_opportunity(personas.salesperson)
    with pytest.raises(ValidationError):
        services.opportunity_win(
            actor=actor(personas.salesperson),
            opportunity=opportunity,
            partner_types={"is_customer": True, "is_prospect": False},
        )
    assert reload(opportunity).stage.role == Role.DEFAULT
    assert Partner.objects.get(pk=opportunity.partner_id).is_prospect


def test_win_without_making_a_customer_needs_no_customer_right(personas):
    opportunity = make_opportunity(personas.salesperson)
    services.opportunity_win(
        actor=actor(personas.salesperson),
        opportunity=opportunity,
        partner_types={"is_customer": False, "is_prospect": True},
    )
    assert reload(opportunity).stage.role == Role.WON


def test_win_refuses_unknown_types_twice_won_and_lost(personas, reasons):
    opportunity = make_opportunity(personas.manager)
    with pytest.raises(ValidationError):
        services.opportunity_win(
            actor=actor(personas.manager), opportunity=opportunity, partner_types={"is_x": True}
        )
    services.opportunity_win(
        actor=actor(personas.manager), opportunity=opportunity, partner_types={}
    )
    with pytest.raises(ValidationError, match="already won"):
        services.opportunity_win(
            actor=actor(personas.manager), opportunity=reload(opportunity), partner_types={}
        )
    lost = make_opportunity(personas.manager, name="Perdue")
    services.opportunity_lose(
        actor=actor(personas.manager), opportunity=lost, reason=reasons["price"]
    )
    with pytest.raises(ValidationError, match="lost"):
        services.opportunity_win(
            actor=actor(personas.manager), opportunity=reload(lost), partner_types={}
        )


# Lose -----------------------------------------------------------------------------------------


def test_lose_with_a_reason(personas, reasons):
    opportunity = make_opportunity(personas.salesperson)
    lost = services.opportunity_lose(
        actor=actor(personas.salesperson), opportunity=opportunity, reason=reasons["price"]
    )
    found = reload(lost)
    assert found.stage.role == Role.LOST
    assert found.lost_reason == reasons["price"] and found.closed_at is not None
    changes = timeline(opportunity)[-1].data["changes"]
    assert {"field": "lost_reason", "from": None, "to": "Prix"} in changes
    assert (found.probability, found.weighted_amount) == (0, Decimal("0.00"))


def test_lose_refusals(personas, reasons):
    opportunity = make_opportunity(personas.salesperson)
    lose = services.opportunity_lose
    who = actor(personas.salesperson)
    with pytest.raises(ValidationError) as error:
        lose(actor=who, opportunity=opportunity, reason=None)
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        lose(actor=who, opportunity=opportunity, reason=reasons["other"], comment="   ")
    assert "comment" in error.value.message_dict
    with pytest.raises(ValidationError):
        lose(actor=who, opportunity=opportunity, reason=reasons["foreign"])
    assert reload(opportunity).stage.role == Role.DEFAULT
    lose(actor=who, opportunity=opportunity, reason=reasons["other"], comment="Parti ailleurs")
    assert reload(opportunity).lost_comment == "Parti ailleurs"
    with pytest.raises(ValidationError, match="already lost"):
        lose(actor=who, opportunity=reload(opportunity), reason=reasons["price"])


# Reschedule, delete ---------------------------------------------------------------------------


def test_reschedule_changes_the_signing_date(personas):
    opportunity = make_opportunity(personas.salesperson, expected_close_date=date(2026, 11, 3))
    moved = services.opportunity_reschedule(
        actor=actor(personas.salesperson),
        opportunity=opportunity,
        expected_close_date=date(2026, 11, 24),
    )
    assert moved.expected_close_date == date(2026, 11, 24) and moved.version == 2
    change = timeline(opportunity)[-1].data["changes"][0]
    assert change == {"field": "expected_close_date", "from": "2026-11-03", "to": "2026-11-24"}
    with pytest.raises(ValidationError):
        services.opportunity_reschedule(
            actor=actor(personas.salesperson),
            opportunity=reload(opportunity),
            expected_close_date=date(9999, 1, 1),
        )


def test_delete_needs_the_delete_right_and_keeps_the_timeline(personas):
    opportunity = make_opportunity(personas.salesperson)
    with pytest.raises(PermissionDenied):
        services.opportunity_delete(actor=actor(personas.salesperson), opportunity=opportunity)
    services.opportunity_delete(actor=actor(personas.manager), opportunity=opportunity)
    assert not Opportunity.objects.exists()
    assert timeline(opportunity)[-1].verb == Activity.Verb.DELETED
    assert not StageTotal.objects.exists()


def test_a_partner_with_opportunities_cannot_be_deleted_from_under_them(personas):
    from django.db.models import ProtectedError

    opportunity = make_opportunity(personas.salesperson)
    with pytest.raises(ProtectedError):
        Partner.objects.filter(pk=opportunity.partner_id).delete()


# Running totals -------------------------------------------------------------------------------


def test_totals_follow_create_update_move_win_lose_delete(personas, reasons):
    company = personas.company.pk
    default = stage(company, Role.DEFAULT)
    opportunity = make_opportunity(
        personas.manager, amount=Decimal("1000"), probability=50, team=personas.north
    )
    key = (default.pk, "EUR", personas.manager.pk, personas.north.pk, personas.manager.pk)
    assert totals(company) == {key: (1, Decimal("1000.00"), Decimal("500.00"))}
    update(personas.manager, opportunity, amount=Decimal("3000"), probability=10)
    assert totals(company) == {key: (1, Decimal("3000.00"), Decimal("300.00"))}
    update(personas.manager, opportunity, currency="USD", assigned_to=None)
    usd = (default.pk, "USD", 0, personas.north.pk, personas.manager.pk)
    assert totals(company) == {usd: (1, Decimal("3000.00"), Decimal("300.00"))}
    services.opportunity_win(
        actor=actor(personas.manager), opportunity=reload(opportunity), partner_types={}
    )
    won = (stage(company, Role.WON).pk, *usd[1:])
    # Winning sets the probability to 100 %: the weighted amount becomes the amount.
    assert totals(company) == {won: (1, Decimal("3000.00"), Decimal("3000.00"))}
    services.opportunity_delete(actor=actor(personas.manager), opportunity=reload(opportunity))
    assert totals(company) == {}


def test_totals_equal_a_rebuild_after_random_writes(personas, reasons):
    """Whatever mix of writes: the running totals are what a fresh GROUP BY gives."""
    rng = random.Random(2026)
    company = personas.company.pk
    writers = [personas.manager, personas.administrator]
    owners = [personas.manager, personas.salesperson, personas.teammate, None]
    teams = [personas.north, personas.south, None]
    all_stages = stages(company)
    partners = [make_partner(personas.manager, name=f"Tiers {n}") for n in range(3)]
    live: list[Opportunity] = []
    for step in range(80):
        action = rng.choice(["create", "create", "update", "move", "win", "lose", "delete"])
        who = actor(rng.choice(writers))
        if action == "create" or not live:
            live.append(
                services.opportunity_create(
                    actor=who,
                    data={
                        "name": f"Affaire {step}",
                        "partner": rng.choice(partners),
                        "amount": Decimal(rng.randint(0, 10**7)) / 100,
                        "probability": rng.randint(0, 100),
                        "currency": rng.choice(["EUR", "EUR", "USD"]),
                        "assigned_to": rng.choice(owners),
                        "team": rng.choice(teams),
                    },
                )
            )
            continue
        target = reload(rng.choice(live))
        try:
            if action == "update":
                services.opportunity_update(
                    actor=who,
                    opportunity=target,
                    data={
                        "amount": Decimal(rng.randint(0, 10**7)) / 100,
                        "probability": rng.randint(0, 100),
                        "currency": rng.choice(["EUR", "USD"]),
                        "assigned_to": rng.choice(owners),
                        "team": rng.choice(teams),
                    },
                    version=target.version,
                )
            elif action == "move":
                services.opportunity_move(
                    actor=who, opportunity=target, stage=rng.choice(all_stages)
                )
            elif action == "win":
                services.opportunity_win(actor=who, opportunity=target, partner_types={})
            elif action == "lose":
                services.opportunity_lose(actor=who, opportunity=target, reason=reasons["price"])
            else:
                services.opportunity_delete(actor=who, opportunity=target)
                live = [o for o in live if o.pk != target.pk]
        except ValidationError:
            pass  # a refused write (a won one is read-only…) changes nothing, totals included
        if step % 20 == 19:
            assert totals(company) == rebuilt(company)
    running = totals(company)
    assert running == rebuilt(company)
    assert (
        sum(v[0] for v in running.values())
        == Opportunity.objects.filter(company_id=company).count()
    )


def test_deleting_a_user_or_a_team_rebuilds_the_totals(personas):
    company = personas.company.pk
    make_opportunity(personas.salesperson, team=personas.south)
    make_opportunity(personas.teammate, team=personas.north)
    personas.south.delete()
    assert totals(company) == rebuilt(company)
    assert all(key[3] != personas.south.pk for key in totals(company))
    teammate_id = personas.teammate.pk
    personas.teammate.delete()
    assert totals(company) == rebuilt(company)
    assert all(teammate_id not in (key[2], key[4]) for key in totals(company))


# Access ---------------------------------------------------------------------------------------


def visible(user: User) -> set[str]:
    forget_actor(user)
    return set(selectors.opportunities_for_user(user).values_list("name", flat=True))


def test_salesperson_sees_own_and_team_opportunities_only(personas):
    make_opportunity(personas.salesperson, name="Mienne")
    make_opportunity(personas.manager, name="Du chef", assigned_to=personas.teammate)
    make_opportunity(
        personas.manager, name="Équipe Sud", team=personas.south, assigned_to=personas.outsider
    )
    make_opportunity(personas.other, name="Autre société")
    assert visible(personas.salesperson) == {"Mienne", "Du chef"}
    assert visible(personas.outsider) == {"Équipe Sud"}
    assert visible(personas.manager) == {"Mienne", "Du chef", "Équipe Sud"}
    assert visible(personas.reader) == {"Mienne", "Du chef", "Équipe Sud"}
    assert visible(personas.other) == {"Autre société"}


def test_getter_is_404_outside_the_scope(personas):
    mine = make_opportunity(personas.salesperson)
    theirs = make_opportunity(personas.other)
    assert selectors.opportunity_get_for_user(personas.salesperson, mine.pk) == mine
    for user, pk in (
        (personas.salesperson, theirs.pk),
        (personas.outsider, mine.pk),
        (personas.salesperson, "abc"),
        (personas.salesperson, 10**30),
    ):
        with pytest.raises(Http404):
            selectors.opportunity_get_for_user(user, pk)


def test_partner_opportunities_are_newest_first(personas):
    partner = make_partner(personas.salesperson)
    first = make_opportunity(personas.salesperson, partner, name="A")
    second = make_opportunity(personas.salesperson, partner, name="B")
    make_opportunity(personas.salesperson, name="Ailleurs")
    assert selectors.partner_opportunities(partner) == [second, first]
    assert selectors.partner_opportunities(partner, limit=1) == [second]


# Demo -----------------------------------------------------------------------------------------


def test_demo_opportunities_spread_over_stages_owners_and_dates(db):
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    call_command("load_demo", stdout=StringIO())
    opportunities = list(Opportunity.objects.select_related("stage"))
    assert len(opportunities) == 12
    assert len({o.stage_id for o in opportunities}) >= 5
    assert len({o.assigned_to_id for o in opportunities}) == 3
    first = timezone.localdate().replace(day=1)
    days = [o.expected_close_date for o in opportunities]
    assert all(day is not None and first <= day < first + timedelta(days=62) for day in days)
    assert any(o.is_won for o in opportunities) and any(o.is_lost for o in opportunities)
    company = opportunities[0].company_id
    assert totals(company) == rebuilt(company)
