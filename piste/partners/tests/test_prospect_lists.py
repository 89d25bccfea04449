"""Open prospects, Closed prospects and the prospect kanban: what they list, search, filters,
keyset pages, capped counts, moves by drag and drop, who reaches them, and their query counts."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from piste.core.access import require_actor
from piste.core.testing import en_client
from piste.partners import selectors_prospects as selectors
from piste.partners import services_prospects as prospects
from piste.partners.models import Partner, PartnerStatus
from piste.partners.tests.factories import make_partner
from piste.partners.tests.test_prospect_statuses import fresh, on, reason, status, turn_on

__all__ = ["on"]  # the fixture, used by name

Role = PartnerStatus.Role
JSON = {"Accept": "application/json"}


def move(partner, user, target, **extra):
    actor = require_actor(user)
    if target == "lost":
        prospects.prospect_lose(actor=actor, partner=partner, reason=reason(actor.company))
    elif target == "won":
        prospects.prospect_win(actor=actor, partner=partner)
    else:
        prospects.prospect_change_status(
            actor=actor, partner=partner, status=status(actor.company, name=target)
        )


def rows(response) -> list[str]:
    html = response.content.decode()
    return [
        part.split("</a>")[0].rsplit(">", 1)[1]
        for part in html.split('data-testid="prospect-row"')[1:]
    ]


# Lists -----------------------------------------------------------------------------------------


def test_open_and_closed_lists(on):
    make_partner(on.manager, name="Alpha")
    beta = make_partner(on.manager, name="Beta")
    gamma = make_partner(on.manager, name="Gamma")
    delta = make_partner(on.manager, name="Delta")
    make_partner(on.manager, name="Supplier", is_supplier=True)
    move(beta, on.manager, "Nurturing")
    move(gamma, on.manager, "won")
    move(delta, on.manager, "lost")
    client = en_client(on.manager)
    # By status in the bar's order, then by name.
    assert rows(client.get("/prospects/open/")) == ["Alpha", "Beta"]
    closed = client.get("/prospects/closed/")
    assert rows(closed) == ["Gamma", "Delta"]
    assert "Too expensive" in closed.content.decode()  # the lost reason column
    assert 'data-testid="prospect-count">2<' in closed.content.decode()


def test_search_filters_and_owner(on):
    for name in ("Boulangerie Morel", "Morel Frères", "Dupont"):
        make_partner(on.salesperson, name=name)
    make_partner(on.manager, name="Morelle Conseil")
    client = en_client(on.manager)
    # The name, or a company's name from its second word, starts with what was typed.
    assert rows(client.get("/prospects/open/", {"q": "morel"})) == [
        "Boulangerie Morel",
        "Morel Frères",
        "Morelle Conseil",
    ]
    assert rows(client.get("/prospects/open/", {"q": "mor", "owner": on.manager.pk})) == [
        "Morelle Conseil"
    ]
    nurturing = status(on.company, name="Nurturing")
    move(Partner.objects.get(name="Dupont"), on.manager, "Nurturing")
    assert rows(client.get("/prospects/open/", {"status": nurturing.pk})) == ["Dupont"]
    # HTMX asks for the rows alone, with the count out of band.
    part = client.get("/prospects/open/", {"q": "dup"}, headers={"HX-Request": "true",
                                                                 "HX-Target": "rows"})  # fmt: skip
    html = part.content.decode()
    assert "<html" not in html and 'id="prospect-count" hx-swap-oob="true"' in html


@pytest.mark.parametrize(
    "query",
    [
        {"status": "abc"},
        {"status": "99999999999999999999999"},
        {"owner": "x"},
        {"owner": "99999999999999999999999"},
        {"q": "a\x00b"},
        {"q": "x" * 500},
        {"cursor": "garbage"},
        {"cursor": "WzAsIngiLDk5OTk5OTk5OTk5OTk5OTk5OTk5OTksIm4iXQ"},  # [0,"x",huge,"n"]
        {"q": "dupont", "cursor": "dupont|99999999999999999999999"},
        {"q": "dupont", "cursor": "du\x00pont|1"},
    ],
)
def test_bad_list_input_is_ignored_never_an_error(on, query):
    make_partner(on.salesperson, name="Dupont")
    client = en_client(on.salesperson)
    for url in ("/prospects/open/", "/prospects/closed/", "/prospects/kanban/"):
        response = client.get(url, query)
        assert response.status_code == 200, url


def test_pages_walk_the_statuses_in_order_both_ways(on):
    names = {"To be processed": ["A1", "A2", "A3"], "Nurturing": ["N1", "N2"]}
    for target, group in names.items():
        for name in group:
            partner = make_partner(on.salesperson, name=name)
            if target != "To be processed":
                move(partner, on.salesperson, target)
    make_partner(on.outsider, name="Hidden")  # not in the salesperson's scope
    statuses = selectors.prospect_statuses(on.company)

    def page(cursor=None):
        return selectors.prospects_page(
            user=on.salesperson,
            kind="open",
            filters=selectors.ProspectFilters(),
            cursor=cursor,
            all_statuses=statuses,
            per_page=2,
        )

    seen, cursor, pages = [], None, []
    while True:
        current = page(cursor)
        pages.append(current)
        seen += [str(r) for r in current.rows]
        if not current.next_cursor:
            break
        cursor = current.next_cursor
    assert seen == ["A1", "A2", "A3", "N1", "N2"]
    assert pages[0].prev_cursor is None and pages[0].count == 5
    back = page(pages[-1].prev_cursor)
    assert [str(r) for r in back.rows] == ["A3", "N1"]
    assert [str(r) for r in page(back.prev_cursor).rows] == ["A1", "A2"]


def test_list_page_through_http_keeps_the_filters(on):
    for n in range(27):
        make_partner(on.salesperson, name=f"Prospect {n:02d}")
    client = en_client(on.salesperson)
    first = client.get("/prospects/open/", {"owner": on.salesperson.pk})
    assert len(rows(first)) == 25
    html = first.content.decode()
    next_url = html.split('rel="next" data-testid="next"')[0].rsplit('href="', 1)[1]
    next_url = next_url.split('"')[0].replace("&amp;", "&")
    assert f"owner={on.salesperson.pk}" in next_url
    second = client.get(f"/prospects/open/{next_url}")
    assert rows(second) == ["Prospect 25", "Prospect 26"]
    assert 'rel="prev"' in second.content.decode()


def test_counts_are_capped(on, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    for n in range(5):
        make_partner(on.salesperson, name=f"P{n}")
    html = en_client(on.salesperson).get("/prospects/open/").content.decode()
    assert 'data-testid="prospect-count">3+<' in html


def test_list_query_counts_are_pinned(on):
    for n in range(30):
        make_partner(on.salesperson, name=f"Prospect {n:02d}", team=on.north)
    for partner in Partner.objects.all()[:4]:
        move(partner, on.salesperson, "lost")
    client = en_client(on.salesperson)
    for url, expected in (("/prospects/open/", 8), ("/prospects/closed/", 9)):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 the company's statuses, 6 its
        # users (the owner filter), 7 the capped count, then the page read status by status
        # until full: open, 8 "To be processed" fills it; closed, 8 "Won" (empty) and 9 "Lost".
        assert len(queries) == expected, "\n".join(q["sql"] for q in queries)


def test_a_search_page_query_count_is_pinned(on):
    for n in range(3):
        make_partner(on.salesperson, name=f"Prospect {n:02d}", team=on.north)
    client = en_client(on.salesperson)
    client.get("/prospects/open/", {"q": "pro"})
    with CaptureQueriesContext(connection) as queries:
        client.get("/prospects/open/", {"q": "pro"})
    # 1-6 as above, 7 the capped count, 8-9 the page: one walk per name order.
    assert len(queries) == 9, "\n".join(q["sql"] for q in queries)


# Kanban ----------------------------------------------------------------------------------------


def test_kanban_has_a_column_per_status_with_cards_and_counts(on):
    alpha = make_partner(on.salesperson, name="Alpha", team=on.north)
    alpha_city = Partner.objects.filter(pk=alpha.pk)
    alpha_city.update(city_name="Lyon")
    make_partner(on.salesperson, name="Beta", team=on.north)
    move(make_partner(on.salesperson, name="Gamma"), on.salesperson, "lost")
    html = en_client(on.salesperson).get("/prospects/kanban/").content.decode()
    assert html.count('data-testid="kanban-column"') == 6
    assert html.count('data-testid="kanban-card"') == 3
    assert "Lyon" in html and 'data-testid="card-owner">ST<' in html
    counts = [c.split("<")[0] for c in html.split('data-testid="column-count">')[1:]]
    assert counts == ["2", "0", "0", "0", "0", "1"]
    assert 'data-kanban-field="status"' in html and "piste/kanban.js" in html
    assert "data-kanban-readonly" not in html


def test_reader_sees_a_read_only_board(on):
    make_partner(on.salesperson, name="Alpha")
    html = en_client(on.reader).get("/prospects/kanban/").content.decode()
    assert "data-kanban-readonly" in html and "data-kanban-move>" not in html
    assert html.count('data-testid="kanban-card"') == 1


def test_a_column_shows_twenty_cards_then_more_as_it_scrolls(on, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 22)
    for n in range(25):
        make_partner(on.salesperson, name=f"P{n:02d}")
    client = en_client(on.salesperson)
    html = client.get("/prospects/kanban/").content.decode()
    assert html.count('data-testid="kanban-card"') == 20
    assert 'data-testid="column-count">22+<' in html
    sentinel = html.split('data-testid="kanban-more"')[0].rsplit("<div", 1)[1]
    assert 'hx-trigger="revealed"' in sentinel
    url = sentinel.split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
    more = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert more.count('data-testid="kanban-card"') == 5 and "kanban-more" not in more
    assert "P20" in more and "P24" in more and "<html" not in more


def test_kanban_query_count_is_pinned(on):
    for n in range(22):
        make_partner(on.salesperson, name=f"P{n:02d}", team=on.north)
    move(make_partner(on.salesperson, name="Lost one"), on.salesperson, "lost")
    client = en_client(on.salesperson)
    client.get("/prospects/kanban/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/prospects/kanban/")
    assert response.status_code == 200
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 the statuses, 6 the users (owner
    # filter), 7-12 the first cards of each of the 6 columns, 13 the capped count of the one
    # column holding more than a page (the others count their cards).
    assert len(queries) == 13, "\n".join(q["sql"] for q in queries)


def test_kanban_owner_filter(on):
    make_partner(on.salesperson, name="Mine")
    make_partner(on.manager, name="Theirs")
    html = en_client(on.manager).get("/prospects/kanban/", {"owner": on.salesperson.pk})
    assert "Mine" in html.content.decode() and "Theirs" not in html.content.decode()


def test_drop_in_an_open_column_moves_the_prospect(on):
    partner = make_partner(on.salesperson, name="Alpha")
    default, nurturing = status(on.company, Role.DEFAULT), status(on.company, name="Nurturing")
    response = en_client(on.salesperson).post(
        f"/prospects/{partner.pk}/move/",
        {"status": nurturing.pk, "from": default.pk, "query": "", "next": "/prospects/kanban/"},
        headers=JSON,
    )
    answer = json.loads(response.content)
    assert response.status_code == 200 and answer["ok"] is True
    assert "data-kanban-card" in answer["card"] and "Alpha" in answer["card"]
    assert answer["figures"] == {
        str(default.pk): '<span class="badge rounded-pill text-bg-secondary" '
        'data-testid="column-count">0</span>',
        str(nurturing.pk): '<span class="badge rounded-pill text-bg-secondary" '
        'data-testid="column-count">1</span>',
    }
    assert fresh(partner).status == nurturing


def test_drop_in_the_won_column_wins_the_prospect(on):
    partner = make_partner(on.manager, name="Alpha")
    response = en_client(on.manager).post(
        f"/prospects/{partner.pk}/move/", {"status": status(on.company, Role.WON).pk}, headers=JSON
    )
    answer = json.loads(response.content)
    assert answer["ok"] is True and answer["message"] == "Prospect won and became a customer."
    assert fresh(partner).is_customer and not fresh(partner).is_prospect


def test_drop_in_the_won_column_needs_the_right_to_create_customers(on):
    partner = make_partner(on.salesperson, name="Alpha")
    response = en_client(on.salesperson).post(
        f"/prospects/{partner.pk}/move/", {"status": status(on.company, Role.WON).pk}, headers=JSON
    )
    answer = json.loads(response.content)
    assert response.status_code == 409 and answer["ok"] is False
    assert "create customers" in answer["error"]
    assert not fresh(partner).is_customer and fresh(partner).status.role == Role.DEFAULT


def test_drop_in_the_lost_column_is_refused_and_snaps_back(on):
    partner = make_partner(on.salesperson, name="Alpha")
    response = en_client(on.salesperson).post(
        f"/prospects/{partner.pk}/move/", {"status": status(on.company, Role.LOST).pk}, headers=JSON
    )
    assert response.status_code == 409
    assert json.loads(response.content) == {
        "ok": False,
        "error": "Lose a prospect from its page, with a reason.",
    }
    assert fresh(partner).status.role == Role.DEFAULT and fresh(partner).version == 1


@pytest.mark.parametrize("value", [None, "", "abc", "99999999999999999999999", "-3"])
def test_bad_drop_input_is_refused_in_json(on, value):
    partner = make_partner(on.salesperson, name="Alpha")
    data = {} if value is None else {"status": value}
    response = en_client(on.salesperson).post(f"/prospects/{partner.pk}/move/", data, headers=JSON)
    assert response.status_code == 400 and json.loads(response.content)["ok"] is False
    assert fresh(partner).version == 1


def test_drop_with_another_companys_status_is_refused(on):
    partner = make_partner(on.salesperson, name="Alpha")
    other = status(on.other_company, name="Nurturing")
    response = en_client(on.salesperson).post(
        f"/prospects/{partner.pk}/move/", {"status": other.pk}, headers=JSON
    )
    assert json.loads(response.content) == {
        "ok": False,
        "error": "Choose a status of this company.",
    }
    assert fresh(partner).version == 1


def test_the_keyboard_form_without_javascript_goes_back_to_the_board(on):
    partner = make_partner(on.salesperson, name="Alpha")
    client = en_client(on.salesperson)
    nurturing = status(on.company, name="Nurturing")
    response = client.post(
        f"/prospects/{partner.pk}/move/",
        {"status": nurturing.pk, "next": "/prospects/kanban/?owner=1"},
    )
    assert response.status_code == 302 and response["Location"] == "/prospects/kanban/?owner=1"
    refused = client.post(
        f"/prospects/{partner.pk}/move/",
        {"status": status(on.company, Role.LOST).pk, "next": "https://evil.example/"},
        follow=True,
    )
    assert refused.redirect_chain[0][0] == "/prospects/kanban/"
    assert "Lose a prospect from its page, with a reason." in refused.content.decode()


# Option off ------------------------------------------------------------------------------------


def test_every_url_says_the_option_is_off(personas):
    partner = make_partner(personas.manager)
    lost = status(personas.company, Role.LOST)
    client = en_client(personas.manager)
    for url in (
        "/prospects/open/",
        "/prospects/closed/",
        "/prospects/kanban/",
        f"/prospects/kanban/{lost.pk}/",
        f"/prospects/{partner.pk}/lose/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "does not manage statuses on prospects" in response.content.decode(), url
    for url in ("status", "move", "lose", "reopen"):
        response = client.post(f"/prospects/{partner.pk}/{url}/", {"status": lost.pk})
        assert response.status_code == 404, url
    answer = client.post(f"/prospects/{partner.pk}/move/", {"status": lost.pk}, headers=JSON)
    assert answer.status_code == 404 and "does not manage" in json.loads(answer.content)["error"]
    assert fresh(partner).status_id is None and fresh(partner).version == 1


def test_the_option_is_per_company(personas):
    turn_on(personas.other_company)
    assert en_client(personas.other).get("/prospects/open/").status_code == 200
    assert en_client(personas.manager).get("/prospects/open/").status_code == 404


# Who reaches what ------------------------------------------------------------------------------

# For a prospect of the salesperson in the North team: (sees it, may change it).
ACCESS = {
    "administrator": (True, True),
    "manager": (True, True),
    "salesperson": (True, True),
    "teammate": (True, True),
    "outsider": (False, False),
    "marketing": (True, True),
    "reader": (True, False),
    "other": (False, False),
}


@pytest.mark.parametrize("persona", list(ACCESS))
def test_persona_access_on_every_endpoint(on, persona):
    sees, changes = ACCESS[persona]
    partner = make_partner(on.salesperson, name="Alpha Visible", team=on.north)
    nurturing = status(on.company, name="Nurturing")
    lost_column = status(on.company, Role.LOST)
    client = en_client(getattr(on, persona))
    for url in ("/prospects/open/", "/prospects/kanban/"):
        page = client.get(url)
        assert page.status_code == 200
        assert ("Alpha Visible" in page.content.decode()) is sees, url
    column = client.get(f"/prospects/kanban/{status(on.company, Role.DEFAULT).pk}/")
    assert column.status_code == (404 if persona == "other" else 200)
    expected = 404 if not sees else 403 if not changes else None
    for method, url, data in (
        ("post", f"/prospects/{partner.pk}/status/", {"status": nurturing.pk}),
        ("post", f"/prospects/{partner.pk}/move/", {"status": nurturing.pk}),
        ("get", f"/prospects/{partner.pk}/lose/", {}),
        ("post", f"/prospects/{partner.pk}/lose/", {"reason": reason(on.company).pk}),
        ("post", f"/prospects/{partner.pk}/reopen/", {}),
    ):
        response = getattr(client, method)(url, data)
        if expected:
            assert response.status_code == expected, url
        else:
            assert response.status_code in (200, 302), url
    if expected:
        assert fresh(partner).version == 1 and fresh(partner).status.role == Role.DEFAULT
        json_answer = client.post(
            f"/prospects/{partner.pk}/move/", {"status": nurturing.pk}, headers=JSON
        )
        assert json_answer.status_code == expected
        assert json.loads(json_answer.content)["ok"] is False
    else:
        # Moved, then lost, then reopened.
        assert fresh(partner).status.role == Role.DEFAULT and fresh(partner).version == 4
        assert (
            client.post(
                f"/prospects/{partner.pk}/move/", {"status": lost_column.pk}, headers=JSON
            ).status_code
            == 409
        )
