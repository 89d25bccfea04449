"""The portfolio kanban: each column's figures are those of the opportunities the user may see
(read from the running totals, counted live when searching), a column's pages hold every card
once, and a drag and drop moves a card only when the services say so (a refused move writes
nothing and never answers 500)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Sum
from django.test import Client
from django.urls import reverse

from piste.core.access import Actor, actor_for
from piste.core.models import Activity
from piste.core.rights import Role
from piste.core.testing import Personas, en_client, make_user
from piste.leads.models import LostReason
from piste.opportunities import selectors_board as board
from piste.opportunities import services
from piste.opportunities.models import Opportunity, OpportunityStage, StageTotal
from piste.opportunities.selectors import opportunities_for_user
from piste.partners.models import Partner
from piste.partners.tests.factories import make_partner
from piste.users.models import Membership, Team, User

KANBAN = "/opportunities/kanban/"
JSON = {"Accept": "application/json"}


# Helpers -------------------------------------------------------------------------------------


def actor(user: User) -> Actor:
    found = actor_for(user)
    assert found is not None
    return found


def stages(company_id: int) -> list[OpportunityStage]:
    return board.stages(company_id)


def stage_of(company_id: int, role: str) -> OpportunityStage:
    return OpportunityStage.objects.get(company_id=company_id, role=role)


def plain_stage(company_id: int) -> OpportunityStage:
    """The second open stage (« Qualification »)."""
    return [s for s in stages(company_id) if s.is_open][1]


def make(user: User, partner: Partner, **data: Any) -> Opportunity:
    data.setdefault("name", "Refonte du site")
    data.setdefault("amount", Decimal("12500.00"))
    data.setdefault("probability", 40)
    return services.opportunity_create(actor=actor(user), data={"partner": partner, **data})


def move(user: User, opportunity: Opportunity, stage: OpportunityStage) -> None:
    services.opportunity_move(actor=actor(user), opportunity=opportunity, stage=stage)


def live_figures(qs: Any) -> dict[int, tuple[int, dict[str, tuple[Decimal, Decimal]]]]:
    """Each stage's count and sums per currency, counted over ``qs``."""
    found: dict[int, tuple[int, dict[str, tuple[Decimal, Decimal]]]] = {}
    rows = (
        qs.values("stage_id", "currency")
        .annotate(n=Count("id"), amount=Sum("amount"), weighted=Sum("weighted_amount"))
        .order_by()
    )
    for row in rows:
        count, amounts = found.get(row["stage_id"], (0, {}))
        amounts[row["currency"]] = (row["amount"], row["weighted"])
        found[row["stage_id"]] = (count + row["n"], amounts)
    return found


def shown_figures(
    figures: dict[int, board.Figures],
) -> dict[int, tuple[int, dict[str, tuple[Decimal, Decimal]]]]:
    return {pk: (f.count, dict(f.amounts)) for pk, f in figures.items() if f.count or f.amounts}


def card_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-kanban-card[^>]*data-id="(\d+)"', html)]


