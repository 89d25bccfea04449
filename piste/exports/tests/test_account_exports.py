"""Exporting the « Comptes & contacts » search: its partners or its contacts, its search and
kind, the result rows' columns, rights, scope and bad query strings."""

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
from piste.partners.models import Partner
from piste.partners.tests.factories import make_contact, make_partner
from piste.users.models import Membership

__all__ = ["immediate_huey", "small_direct"]  # the fixtures, used by name

pytestmark = pytest.mark.django_db


def url(kind: str = "partners", fmt: str = "csv") -> str:
    return reverse("exports:accounts", args=[kind, fmt])


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.content[:500]
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def book(personas) -> Any:
    manager = personas.manager
    durand = make_partner(manager, name="Durand Élagage")
    # The city a row shows is the main address's, copied on the partner.
    Partner.objects.filter(pk=durand.pk).update(city_name="Lyon")
    customer = make_partner(manager, name="Dupuis Frères", is_customer=True)
    make_partner(manager, name="Dumas Fournitures", is_supplier=True, is_prospect=False)
    make_partner(manager, name="Bernard SA")
    make_contact(manager, durand, first_name="Élodie", last_name="Martin")
    make_contact(manager, customer, first_name="Jean", last_name="Dupont")
    make_partner(personas.other, name="Dupré Ailleurs")  # another company
    return personas


def test_partners_export_has_the_result_rows_columns(book):
    rows = csv_rows(en_client(book.manager).get(url(), {"q": "du"}))
    assert rows[0] == ["Name", "Type", "City", "Closed"]
    assert sorted(rows[1:]) == [
        ["Dumas Fournitures", "Supplier", "", "no"],
        ["Dupuis Frères", "Customer", "", "no"],
        ["Durand Élagage", "Draft prospect", "Lyon", "no"],
    ]


def test_contacts_export_has_the_result_rows_columns(book):
    durand = Partner.objects.get(name="Durand Élagage")
    make_contact(book.manager, durand, first_name="Paul", last_name="Durieux")
    rows = csv_rows(en_client(book.manager).get(url("contacts"), {"q": "du"}))
    assert rows[0] == ["Name", "Partner", "Job title"]
    # Jean Dupont by his last name, Paul Durieux too; Élodie Martin does not match.
    assert sorted(rows[1:]) == [
        ["Jean Dupont", "Dupuis Frères", ""],
        ["Paul Durieux", "Durand Élagage", ""],
    ]


def test_a_persons_other_name_order_matches(book):
    rows = csv_rows(en_client(book.manager).get(url("contacts"), {"q": "élodie m"}))
    assert [row[0] for row in rows[1:]] == ["Élodie Martin"]


def test_the_kind_shown_narrows_the_partners(book):
    rows = csv_rows(en_client(book.manager).get(url(), {"q": "du", "kind": "customers"}))
    assert [row[0] for row in rows[1:]] == ["Dupuis Frères"]
    rows = csv_rows(en_client(book.manager).get(url(), {"q": "du", "kind": "prospects"}))
    assert [row[0] for row in rows[1:]] == ["Durand Élagage"]


def test_without_a_search_every_visible_record_is_exported(book):
    rows = csv_rows(en_client(book.manager).get(url()))
    assert sorted(row[0] for row in rows[1:]) == [
        "Bernard SA",
        "Dumas Fournitures",
        "Dupuis Frères",
        "Durand Élagage",
    ]
    assert len(csv_rows(en_client(book.manager).get(url("contacts")))) == 3


def test_xlsx_has_the_same_rows_and_no_formula(book):
    make_partner(book.manager, name='=HYPERLINK("http://x")')
    response = en_client(book.marketing).get(url(fmt="xlsx"))
    assert response.status_code == 200
    assert response["Content-Disposition"].split('"')[1].startswith("partners-")
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Name", "Type", "City", "Closed"]
    assert '\'=HYPERLINK("http://x")' in {row[0] for row in rows}
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_csv_neutralises_formulas(book):
    durand = Partner.objects.get(name="Durand Élagage")
    make_contact(book.manager, durand, first_name="", last_name="+SUM(A1:A9)")
    rows = csv_rows(en_client(book.manager).get(url("contacts")))
    assert "'+SUM(A1:A9)" in {row[0] for row in rows}


def test_french_headings_and_file_name(book):
    response = book.client(book.manager).get(url())  # French
    assert response["Content-Disposition"].split('"')[1].startswith("tiers-")
    rows = csv_rows(response)
    assert rows[0][0] == "Nom"


@pytest.mark.parametrize("persona", ["salesperson", "teammate", "outsider", "reader"])
def test_without_the_export_right_403_and_no_menu(book, persona):
    client = en_client(getattr(book, persona))
    for kind in ("partners", "contacts"):
        assert client.get(url(kind)).status_code == 403
    assert b"export-menu" not in client.get(reverse("partners:accounts"), {"q": "du"}).content


