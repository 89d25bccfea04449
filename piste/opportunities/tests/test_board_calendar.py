"""The signature calendar: a month's grid or an ISO week of expected signing dates (edges of
months and years included), what a malformed period shows (never a 500), the per-day cap, the
day and week totals, and moves to another day that only the services decide."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from piste.core.access import Actor, actor_for
from piste.core.models import Activity
from piste.core.testing import Personas, en_client
from piste.opportunities import selectors_board as board
from piste.opportunities import services
from piste.opportunities.models import Opportunity
from piste.opportunities.selectors import opportunities_for_user
from piste.partners.models import Partner
from piste.partners.tests.factories import make_partner
from piste.users.models import User

CALENDAR = "/opportunities/calendar/"
JSON = {"Accept": "application/json"}


def actor(user: User) -> Actor:
    found = actor_for(user)
    assert found is not None
    return found


def make(user: User, partner: Partner, day: date | None, **data: Any) -> Opportunity:
    data.setdefault("name", f"Affaire du {day}")
    data.setdefault("amount", Decimal("1000"))
    data.setdefault("probability", 50)
    return services.opportunity_create(
        actor=actor(user), data={"partner": partner, "expected_close_date": day, **data}
    )


def card_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-kanban-card[^>]*data-id="(\d+)"', html)]


def day_cell(html: str, day: date) -> str:
    """The HTML of one day's cell."""
    return html.split(f'data-day="{day.isoformat()}"')[1].split("</td>")[0]


@pytest.fixture
def partner(personas: Personas) -> Partner:
    return make_partner(personas.salesperson, name="Boulangeries Morel")


# Periods -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params,kind,first,last,grid_first,grid_last",
    [
        ({"month": "2026-12"}, "month", date(2026, 12, 1), date(2026, 12, 31),
         date(2026, 11, 30), date(2027, 1, 3)),
        ({"month": "2024-02"}, "month", date(2024, 2, 1), date(2024, 2, 29),
         date(2024, 1, 29), date(2024, 3, 3)),
        ({"month": "2026-2"}, "month", date(2026, 2, 1), date(2026, 2, 28),
         date(2026, 1, 26), date(2026, 3, 1)),
        ({"week": "2026-W53"}, "week", date(2026, 12, 28), date(2027, 1, 3),
         date(2026, 12, 28), date(2027, 1, 3)),
        ({"week": "2027-W01"}, "week", date(2027, 1, 4), date(2027, 1, 10),
         date(2027, 1, 4), date(2027, 1, 10)),
        ({"week": "2025-W01"}, "week", date(2024, 12, 30), date(2025, 1, 5),
         date(2024, 12, 30), date(2025, 1, 5)),
        ({"week": "2026w48"}, "week", date(2026, 11, 23), date(2026, 11, 29),
         date(2026, 11, 23), date(2026, 11, 29)),
    ],
)  # fmt: skip
def test_periods_and_their_grids(params, kind, first, last, grid_first, grid_last):
    period, problem = board.parse_period(params, date(2026, 5, 5))
    assert problem is None
    assert (period.kind, period.first, period.last) == (kind, first, last)
    assert (period.grid_first, period.grid_last) == (grid_first, grid_last)
    assert period.grid_first.weekday() == 0 and period.grid_last.weekday() == 6


def test_previous_and_next_cross_the_years():
    def param(period: board.Period | None) -> tuple[str, str] | None:
        return period.param if period else None

    week, _ = board.parse_period({"week": "2026-W53"}, date(2026, 5, 5))
    assert param(week.next()) == ("week", "2027-W01")
    assert param(week.previous()) == ("week", "2026-W52")
    first_week, _ = board.parse_period({"week": "2027-W01"}, date(2026, 5, 5))
    assert first_week.previous() == week
    december, _ = board.parse_period({"month": "2026-12"}, date(2026, 5, 5))
    assert param(december.next()) == ("month", "2027-01")
    january, _ = board.parse_period({"month": "2027-01"}, date(2026, 5, 5))
    assert january.previous() == december
    # The calendar stops at its years.
    assert board.parse_period({"month": "1900-01"}, date(2026, 5, 5))[0].previous() is None
    assert board.parse_period({"month": "2999-12"}, date(2026, 5, 5))[0].next() is None


