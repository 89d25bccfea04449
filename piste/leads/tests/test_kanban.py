"""The lead kanban (My leads and Open leads as boards): one column per status in order with its
capped count, the cards as the lists filter them, a column's pages holding every card once, a
folded status read for its count only, and the moves, made only as the services allow (a refused
move writes nothing and never answers 500; Convert and Lose open their dialogs)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from piste.core.access import require_actor
from piste.core.models import Activity, Tag
from piste.core.testing import Personas, en_client
from piste.leads import selectors_board as board
from piste.leads import services
from piste.leads.models import Lead, LeadSource, LeadStatus, LostReason
from piste.leads.selectors import lead_statuses
from piste.leads.tests.factories import make_lead
from piste.partners import selectors_prospects
from piste.users.models import User

MINE = "/leads/mine/kanban/"
OPEN = "/leads/open/kanban/"
JSON = {"Accept": "application/json"}
HTMX = {"HX-Request": "true"}


# Helpers -------------------------------------------------------------------------------------


def statuses(personas: Personas) -> list[LeadStatus]:
    return lead_statuses(personas.company)


def by_role(personas: Personas, role: str) -> LeadStatus:
    return LeadStatus.objects.get(company=personas.company, role=role)


def plain(personas: Personas, n: int = 0) -> LeadStatus:
    """The n-th open status without role (« Marketing qualification », « Sales
    qualification », « Nurturing »)."""
    return [s for s in statuses(personas) if s.is_open and not s.role][n]


def card_ids(text: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-kanban-card[^>]*data-id="(\d+)"', text)]


def columns(text: str) -> dict[int, str]:
    """Each column's HTML by status id, in page order (dicts keep it)."""
    result: dict[int, str] = {}
    for part in re.split(r'(?=<section class="kanban-column)', text)[1:]:
        match = re.match(r'<section class="kanban-column[^"]*"[^>]*data-status="(\d+)"', part)
        assert match is not None
        result[int(match.group(1))] = part.split("</section>")[0]
    return result


def count_of(column: str) -> str | None:
    match = re.search(r'data-testid="column-count">([^<]*)<', column)
    return match.group(1) if match else None


def more_url(text: str) -> str | None:
    match = re.search(r'href="([^"]*)"[^>]*data-testid="kanban-more"', text)
    return html.unescape(match.group(1)) if match else None


def page(client: Client, url: str, **params: Any) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.content.decode()


def lose(user: User, lead: Lead) -> None:
    reason, _ = LostReason.objects.get_or_create(company_id=lead.company_id, name="Price")
    services.lead_lose(actor=require_actor(user), lead=lead, reason=reason)


def move_url(kind: str, pk: Any) -> str:
    return f"/leads/{kind}/kanban/move/{pk}/"


@pytest.fixture
def world(personas: Personas) -> dict[str, Lead]:
    """Leads of company A in several statuses and owners, and one of company B."""
    p = personas
    hot = Tag.objects.create(company=p.company, name="Hot", color="#d63384")
    made = {
        "mine": make_lead(p.salesperson, last_name="Alpha", first_name="Anne",
                          enterprise_name="Boulangerie Morel", scoring=4, tags=[hot]),
        "mine_qualified": make_lead(p.salesperson, last_name="Bravo"),
        "teammate": make_lead(p.teammate, last_name="Charlie"),
        "outsider": make_lead(p.outsider, last_name="Delta"),
        "unassigned": make_lead(p.administrator, last_name="Echo", assigned_to=None),
        "mine_lost": make_lead(p.salesperson, last_name="Foxtrot"),
        "other": make_lead(p.other, last_name="Golf"),
    }  # fmt: skip
    actor = require_actor(p.salesperson)
    services.lead_change_status(actor=actor, lead=made["mine_qualified"], status=plain(p))
    lose(p.salesperson, made["mine_lost"])
    return made


# Columns and cards ---------------------------------------------------------------------------


