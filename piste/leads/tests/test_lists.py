"""The lead lists (My leads, Open leads, Closed leads): who sees which lead, filters, search,
sorts, keyset pages, the row action "take charge" and bad input."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from piste.core.access import require_actor
from piste.core.models import Activity, Tag
from piste.core.testing import PASSWORD, en_client
from piste.leads import services
from piste.leads.models import Lead, LeadSource, LeadStatus, LostReason
from piste.leads.tests.factories import address_data, make_lead

HTMX_ROWS = {"HX-Request": "true", "HX-Target": "rows"}
HTMX = {"HX-Request": "true"}
URLS = {"mine": "/leads/mine/", "open": "/leads/open/", "closed": "/leads/closed/"}


def names(response: Any) -> list[str]:
    """The last names of the listed rows, read from the HTML (an HTMX partial has no context)."""
    ids = [int(pk) for pk in re.findall(r'<tr data-row="(\d+)"', response.content.decode())]
    last_names = dict(Lead.objects.filter(pk__in=ids).values_list("pk", "last_name"))
    return [last_names[pk] for pk in ids]


def page_cursor(response: Any, rel: str) -> str | None:
    """The cursor of the page's Next (Previous) link, or None without one."""
    match = re.search(rf'<a [^>]*href="([^"]*)"[^>]*rel="{rel}"', response.content.decode())
    if match is None:
        return None
    return parse_qs(urlsplit(html.unescape(match.group(1))).query)["cursor"][0]