@pytest.mark.parametrize(
    "params,kind",
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "2026-00"}, "month"),
        ({"month": "abc"}, "month"),
        ({"month": "0000-01"}, "month"),
        ({"month": "9999-12"}, "month"),
        ({"month": "2026-11-05"}, "month"),
        ({"week": "2025-W53"}, "week"),  # 2025 has 52 ISO weeks
        ({"week": "2026-W00"}, "week"),
        ({"week": "2026-W99"}, "week"),
        ({"week": "0001-W01"}, "week"),
        ({"week": "x\x00y"}, "week"),
    ],
)
def test_a_malformed_period_shows_the_current_one_with_a_message(params, kind):
    today = date(2026, 5, 5)
    period, problem = board.parse_period(params, today)
    assert problem is not None and "\x00" not in problem
    assert period.kind == kind and period.first <= today <= period.last


@pytest.mark.parametrize(
    "query",
    [
        "month=2026-13",
        "week=2025-W53",
        "month=%00",
        "week=9999-W52",
        "month=" + "9" * 300,
        "month=2026-11&week=2026-W48",
        "closed=yes",
        "owner=abc&team=99999999999999999999",
    ],
)
def test_malformed_queries_never_fail(personas, query):
    response = en_client(personas.salesperson).get(f"{CALENDAR}?{query}")
    assert response.status_code == 200


def test_a_malformed_month_says_so(personas):
    html = en_client(personas.salesperson).get(f"{CALENDAR}?month=2026-13").content.decode()
    assert "“2026-13” is not a month" in html


# What a month and a week show ----------------------------------------------------------------


def test_a_month_shows_its_grid_s_days_and_nothing_else(personas, partner):
    user = personas.salesperson
    inside = make(user, partner, date(2026, 12, 31), name="Dernier jour")
    grid_before = make(user, partner, date(2026, 11, 30), name="Lundi d'avant")
    grid_after = make(user, partner, date(2027, 1, 3), name="Dimanche d'après")
    make(user, partner, date(2027, 1, 4), name="Trop tard")
    make(user, partner, date(2026, 11, 29), name="Trop tôt")
    make(user, partner, None, name="Sans date")

    html = en_client(user).get(f"{CALENDAR}?month=2026-12").content.decode()

    assert sorted(card_ids(html)) == sorted([inside.pk, grid_before.pk, grid_after.pk])
    assert inside.pk in card_ids(day_cell(html, date(2026, 12, 31)))
    assert "is-outside" in html.split('data-day="2026-11-30"')[0].rsplit("<td", 1)[1]
    # The month's total counts its own days only; each week its seven days.
    assert "1 opportunity expected to sign this month" in html
    week_totals = re.findall(r'data-testid="week-count">([^<]+)<', html)
    assert [w.strip() for w in week_totals] == [
        "1 opportunity",
        "0 opportunities",
        "0 opportunities",
        "0 opportunities",
        "2 opportunities",
    ]


def test_a_week_across_two_years(personas, partner):
    user = personas.salesperson
    monday = make(user, partner, date(2026, 12, 28), name="Lundi")
    sunday = make(user, partner, date(2027, 1, 3), name="Dimanche")
    make(user, partner, date(2027, 1, 4), name="Semaine suivante")

    html = en_client(user).get(f"{CALENDAR}?week=2026-W53").content.decode()

    assert sorted(card_ids(html)) == sorted([monday.pk, sunday.pk])
    assert "2 opportunities expected to sign this week" in html
    assert "week=2027-W01" in html and "week=2026-W52" in html  # next, previous


def test_open_opportunities_only_unless_asked(personas, partner):
    user = personas.salesperson
    day = date(2026, 6, 10)
    kept = make(user, partner, day, name="Ouverte")
    won = make(user, partner, day, name="Gagnée")
    services.opportunity_win(
        actor=actor(personas.manager), opportunity=won, partner_types={"is_customer": True}
    )
    client = en_client(user)

    assert card_ids(client.get(f"{CALENDAR}?month=2026-06").content.decode()) == [kept.pk]
    with_closed = client.get(f"{CALENDAR}?month=2026-06&closed=1").content.decode()
    assert sorted(card_ids(with_closed)) == sorted([kept.pk, won.pk])
    assert "is-closed" in with_closed