@pytest.fixture
def portfolio(personas: Personas) -> dict[str, Any]:
    """Opportunities of every kind of owner, team and creator, in several stages and two
    currencies, plus one of the other company."""
    p = personas
    company = p.company.pk
    partner = make_partner(p.manager, name="Boulangeries Morel")
    made: dict[str, Opportunity] = {}
    made["salesperson"] = make(p.salesperson, partner, name="Fours à pain", team=p.north)
    made["teammate"] = make(p.teammate, partner, name="Vitrines", amount="3000.40", team=None)
    made["manager"] = make(p.manager, partner, name="Camion", amount="45000", probability=70)
    made["outsider"] = make(p.outsider, partner, name="Caisse", team=p.south)
    # Nobody's, of the North team; a teammate's without team, created by the administrator.
    made["north"] = make(p.administrator, partner, name="Pétrin", assigned_to=None, team=p.north)
    made["admin_for_teammate"] = make(
        p.administrator, partner, name="Balance", assigned_to=p.teammate, team=None
    )
    # Created by the salesperson for the outsider, in the South team: the creator sees it.
    made["created_by_salesperson"] = make(
        p.salesperson, partner, name="Étiquettes", assigned_to=p.outsider, team=p.south
    )
    made["dollars"] = make(
        p.outsider, partner, name="Export", amount="9999.99", currency="USD", team=p.south
    )
    made["nobody"] = make(p.administrator, partner, name="Orphelin", assigned_to=None, team=None)
    qualification = plain_stage(company)
    for key in ("teammate", "manager", "dollars", "nobody"):
        move(p.administrator, made[key], qualification)
    reason = LostReason.objects.create(company=p.company, name="Trop cher")
    services.opportunity_lose(actor=actor(p.administrator), opportunity=made["outsider"],
                              reason=reason)  # fmt: skip
    services.opportunity_win(
        actor=actor(p.administrator),
        opportunity=made["north"],
        partner_types={"is_customer": True, "is_prospect": False},
    )
    other_partner = make_partner(p.other, name="Lemoine Client")
    made["other"] = make(p.other, other_partner, name="Ailleurs", amount="777")
    return made


# Column figures ------------------------------------------------------------------------------


def _extra_users(personas: Personas) -> dict[str, User]:
    """Scopes the personas do not cover: "my own records", a salesperson of no team, a leader
    of a team they are not a member of."""
    own = make_user("own", personas.company, Role.SALESPERSON)
    Membership.objects.filter(user=own).update(scope="own")
    personas.north.members.add(own)
    loner = make_user("loner", personas.company, Role.SALESPERSON)
    chief = make_user("chief", personas.company, Role.SALESPERSON)
    Team.objects.filter(pk=personas.south.pk).update(leader=chief)
    return {"own": own, "loner": loner, "chief": chief}


@pytest.mark.parametrize(
    "name",
    [
        "administrator",
        "manager",
        "salesperson",
        "teammate",
        "outsider",
        "marketing",
        "reader",
        "other",
        "own",
        "loner",
        "chief",
    ],
)
def test_column_figures_equal_a_live_aggregate_for_every_persona(portfolio, personas, name):
    users = {**personas.all, **_extra_users(personas)}
    user = users[name]
    company_id = actor(user).company.pk
    stage_ids = [s.pk for s in stages(company_id)]

    for filters, narrowed in (
        (board.BoardFilters(), {}),
        (board.BoardFilters(mine=True), {"assigned_to_id": user.pk}),
        (board.BoardFilters(owner=personas.teammate.pk), {"assigned_to_id": personas.teammate.pk}),
        (board.BoardFilters(team=personas.south.pk), {"team_id": personas.south.pk}),
        (board.BoardFilters(team=personas.north.pk, owner=personas.salesperson.pk),
         {"team_id": personas.north.pk, "assigned_to_id": personas.salesperson.pk}),
    ):  # fmt: skip
        expected = live_figures(opportunities_for_user(user).filter(**narrowed))
        assert shown_figures(board.column_figures(user, filters, stage_ids)) == expected, (
            name,
            filters,
        )


def test_every_persona_sees_some_and_not_all_of_the_portfolio(portfolio, personas):
    """The aggregate test above compares something: the scopes do differ."""
    counts = {
        name: sum(
            f.count
            for f in board.column_figures(
                user, board.BoardFilters(), [s.pk for s in stages(actor(user).company.pk)]
            ).values()
        )
        for name, user in personas.all.items()
    }
    assert counts["administrator"] == 9
    assert counts["other"] == 1
    assert 0 < counts["outsider"] < counts["salesperson"] < counts["administrator"]


