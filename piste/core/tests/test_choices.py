"""The JSON picker search over tags (``/choices/tags/?q=``): what static/piste/choices.js asks
while the user types in a tag select's search box."""

from __future__ import annotations

import json

import pytest

from piste.core.models import Tag
from piste.core.selectors import CHOICES, name_choices
from piste.core.testing import en_client
from piste.users.models import Membership, User

URL = "/choices/tags/"


def results(response) -> list[dict]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/json")
    payload = json.loads(response.content)
    assert set(payload) == {"results"}
    return payload["results"]


def texts(response) -> list[str]:
    return [row["text"] for row in results(response)]


def tag(company, name: str) -> Tag:
    return Tag.objects.create(company=company, name=name)


@pytest.fixture
def salons(personas):
    """Four tags of company A, and one of company B named like them."""
    for name in ("Salon Lyon", "salon paris", "Écoute", "Grand salon"):
        tag(personas.company, name)
    tag(personas.other_company, "Salon Ailleurs")
    return personas


def test_signed_out_is_sent_to_sign_in_with_no_data(salons):
    response = en_client().get(URL, {"q": "sal"})
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={URL}%3Fq%3Dsal"
    assert b"Salon" not in response.content and b"results" not in response.content


def test_each_row_is_the_tag_id_and_its_name(salons):
    found = results(en_client(salons.salesperson).get(URL, {"q": "ecou"}))
    ecoute = Tag.objects.get(company=salons.company, name="Écoute")
    assert found == [{"id": ecoute.pk, "text": "Écoute"}]


@pytest.mark.parametrize("q", ["", "sal", "salon", "ailleurs", "SALON AILL", "a"])
def test_only_the_active_companys_tags_are_offered(salons, q):
    rows = results(en_client(salons.salesperson).get(URL, {"q": q}))
    assert "Salon Ailleurs" not in [r["text"] for r in rows]
    company_tags = set(Tag.objects.filter(company=salons.company).values_list("pk", flat=True))
    assert {r["id"] for r in rows} <= company_tags


def test_the_other_company_sees_its_own_tags_only(salons):
    assert texts(en_client(salons.other).get(URL, {"q": "sal"})) == ["Salon Ailleurs"]
    assert texts(en_client(salons.other).get(URL)) == ["Salon Ailleurs"]


def test_a_member_of_two_companies_gets_the_tags_of_the_active_one(salons):
    user = salons.manager
    Membership.objects.create(user=user, company=salons.other_company, role="salesperson")
    assert texts(en_client(user).get(URL, {"q": "salon"})) == [
        "Salon Lyon",
        "salon paris",
        "Grand salon",
    ]
    user.active_company = salons.other_company
    user.save(update_fields=["active_company"])
    assert texts(en_client(user).get(URL, {"q": "salon"})) == ["Salon Ailleurs"]


def test_a_user_without_a_company_gets_nothing(salons):
    loner = User.objects.create_user(username="loner", password="Loner-pass-2026!")
    response = en_client(loner).get(URL, {"q": "sal"})
    assert results(response) == []


@pytest.mark.parametrize("q", ["sal", "SAL", "Sál", " sal ", "salon"])
def test_prefix_matches_come_first_then_from_three_letters_the_names_holding_them(salons, q):
    # "Grand salon" sorts before "salon …" by name, yet a name starting with the letters wins.
    assert texts(en_client(salons.salesperson).get(URL, {"q": q})) == [
        "Salon Lyon",
        "salon paris",
        "Grand salon",
    ]


def test_prefix_matches_are_in_name_order_whatever_the_case(salons):
    tag(salons.company, "SALON ANNECY")
    tag(salons.company, "salon Bordeaux")
    assert texts(en_client(salons.salesperson).get(URL, {"q": "salon"})) == [
        "SALON ANNECY",
        "salon Bordeaux",
        "Salon Lyon",
        "salon paris",
        "Grand salon",
    ]


def test_two_letters_only_match_the_start_of_names(salons):
    assert texts(en_client(salons.salesperson).get(URL, {"q": "sa"})) == [
        "Salon Lyon",
        "salon paris",
    ]
    # "on" is inside three names, at the start of none.
    assert texts(en_client(salons.salesperson).get(URL, {"q": "on"})) == []