def test_a_crowded_day_shows_its_largest_opportunities_and_how_many_more(personas, partner):
    user = personas.salesperson
    day = date(2026, 6, 10)
    made = [
        make(user, partner, day, amount=str(1000 * (n + 1)), name=f"Affaire {n}") for n in range(7)
    ]
    client = en_client(user)

    cell = day_cell(client.get(f"{CALENDAR}?month=2026-06").content.decode(), day)
    largest = [o.pk for o in sorted(made, key=lambda o: -o.amount)][: board.MONTH_DAY_CARDS]
    assert card_ids(cell) == largest
    assert "+3 more" in cell
    assert "7 opp." in cell and "28,000" in cell  # 1,000 + … + 7,000
    week = client.get(f"{CALENDAR}?week=2026-W24").content.decode()
    assert len(card_ids(day_cell(week, day))) == 7


def test_the_calendar_shows_only_what_the_user_may_see(personas, partner):
    day = date(2026, 6, 10)
    mine = make(personas.salesperson, partner, day, name="À moi")
    theirs = make(personas.outsider, partner, day, name="Au sud")
    other = make(personas.other, make_partner(personas.other, name="Lemoine"), day)

    html = en_client(personas.salesperson).get(f"{CALENDAR}?month=2026-06").content.decode()
    assert card_ids(html) == [mine.pk]
    admin = en_client(personas.administrator).get(f"{CALENDAR}?month=2026-06").content.decode()
    assert sorted(card_ids(admin)) == sorted([mine.pk, theirs.pk])
    assert other.pk not in card_ids(admin)
    assert set(card_ids(admin)) <= set(
        opportunities_for_user(personas.administrator).values_list("id", flat=True)
    )


def test_the_calendar_query_count_is_pinned(personas, partner, django_assert_num_queries):
    for n in range(12):
        make(personas.salesperson, partner, date(2026, 6, 1 + n % 5), name=f"Affaire {n}")
    client = en_client(personas.salesperson)
    client.get(f"{CALENDAR}?month=2026-06")
    # session, user, memberships, teams (the actor); the day totals; the ids of each day's
    # first cards; those cards; the filter bar's owners and teams.
    with django_assert_num_queries(9):
        response = client.get(f"{CALENDAR}?month=2026-06")
    assert len(card_ids(response.content.decode())) == 12
    with django_assert_num_queries(9):
        client.get(f"{CALENDAR}?week=2026-W23&closed=1&q=affaire")


# Moves ---------------------------------------------------------------------------------------


def _move_url(pk: Any) -> str:
    return f"/opportunities/calendar/move/{pk}/"


def _snapshot(company_id: int) -> tuple[Any, ...]:
    return (
        sorted(
            Opportunity.objects.filter(company_id=company_id).values_list(
                "id", "expected_close_date", "version"
            )
        ),
        Activity.objects.filter(
            content_type=ContentType.objects.get_for_model(Opportunity)
        ).count(),
    )


def test_a_drop_on_another_day_reschedules_and_sends_the_days_figures(personas, partner):
    user = personas.salesperson
    opportunity = make(user, partner, date(2026, 6, 10), amount="2500")
    make(user, partner, date(2026, 6, 12), amount="1000", name="Déjà là")

    response = en_client(user).post(
        _move_url(opportunity.pk),
        {"expected_close_date": "2026-06-12", "from": "2026-06-10", "query": "month=2026-06"},
        headers=JSON,
    )

    assert response.status_code == 200
    answer = json.loads(response.content)
    assert answer["ok"] is True
    opportunity.refresh_from_db()
    assert opportunity.expected_close_date == date(2026, 6, 12)
    assert 'value="2026-06-12"' in answer["card"]
    assert set(answer["figures"]) == {"2026-06-10", "2026-06-12", "week-2026-W24"}
    assert answer["figures"]["2026-06-10"] == ""
    assert (
        "2 opp." in answer["figures"]["2026-06-12"] and "3,500" in answer["figures"]["2026-06-12"]
    )
    assert "2 opportunities" in answer["figures"]["week-2026-W24"]