def cursor(value: object, pk: object = 1, direction: str = "n") -> str:
    raw = json.dumps([value, pk, direction]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def day(year: int, month: int, dom: int) -> datetime:
    return timezone.make_aware(datetime(year, month, dom, 12))


def open_statuses(company_id: int) -> list[LeadStatus]:
    return list(LeadStatus.objects.filter(company_id=company_id, is_open=True).order_by("sequence"))


# Who sees which lead ------------------------------------------------------------------------


@pytest.fixture
def world(personas):
    """One lead per salesperson of company A, one unassigned, one lost, one of company B."""
    p = personas
    reason = LostReason.objects.create(company=p.company, name="Price")
    leads = {
        "Alpha": make_lead(p.salesperson, last_name="Alpha"),
        "Bravo": make_lead(p.teammate, last_name="Bravo"),
        "Charlie": make_lead(p.outsider, last_name="Charlie"),
        "Delta": make_lead(p.manager, last_name="Delta"),
        "Echo": make_lead(p.administrator, last_name="Echo", assigned_to=None),
        "Golf": make_lead(p.salesperson, last_name="Golf"),
        "Foxtrot": make_lead(p.other, last_name="Foxtrot"),
    }
    services.lead_lose(actor=require_actor(p.salesperson), lead=leads["Golf"], reason=reason)
    return leads


COMPANY_OPEN = {"Alpha", "Bravo", "Charlie", "Delta", "Echo"}
NORTH_OPEN = {"Alpha", "Bravo", "Delta"}  # own, teammate's and the team leader's leads
MATRIX = {
    # persona: (mine, open, closed)
    "administrator": (set(), COMPANY_OPEN, {"Golf"}),
    "manager": ({"Delta"}, COMPANY_OPEN, {"Golf"}),
    "marketing": (set(), COMPANY_OPEN, {"Golf"}),
    "reader": (set(), COMPANY_OPEN, {"Golf"}),
    "salesperson": ({"Alpha", "Golf"}, NORTH_OPEN, {"Golf"}),
    "teammate": ({"Bravo"}, NORTH_OPEN, {"Golf"}),
    "outsider": ({"Charlie"}, {"Charlie"}, set()),
    # Company B's administrator sees company B's lead only, never one of company A.
    "other": ({"Foxtrot"}, {"Foxtrot"}, set()),
}


@pytest.mark.parametrize("persona", sorted(MATRIX))
def test_each_list_shows_the_leads_the_persona_may_see(personas, world, persona):
    client = en_client(personas.all[persona])
    for kind, expected in zip(("mine", "open", "closed"), MATRIX[persona], strict=True):
        response = client.get(URLS[kind])
        assert response.status_code == 200
        assert set(names(response)) == expected, (persona, kind)
        body = response.content.decode()
        for name in {"Alpha", "Bravo", "Charlie", "Delta", "Echo", "Golf", "Foxtrot"} - expected:
            assert f">{name}<" not in body, (persona, kind, name)


def test_open_and_closed_follow_the_openness_of_the_statuses(personas):
    admin = personas.administrator
    company_id = personas.company.pk
    nurturing = LeadStatus.objects.get(company_id=company_id, name="Nurturing")
    archived = LeadStatus.objects.create(
        company_id=company_id, name="Archived", sequence=70, is_open=False
    )
    kept = make_lead(admin, last_name="Kept")
    nursed = make_lead(admin, last_name="Nursed")
    filed = make_lead(admin, last_name="Filed")
    Lead.objects.filter(pk=nursed.pk).update(status=nurturing)
    Lead.objects.filter(pk=filed.pk).update(status=archived)
    client = en_client(admin)
    assert set(names(client.get(URLS["open"]))) == {"Kept", "Nursed"}
    assert names(client.get(URLS["closed"])) == ["Filed"]
    # The configuration closes "Nurturing": its leads move to Closed leads.
    LeadStatus.objects.filter(pk=nurturing.pk).update(is_open=False)
    assert names(client.get(URLS["open"])) == ["Kept"]
    assert set(names(client.get(URLS["closed"]))) == {"Nursed", "Filed"}
    assert kept.pk  # the default status stays open


def test_a_lead_of_another_company_is_never_listed_nor_found(personas, world):
    client = en_client(personas.administrator)
    for url in URLS.values():
        assert "Foxtrot" not in client.get(url).content.decode()
        assert names(client.get(url, {"q": "foxtrot"})) == []
    # Its id in the filters matches nothing either.
    assigned = client.get(URLS["open"], {"assigned": personas.other.pk})
    assert names(assigned) == []


def test_empty_lists_say_why(personas, world):
    client = en_client(personas.administrator)
    assert "No lead yet." in client.get(URLS["mine"]).content.decode()
    body = client.get(URLS["open"], {"q": "nobody at all"}).content.decode()
    assert "No lead matches these filters." in body


def test_rows_show_the_columns_of_the_list(personas):
    admin = personas.administrator
    red = Tag.objects.create(company=personas.company, name="Hot", color="#dc3545")
    lead = make_lead(
        admin,
        first_name="Élodie",
        last_name="Durand",
        enterprise_name="Boulangerie Martin",
        mobile_phone="06 12 34 56 78",
        scoring=3,
        assigned_to=personas.teammate,
        address=address_data(city_name="Lyon"),
        tags=[red],
    )
    body = en_client(admin).get(URLS["open"]).content.decode()
    assert f'href="/leads/{lead.pk}/"' in body and "Élodie Durand" in body
    assert "Boulangerie Martin" in body
    assert "06 12 34 56 78" in body and 'href="tel:+33612345678"' in body
    assert "Lyon" in body
    assert str(personas.teammate) in body
    assert "To be processed" in body
    assert 'aria-label="3 stars out of 5"' in body and body.count("bi-star-fill") == 3
    assert 'data-color="#dc3545">Hot</span>' in body


def test_the_navbar_offers_the_three_lists(personas):
    body = en_client(personas.reader).get(URLS["open"]).content.decode()
    for url in URLS.values():
        assert f'href="{url}"' in body
    assert 'data-testid="nav-leads"' in body


# Filters ------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(personas):
    """Leads of company A with every filtered attribute, and look-alikes of company B."""
    p = personas
    a, b = p.company.pk, p.other_company.pk
    mq = LeadStatus.objects.get(company_id=a, name="Marketing qualification")
    sq = LeadStatus.objects.get(company_id=a, name="Sales qualification")
    web = LeadSource.objects.create(company_id=a, name="Web")
    fair = LeadSource.objects.create(company_id=a, name="Fair")
    red = Tag.objects.create(company_id=a, name="Red", color="#ff0000")
    blue = Tag.objects.create(company_id=a, name="Blue", color="#0000ff")
    admin = p.administrator
    anna = make_lead(
        admin,
        last_name="Anna",
        assigned_to=p.teammate,
        source=web,
        tags=[red, blue],
        scoring=4,
        is_key_account=True,
    )
    boris = make_lead(
        admin, last_name="Boris", tags=[blue], scoring=2, is_nurturing=True, team=p.north
    )
    chloe = make_lead(admin, last_name="Chloe", assigned_to=None, scoring=5, source=fair)
    denis = make_lead(admin, last_name="Denis")
    Lead.objects.filter(pk=anna.pk).update(status=mq, created_at=day(2025, 1, 10))
    Lead.objects.filter(pk=boris.pk).update(status=sq, created_at=day(2025, 2, 10))
    Lead.objects.filter(pk=chloe.pk).update(created_at=day(2025, 3, 10))
    Lead.objects.filter(pk=denis.pk).update(created_at=day(2025, 4, 10))
    other_web = LeadSource.objects.create(company_id=b, name="Web")
    other_red = Tag.objects.create(company_id=b, name="Red")
    make_lead(p.other, last_name="Zoe", source=other_web, tags=[other_red], scoring=5)
    return SimpleNamespace(
        mq=mq,
        sq=sq,
        web=web,
        red=red,
        blue=blue,
        other_web=other_web,
        other_red=other_red,
        other_status=LeadStatus.objects.get(company_id=b, name="To be processed"),
    )


FILTERS = [
    ("nothing", lambda c, p: {}, {"Anna", "Boris", "Chloe", "Denis"}),
    ("unassigned", lambda c, p: {"unassigned": "on"}, {"Chloe"}),
    ("statuses", lambda c, p: {"status": [c.mq.pk, c.sq.pk]}, {"Anna", "Boris"}),
    ("one status", lambda c, p: {"status": c.sq.pk}, {"Boris"}),
    ("source", lambda c, p: {"source": c.web.pk}, {"Anna"}),
    ("one tag", lambda c, p: {"tag": c.red.pk}, {"Anna"}),
    ("either tag", lambda c, p: {"tag": [c.red.pk, c.blue.pk]}, {"Anna", "Boris"}),
    ("scoring", lambda c, p: {"scoring": 4}, {"Anna", "Chloe"}),
    ("key account", lambda c, p: {"key_account": "on"}, {"Anna"}),
    ("nurturing", lambda c, p: {"nurturing": "on"}, {"Boris"}),
    ("assigned", lambda c, p: {"assigned": p.teammate.pk}, {"Anna"}),
    ("created from", lambda c, p: {"created_from": "2025-02-10"}, {"Boris", "Chloe", "Denis"}),
    ("created until", lambda c, p: {"created_to": "2025-02-10"}, {"Anna", "Boris"}),
    (
        "created between",
        lambda c, p: {"created_from": "2025-02-01", "created_to": "2025-03-10"},
        {"Boris", "Chloe"},
    ),
    ("combined", lambda c, p: {"tag": c.blue.pk, "scoring": 3}, {"Anna"}),
    # Values of company B exist but match nothing here.
    ("status of company B", lambda c, p: {"status": c.other_status.pk}, set()),
    ("source of company B", lambda c, p: {"source": c.other_web.pk}, set()),
    ("tag of company B", lambda c, p: {"tag": c.other_red.pk}, set()),
    ("user of company B", lambda c, p: {"assigned": p.other.pk}, set()),
]


@pytest.mark.parametrize(("label", "params", "expected"), FILTERS, ids=[f[0] for f in FILTERS])
def test_each_filter_narrows_the_list(personas, catalogue, label, params, expected):
    client = en_client(personas.administrator)
    response = client.get(URLS["open"], params(catalogue, personas))
    assert response.status_code == 200
    found = names(response)
    assert set(found) == expected
    assert len(found) == len(set(found))  # a lead with two of the tags is listed once
    # The same through HTMX (the rows only).
    rows = client.get(URLS["open"], params(catalogue, personas), headers=HTMX_ROWS)
    assert set(names(rows)) == expected and "<html" not in rows.content.decode()


def test_my_team_lists_the_leads_of_my_teams(personas, catalogue):
    # The manager leads North, Boris's team.
    response = en_client(personas.manager).get(URLS["open"], {"my_team": "on"})
    assert names(response) == ["Boris"]
    assert names(en_client(personas.outsider).get(URLS["open"], {"my_team": "on"})) == []


def test_the_filter_panel_offers_the_company_choices_only(personas, catalogue):
    body = en_client(personas.administrator).get(URLS["open"]).content.decode()

    def options(select_id: str) -> set[str]:
        select = re.search(rf'<select [^>]*id="{select_id}".*?</select>', body, re.S)
        assert select is not None
        return set(re.findall(r'<option value="\d+"[^>]*>([^<]+)<', select.group()))

    assert options("filter-source") == {"Web", "Fair"}
    assert options("filter-assigned") == {
        str(u) for name, u in personas.all.items() if name != "other"
    }
    tags = set(re.findall(r'id="filter-tag-(\d+)"', body))
    assert tags == {str(catalogue.red.pk), str(catalogue.blue.pk)}
    statuses = set(re.findall(r'id="filter-status-(\d+)"', body))
    assert statuses == {str(s.pk) for s in LeadStatus.objects.filter(company=personas.company)}


def test_chosen_filters_show_checked_and_open_the_panel(personas, catalogue):
    params = {"status": catalogue.mq.pk, "tag": catalogue.red.pk, "source": catalogue.web.pk}
    body = en_client(personas.administrator).get(URLS["open"], params).content.decode()
    assert f'value="{catalogue.mq.pk}" id="filter-status-{catalogue.mq.pk}" checked' in body
    assert f'value="{catalogue.red.pk}" id="filter-tag-{catalogue.red.pk}" checked' in body
    assert f'<option value="{catalogue.web.pk}" selected>' in body
    assert 'class="collapse filter-panel show"' in body
    plain = en_client(personas.administrator).get(URLS["open"], {"q": "a"}).content.decode()
    assert 'class="collapse filter-panel"' in plain  # the search box alone keeps it closed


def test_invalid_filter_values_are_ignored_and_shown(personas, catalogue):
    params = {
        "status": ["abc", str(catalogue.mq.pk)],
        "scoring": "9",
        "created_from": "2025-13-45",
        "created_to": "99999-01-01",
        "assigned": "someone",
        "nurturing": "on",
    }
    response = en_client(personas.administrator).get(URLS["open"], params)
    assert response.status_code == 200
    # The valid filter still applies; the others are ignored and listed.
    assert names(response) == ["Boris"]
    body = response.content.decode()
    assert 'data-testid="filter-errors"' in body
    assert "Lead scoring:" in body and "Created from:" in body and "Status:" in body


# Search -------------------------------------------------------------------------------------


@pytest.fixture
def searchable(personas):
    admin = personas.administrator
    make_lead(
        admin,
        first_name="Élodie",
        last_name="Durand",
        enterprise_name="Boulangerie Martin",
        email="elodie@durand.test",
        mobile_phone="06 12 34 56 78",
    )
    make_lead(
        admin,
        first_name="Paul",
        last_name="Petit",
        enterprise_name="ACME",
        email="paul@acme.test",
        fixed_phone="01 98 76 54 32",
    )
    # Company B has a look-alike: never found from company A.
    make_lead(
        personas.other,
        first_name="Élodie",
        last_name="Durand",
        enterprise_name="ACME",
        mobile_phone="06 12 34 56 78",
    )


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("dur", ["Durand"]),
        ("ELODIE", ["Durand"]),
        ("élo", ["Durand"]),
        ("boulangerie", ["Durand"]),
        ("acme", ["Petit"]),
        ("paul@acme", ["Petit"]),
        ("06 12", ["Durand"]),
        ("+33 6 12", ["Durand"]),
        ("06.12.34", ["Durand"]),
        ("0198", ["Petit"]),
        ("Dur\x00and", ["Durand"]),  # a NUL is dropped, never sent to the database
        ("zzz", []),
    ],
)
def test_search_finds_name_company_email_and_phone(personas, searchable, q, expected):
    client = en_client(personas.administrator)
    for kind in ("open", "mine"):
        response = client.get(URLS[kind], {"q": q})
        assert response.status_code == 200
        assert names(response) == expected, (kind, q)


