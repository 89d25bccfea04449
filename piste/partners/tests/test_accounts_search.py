"""« Comptes & contacts »: the real-time suggestions and the full result list."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from piste.core.access import require_actor
from piste.core.testing import en_client
from piste.partners import services
from piste.partners.selectors import Kind, accounts_search, parse_after
from piste.partners.tests.factories import make_contact, make_partner

SUGGEST = {"HX-Request": "true", "HX-Target": "suggestions"}


def names(groups, kind):
    return [str(r) for g in groups if g.kind == kind for r in g.rows]


@pytest.fixture
def book(personas):
    manager = personas.manager
    durand = make_partner(manager, name="Durand Élagage")
    customer = make_partner(manager, name="Dupuis Frères", is_customer=True)
    make_partner(manager, name="Dumas Fournitures", is_supplier=True, is_prospect=False)
    make_contact(manager, durand, first_name="Élodie", last_name="Martin")
    make_contact(manager, customer, first_name="Jean", last_name="Dupont")
    make_partner(personas.other, name="Dupré Ailleurs")  # another company
    return personas


@pytest.mark.parametrize("typed", ["du", "DUP", "dupui"])
def test_first_letters_find_each_kind(book, typed):
    groups = accounts_search(book.administrator, typed)
    found = {g.kind: [str(r) for r in g.rows] for g in groups}
    assert "Dupuis Frères" in found[Kind.CUSTOMERS]
    if typed == "du":
        assert found[Kind.PROSPECTS] == ["Durand Élagage"]
        assert found[Kind.OTHERS] == ["Dumas Fournitures"]
        assert found[Kind.CONTACTS] == ["Jean Dupont"]
    assert all("Dupré" not in n for rows in found.values() for n in rows)


def test_accents_and_case_are_ignored_and_first_names_match(book):
    assert names(accounts_search(book.administrator, "ELO"), Kind.CONTACTS) == ["Élodie Martin"]
    assert names(accounts_search(book.administrator, "élodie m"), Kind.CONTACTS) == [
        "Élodie Martin"
    ]
    assert names(accounts_search(book.administrator, "martin é"), Kind.CONTACTS) == [
        "Élodie Martin"
    ]


def test_one_letter_finds_nothing(book):
    assert accounts_search(book.administrator, "d") == []
    response = en_client(book.administrator).get("/accounts/", {"q": "d"})
    assert b"Type at least two letters." in response.content


def test_closed_accounts_show_only_with_the_right(book):
    manager = require_actor(book.manager)
    customer = book.manager and next(
        r for g in accounts_search(book.manager, "dupui") for r in g.rows
    )
    services.partner_update(
        actor=manager, partner=customer, data={"is_closed": True}, version=customer.version
    )
    # The sales manager has the right; marketing sees the whole company but not closed accounts.
    assert names(accounts_search(book.manager, "dup"), Kind.CUSTOMERS) == ["Dupuis Frères"]
    assert names(accounts_search(book.manager, "dup"), Kind.CONTACTS) == ["Jean Dupont"]
    assert names(accounts_search(book.marketing, "dup"), Kind.CUSTOMERS) == []
    assert names(accounts_search(book.marketing, "dup"), Kind.CONTACTS) == []
    assert en_client(book.marketing).get(f"/partners/{customer.pk}/").status_code == 404


def test_record_scope_applies(book):
    own = make_partner(book.outsider, name="Durocher")
    assert names(accounts_search(book.outsider, "dur"), Kind.PROSPECTS) == ["Durocher"]
    assert "Durocher" not in names(accounts_search(book.salesperson, "dur"), Kind.PROSPECTS)
    assert en_client(book.salesperson).get(f"/partners/{own.pk}/").status_code == 404


def test_suggestions_are_a_grouped_highlighted_listbox(book, django_assert_max_num_queries):
    client = en_client(book.administrator)
    client.get("/accounts/", {"q": "du"}, headers=SUGGEST)  # warm the session and actor queries
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/accounts/", {"q": "dup"}, headers=SUGGEST)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="listbox"' in page and page.count('role="option"') == 2
    assert "<mark>Dup</mark>uis Frères" in page and "Jean <mark>Dup</mark>ont" in page
    assert "<html" not in page
    # Session, user, actor (memberships, teams), then per kind two index walks (name and other
    # order of names): 4 kinds x 2.
    assert len(queries) == 4 + 8, [q["sql"] for q in queries]


def test_no_match_says_so(book):
    response = en_client(book.administrator).get("/accounts/", {"q": "zz"}, headers=SUGGEST)
    assert b"No contact, prospect or customer starts with these letters." in response.content


def test_full_list_pages_one_kind_with_a_cursor(book):
    for n in range(30):
        make_partner(book.manager, name=f"Durieux {n:02d}")
    client = en_client(book.administrator)
    first = client.get("/accounts/", {"q": "duri"})
    assert first.status_code == 200
    assert b'data-testid="more-prospects"' in first.content
    page1 = client.get("/accounts/", {"q": "duri", "kind": "prospects"}).content.decode()
    assert page1.count('data-testid="suggestion"') == 25
    after = f"durieux 24|{book.company.pk}"  # any malformed or foreign cursor is harmless
    assert (
        client.get("/accounts/", {"q": "duri", "kind": "prospects", "after": after}).status_code
        == 200
    )
    import re

    cursor = re.search(r'after=([^"&]+)', page1)
    assert cursor is not None
    from urllib.parse import unquote_plus

    page2 = client.get(
        "/accounts/", {"q": "duri", "kind": "prospects", "after": unquote_plus(cursor.group(1))}
    ).content.decode()
    assert page2.count('data-testid="suggestion"') == 5
    assert "eux 29<" in page2 and "eux 00<" not in page2


@pytest.mark.parametrize("after", ["x", "|", "abc|notanumber", "\x00|1", "a" * 5000 + "|1"])
def test_malformed_cursors_are_ignored(book, after):
    response = en_client(book.administrator).get(
        "/accounts/", {"q": "du", "kind": "prospects", "after": after}
    )
    assert response.status_code == 200


def test_other_company_never_shows(book):
    page = en_client(book.administrator).get("/accounts/", {"q": "dupr"}).content.decode()
    assert "Dupré" not in page
    assert names(accounts_search(book.other, "dup"), Kind.PROSPECTS) == ["Dupré Ailleurs"]


def test_a_company_is_found_by_its_second_word_too(book):
    make_partner(book.manager, name="Mairie de Villeurbanne")
    make_partner(book.manager, name="Boulangeries Morel")
    assert names(accounts_search(book.manager, "vill"), Kind.PROSPECTS) == [
        "Mairie de Villeurbanne"
    ]
    assert names(accounts_search(book.manager, "mor"), Kind.PROSPECTS) == ["Boulangeries Morel"]
    assert names(accounts_search(book.manager, "bou"), Kind.PROSPECTS) == ["Boulangeries Morel"]


def test_full_result_list_query_count(book):
    client = en_client(book.administrator)
    client.get("/accounts/", {"q": "du"})
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/accounts/", {"q": "dup"})
    assert response.status_code == 200
    # Session, user, actor (memberships, teams), then per kind two index walks: 4 kinds x 2.
    assert len(queries) == 4 + 8, [q["sql"] for q in queries]
    with CaptureQueriesContext(connection) as queries:
        client.get("/accounts/", {"q": "dup", "kind": "customers"})
    assert len(queries) == 4 + 2


def test_pages_list_each_match_once_in_the_order_of_the_name_that_matched(book):
    """A person matches by last or first name: « Marie Dupont » files under « marie »; « Marc
    Martin », matching both ways, under « martin marc » only, and no page repeats a row."""
    partner = make_partner(book.manager, name="Quincaillerie Vidal")
    people = [("Marie", "Dupont"), ("Marc", "Martin"), ("Jean", "Marchand"), ("Mariette", "Roy")]
    people += [(f"Léa{n:02d}", f"Mareuil{n:02d}") for n in range(9)]
    for first, last in people:
        make_contact(book.manager, partner, first_name=first, last_name=last)
    seen: list[str] = []
    after = None
    for _page_number in range(10):
        (group,) = accounts_search(
            book.administrator, "mar", kinds=(Kind.CONTACTS,), limit=4, after=after
        )
        seen += [str(r) for r in group.rows]
        if group.more is None:
            break
        after = parse_after(group.more)
    expected = ["Jean Marchand", "Léa00 Mareuil00", "Léa01 Mareuil01", "Léa02 Mareuil02"]
    expected += [f"Léa{n:02d} Mareuil{n:02d}" for n in range(3, 9)]
    expected += ["Marie Dupont", "Mariette Roy", "Élodie Martin", "Marc Martin"]
    assert seen == expected