def test_columns_follow_the_status_order_with_their_counts(personas, world):
    client = en_client(personas.salesperson)
    all_statuses = statuses(personas)
    default, lost = by_role(personas, "default"), by_role(personas, "lost")

    mine = columns(page(client, MINE))
    assert list(mine) == [s.pk for s in all_statuses]
    assert count_of(mine[default.pk]) == "1"
    assert count_of(mine[plain(personas).pk]) == "1"
    assert count_of(mine[lost.pk]) == "1"  # My leads lists my lost leads too
    assert count_of(mine[plain(personas, 1).pk]) == "0"

    # Open leads: what the salesperson sees of the company (the North team's leads), the closed
    # statuses as drop targets without cards nor counts.
    opened = columns(page(client, OPEN))
    assert list(opened) == [s.pk for s in all_statuses]
    assert sorted(card_ids(opened[default.pk])) == sorted([world["mine"].pk, world["teammate"].pk])
    assert count_of(opened[default.pk]) == "2"
    for status in all_statuses:
        if not status.is_open:
            assert count_of(opened[status.pk]) is None
            assert card_ids(opened[status.pk]) == []
            assert 'data-testid="drop-hint"' in opened[status.pk]
            assert f'data-kanban-column="{status.pk}"' in opened[status.pk]


def test_counts_are_capped(personas, monkeypatch):
    for n in range(23):
        make_lead(personas.salesperson, last_name=f"Lead {n}")
    monkeypatch.setattr(selectors_prospects, "COUNT_CAP", 21)
    default = by_role(personas, "default")
    column = columns(page(en_client(personas.salesperson), MINE))[default.pk]
    assert count_of(column) == "21+"
    assert len(card_ids(column)) == board.COLUMN_PAGE
    monkeypatch.setattr(selectors_prospects, "COUNT_CAP", 1000)
    column = columns(page(en_client(personas.salesperson), MINE))[default.pk]
    assert count_of(column) == "23"


def test_a_card_shows_name_company_stars_tags_and_owner(personas, world):
    text = page(en_client(personas.salesperson), MINE)
    lead = world["mine"]
    card = text.split(f'data-id="{lead.pk}"')[1].split("</article>")[0]
    assert f'href="/leads/{lead.pk}/"' in card
    assert ">Anne Alpha</a>" in card
    assert 'data-testid="card-company">Boulangerie Morel<' in card
    assert 'aria-label="4 stars out of 5"' in card
    assert card.count("bi-star-fill") == 4
    assert 'data-color="#d63384">Hot<' in card
    assert 'data-testid="card-owner"' in card and ">ST</span>" in card
    assert f'data-kanban-move-url="{move_url("mine", lead.pk)}"' in text
    # The keyboard way: every other status to choose.
    form = card.split('data-testid="card-move"')[1].split("</form>")[0]
    options = re.findall(r'<option value="(\d+)"', form)
    assert sorted(map(int, options)) == sorted(
        s.pk for s in statuses(personas) if s.pk != lead.status_id
    )


def test_mine_and_open_hold_what_the_lists_hold(personas, world):
    """Each persona's board holds the leads of the matching list, never another company's."""
    for persona, kind in ((p, k) for p in personas.all.values() for k in ("mine", "open")):
        text = page(en_client(persona), f"/leads/{kind}/kanban/")
        listed = en_client(persona).get(f"/leads/{kind}/").content.decode()
        in_list = {int(pk) for pk in re.findall(r'<tr data-row="(\d+)"', listed)}
        assert set(card_ids(text)) == in_list, (persona, kind)
    assert world["other"].pk not in card_ids(page(en_client(personas.administrator), OPEN))
    assert world["outsider"].pk not in card_ids(page(en_client(personas.salesperson), OPEN))