# Sorts and pages ----------------------------------------------------------------------------


@pytest.fixture
def sortable(personas):
    """Five leads whose every sorted column has a different order."""
    p = personas
    company_id = p.company.pk
    default, mq, sq, nurturing = open_statuses(company_id)
    specs = [
        # last name, company, phone, city, day, scoring, status, assignee
        ("Bernard", "Delta", "01 42 00 00 03", "Caen", 5, 1, sq, p.teammate),
        ("Adam", "Echo", "01 42 00 00 01", "Brest", 2, 4, default, None),
        ("Dupont", "Alpha", "01 42 00 00 05", "Dijon", 1, 0, nurturing, p.administrator),
        ("Caron", "Charlie", "01 42 00 00 02", "Angers", 4, 5, mq, p.manager),
        ("Esnault", "Bravo", "01 42 00 00 04", "Évry", 3, 2, default, p.teammate),
    ]
    for last, company, phone, city, dom, scoring, lead_status, assignee in specs:
        lead = make_lead(
            p.administrator,
            last_name=last,
            enterprise_name=company,
            fixed_phone=phone,
            scoring=scoring,
            assigned_to=assignee,
            address=address_data(city_name=city),
        )
        Lead.objects.filter(pk=lead.pk).update(status=lead_status, created_at=day(2025, 5, dom))


