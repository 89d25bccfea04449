"""Exporting the lead lists to CSV and XLSX: content, filters, rights, scope, bad input."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from piste.core.testing import en_client
from piste.leads.models import Lead, LeadStatus
from piste.leads.tests.factories import address_data, make_lead
from piste.users.models import Membership

pytestmark = pytest.mark.django_db

HEADERS = [
    "Full name",
    "Company",
    "Phone",
    "City",
    "Created on",
    "Assigned to",
    "Status",
    "Lead scoring",
]


def url(kind: str = "open", fmt: str = "csv") -> str:
    return reverse("exports:leads", args=[kind, fmt])


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(response: Any) -> list[list[str]]:
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM French Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(response: Any) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(body(response)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def sheet_cells(response: Any) -> list[Any]:
    book = openpyxl.load_workbook(io.BytesIO(body(response)))
    return [cell for row in book.active.iter_rows() for cell in row]


@pytest.fixture
def leads(personas) -> dict[str, Lead]:
    p = personas
    return {
        "alice": make_lead(
            p.administrator,
            first_name="Alice",
            last_name="Durand",
            enterprise_name="Menuiserie Bert",
            mobile_phone="+33612345678",
            address=address_data(city_name="Lyon"),
            scoring=4,
        ),
        "bruno": make_lead(
            p.administrator, first_name="Bruno", last_name="Petit", assigned_to=None
        ),
        "chloe": make_lead(p.salesperson, first_name="Chloé", last_name="Roux"),
        "theirs": make_lead(p.other, first_name="Other", last_name="Company"),
    }


def test_csv_has_the_list_headers_and_columns(personas, leads):
    response = en_client(personas.administrator).get(url("open"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="leads-') and disposition.endswith('.csv"')
    rows = csv_rows(response)
    assert rows[0] == HEADERS
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"Alice Durand", "Bruno Petit", "Chloé Roux"}
    alice = by_name["Alice Durand"]
    assert alice[1:4] == ["Menuiserie Bert", "06 12 34 56 78", "Lyon"]
    assert alice[4].startswith(leads["alice"].created_at.astimezone().strftime("%Y-"))
    assert alice[5] == "Administrator Test"
    assert alice[6] == leads["alice"].status.name
    assert alice[7] == "4"
    assert by_name["Bruno Petit"][5] == "Unassigned"


def test_headers_follow_the_users_language(personas, leads):
    client = personas.client(personas.administrator)  # French, the site's language
    rows = csv_rows(client.get(url("open"), HTTP_ACCEPT_LANGUAGE="fr"))
    assert rows[0][0] != "Full name"
    assert len(rows[0]) == len(HEADERS)


def test_xlsx_has_the_same_rows_with_typed_cells(personas, leads):
    response = en_client(personas.administrator).get(url("open", "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = xlsx_rows(response)
    assert rows[0] == HEADERS
    alice = next(row for row in rows[1:] if row[0] == "Alice Durand")
    assert alice[1] == "Menuiserie Bert"
    assert alice[4].date() == leads["alice"].created_at.astimezone().date()  # a real date
    assert alice[7] == 4  # a number, not text
    assert len(rows) == 4


def test_filters_of_the_query_string_apply(personas, leads):
    client = en_client(personas.administrator)
    rows = csv_rows(client.get(url("open"), {"unassigned": "on"}))
    assert [row[0] for row in rows[1:]] == ["Bruno Petit"]
    rows = csv_rows(client.get(url("open"), {"q": "menuiserie"}))
    assert [row[0] for row in rows[1:]] == ["Alice Durand"]
    rows = xlsx_rows(client.get(url("mine", "xlsx"), {"scoring": "4"}))
    assert [row[0] for row in rows[1:]] == ["Alice Durand"]


def test_closed_list_exports_closed_leads_only(personas, leads):
    lost = LeadStatus.objects.get(company=personas.company, role=LeadStatus.Role.LOST)
    Lead.objects.filter(pk=leads["bruno"].pk).update(status=lost)
    rows = csv_rows(en_client(personas.manager).get(url("closed")))
    assert [row[0] for row in rows[1:]] == ["Bruno Petit"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formulas_are_neutralised(personas, fmt):
    make_lead(
        personas.administrator,
        last_name='=HYPERLINK("http://evil.test","x")',
        enterprise_name="@SUM(A1)",
        address=address_data(city_name="+cmd"),
    )
    response = en_client(personas.administrator).get(url("open", fmt))
    if fmt == "csv":
        row = csv_rows(response)[1]
        assert row[0] == '\'=HYPERLINK("http://evil.test","x")'
        assert row[1] == "'@SUM(A1)" and row[3] == "'+cmd"
    else:
        cells = sheet_cells(response)[len(HEADERS) :]
        assert cells[0].value == '\'=HYPERLINK("http://evil.test","x")'
        assert cells[0].data_type == "s"  # a string, never a formula ("f")
        assert all(cell.data_type != "f" for cell in cells)


@pytest.mark.parametrize("persona", ["salesperson", "reader", "outsider"])
def test_users_without_the_export_right_get_403(personas, leads, persona):
    client = en_client(getattr(personas, persona))
    for fmt in ("csv", "xlsx"):
        assert client.get(url("mine", fmt)).status_code == 403


@pytest.mark.parametrize("persona", ["administrator", "manager", "marketing"])
def test_users_with_the_export_right_may_export(personas, leads, persona):
    response = en_client(getattr(personas, persona)).get(url("open"))
    assert response.status_code == 200


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(url())
    assert response.status_code == 302


def test_a_user_limited_to_their_own_records_exports_only_those(personas, leads):
    Membership.objects.filter(user=personas.marketing).update(scope="own")
    mine = make_lead(personas.marketing, first_name="Mine", last_name="Only")
    rows = csv_rows(en_client(personas.marketing).get(url("open")))
    assert [row[0] for row in rows[1:]] == [str(mine.simple_full_name)]


def test_other_companys_leads_are_never_exported(personas, leads):
    rows = csv_rows(en_client(personas.administrator).get(url("open")))
    assert "Other Company" not in {row[0] for row in rows}
    rows = csv_rows(en_client(personas.other).get(url("open")))
    assert [row[0] for row in rows[1:]] == ["Other Company"]
    # Ids of another company in the filters match nothing.
    theirs = leads["theirs"]
    rows = csv_rows(
        en_client(personas.administrator).get(
            url("open"), {"status": theirs.status_id, "assigned": personas.other.pk}
        )
    )
    assert rows[1:] == []


@pytest.mark.parametrize(
    "query",
    [
        {"status": "abc"},
        {"status": str(2**70)},
        {"created_from": "2026-13-45"},
        {"created_to": "0001-01-01"},
        {"scoring": "9"},
        {"source": "-1"},
        {"status": [str(n) for n in range(1, 200)]},
    ],
)
def test_bad_query_strings_get_the_lists_message(personas, leads, query):
    response = en_client(personas.administrator).get(url("open"), query)
    assert response.status_code == 400
    assert b"Nothing was exported" in response.content
    assert b'data-testid="export-errors"' in response.content


def test_harmless_odd_values_still_export(personas, leads):
    # The search box drops control characters; unknown parameters are ignored, like the list.
    response = en_client(personas.administrator).get(url("open"), {"q": "\x00Alice", "zzz": "1"})
    assert response.status_code == 200
    assert [row[0] for row in csv_rows(response)[1:]] == ["Alice Durand"]


@pytest.mark.parametrize("path", ["leads/nope/csv/", "leads/open/pdf/", "leads/open/CSV/"])
def test_unknown_lists_and_formats_are_404(personas, path):
    assert en_client(personas.administrator).get(f"/exports/{path}").status_code == 404


def test_post_is_refused(personas):
    assert en_client(personas.administrator).post(url()).status_code == 405


def test_rows_are_read_in_keyset_chunks(personas, django_assert_num_queries):
    from piste.exports.selectors import keyset_rows

    for n in range(5):
        make_lead(personas.administrator, last_name=f"Lead{n}")
    leads = Lead.objects.filter(company=personas.company)
    # Chunks of 2: ids 1-2, 3-4, then 5 alone (shorter than a chunk: the walk ends there).
    with django_assert_num_queries(3):
        rows = list(keyset_rows(leads, ["last_name"], chunk=2))
    assert [r[1] for r in rows] == [f"Lead{n}" for n in range(5)]
    # A multiple of the chunk ends with one empty read.
    four = leads.exclude(last_name="Lead4")
    with django_assert_num_queries(3):
        assert len(list(keyset_rows(four, ["last_name"], chunk=2))) == 4


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_query_count_is_pinned(personas, leads, django_assert_num_queries, fmt):
    for n in range(20):
        make_lead(personas.administrator, last_name=f"Extra{n}", assigned_to=personas.teammate)
    client = en_client(personas.administrator)
    # 1. the session, 2. the user, 3. the memberships with their company and CRM settings,
    # 4. the user's team ids, 5. the company's statuses, 6. the bounded count (is the list
    # small enough to stream?), 7. the leads joined to their status and assignee (one chunk:
    # 23 rows), whatever the number of rows and assignees.
    with django_assert_num_queries(7):
        response = client.get(url("open", fmt))
        data = body(response)
    assert data
