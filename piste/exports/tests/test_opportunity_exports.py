"""Exporting the opportunity lists: the list's columns, amounts as numbers, filters, rights."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from piste.core.testing import en_client
from piste.opportunities.tests.test_opportunities import make_opportunity

pytestmark = pytest.mark.django_db

HEADERS = [
    "Reference",
    "Name",
    "Customer / prospect",
    "Amount",
    "Weighted",
    "Signing",
    "Sales stage",
    "Owner",
    "Currency",
]


def url(kind: str = "all", fmt: str = "csv") -> str:
    return reverse("exports:opportunities", args=[kind, fmt])


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def deals(personas) -> list[Any]:
    p = personas
    return [
        make_opportunity(
            p.administrator,
            name="Refonte",
            amount=Decimal("12500.50"),
            probability=40,
            expected_close_date=date(2026, 12, 15),
        ),
        make_opportunity(p.salesperson, name="=cmd|' /C calc'!A0", partner_name="Morel"),
        make_opportunity(p.other, name="Theirs", partner_name="Autre"),
    ]


def test_csv_has_the_list_columns_and_french_amounts(personas, deals):
    client = personas.client(personas.administrator)  # French
    rows = list(
        csv.reader(
            io.StringIO(body(client.get(url())).decode("utf-8-sig")),
            delimiter=";",
        )
    )
    assert len(rows[0]) == len(HEADERS)
    refonte = next(row for row in rows[1:] if row[1] == "Refonte")
    assert refonte[0] == deals[0].reference
    assert refonte[3] == "12500,50"  # the decimal comma French Excel reads as a number
    assert refonte[5] == "2026-12-15"
    assert refonte[8] == "EUR"
    names = {row[1] for row in rows[1:]}
    assert "'=cmd|' /C calc'!A0" in names  # neutralised
    assert "Theirs" not in names


def test_xlsx_has_numbers_and_dates(personas, deals):
    response = en_client(personas.manager).get(url("open", "xlsx"))
    assert response.status_code == 200
    assert response["Content-Disposition"].split('"')[1].startswith("opportunities-")
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    refonte = next(row for row in rows[1:] if row[1] == "Refonte")
    assert refonte[3] == pytest.approx(12500.5)
    assert refonte[4] == pytest.approx(5000.2)
    assert refonte[5].date() == date(2026, 12, 15)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_filters_apply(personas, deals):
    text = body(en_client(personas.administrator).get(url(), {"q": "refonte"}))
    lines = text.decode("utf-8-sig").strip().split("\r\n")
    assert len(lines) == 2 and "Refonte" in lines[1]


@pytest.mark.parametrize("persona", ["salesperson", "reader"])
def test_without_the_export_right_403_and_no_menu(personas, persona):
    client = en_client(getattr(personas, persona))
    assert client.get(url()).status_code == 403
    assert b"export-menu" not in client.get(reverse("opportunities:list")).content


def test_the_menu_links_to_this_list(personas):
    page = en_client(personas.marketing).get(reverse("opportunities:closed"))
    assert b'href="/exports/opportunities/closed/xlsx/"' in page.content


def test_bad_filters_are_refused_with_the_lists_message(personas):
    response = en_client(personas.administrator).get(url(), {"stage": "x", "expected_from": "zz"})
    assert response.status_code == 400
    assert b"Nothing was exported" in response.content


@pytest.mark.parametrize("kind", ["nope", "ALL"])
def test_unknown_list_is_404(personas, kind):
    assert en_client(personas.administrator).get(url(kind)).status_code == 404


def test_query_count_is_pinned(personas, deals, django_assert_num_queries):
    for n in range(10):
        make_opportunity(personas.administrator, name=f"Deal {n}", partner_name=f"P{n}")
    client = en_client(personas.administrator)
    # 1. the session, 2. the user, 3. the memberships, 4. the team ids, 5. the stages, 6. the
    # bounded count, 7. the opportunities joined to partner, stage and owner (one chunk).
    with django_assert_num_queries(7):
        body(client.get(url()))


# Configuration lists (referentials) -----------------------------------------------------------


def test_a_referential_exports_its_columns_and_search(personas):
    from piste.users.models import Team

    Team.objects.create(company=personas.company, name="=Ouest", leader=None)
    client = en_client(personas.administrator)
    response = client.get(reverse("exports:referentials", args=["teams", "csv"]), {"q": "nord"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig")), delimiter=";"))
    assert rows == [["Name", "Leader"], ["Nord", "Manager Test"]]
    response = client.get(reverse("exports:referentials", args=["teams", "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    names = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert names[0] == "Name"
    assert sorted(str(n) for n in names[1:]) == ["'=Ouest", "Nord", "Sud"]
    other = body(
        en_client(personas.other).get(reverse("exports:referentials", args=["teams", "csv"]))
    )
    assert b"Nord" not in other


@pytest.mark.parametrize("persona", ["manager", "marketing", "salesperson"])
def test_a_referential_export_needs_the_configuration_right_too(personas, persona):
    client = en_client(getattr(personas, persona))
    assert client.get(reverse("exports:referentials", args=["teams", "csv"])).status_code == 403


def test_an_unknown_or_hidden_referential_is_404(personas):
    client = en_client(personas.administrator)
    assert client.get(reverse("exports:referentials", args=["nope", "csv"])).status_code == 404
    # Agencies are hidden while the company does not use them.
    assert client.get(reverse("exports:referentials", args=["agencies", "csv"])).status_code == 404


def test_the_referential_page_has_the_menu(personas):
    page = en_client(personas.administrator).get(reverse("config:referential_list", args=["teams"]))
    assert b'href="/exports/referentials/teams/csv/"' in page.content