ASCENDING = {
    "name": ["Adam", "Bernard", "Caron", "Dupont", "Esnault"],
    "company": ["Dupont", "Esnault", "Caron", "Bernard", "Adam"],
    "phone": ["Adam", "Caron", "Bernard", "Esnault", "Dupont"],
    "city": ["Caron", "Adam", "Bernard", "Dupont", "Esnault"],
    "created": ["Dupont", "Adam", "Esnault", "Caron", "Bernard"],
    "scoring": ["Dupont", "Bernard", "Esnault", "Adam", "Caron"],
    # Statuses in status-bar order, then by id.
    "status": ["Adam", "Esnault", "Caron", "Bernard", "Dupont"],
    # Users in name order (Administrator, Manager, Teammate), then the unassigned.
    "assigned": ["Dupont", "Caron", "Bernard", "Esnault", "Adam"],
}


@pytest.mark.parametrize("column", sorted(ASCENDING))
def test_each_column_sorts_both_ways(personas, sortable, column):
    client = en_client(personas.administrator)
    response = client.get(URLS["open"], {"sort": column})
    assert names(response) == ASCENDING[column]
    assert 'aria-sort="ascending"' in response.content.decode()
    response = client.get(URLS["open"], {"sort": f"-{column}"}, headers=HTMX_ROWS)
    assert names(response) == list(reversed(ASCENDING[column]))
    assert 'aria-sort="descending"' in response.content.decode()


