"""Exporting "My actions": the user's planned tasks, late or not, with the record each is
about; the late-only filter, rights, bad query strings, query count."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from piste.activities import services
from piste.activities.tests.factories import actor, at, make_event
from piste.core.testing import en_client
from piste.exports.models import ExportJob
from piste.exports.tests.test_export_jobs import immediate_huey, small_direct
from piste.leads.tests.factories import make_lead
from piste.partners.tests.factories import make_contact, make_partner

__all__ = ["immediate_huey", "small_direct"]  # the fixtures, used by name

pytestmark = pytest.mark.django_db

HEADERS = ["Subject", "Due date", "Late", "Linked to"]


def url(fmt: str = "csv") -> str:
    return reverse("exports:actions", args=[fmt])


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.content[:500]
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def tasks(personas) -> Any:
    p = personas
    lead = make_lead(p.manager, first_name="Alice", last_name="Durand")
    partner = make_partner(p.manager, name="Morel SA")
    contact = make_contact(p.manager, partner, first_name="Jean", last_name="Dupont")
    make_event(p.manager, lead, kind="task", subject="Rappeler", start=at(-30), end=at(-26))
    make_event(p.manager, contact, kind="task", subject="Devis", start=at(20), end=at(24))
    make_event(p.manager, partner, kind="task", subject="=1+1", start=at(40), end=at(48))
    make_event(p.manager, kind="task", subject="Seule", start=at(1))
    done = make_event(p.manager, kind="task", subject="Faite", start=at(1))
    services.event_set_status(actor=actor(p.manager), event=done, status="done")
    make_event(p.manager, subject="Réunion")  # a meeting, not a task
    make_event(p.marketing, kind="task", subject="Pas à moi")
    make_event(p.other, kind="task", subject="Ailleurs")
    return p


def test_csv_has_my_open_tasks_with_their_record(tasks):
    rows = csv_rows(en_client(tasks.manager).get(url()))
    assert rows[0] == HEADERS
    by_subject = {row[0]: row for row in rows[1:]}
    assert set(by_subject) == {"Rappeler", "Devis", "'=1+1", "Seule"}
    assert by_subject["Rappeler"][2:] == ["yes", "Alice Durand"]
    assert by_subject["Devis"][2:] == ["no", "Jean Dupont"]  # the contact before its partner
    assert by_subject["'=1+1"][2:] == ["no", "Morel SA"]
    assert by_subject["Seule"][3] == ""
    due = timezone.localtime(at(24)).strftime("%Y-%m-%d %H:%M")
    assert by_subject["Devis"][1] == due


def test_late_only(tasks):
    rows = csv_rows(en_client(tasks.manager).get(url(), {"show": "late"}))
    assert [row[0] for row in rows[1:]] == ["Rappeler"]


def test_xlsx_has_dates_and_no_formula(tasks):
    response = en_client(tasks.manager).get(url("xlsx"))
    assert response["Content-Disposition"].split('"')[1].startswith("actions-")
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    devis = next(row for row in rows if row[0] == "Devis")
    assert devis[1] == timezone.localtime(at(24)).replace(tzinfo=None)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


@pytest.mark.parametrize("persona", ["salesperson", "reader"])
def test_without_the_export_right_403_and_no_menu(tasks, persona):
    client = en_client(getattr(tasks, persona))
    assert client.get(url()).status_code == 403
    assert b"export-menu" not in client.get(reverse("activities:actions")).content


def test_the_page_has_the_menu_with_its_filter(tasks):
    html = en_client(tasks.manager).get(reverse("activities:actions"), {"show": "late"}).content
    assert b'href="/exports/actions/xlsx/?show=late"' in html


def test_only_my_tasks_never_another_companys(tasks):
    rows = csv_rows(en_client(tasks.marketing).get(url()))
    assert [row[0] for row in rows[1:]] == ["Pas à moi"]
    rows = csv_rows(en_client(tasks.other).get(url()))
    assert [row[0] for row in rows[1:]] == ["Ailleurs"]


@pytest.mark.parametrize("query", [{"show": "everything"}, {"show": "\x00"}])
def test_bad_query_strings_are_refused(tasks, query):
    response = en_client(tasks.manager).get(url(), query)
    assert response.status_code == 400
    assert b"Nothing was exported" in response.content


def test_a_page_cursor_is_ignored(tasks):
    rows = csv_rows(en_client(tasks.manager).get(url(), {"cursor": "9" * 30}))
    assert len(rows) == 5


@pytest.mark.parametrize("path", ["actions/pdf/", "actions/late/csv/"])
def test_unknown_formats_are_404(tasks, path):
    assert en_client(tasks.manager).get(f"/exports/{path}").status_code == 404


def test_a_large_list_is_written_by_a_job(
    tasks, immediate_huey, small_direct, django_capture_on_commit_callbacks
):
    client = en_client(tasks.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url())
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert (job.entity, job.kind, job.state, job.rows) == ("actions", "", "done", 4)


def test_query_count_is_pinned(tasks, django_assert_num_queries):
    lead = make_lead(tasks.manager, last_name="Extra")
    for n in range(10):
        make_event(tasks.manager, lead, kind="task", subject=f"T{n}", start=at(n - 3))
    client = en_client(tasks.manager)
    # 1. the session, 2. the user, 3. the memberships, 4. the team ids, 5. the bounded count,
    # 6. the tasks with their records' names joined (one chunk).
    with django_assert_num_queries(6):
        assert body(client.get(url()))