def test_a_plain_form_reschedules_and_goes_back(personas, partner):
    opportunity = make(personas.salesperson, partner, date(2026, 6, 10))
    back = f"{CALENDAR}?month=2026-06"
    response = en_client(personas.salesperson).post(
        _move_url(opportunity.pk), {"expected_close_date": "2026-07-01", "next": back}, follow=True
    )
    assert response.redirect_chain[-1][0] == back
    assert "is now expected on" in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.expected_close_date == date(2026, 7, 1)


def test_refused_reschedules_answer_why_and_write_nothing(personas, partner):
    user = personas.salesperson
    client = en_client(user)
    opportunity = make(user, partner, date(2026, 6, 10))
    won = make(user, partner, date(2026, 6, 11), name="Gagnée")
    services.opportunity_win(
        actor=actor(personas.manager), opportunity=won, partner_types={"is_customer": True}
    )
    hidden = make(personas.outsider, partner, date(2026, 6, 12))
    other = make(personas.other, make_partner(personas.other, name="Lemoine"), date(2026, 6, 12))
    before = _snapshot(personas.company.pk)
    other_before = _snapshot(personas.other_company.pk)

    def refused(pk: Any, data: dict[str, str], status: int) -> str:
        response = client.post(_move_url(pk), data, headers=JSON)
        assert response.status_code == status, response.content
        answer = json.loads(response.content)
        assert answer["ok"] is False
        return str(answer["error"])

    for pk in (other.pk, hidden.pk, "abc", "99999999999999999999"):
        assert "out of your reach" in refused(pk, {"expected_close_date": "2026-06-20"}, 404)
    for value in ("", "2026-02-30", "20/06/2026", "0001-01-01", "9999-01-01", "2026-06-20\x00"):
        assert "Enter a date" in refused(opportunity.pk, {"expected_close_date": value}, 400)
    assert "meanwhile" in refused(
        opportunity.pk, {"expected_close_date": "2026-06-20", "from": "2026-06-09"}, 409
    )
    assert "won" in refused(won.pk, {"expected_close_date": "2026-06-20"}, 400)
    reader = en_client(personas.reader).post(
        _move_url(opportunity.pk), {"expected_close_date": "2026-06-20"}, headers=JSON
    )
    assert reader.status_code == 403

    assert _snapshot(personas.company.pk) == before
    assert _snapshot(personas.other_company.pk) == other_before


def test_an_undated_opportunity_gets_a_date(personas, partner):
    opportunity = make(personas.salesperson, partner, None)
    response = en_client(personas.salesperson).post(
        _move_url(opportunity.pk), {"expected_close_date": "2026-06-20", "from": ""}, headers=JSON
    )
    assert json.loads(response.content)["ok"] is True
    opportunity.refresh_from_db()
    assert opportunity.expected_close_date == date(2026, 6, 20)


def test_the_keyboard_form_is_on_every_card_for_those_who_may_change(personas, partner):
    make(personas.salesperson, partner, date(2026, 6, 10))
    html = en_client(personas.salesperson).get(f"{CALENDAR}?month=2026-06").content.decode()
    assert 'type="date" name="expected_close_date"' in html
    reader = en_client(personas.reader).get(f"{CALENDAR}?month=2026-06").content.decode()
    assert "data-kanban-readonly" in reader and 'name="expected_close_date"' not in reader


def test_today_is_the_default_and_is_marked(personas, partner):
    from django.utils import timezone

    today = timezone.localdate()
    found = make(personas.salesperson, partner, today)
    html = en_client(personas.salesperson).get(CALENDAR).content.decode()
    assert found.pk in card_ids(day_cell(html, today))
    assert "is-today" in html.split(f'data-day="{today.isoformat()}"')[0].rsplit("<td", 1)[1]