def test_newest_first_by_default_and_headers_flip_the_direction(personas, sortable):
    client = en_client(personas.administrator)
    response = client.get(URLS["open"])
    assert names(response) == list(reversed(ASCENDING["created"]))
    body = response.content.decode()
    assert 'href="?sort=created"' in body and 'href="?sort=name"' in body
    body = client.get(URLS["open"], {"sort": "name", "scoring": "1"}).content.decode()
    assert 'href="?sort=-name&amp;scoring=1"' in body  # the filters stay in the links


@pytest.fixture
def many(personas):
    """30 leads over four statuses and four assignees (one of them: nobody)."""
    p = personas
    statuses = open_statuses(p.company.pk)
    assignees = [p.administrator, p.manager, p.teammate, None]
    leads = []
    for i in range(30):
        lead = make_lead(
            p.administrator,
            last_name=f"Lead {i:02}",
            assigned_to=assignees[i % 4],
            scoring=i % 6,
        )
        Lead.objects.filter(pk=lead.pk).update(status=statuses[(i * 7) % 4])
        leads.append(lead)
    return leads


def walk(client: Any, params: dict[str, Any]) -> list[list[str]]:
    """Every page from the first, following Next; then back with Previous, checking that each
    page comes back the same."""
    pages: list[list[str]] = []
    response = client.get(URLS["open"], params)
    assert page_cursor(response, "prev") is None
    while True:
        pages.append(names(response))
        next_cursor = page_cursor(response, "next")
        if next_cursor is None:
            break
        response = client.get(URLS["open"], {**params, "cursor": next_cursor}, headers=HTMX_ROWS)
        assert len(pages) < 10
    back = [names(response)]
    while (prev_cursor := page_cursor(response, "prev")) is not None:
        response = client.get(URLS["open"], {**params, "cursor": prev_cursor})
        back.append(names(response))
    assert list(reversed(back)) == pages
    return pages


@pytest.mark.parametrize(
    "sort", ["status", "-status", "assigned", "-assigned", "name", "-created", "scoring"]
)
def test_next_lists_every_lead_once_in_order_and_previous_goes_back(personas, many, sort):
    p = personas
    statuses = [s.pk for s in open_statuses(p.company.pk)]
    users = [p.administrator.pk, p.manager.pk, p.teammate.pk, None]
    rows = {
        lead.pk: lead
        for lead in Lead.objects.filter(company=p.company).select_related("assigned_to")
    }
    keys = {
        "status": lambda lead: (statuses.index(lead.status_id), lead.pk),
        "assigned": lambda lead: (users.index(lead.assigned_to_id), lead.pk),
        "name": lambda lead: (lead.name_key, lead.pk),
        "created": lambda lead: (lead.created_at, lead.pk),
        "scoring": lambda lead: (lead.scoring, lead.pk),
    }
    expected = sorted(rows.values(), key=keys[sort.lstrip("-")], reverse=sort.startswith("-"))
    pages = walk(en_client(p.administrator), {"sort": sort})
    assert [len(page) for page in pages] == [25, 5]
    assert [name for page in pages for name in page] == [lead.last_name for lead in expected]


def test_pages_keep_the_filters(personas, many):
    client = en_client(personas.administrator)
    pages = walk(client, {"q": "lead", "sort": "name"})
    assert [len(page) for page in pages] == [25, 5]
    assert pages[1] == [f"Lead {i}" for i in range(25, 30)]
    pages = walk(client, {"scoring": 3, "sort": "-status"})
    assert sum(len(page) for page in pages) == len([i for i in range(30) if i % 6 >= 3])


# Bad input ----------------------------------------------------------------------------------