def test_a_search_counts_the_matching_opportunities_up_to_the_cap(portfolio, personas, monkeypatch):
    user = personas.administrator
    stage_ids = [s.pk for s in stages(personas.company.pk)]
    figures = board.column_figures(user, board.BoardFilters(q="PETRIN"), stage_ids)
    won = stage_of(personas.company.pk, "won")
    assert {pk: f.count for pk, f in figures.items() if f.count} == {won.pk: 1}
    # Won: probability 100 %, the weighted amount is the amount.
    assert figures[won.pk].amounts == {"EUR": (Decimal("12500.00"), Decimal("12500.00"))}
    assert not figures[won.pk].capped
    # The reference finds it too.
    reference = board.BoardFilters(q=portfolio["north"].reference)
    assert board.column_figures(user, reference, stage_ids)[won.pk].count == 1

    # More matches than the cap: no column is counted.
    monkeypatch.setattr(board, "LIVE_CAP", 2)
    capped = board.column_figures(user, board.BoardFilters(q="e"), stage_ids)
    assert all(f.capped and not f.amounts for f in capped.values())
    exact = board.column_figures(user, board.BoardFilters(q="etiq"), stage_ids)  # Étiquettes
    assert sum(f.count for f in exact.values()) == 1


def test_the_kanban_shows_each_column_s_figures_in_french(portfolio, personas):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(personas.administrator)
    response = client.get(KANBAN)

    assert response.status_code == 200
    html = response.content.decode()
    qualification = plain_stage(personas.company.pk)
    column = html.split(f'data-kanban-figures="{qualification.pk}"')[1].split("</div>")[0]
    # Vitrines 3 000,40 + Camion 45 000 + Orphelin 12 500 in euros; Export in dollars.
    assert "60\xa0500\xa0€" in column  # rounded to the euro
    assert "10\xa0000\xa0USD" in column
    assert "Fours à pain" in html and "Ailleurs" not in html


def test_the_kanban_shows_only_what_the_user_may_see(portfolio, personas):
    html = en_client(personas.outsider).get(KANBAN).content.decode()
    shown = set(card_ids(html))
    visible = set(opportunities_for_user(personas.outsider).values_list("id", flat=True))
    assert shown == visible
    assert portfolio["salesperson"].pk not in shown

    mine = en_client(personas.outsider).get(f"{KANBAN}?mine=1").content.decode()
    assert set(card_ids(mine)) == set(
        Opportunity.objects.filter(assigned_to=personas.outsider).values_list("id", flat=True)
    )