def test_a_column_pages_newest_first_without_duplicates_or_gaps(personas):
    made = [make_lead(personas.salesperson, last_name=f"Lead {n}") for n in range(47)]
    default = by_role(personas, "default")
    client = en_client(personas.salesperson)

    text = columns(page(client, OPEN))[default.pk]
    seen = card_ids(text)
    url = more_url(text)
    pages = 1
    while url:
        assert f"/leads/open/kanban/column/{default.pk}/" in url
        response = client.get(url, headers=HTMX)
        assert response.status_code == 200
        part = response.content.decode()
        seen += card_ids(part)
        url = more_url(part)
        pages += 1
    assert pages == 3
    assert seen == sorted((lead.pk for lead in made), reverse=True)


def test_a_column_page_without_htmx_is_a_page_of_its_own(personas):
    made = [make_lead(personas.salesperson, last_name=f"Lead {n}") for n in range(22)]
    default = by_role(personas, "default")
    url = reverse("lead_board:column", kwargs={"kind": "mine", "status_id": default.pk})
    text = page(en_client(personas.salesperson), url, after=made[2].pk)
    assert card_ids(text) == [made[1].pk, made[0].pk]
    assert 'href="/leads/mine/kanban/"' in text  # the way back to the board
    # A malformed "after" shows the first page.
    text = page(en_client(personas.salesperson), url, after="x'; --")
    assert len(card_ids(text)) == board.COLUMN_PAGE


def test_filters_and_search_apply_to_the_board_and_its_pages(personas, world):
    client = en_client(personas.administrator)
    hot = Tag.objects.get(company=personas.company, name="Hot")
    assert card_ids(page(client, OPEN, q="alpha")) == [world["mine"].pk]
    assert card_ids(page(client, OPEN, tag=hot.pk)) == [world["mine"].pk]
    assert card_ids(page(client, OPEN, scoring=4)) == [world["mine"].pk]
    assert card_ids(page(client, OPEN, unassigned="on")) == [world["unassigned"].pk]
    assert set(card_ids(page(client, OPEN, assigned=personas.teammate.pk))) == {
        world["teammate"].pk
    }
    # The HTMX filter bar gets the board alone, with the view switch following the filters.
    # (The bar sends its blank fields too: left out of the links.)
    response = client.get(
        OPEN, {"q": "alpha", "assigned": "", "source": ""}, headers={**HTMX, "HX-Target": "board"}
    )
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="board"')
    assert 'hx-swap-oob="true"' in text and 'href="/leads/open/?q=alpha"' in text
    # A column's next page keeps the search.
    for n in range(25):
        make_lead(personas.salesperson, last_name=f"Alphonse {n}")
    default = by_role(personas, "default")
    url = more_url(columns(page(client, OPEN, q="alph"))[default.pk])
    assert url is not None and "q=alph" in url and "after=" in url
    rest = card_ids(client.get(url, headers=HTMX).content.decode())
    assert len(rest) == 6  # 26 "alph" leads: 20 shown, then the 6 oldest


def test_bad_filters_are_ignored_with_a_message(personas, world):
    text = page(
        en_client(personas.salesperson),
        OPEN,
        scoring="9",
        tag="abc",
        created_from="2024-13-45",
        q="\x00alpha",
        status="99999999999999999999999",
    )
    assert 'data-testid="filter-errors"' in text
    assert world["mine"].pk in card_ids(text)


def test_unknown_boards_and_columns_are_404(personas, world):
    client = en_client(personas.salesperson)
    assert client.get("/leads/closed/kanban/").status_code == 404
    theirs = LeadStatus.objects.filter(company=personas.other_company).first()
    assert theirs is not None
    for status_id in (theirs.pk, 999999999, 999999999999999999):
        url = f"/leads/open/kanban/column/{status_id}/"
        assert client.get(url, headers=HTMX).status_code == 404
    assert client.get("/leads/open/kanban/column/abc/").status_code == 404
    assert Client().get(OPEN).status_code == 302  # signed out: to the login page


def test_the_lists_and_the_boards_switch_views_keeping_the_filters(personas, world):
    client = en_client(personas.salesperson)
    listed = page(client, "/leads/open/", q="alpha")
    assert 'href="/leads/open/kanban/?q=alpha"' in listed
    assert 'data-testid="view-switch"' not in page(client, "/leads/closed/")
    boarded = page(client, OPEN, q="alpha")
    assert 'href="/leads/open/?q=alpha"' in boarded