BAD_PARAMS = [
    {"cursor": "!!!"},
    {"cursor": "%00"},
    {"cursor": "a" * 5000},
    {"cursor": cursor("a\x00b"), "sort": "name"},
    {"cursor": cursor(["x"]), "sort": "scoring"},
    {"cursor": cursor({"dt": "yesterday"}), "sort": "created"},
    {"cursor": cursor({"x": 1})},
    {"cursor": cursor(10**30, 10**30), "sort": "scoring"},
    {"cursor": cursor("a", 10**30), "sort": "name"},
    {"cursor": cursor(99), "sort": "status"},
    {"cursor": cursor(0, "1"), "sort": "assigned"},
    {"cursor": cursor(0, 1, "x"), "sort": "-assigned"},
    {"sort": "bogus"},
    {"sort": "--name"},
    {"sort": "\x00"},
    {"q": "\x00"},
    {"q": "a\x00b" * 3000},
    {"status": "abc"},
    {"status": "-1"},
    {"status": str(10**30)},
    {"status": ["1"] * 500},
    {"tag": "\x00"},
    {"source": str(10**30)},
    {"source": "x"},
    {"scoring": "abc"},
    {"assigned": "0"},
    {"assigned": str(2**63)},
    {"created_from": "0001-01-01"},
    {"created_to": "9999-12-31"},
    {"created_from": "2025-02-30"},
    {"created_to": "\x00"},
    {"unassigned": "\x00"},
]


@pytest.mark.parametrize("params", BAD_PARAMS, ids=[str(i) for i in range(len(BAD_PARAMS))])
def test_malformed_parameters_give_a_list_not_a_500(personas, sortable, params):
    client = en_client(personas.administrator)
    for kind in ("open", "closed"):
        response = client.get(URLS[kind], params)
        assert response.status_code == 200, (kind, params)
        assert client.get(URLS[kind], params, headers=HTMX_ROWS).status_code == 200
        assert client.get(f"{URLS[kind]}count/", params).status_code == 200


def test_a_forged_cursor_shows_the_first_page(personas, sortable):
    client = en_client(personas.administrator)
    response = client.get(URLS["open"], {"sort": "name", "cursor": "not-a-cursor"})
    assert names(response) == ASCENDING["name"]


# Row action: take charge --------------------------------------------------------------------