def test_the_page_has_both_menus_with_its_search(book):
    html = en_client(book.manager).get(reverse("partners:accounts"), {"q": "du"}).content
    assert b'href="/exports/accounts/partners/csv/?q=du"' in html
    assert b'href="/exports/accounts/contacts/xlsx/?q=du"' in html
    assert b"Export partners" in html and b"Export contacts" in html


def test_the_page_showing_one_kind_has_its_menu_only(book):
    client = en_client(book.manager)
    html = client.get(reverse("partners:accounts"), {"q": "du", "kind": "contacts"}).content
    assert b"/exports/accounts/contacts/csv/" in html
    assert b"/exports/accounts/partners/" not in html
    html = client.get(reverse("partners:accounts"), {"q": "du", "kind": "customers"}).content
    assert b"/exports/accounts/partners/csv/" in html
    assert b"/exports/accounts/contacts/" not in html


def test_a_user_limited_to_their_own_records_exports_only_those(book):
    Membership.objects.filter(user=book.marketing).update(scope="own")
    make_partner(book.marketing, name="Dulac Mine")
    rows = csv_rows(en_client(book.marketing).get(url(), {"q": "du"}))
    assert [row[0] for row in rows[1:]] == ["Dulac Mine"]
    assert csv_rows(en_client(book.marketing).get(url("contacts")))[1:] == []


def test_a_team_scope_exports_the_teams_records(book):
    Membership.objects.filter(user=book.marketing).update(scope="team")
    book.north.members.add(book.marketing)
    make_partner(book.outsider, name="Dusud Conseil")  # South's
    rows = csv_rows(en_client(book.marketing).get(url(), {"q": "du"}))
    names = {row[0] for row in rows[1:]}
    assert "Durand Élagage" in names  # the manager's, of North
    assert "Dusud Conseil" not in names


def test_other_companys_records_are_never_exported(book):
    for kind in ("partners", "contacts"):
        rows = csv_rows(en_client(book.administrator).get(url(kind)))
        assert all("Dupré" not in row[0] for row in rows)
    rows = csv_rows(en_client(book.other).get(url(), {"q": "du"}))
    assert [row[0] for row in rows[1:]] == ["Dupré Ailleurs"]


def test_closed_accounts_need_their_right(book):
    Partner.objects.filter(name="Bernard SA").update(is_closed=True)
    rows = csv_rows(en_client(book.administrator).get(url(), {"q": "bern"}))
    assert rows[1:] == [["Bernard SA", "Draft prospect", "", "yes"]]
    # Marketing may export but not see closed accounts.
    assert csv_rows(en_client(book.marketing).get(url(), {"q": "bern"}))[1:] == []


@pytest.mark.parametrize(
    "query",
    [
        {"q": "d"},  # the page asks for two letters
        {"q": "du", "kind": "leads"},
        {"q": "du", "kind": "contacts"},  # the page shows contacts, not partners
    ],
)
def test_bad_query_strings_are_refused(book, query):
    response = en_client(book.manager).get(url(), query)
    assert response.status_code == 400
    assert b'data-testid="export-errors"' in response.content


def test_contacts_export_refuses_a_partner_kind(book):
    response = en_client(book.manager).get(url("contacts"), {"kind": "customers"})
    assert response.status_code == 400


def test_odd_values_never_fail(book):
    client = en_client(book.manager)
    for query in ({"q": "\x00du"}, {"q": "d" * 5000}, {"after": "zz|x", "zzz": "1"}):
        assert client.get(url(), query).status_code in (200, 400)
    rows = csv_rows(client.get(url(), {"q": "\x00du"}))
    assert len(rows) == 4


@pytest.mark.parametrize(
    "path", ["accounts/customers/csv/", "accounts/partners/pdf/", "accounts/Partners/csv/"]
)
def test_unknown_lists_and_formats_are_404(book, path):
    assert en_client(book.manager).get(f"/exports/{path}").status_code == 404


@pytest.mark.parametrize("kind", ["partners", "contacts"])
def test_query_count_is_pinned(book, django_assert_num_queries, kind):
    for n in range(15):
        partner = make_partner(book.manager, name=f"Dubois {n}", is_customer=n % 2 == 0)
        make_contact(book.manager, partner, first_name="Anne", last_name=f"Duval {n}")
    client = en_client(book.manager)
    # 1. the session, 2. the user, 3. the memberships, 4. the team ids, 5. the bounded count,
    # 6. the rows (a contact's partner and job title joined), one chunk whatever their number.
    with django_assert_num_queries(6):
        assert body(client.get(url(kind), {"q": "du"}))


def test_a_large_search_is_written_by_a_job(
    book, immediate_huey, small_direct, django_capture_on_commit_callbacks
):
    make_partner(book.manager, name="Dulac")
    client = en_client(book.marketing)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url("partners", "xlsx"), {"q": "du", "kind": "prospects"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert (job.entity, job.kind, job.state, job.rows) == ("accounts", "partners", "done", 2)
    download = client.get(reverse("exports:job_download", args=[job.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(body(download))).active
    names = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert names[0] == "Name" and sorted(names[1:]) == ["Dulac", "Durand Élagage"]