# Folded columns ------------------------------------------------------------------------------


def test_a_folded_column_shows_its_count_and_reads_no_card(personas, world):
    default = by_role(personas, "default")
    for n in range(3):
        make_lead(personas.salesperson, last_name=f"Lead {n}")
    LeadStatus.objects.filter(pk=default.pk).update(folded=True)
    client = en_client(personas.salesperson)
    column = columns(page(client, MINE))[default.pk]
    assert "is-folded" in column.split(">")[0]
    assert count_of(column) == "4"
    assert card_ids(column) == []
    # Unfolded (a click, on the page), it loads its first cards from the column's URL.
    url = more_url(column)
    assert url is not None and "after" not in url
    assert len(card_ids(client.get(url, headers=HTMX).content.decode())) == 4


def test_a_status_folds_from_its_configuration_page(personas):
    nurturing = plain(personas, 2)
    client = en_client(personas.administrator)
    url = reverse("lead_statuses:edit", args=[nurturing.pk])
    assert 'name="folded"' in page(client, url)
    response = client.post(url, {"name": nurturing.name, "is_open": "on", "folded": "on"})
    assert response.status_code == 302
    nurturing.refresh_from_db()
    assert nurturing.folded and nurturing.is_open
    listed = page(client, reverse("lead_statuses:list"))
    assert listed.count('data-testid="status-folded"') == 1
    # Unfolded again; the timeline says so.
    client.post(url, {"name": nurturing.name, "is_open": "on"})
    nurturing.refresh_from_db()
    assert not nurturing.folded
    changes = [
        change
        for activity in Activity.objects.filter(
            content_type=ContentType.objects.get_for_model(LeadStatus), object_id=nurturing.pk
        )
        for change in activity.data.get("changes", [])
    ]
    assert {"field": "folded", "from": True, "to": False} in changes
    # A new status can be folded from the start.
    client.post(
        reverse("lead_statuses:create"), {"name": "Dormant", "is_open": "on", "folded": "on"}
    )
    assert LeadStatus.objects.get(company=personas.company, name="Dormant").folded


# Moves ---------------------------------------------------------------------------------------


def snapshot(company_id: int) -> tuple[Any, ...]:
    """Everything a move could write."""
    return (
        sorted(
            Lead.objects.filter(company_id=company_id).values_list("id", "status_id", "version")
        ),
        Activity.objects.filter(company_id=company_id).count(),
    )


def test_a_drop_moves_the_lead_and_sends_its_card_and_the_counts(personas, world):
    lead = world["mine"]
    default, target = by_role(personas, "default"), plain(personas)
    response = en_client(personas.salesperson).post(
        move_url("mine", lead.pk),
        {"status": target.pk, "from": default.pk, "query": "q=alpha", "next": MINE},
        headers=JSON,
    )
    assert response.status_code == 200
    answer = json.loads(response.content)
    assert answer["ok"] is True and "moved to" in answer["message"]
    lead.refresh_from_db()
    assert lead.status_id == target.pk
    assert f'data-id="{lead.pk}"' in answer["card"]
    assert f'name="from" value="{target.pk}"' in answer["card"]
    assert 'data-color="#d63384"' in answer["card"]
    # The two columns' counts, with the page's search (q=alpha: only this lead).
    assert set(answer["figures"]) == {str(default.pk), str(target.pk)}
    assert ">1<" in answer["figures"][str(target.pk)]
    assert ">0<" in answer["figures"][str(default.pk)]
    # Timeline: a status change.
    assert Activity.objects.filter(object_id=lead.pk, verb=Activity.Verb.STATUS_CHANGED).exists()


