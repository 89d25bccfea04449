"""Exporting Open prospects and Closed prospects: the list's columns and filters, rights,
scope, bad query strings, and the 404 of a company without the prospect workflow."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from piste.core.testing import en_client
from piste.exports.models import ExportJob
from piste.exports.tests.test_export_jobs import immediate_huey, small_direct
from piste.partners.tests.factories import make_partner
from piste.partners.tests.test_prospect_lists import move
from piste.partners.tests.test_prospect_statuses import on, status
from piste.users.models import Membership

__all__ = ["immediate_huey", "on", "small_direct"]  # the fixtures, used by name

pytestmark = pytest.mark.django_db

OPEN = ["Name", "Status", "City", "Account owner"]


def url(kind: str = "open", fmt: str = "csv") -> str:
    return reverse("exports:prospects", args=[kind, fmt])


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.content[:500]
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def book(on) -> Any:
    make_partner(on.salesperson, name="Boulangerie Morel")
    beta = make_partner(on.manager, name="Morel Frères")
    gamma = make_partner(on.manager, name="Gamma")
    delta = make_partner(on.manager, name="Delta")
    make_partner(on.manager, name="Supplier", is_supplier=True, is_prospect=False)
    make_partner(on.other, name="Morel Ailleurs")
    move(beta, on.manager, "Nurturing")
    move(gamma, on.manager, "won")
    move(delta, on.manager, "lost")
    return on


def test_open_prospects_have_the_lists_columns(book):
    rows = csv_rows(en_client(book.manager).get(url()))
    assert rows[0] == OPEN
    assert sorted(rows[1:]) == [
        ["Boulangerie Morel", "To be processed", "", "Salesperson Test"],
        ["Morel Frères", "Nurturing", "", "Manager Test"],
    ]


def test_closed_prospects_add_the_lost_reason(book):
    rows = csv_rows(en_client(book.manager).get(url("closed")))
    assert rows[0] == [*OPEN, "Lost reason"]
    assert sorted(rows[1:]) == [
        ["Delta", "Lost", "", "Manager Test", "Too expensive"],
        ["Gamma", "Won", "", "Manager Test", ""],
    ]


def test_search_status_and_owner_filters_apply(book):
    client = en_client(book.manager)
    rows = csv_rows(client.get(url(), {"q": "morel"}))
    assert sorted(row[0] for row in rows[1:]) == ["Boulangerie Morel", "Morel Frères"]
    rows = csv_rows(client.get(url(), {"q": "mor", "owner": book.manager.pk}))
    assert [row[0] for row in rows[1:]] == ["Morel Frères"]
    nurturing = status(book.company, name="Nurturing")
    rows = csv_rows(client.get(url(), {"status": nurturing.pk}))
    assert [row[0] for row in rows[1:]] == ["Morel Frères"]
    # A closed status on the open list holds nothing, as on the page.
    lost = status(book.company, role="lost")
    assert csv_rows(client.get(url(), {"status": lost.pk}))[1:] == []


def test_xlsx_and_formulas(book):
    make_partner(book.manager, name="@SUM(A1)")
    response = en_client(book.marketing).get(url(fmt="xlsx"))
    assert response["Content-Disposition"].split('"')[1].startswith("prospects-")
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == OPEN
    assert "'@SUM(A1)" in {row[0] for row in rows}
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


@pytest.mark.parametrize("persona", ["salesperson", "reader"])
def test_without_the_export_right_403_and_no_menu(book, persona):
    client = en_client(getattr(book, persona))
    assert client.get(url()).status_code == 403
    assert client.get(url("closed", "xlsx")).status_code == 403
    assert b"export-menu" not in client.get(reverse("prospects:open")).content


def test_the_lists_have_the_menu_and_the_kanban_not(book):
    client = en_client(book.manager)
    html = client.get(reverse("prospects:closed"), {"q": "del"}).content
    assert b'href="/exports/prospects/closed/xlsx/?q=del"' in html
    assert b"export-menu" not in client.get(reverse("prospects:kanban")).content


def test_a_user_limited_to_their_own_records_exports_only_those(book):
    Membership.objects.filter(user=book.marketing).update(scope="own")
    make_partner(book.marketing, name="Mine")
    rows = csv_rows(en_client(book.marketing).get(url()))
    assert [row[0] for row in rows[1:]] == ["Mine"]


def test_other_companys_prospects_are_never_exported(book):
    rows = csv_rows(en_client(book.manager).get(url(), {"q": "morel"}))
    assert "Morel Ailleurs" not in {row[0] for row in rows}
    rows = csv_rows(en_client(book.other).get(url()))
    assert [row[0] for row in rows[1:]] == ["Morel Ailleurs"]
    # Another company's owner or status id filters nothing in: the form refuses it.
    theirs = status(book.other_company, role="default")
    response = en_client(book.manager).get(url(), {"status": theirs.pk})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        {"status": "abc"},
        {"status": str(2**70)},
        {"owner": "x"},
        {"owner": "-1"},
        {"q": "x" * 101},
    ],
)
def test_bad_query_strings_are_refused(book, query):
    response = en_client(book.manager).get(url(), query)
    assert response.status_code == 400
    assert b"Nothing was exported" in response.content


def test_a_company_without_the_workflow_gets_404(personas):
    # The personas fixture alone: statuses on prospects are off.
    assert en_client(personas.manager).get(url()).status_code == 404


@pytest.mark.parametrize("path", ["prospects/kanban/csv/", "prospects/open/pdf/"])
def test_unknown_lists_and_formats_are_404(book, path):
    assert en_client(book.manager).get(f"/exports/{path}").status_code == 404


@pytest.mark.parametrize("kind", ["open", "closed"])
def test_query_count_is_pinned(book, django_assert_num_queries, kind):
    for n in range(15):
        make_partner(book.salesperson, name=f"Prospect {n:02d}", team=book.north)
    client = en_client(book.manager)
    # 1. the session, 2. the user, 3. the memberships, 4. the team ids, 5. the company's
    # prospect statuses, 6. its users (the owner filter's choices), 7. the bounded count,
    # 8. the prospects joined to status, owner and lost reason (one chunk).
    with django_assert_num_queries(8):
        assert body(client.get(url(kind)))


def test_a_large_list_is_written_by_a_job(
    book, immediate_huey, small_direct, django_capture_on_commit_callbacks
):
    move(make_partner(book.manager, name="Epsilon"), book.manager, "lost")
    client = en_client(book.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url("closed"), {"status": status(book.company, role="lost").pk})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert (job.entity, job.kind, job.state, job.rows) == ("prospects", "closed", "done", 2)
    download = client.get(reverse("exports:job_download", args=[job.pk]))
    rows = list(csv.reader(io.StringIO(body(download).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [*OPEN, "Lost reason"]
    assert sorted(row[0] for row in rows[1:]) == ["Delta", "Epsilon"]