def test_the_filter_bar_gets_the_board_alone(portfolio, personas):
    client = en_client(personas.administrator)
    response = client.get(
        f"{KANBAN}?team={personas.south.pk}", headers={"HX-Request": "true", "HX-Target": "board"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="board"' in html
    assert set(card_ids(html)) == {
        portfolio["outsider"].pk,
        portfolio["created_by_salesperson"].pk,
        portfolio["dollars"].pk,
    }


@pytest.mark.parametrize(
    "query",
    ["owner=abc", "owner=99999999999999999999", "team=-1", "q=%00", "mine=yes", "q=" + "x" * 500],
)
def test_malformed_filters_are_ignored(portfolio, personas, query):
    response = en_client(personas.administrator).get(f"{KANBAN}?{query}")
    assert response.status_code == 200


def test_the_kanban_query_count_is_pinned(
    portfolio, personas, django_assert_num_queries, monkeypatch
):
    client = en_client(personas.salesperson)
    client.get(KANBAN)  # sessions and caches warmed
    # session, user, memberships, teams (the actor); stages; running totals; 6 columns' cards;
    # the filter bar's owners and teams.
    with django_assert_num_queries(14):
        response = client.get(KANBAN)
    assert response.status_code == 200
    # A search reads the matching opportunities once (at most LIVE_CAP + 1: the figures and
    # every column's ids) instead of the running totals, then the columns' first cards at once.
    with django_assert_num_queries(9):
        searched = client.get(f"{KANBAN}?q=four")
    assert card_ids(searched.content.decode()) == [portfolio["salesperson"].pk]
    # More matches than the cap: each column reads its first cards.
    monkeypatch.setattr(board, "LIVE_CAP", 1)
    with django_assert_num_queries(14):
        searched = client.get(f"{KANBAN}?q=e")
    assert "Too many matches to count" in searched.content.decode()


# Paging a column -----------------------------------------------------------------------------


def test_a_column_pages_without_duplicates_or_gaps(personas):
    partner = make_partner(personas.salesperson, name="Morel")
    made = [make(personas.salesperson, partner, name=f"Affaire {n}") for n in range(47)]
    default = stage_of(personas.company.pk, "default")
    client = en_client(personas.salesperson)

    html = client.get(KANBAN).content.decode()
    seen = card_ids(html)
    assert len(seen) == board.COLUMN_PAGE
    pages = 1
    while more := re.findall(r'hx-get="(/opportunities/kanban/column/(\d+)/\?[^"]+)"', html):
        (url, stage_id), *_others = more
        assert int(stage_id) == default.pk
        html = client.get(
            url.replace("&amp;", "&"), headers={"HX-Request": "true"}
        ).content.decode()
        assert "<html" not in html
        seen += card_ids(html)
        pages += 1
    assert pages == 3
    # Newest first, each card once, none missing.
    assert seen == sorted((o.pk for o in made), reverse=True)


def test_a_column_page_without_htmx_is_a_page_of_its_own(personas):
    partner = make_partner(personas.salesperson, name="Morel")
    made = [make(personas.salesperson, partner, name=f"Affaire {n}") for n in range(25)]
    default = stage_of(personas.company.pk, "default")
    url = reverse("opportunity_board:column", args=[default.pk])
    response = en_client(personas.salesperson).get(f"{url}?after={made[5].pk}")

    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert card_ids(html) == [o.pk for o in reversed(made[:5])]


@pytest.mark.parametrize("after", ["abc", "-5", "99999999999999999999", "1e9", ""])
def test_a_malformed_after_shows_the_first_page(personas, after):
    partner = make_partner(personas.salesperson, name="Morel")
    made = make(personas.salesperson, partner)
    default = stage_of(personas.company.pk, "default")
    url = reverse("opportunity_board:column", args=[default.pk])
    response = en_client(personas.salesperson).get(
        f"{url}?after={after}", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert card_ids(response.content.decode()) == [made.pk]


def test_another_company_s_column_is_not_found(personas):
    theirs = stage_of(personas.other_company.pk, "default")
    url = reverse("opportunity_board:column", args=[theirs.pk])
    assert en_client(personas.salesperson).get(url).status_code == 404


def test_the_column_query_count_is_pinned(personas, django_assert_num_queries):
    partner = make_partner(personas.salesperson, name="Morel")
    made = [make(personas.salesperson, partner, name=f"Affaire {n}") for n in range(30)]
    default = stage_of(personas.company.pk, "default")
    client = en_client(personas.salesperson)
    url = f"{reverse('opportunity_board:column', args=[default.pk])}?after={made[-1].pk}"
    client.get(url, headers={"HX-Request": "true"})
    # session, user, memberships, teams (the actor); the stage; the cards; the stages (the
    # cards' "Move to…" menu).
    with django_assert_num_queries(7):
        client.get(url, headers={"HX-Request": "true"})


# Moves ---------------------------------------------------------------------------------------


def _snapshot(company_id: int) -> tuple[Any, ...]:
    """Everything a move could write."""
    return (
        sorted(
            Opportunity.objects.filter(company_id=company_id).values_list(
                "id", "stage_id", "version"
            )
        ),
        sorted(
            StageTotal.objects.filter(company_id=company_id).values_list(
                "stage_id", "currency", "owner_id", "team_id", "creator_id", "count", "amount"
            )
        ),
        Activity.objects.filter(
            content_type=ContentType.objects.get_for_model(Opportunity)
        ).count(),
    )


def _move_url(pk: Any) -> str:
    return f"/opportunities/kanban/move/{pk}/"


def test_a_drop_moves_the_card_and_sends_the_new_figures(portfolio, personas):
    opportunity = portfolio["salesperson"]
    default = stage_of(personas.company.pk, "default")
    qualification = plain_stage(personas.company.pk)
    client = en_client(personas.salesperson)

    response = client.post(
        _move_url(opportunity.pk),
        {"stage": qualification.pk, "from": default.pk, "query": "mine=1", "next": KANBAN},
        headers=JSON,
    )

    assert response.status_code == 200
    answer = json.loads(response.content)
    assert answer["ok"] is True
    opportunity.refresh_from_db()
    assert opportunity.stage_id == qualification.pk
    assert f'data-id="{opportunity.pk}"' in answer["card"]
    assert f'name="from" value="{qualification.pk}"' in answer["card"]
    # The figures of every column, with the page's filters (mine=1): the salesperson owns only
    # this opportunity.
    assert set(answer["figures"]) == {str(s.pk) for s in stages(personas.company.pk)}
    assert "1 opportunity" in answer["figures"][str(qualification.pk)]
    assert "12,500" in answer["figures"][str(qualification.pk)]
    assert "0 opportunities" in answer["figures"][str(default.pk)]
    totals = board.column_figures(
        personas.salesperson, board.BoardFilters(mine=True), [qualification.pk]
    )
    assert totals[qualification.pk].count == 1


def test_a_plain_form_move_goes_back_to_the_board_with_a_message(portfolio, personas):
    opportunity = portfolio["salesperson"]
    qualification = plain_stage(personas.company.pk)
    response = en_client(personas.salesperson).post(
        _move_url(opportunity.pk),
        {"stage": qualification.pk, "next": f"{KANBAN}?mine=1"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"{KANBAN}?mine=1"
    assert "moved to" in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.stage_id == qualification.pk


@pytest.mark.parametrize(
    "role,name", [("won", "opportunities:win"), ("lost", "opportunities:lose")]
)
def test_a_drop_on_the_won_or_lost_column_opens_its_dialog_and_writes_nothing(
    portfolio, personas, role, name
):
    opportunity = portfolio["salesperson"]
    before = _snapshot(personas.company.pk)
    target = stage_of(personas.company.pk, role)

    response = en_client(personas.salesperson).post(
        _move_url(opportunity.pk), {"stage": target.pk, "next": f"{KANBAN}?q=four"}, headers=JSON
    )

    assert response.status_code == 200
    redirect = json.loads(response.content)["redirect"]
    assert redirect.startswith(reverse(name, args=[opportunity.pk]) + "?next=")
    assert "%2Fopportunities%2Fkanban%2F%3Fq%3Dfour" in redirect
    assert _snapshot(personas.company.pk) == before
    # Without JavaScript, the same dialog.
    plain = en_client(personas.salesperson).post(_move_url(opportunity.pk), {"stage": target.pk})
    assert plain.status_code == 302 and plain["Location"].startswith(
        reverse(name, args=[opportunity.pk])
    )


def _refusal(client: Client, pk: Any, data: dict[str, Any], status: int) -> str:
    response = client.post(_move_url(pk), data, headers=JSON)
    assert response.status_code == status, response.content
    answer = json.loads(response.content)
    assert answer["ok"] is False and answer["error"]
    return str(answer["error"])


def test_refused_drops_answer_why_and_write_nothing(portfolio, personas):
    client = en_client(personas.salesperson)
    mine = portfolio["salesperson"]
    qualification = plain_stage(personas.company.pk)
    theirs_stage = stage_of(personas.other_company.pk, "default")
    before = _snapshot(personas.company.pk)
    other_before = _snapshot(personas.other_company.pk)

    # Another company's opportunity, one the salesperson may not see, ids that are not ids.
    for pk in (
        portfolio["other"].pk,
        portfolio["dollars"].pk,
        "abc",
        "99999999999999999999",
        "-1",
        "1.5",
    ):
        assert "out of your reach" in _refusal(client, pk, {"stage": qualification.pk}, 404)
    # Another company's stage, stages that are not ids.
    for stage in (theirs_stage.pk, "abc", "99999999999999999999", ""):
        assert "sales stages" in _refusal(client, mine.pk, {"stage": stage}, 400)
    # Stale: the card left "from" meanwhile.
    error = _refusal(client, mine.pk, {"stage": qualification.pk, "from": qualification.pk}, 409)
    assert "meanwhile" in error
    # Read-only users move nothing.
    assert _refusal(en_client(personas.reader), mine.pk, {"stage": qualification.pk}, 403)

    assert _snapshot(personas.company.pk) == before
    assert _snapshot(personas.other_company.pk) == other_before


def test_a_won_card_goes_to_lose_or_reopens_as_the_services_say(portfolio, personas):
    """A won opportunity dropped on the lost column goes to the Lose dialog (nothing written);
    dropped on an open stage it reopens, as the services allow."""
    won = portfolio["north"]
    before = _snapshot(personas.company.pk)
    client = en_client(personas.administrator)
    lost = stage_of(personas.company.pk, "lost")
    answer = json.loads(client.post(_move_url(won.pk), {"stage": lost.pk}, headers=JSON).content)
    assert "redirect" in answer
    assert _snapshot(personas.company.pk) == before

    default = stage_of(personas.company.pk, "default")
    answer = json.loads(client.post(_move_url(won.pk), {"stage": default.pk}, headers=JSON).content)
    assert answer["ok"] is True
    won.refresh_from_db()
    assert won.stage_id == default.pk


def test_a_service_refusal_is_answered_not_raised(portfolio, personas, monkeypatch):
    from django.core.exceptions import ValidationError

    from piste.core.services import ConflictError

    client = en_client(personas.salesperson)
    qualification = plain_stage(personas.company.pk)

    def refuse(**kwargs: Any) -> None:
        raise ValidationError("Pas maintenant.")

    monkeypatch.setattr(services, "opportunity_move", refuse)
    assert (
        _refusal(client, portfolio["salesperson"].pk, {"stage": qualification.pk}, 400)
        == "Pas maintenant."
    )

    def conflict(**kwargs: Any) -> None:
        raise ConflictError("Déjà changé.")

    monkeypatch.setattr(services, "opportunity_move", conflict)
    assert (
        _refusal(client, portfolio["salesperson"].pk, {"stage": qualification.pk}, 409)
        == "Déjà changé."
    )

    plain = client.post(
        _move_url(portfolio["salesperson"].pk), {"stage": qualification.pk}, follow=True
    )
    assert "Déjà changé." in plain.content.decode()


def test_moves_are_posts_only(portfolio, personas):
    client = en_client(personas.salesperson)
    assert client.get(_move_url(portfolio["salesperson"].pk)).status_code == 405


def test_a_foreign_next_is_not_followed(portfolio, personas):
    qualification = plain_stage(personas.company.pk)
    for next_url in (
        "https://evil.example/",
        "//evil.example/",
        "/leads/",
        "/opportunities/\r\nX: y",
    ):
        response = en_client(personas.salesperson).post(
            _move_url(portfolio["salesperson"].pk), {"stage": qualification.pk, "next": next_url}
        )
        assert response["Location"] == KANBAN


def test_readers_get_a_board_without_drag_and_drop_nor_move_forms(portfolio, personas):
    html = en_client(personas.reader).get(KANBAN).content.decode()
    assert "data-kanban-readonly" in html
    assert "data-kanban-move " not in html and "data-kanban-move>" not in html
    editable = en_client(personas.salesperson).get(KANBAN).content.decode()
    assert "data-kanban-readonly" not in editable and "data-kanban-move" in editable


def test_a_searched_column_pages_through_the_matching_cards(personas):
    partner = make_partner(personas.salesperson, name="Morel")
    made = [make(personas.salesperson, partner, name=f"Maintenance {n}") for n in range(25)]
    make(personas.salesperson, partner, name="Autre chose")
    client = en_client(personas.salesperson)

    html = client.get(f"{KANBAN}?q=maintenance").content.decode()
    seen = card_ids(html)
    assert "25 opportunities" in html
    (more,) = re.findall(r'hx-get="(/opportunities/kanban/column/\d+/\?[^"]+)"', html)
    assert "q=maintenance" in more
    html = client.get(more.replace("&amp;", "&"), headers={"HX-Request": "true"}).content.decode()
    seen += card_ids(html)
    assert seen == sorted((o.pk for o in made), reverse=True)