@pytest.mark.parametrize("q", ["ecou", "ÉCOU", "écoute", "Ecoute"])
def test_accents_and_case_are_ignored(salons, q):
    assert texts(en_client(salons.salesperson).get(URL, {"q": q})) == ["Écoute"]


def test_inner_matches_need_the_letters_in_a_row(salons):
    assert texts(en_client(salons.salesperson).get(URL, {"q": "and sal"})) == ["Grand salon"]
    assert texts(en_client(salons.salesperson).get(URL, {"q": "salon x"})) == []


@pytest.mark.parametrize("q", [None, "", "   ", "\t\n"])
def test_nothing_typed_gives_the_first_tags_by_name(salons, q):
    params = {} if q is None else {"q": q}
    # By folded name: "Écoute" files under "ecoute", before "grand salon".
    assert texts(en_client(salons.salesperson).get(URL, params)) == [
        "Écoute",
        "Grand salon",
        "Salon Lyon",
        "salon paris",
    ]


def test_at_most_choices_rows_are_answered(personas):
    for n in range(CHOICES + 5):
        tag(personas.company, f"Tag {n:02d}")
    client = en_client(personas.salesperson)
    first = [f"Tag {n:02d}" for n in range(CHOICES)]
    assert texts(client.get(URL)) == first
    assert texts(client.get(URL, {"q": "tag"})) == first
    assert (
        texts(client.get(URL, {"q": "tag 2"}))
        == [f"Tag {n:02d}" for n in range(CHOICES + 5) if f"{n:02d}".startswith("2")][:CHOICES]
    )


def test_the_limit_stops_the_prefix_matches_before_the_inner_ones(personas):
    for name in ("Salon A", "Salon B", "Salon C", "Grand salon"):
        tag(personas.company, name)
    tags = Tag.objects.filter(company=personas.company)
    assert [t.name for t in name_choices(tags, "sal", limit=2)] == ["Salon A", "Salon B"]
    assert [t.name for t in name_choices(tags, "sal", limit=4)] == [
        "Salon A",
        "Salon B",
        "Salon C",
        "Grand salon",
    ]
    assert [t.name for t in name_choices(tags, "", limit=1)] == ["Grand salon"]


@pytest.mark.parametrize(
    "q",
    [
        "s" * 5000,
        "sal" * 2000,
        "\x00",
        "sal\x00on",
        "\x00" * 300,
        "\x01\x02\x1b[31m\x7f",
        "sal\u200bon",
        "\ufdfa" * 100,  # one character that folds to eighteen
        "\U0010ffff",
        "'; DROP TABLE core_tag; --",
    ],
)
def test_bad_input_answers_json_never_an_error(salons, q):
    found = results(en_client(salons.salesperson).get(URL, {"q": q}))
    assert all(set(row) == {"id", "text"} for row in found)
    assert "Salon Ailleurs" not in [row["text"] for row in found]
    assert Tag.objects.filter(company=salons.company).count() == 4


def test_nul_and_control_characters_are_dropped_not_matched(salons):
    client = en_client(salons.salesperson)
    assert texts(client.get(URL, {"q": "sal\x00"})) == texts(client.get(URL, {"q": "sal"}))
    assert texts(client.get(URL, {"q": "\x00sa\x07l"})) == [
        "Salon Lyon",
        "salon paris",
        "Grand salon",
    ]


@pytest.mark.parametrize("q", ["%", "%%%", "___", "s%n", "_alon"])
def test_like_wildcards_are_letters_not_patterns(salons, q):
    assert texts(en_client(salons.salesperson).get(URL, {"q": q})) == []


@pytest.mark.parametrize("raw", ["q=%ff%fe%fd", "q=%ED%A0%80sal", "q=%00", "q&q=sal&q", "q=%"])
def test_malformed_query_strings_answer_json(salons, raw):
    results(en_client(salons.salesperson).get(f"{URL}?{raw}"))


def test_post_is_refused(salons):
    response = en_client(salons.salesperson).post(URL, {"q": "sal"})
    assert response.status_code == 405
    assert b"Salon" not in response.content
    assert Tag.objects.filter(company=salons.company).count() == 4