def test_a_plain_form_move_goes_back_to_the_board_with_a_message(personas, world):
    lead = world["mine"]
    target = plain(personas, 1)
    response = en_client(personas.salesperson).post(
        move_url("open", lead.pk), {"status": target.pk, "next": f"{OPEN}?q=alpha"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"{OPEN}?q=alpha"
    assert "moved to" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status_id == target.pk
    # A "next" elsewhere than the lead pages is not followed.
    response = en_client(personas.salesperson).post(
        move_url("open", lead.pk), {"status": target.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == OPEN


@pytest.mark.parametrize("role,name", [("converted", "leads:convert"), ("lost", "leads:lose")])
def test_a_drop_on_converted_or_lost_opens_its_dialog_and_writes_nothing(
    personas, world, role, name
):
    lead = world["mine"]
    before = snapshot(personas.company.pk)
    target = by_role(personas, role)
    client = en_client(personas.salesperson)
    response = client.post(move_url("open", lead.pk), {"status": target.pk}, headers=JSON)
    # Lost, the dialog sends back to the board (Convert ends on its own result page).
    dialog = reverse(name, args=[lead.pk]) + (
        "?next=%2Fleads%2Fopen%2Fkanban%2F" if role == "lost" else ""
    )
    assert response.status_code == 200
    assert json.loads(response.content)["redirect"] == dialog
    assert snapshot(personas.company.pk) == before
    # Without JavaScript, the same dialog.
    response = client.post(move_url("open", lead.pk), {"status": target.pk})
    assert response.status_code == 302 and response["Location"] == dialog
    page = client.get(response["Location"])
    assert page.status_code == 200
    if role == "lost":
        # The standalone dialog posts as a plain form (no HTMX target outside the lead page)
        # and carries where to go back.
        html = page.content.decode()
        assert "hx-post" not in html.split("data-lose-form")[0].rsplit("<form", 1)[1]
        assert 'name="next" value="/leads/open/kanban/"' in html


def refusal(client: Client, pk: Any, data: dict[str, Any], status: int) -> str:
    response = client.post(move_url("open", pk), data, headers=JSON)
    assert response.status_code == status, response.content
    answer = json.loads(response.content)
    assert answer["ok"] is False and answer["error"]
    return str(answer["error"])


def test_refused_moves_say_why_and_write_nothing(personas, world):
    client = en_client(personas.salesperson)
    target = plain(personas)
    archived = LeadStatus.objects.create(
        company=personas.company, name="Archived", is_open=False, sequence=999
    )
    before = snapshot(personas.company.pk)
    other_before = snapshot(personas.other_company.pk)

    # Another company's lead, one out of the salesperson's reach, ids that are not ids.
    for pk in (world["other"].pk, world["outsider"].pk, "abc", "99999999999999999999", "-1",
               "1.5", "%00"):  # fmt: skip
        assert "out of your reach" in refusal(client, pk, {"status": target.pk}, 404)
    # Another company's status, unknown ones, statuses that are not ids.
    theirs = LeadStatus.objects.filter(company=personas.other_company).first()
    assert theirs is not None
    for status in (theirs.pk, 999999, "abc", "99999999999999999999", "", "1 OR 1=1"):
        assert "lead statuses" in refusal(client, world["mine"].pk, {"status": status}, 400)
    # As the services say: a lost lead moves only once reopened; a closed status is reached only
    # through Convert or Lose.
    assert "reopen" in refusal(client, world["mine_lost"].pk, {"status": target.pk}, 409)
    assert "Convert or Lose" in refusal(client, world["mine"].pk, {"status": archived.pk}, 409)
    # Stale: the card left "from" meanwhile.
    error = refusal(client, world["mine"].pk, {"status": target.pk, "from": target.pk}, 409)
    assert "meanwhile" in error
    # Read-only users move nothing.
    assert refusal(en_client(personas.reader), world["mine"].pk, {"status": target.pk}, 403)

    assert snapshot(personas.company.pk) == before
    assert snapshot(personas.other_company.pk) == other_before


def test_a_plain_form_refusal_goes_back_with_the_reason(personas, world):
    client = en_client(personas.salesperson)
    response = client.post(
        move_url("mine", world["mine_lost"].pk), {"status": plain(personas).pk}, follow=True
    )
    assert response.redirect_chain[-1][0] == MINE
    assert "reopen it first" in response.content.decode()
    # Plain forms get the pages the lead's own pages would answer.
    assert client.post(move_url("mine", "abc"), {"status": plain(personas).pk}).status_code == 404
    reader = en_client(personas.reader)
    assert reader.post(move_url("mine", world["mine"].pk), {"status": 1}).status_code == 403


def test_moves_are_posts_with_a_csrf_token(personas, world):
    client = en_client(personas.salesperson)
    assert client.get(move_url("mine", world["mine"].pk)).status_code == 405
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    strict.force_login(personas.salesperson)
    response = strict.post(
        move_url("mine", world["mine"].pk), {"status": plain(personas).pk}, headers=JSON
    )
    assert response.status_code == 403
    world["mine"].refresh_from_db()
    assert world["mine"].status_id == by_role(personas, "default").pk


# Query counts --------------------------------------------------------------------------------


def test_the_board_query_count_is_pinned(personas, world, django_assert_num_queries):
    for n in range(25):
        make_lead(personas.salesperson, last_name=f"Lead {n}")
    client = en_client(personas.salesperson)
    client.get(OPEN)  # sessions and caches warmed
    # 1. the session, 2. the user, 3. the memberships with their company and CRM settings,
    # 4. the user's team ids, 5. the statuses, 6.-9. the first cards of the four open columns,
    # 10. the capped count of the default column (more than a page of cards), 11. the cards'
    # tags, 12. the sources, 13. the tags and 14. the users of the filter panel. The closed
    # columns (drop targets) read nothing.
    with django_assert_num_queries(14):
        response = client.get(OPEN)
    assert len(card_ids(response.content.decode())) == 20 + 1  # the default column, Bravo
    # My leads: the six columns' first cards (6.-11.), the default column's count (12.), the
    # tags (13.), the panel (14.-16.).
    with django_assert_num_queries(16):
        client.get(MINE)
    # The filter bar's board alone: 1.-11. only.
    with django_assert_num_queries(11):
        client.get(OPEN, {"q": "lead"}, headers={**HTMX, "HX-Target": "board"})
    # A folded column reads its capped count instead of its cards (and needs no count).
    LeadStatus.objects.filter(pk=by_role(personas, "default").pk).update(folded=True)
    with django_assert_num_queries(13):
        client.get(OPEN)


def test_the_column_query_count_is_pinned(personas, django_assert_num_queries):
    made = [make_lead(personas.salesperson, last_name=f"Lead {n}") for n in range(30)]
    default = by_role(personas, "default")
    client = en_client(personas.salesperson)
    url = f"{reverse('lead_board:column', kwargs={'kind': 'open', 'status_id': default.pk})}"
    url += f"?after={made[-1].pk}&q=lead"
    client.get(url, headers=HTMX)
    # 1.-4. session, user, memberships, team ids; 5. the statuses; 6. the cards; 7. their tags.
    with django_assert_num_queries(7):
        response = client.get(url, headers=HTMX)
    assert len(card_ids(response.content.decode())) == 20


def test_the_move_query_count_is_pinned(personas, world, django_assert_num_queries):
    client = en_client(personas.salesperson)
    lead, target = world["mine"], plain(personas)
    # 1.-4. session, user, memberships, team ids; 5. the lead with its status; 6. the statuses;
    # 7. the savepoint, 8. the lead's update, 9. the timeline entry, 10. the savepoint's
    # release; 11. the card, 12. its tags; 13.-14. the two columns' counts.
    with django_assert_num_queries(14):
        client.post(move_url("mine", lead.pk), {"status": target.pk}, headers=JSON)


def test_sources_and_tags_of_another_company_filter_nothing_in(personas, world):
    theirs = LeadSource.objects.create(company=personas.other_company, name="Salon")
    text = page(en_client(personas.administrator), OPEN, source=theirs.pk)
    assert card_ids(text) == []