def test_take_charge_from_a_row_assigns_the_lead_to_me(personas, world):
    lead = world["Bravo"]
    client = en_client(personas.salesperson)
    response = client.post(
        f"/leads/row/{lead.pk}/take-charge/", {"next": "/leads/open/?sort=name"}, headers=HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr data-row="{lead.pk}"')
    assert str(personas.salesperson) in body
    assert 'data-testid="take-charge"' not in body  # mine now: no more to take
    lead.refresh_from_db()
    assert lead.assigned_to_id == personas.salesperson.pk
    activity = Activity.objects.filter(object_id=lead.pk, verb=Activity.Verb.ASSIGNED).get()
    assert activity.actor_id == personas.salesperson.pk


def test_take_charge_without_htmx_goes_back_to_the_list_with_a_message(personas, world):
    lead = world["Echo"]
    client = en_client(personas.manager)
    response = client.post(
        f"/leads/row/{lead.pk}/take-charge/", {"next": "/leads/open/?sort=name"}, follow=True
    )
    assert response.redirect_chain[0] == ("/leads/open/?sort=name", 302)
    assert "You took charge of “Echo”." in response.content.decode()
    lead.refresh_from_db()
    assert lead.assigned_to_id == personas.manager.pk


def test_take_charge_goes_back_only_to_a_local_list(personas, world):
    client = en_client(personas.manager)
    for next_url in ("https://evil.test/leads/", "//evil.test/leads/", "/config/"):
        response = client.post(f"/leads/row/{world['Alpha'].pk}/take-charge/", {"next": next_url})
        assert response.headers["Location"] == "/leads/mine/"


def test_take_charge_is_refused_on_a_lost_lead(personas, world):
    lead = world["Golf"]
    client = en_client(personas.manager)
    url = f"/leads/row/{lead.pk}/take-charge/"
    response = client.post(url, headers=HTMX)
    assert response.status_code == 200
    assert 'data-testid="row-error"' in response.content.decode()
    assert "A lost lead cannot be taken in charge: reopen it first." in response.content.decode()
    response = client.post(url, {"next": "/leads/closed/"}, follow=True)
    assert "A lost lead cannot be taken in charge: reopen it first." in response.content.decode()
    lead.refresh_from_db()
    assert lead.assigned_to_id == personas.salesperson.pk


def test_take_charge_respects_access(personas, world):
    url = f"/leads/row/{world['Alpha'].pk}/take-charge/"
    assert en_client(personas.reader).post(url).status_code == 403
    assert en_client(personas.outsider).post(url).status_code == 404  # not in their scope
    assert en_client(personas.other).post(url).status_code == 404  # another company
    assert en_client(personas.manager).get(url).status_code == 405
    assert (
        en_client(personas.manager).post("/leads/row/99999999999999999999/take-charge/").status_code
        == 404
    )
    assert Lead.objects.get(pk=world["Alpha"].pk).assigned_to_id == personas.salesperson.pk


def test_read_only_users_see_no_selection_bulk_toolbar_or_row_action(personas, world):
    body = en_client(personas.reader).get(URLS["open"]).content.decode()
    assert 'name="ids"' not in body and 'id="bulk-form"' not in body
    assert 'data-testid="take-charge"' not in body and "data-select-page" not in body
    body = en_client(personas.marketing).get(URLS["open"]).content.decode()
    assert 'name="ids"' in body and 'id="bulk-form"' in body
    assert 'data-testid="take-charge"' in body
    assert 'data-testid="bulk-delete"' not in body  # marketing deletes nothing
    assert (
        'data-testid="bulk-delete"'
        in en_client(personas.manager).get(URLS["open"]).content.decode()
    )


def test_take_charge_is_offered_on_rows_not_mine_and_not_lost(personas, world):
    client = en_client(personas.salesperson)
    response = client.get(URLS["open"])
    body = response.content.decode()
    assert f'action="/leads/row/{world["Bravo"].pk}/take-charge/"' in body
    assert f'action="/leads/row/{world["Alpha"].pk}/take-charge/"' not in body  # mine already
    body = client.get(URLS["closed"]).content.decode()
    assert "take-charge" not in body.split('id="rows"')[1]


# Query counts -------------------------------------------------------------------------------


def test_list_page_query_count_is_pinned(personas, many, django_assert_num_queries):
    Tag.objects.create(company=personas.company, name="Hot")
    statuses = [s.pk for s in open_statuses(personas.company.pk)]
    client = en_client(personas.administrator)
    # 1. the session, 2. the user, 3. the memberships with their company and CRM settings,
    # 4. the user's team ids, 5. the company's statuses, 6. the page of leads joined to their
    # status and assignee, 7. the page's tags, 8. the sources, 9. the tags and 10. the users of
    # the filter panel and bulk toolbar.
    params: dict[str, Any] = {"q": "lead", "status": statuses, "sort": "name"}
    with django_assert_num_queries(10):
        response = client.get(URLS["open"], params)
    assert len(names(response)) == 25
    next_cursor = page_cursor(response, "next")
    assert next_cursor is not None
    with django_assert_num_queries(10):
        client.get(URLS["open"], {**params, "cursor": next_cursor})
    # The rows alone (HTMX): 1-7 only; the panel and toolbar are not rendered.
    with django_assert_num_queries(7):
        response = client.get(URLS["mine"], {"sort": "-created"}, headers=HTMX_ROWS)
    assert len(names(response)) == 8


def test_grouped_sorts_query_count_is_pinned(personas, many, django_assert_num_queries):
    client = en_client(personas.administrator)
    # 1-5 as above, 6.-9. one page query per status read until the page is full (the 30 leads
    # spread over four statuses), 10. the page's tags.
    with django_assert_num_queries(10):
        client.get(URLS["open"], {"sort": "status"}, headers=HTMX_ROWS)
    # 1-5 as above, 6. the company's users in name order, 7.-14. one query per user read until
    # the page is full (administrator, manager, then four users without leads, then teammate and
    # the unassigned), 15. the page's tags.
    with django_assert_num_queries(15):
        client.get(URLS["open"], {"sort": "assigned"}, headers=HTMX_ROWS)


def test_matching_count_query_count_is_pinned(personas, many, django_assert_num_queries):
    client = en_client(personas.administrator)
    # 1-4. session, user, memberships, team ids; 5. the statuses; 6. the bounded count.
    with django_assert_num_queries(6):
        response = client.get(f"{URLS['open']}count/", {"q": "lead"})
    assert "Select all 30 matching leads" in response.content.decode()


def test_row_take_charge_query_count_is_pinned(personas, world, django_assert_num_queries):
    client = en_client(personas.manager)
    # 1-4. session, user, memberships, team ids; 5. the lead with its status; 6. the savepoint,
    # 7. the lead's update, 8. the timeline entry, 9. the savepoint's release, 10. the row's
    # tags.
    with django_assert_num_queries(10):
        client.post(f"/leads/row/{world['Echo'].pk}/take-charge/", headers=HTMX)


# In a browser -------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing")
def test_selection_ranges_select_all_matching_and_bulk_in_a_browser(
    live_server, transactional_db, personas, monkeypatch
):
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    # Playwright's sync API runs an event loop in this thread; the test's own queries never
    # run inside it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    for i in range(30):
        make_lead(personas.administrator, last_name=f"Lead {i:02}")
    lost = make_lead(personas.administrator, last_name="Zulu")
    reason = LostReason.objects.create(company=personas.company, name="Price")
    services.lead_lose(actor=require_actor(personas.administrator), lead=lost, reason=reason)
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", personas.manager.username)
        page.fill("#id_password", PASSWORD)
        page.click("[data-testid=sign-in]")
        page.goto(f"{live_server.url}/leads/open/?sort=name")

        boxes = page.locator("input[data-select-row]")
        expect(boxes).to_have_count(25)
        assign_me = page.locator("#bulk-form button[value=assign_me]")
        counter = page.locator("[data-selection-count]")
        expect(assign_me).to_be_disabled()
        expect(counter).to_have_text("No lead selected")

        # A click, then Shift-click: the range between them.
        boxes.nth(2).click()
        boxes.nth(6).click(modifiers=["Shift"])
        checked = [boxes.nth(i).is_checked() for i in range(25)]
        assert [i for i, c in enumerate(checked) if c] == [2, 3, 4, 5, 6]
        expect(counter).to_have_text("5 leads selected")
        expect(assign_me).to_be_enabled()
        expect(page.locator("input[data-select-page]")).to_have_js_property("indeterminate", True)

        # Take charge of one row: the row alone is replaced.
        row = page.locator("tr", has_text="Lead 00")
        row.locator("[data-testid=take-charge]").click()
        expect(page.locator("tr", has_text="Lead 00")).to_contain_text("Manager Test")
        expect(
            page.locator("tr", has_text="Lead 00").locator("[data-testid=take-charge]")
        ).to_have_count(0)

        # The page checkbox, then every matching lead (the count is asked for now).
        page.locator("input[data-select-page]").check()
        expect(counter).to_have_text("25 leads selected")
        banner = page.locator("#select-all-banner")
        expect(banner).to_be_visible()
        banner.get_by_role("button", name="Select all 30 matching leads").click()
        expect(banner).to_contain_text("All 30 matching leads are selected.")
        expect(counter).to_have_text("All matching leads selected")
        assign_me.click()
        expect(page.locator(".alert-success")).to_contain_text("29 leads assigned to Manager Test.")
        assert Lead.objects.filter(assigned_to=personas.manager).count() == 30

        # A filter typed in the search box: the rows follow, the URL too, the selection resets.
        page.fill("input[name=q]", "lead 1")
        expect(boxes).to_have_count(10)
        expect(page).to_have_url(f"{live_server.url}/leads/open/?sort=name&q=lead%201")
        expect(counter).to_have_text("No lead selected")

        # Delete asks first: dismissed, nothing is deleted; accepted, the lead goes.
        boxes.nth(0).check()
        page.once("dialog", lambda dialog: dialog.dismiss())
        page.locator("[data-testid=bulk-delete]").click()
        assert Lead.objects.filter(last_name="Lead 10").exists()
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("[data-testid=bulk-delete]").click()
        expect(page.locator(".alert-success")).to_contain_text("1 lead deleted.")
        assert not Lead.objects.filter(last_name="Lead 10").exists()
        browser.close()
    assert errors == []


def test_many_tags_the_panel_offers_the_first_ones_and_those_on_the_page(personas):
    # Tags "t000"…"t079": the panel lists the first 20 by name, never the whole referential.
    tags = [Tag.objects.create(company=personas.company, name=f"t{i:03d}") for i in range(80)]
    make_lead(personas.salesperson, last_name="Late", tags=[tags[75]])
    page = en_client(personas.salesperson).get("/leads/mine/").content.decode()
    assert 'id="filter-tag-' + str(tags[0].pk) + '"' in page
    assert 'id="filter-tag-' + str(tags[19].pk) + '"' in page
    assert 'id="filter-tag-' + str(tags[20].pk) + '"' not in page
    # The tag of a listed lead is offered, and its badge filters the list on it.
    assert 'id="filter-tag-' + str(tags[75].pk) + '"' in page
    assert f'href="?tag={tags[75].pk}"' in page
    filtered = en_client(personas.salesperson).get("/leads/mine/", {"tag": tags[75].pk})
    assert names(filtered) == ["Late"]


def test_search_finds_the_phrase_typed_whatever_its_words(personas):
    make_lead(personas.salesperson, last_name="Bertrand", enterprise_name="Menuiserie Bertrand")
    make_lead(personas.salesperson, last_name="Albert", enterprise_name="Bertin Menuiserie")
    client = en_client(personas.salesperson)
    # Both leads hold both words; only one holds the phrase.
    assert names(client.get("/leads/mine/", {"q": "menuiserie bert"})) == ["Bertrand"]
    # Short words alone, and a pile of one-letter words, still search the phrase.
    assert names(client.get("/leads/mine/", {"q": "e b"})) == ["Bertrand"]
    assert (
        client.get("/leads/mine/", {"q": " ".join("abcdefghijklmnopqrstuvwxyz")}).status_code == 200
    )
