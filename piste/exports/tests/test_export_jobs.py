"""Large exports run as jobs; the export menu on the lead lists."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from piste.core.testing import en_client
from piste.exports import views
from piste.exports.models import ExportJob
from piste.leads.tests.factories import make_lead
from piste.users.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_huey() -> Iterator[Any]:
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    HUEY.flush()
    try:
        yield HUEY
    finally:
        HUEY.flush()
        HUEY.immediate = previous


@pytest.fixture
def small_direct(monkeypatch) -> None:
    # Two leads are "large": the job path without writing 200,000 rows.
    monkeypatch.setattr(views, "DIRECT_MAX", 1)


def three_leads(p: Any) -> None:
    make_lead(p.administrator, first_name="Ada", last_name="One", assigned_to=None)
    make_lead(p.administrator, first_name="Bob", last_name="Two")
    make_lead(p.administrator, first_name="Cy", last_name='=HYPERLINK("x")')


def file_bytes(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_a_large_list_is_written_by_a_job_then_downloaded(
    personas, immediate_huey, small_direct, django_capture_on_commit_callbacks
):
    three_leads(personas)
    client = en_client(personas.marketing)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("exports:leads", args=["open", "csv"]), {"q": "o"})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:job", args=[job.pk])
    assert job.state == "done" and job.rows == 2  # "One" and "Two" only: the filter applied
    assert job.file_name.startswith("leads-") and job.file_name.endswith(".csv")
    page = client.get(response["Location"])
    assert b'data-testid="export-download"' in page.content
    download = client.get(reverse("exports:job_download", args=[job.pk]))
    assert download.status_code == 200
    assert f'filename="{job.file_name}"' in download["Content-Disposition"]
    text = file_bytes(download).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Full name"
    assert sorted(r[0] for r in rows[1:]) == ["Ada One", "Bob Two"]


def test_a_job_writes_xlsx_with_neutralised_formulas(
    personas, immediate_huey, small_direct, django_capture_on_commit_callbacks
):
    three_leads(personas)
    client = en_client(personas.administrator)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("exports:leads", args=["open", "xlsx"]))
    job = ExportJob.objects.get()
    data = file_bytes(client.get(reverse("exports:job_download", args=[job.pk])))
    cells = [c for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows() for c in row]
    cy = next(c for c in cells if str(c.value).startswith("Cy") or "HYPERLINK" in str(c.value))
    assert cy.data_type == "s"
    assert all(c.data_type != "f" for c in cells)


def test_a_job_page_while_it_runs_asks_again(personas):
    job = ExportJob.objects.create(
        company=personas.company, user=personas.manager, entity="leads", kind="open", format="csv"
    )
    client = en_client(personas.manager)
    page = client.get(reverse("exports:job", args=[job.pk]))
    assert b'hx-trigger="every 2s"' in page.content
    assert client.get(reverse("exports:job_download", args=[job.pk])).status_code == 404
    partial = client.get(reverse("exports:job", args=[job.pk]), headers={"HX-Request": "true"})
    assert partial.content.lstrip().startswith(b'<div id="export-state"')


@pytest.mark.parametrize("persona", ["administrator", "marketing", "other"])
def test_only_the_author_sees_an_export_job(personas, persona):
    job = ExportJob.objects.create(
        company=personas.company,
        user=personas.manager,
        entity="leads",
        kind="open",
        format="csv",
        state="done",
    )
    client = en_client(getattr(personas, persona))
    assert client.get(reverse("exports:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("exports:job_download", args=[job.pk])).status_code == 404


def test_a_job_whose_author_lost_the_right_fails_and_writes_nothing(personas):
    from piste.exports.services import export_job_run

    three_leads(personas)
    job = ExportJob.objects.create(
        company=personas.company, user=personas.marketing, entity="leads", kind="open", format="csv"
    )
    Membership.objects.filter(user=personas.marketing).update(role="salesperson")
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and not job.file and job.rows == 0
    page = en_client(personas.marketing).get(reverse("exports:job", args=[job.pk]))
    assert page.status_code == 403  # no export right any more


def test_a_job_runs_once(personas):
    from piste.exports.services import export_job_run

    job = ExportJob.objects.create(
        company=personas.company,
        user=personas.manager,
        entity="leads",
        kind="open",
        format="csv",
        state="done",
    )
    export_job_run(job_id=job.pk)
    export_job_run(job_id=job.pk + 1000)  # deleted meanwhile: nothing happens
    job.refresh_from_db()
    assert job.state == "done" and not job.file


# The export menu on the lead lists ------------------------------------------------------------


@pytest.mark.parametrize("persona", ["administrator", "manager", "marketing"])
def test_the_export_menu_shows_with_the_right_and_carries_the_filters(personas, persona):
    page = en_client(getattr(personas, persona)).get(
        reverse("leads:open"), {"q": "bert", "cursor": "abc"}
    )
    assert b'data-testid="export-menu"' in page.content
    assert b'href="/exports/leads/open/csv/?q=bert"' in page.content
    assert b'href="/exports/leads/open/xlsx/?q=bert"' in page.content


@pytest.mark.parametrize("persona", ["salesperson", "reader"])
def test_the_export_menu_is_hidden_without_the_right(personas, persona):
    page = en_client(getattr(personas, persona)).get(reverse("leads:mine"))
    assert page.status_code == 200
    assert b"export-menu" not in page.content


def test_export_jobs_older_than_a_week_are_purged_with_their_files(personas):
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from piste.exports.services import export_jobs_purge

    def job(days: int, state: str) -> ExportJob:
        made = ExportJob.objects.create(
            company=personas.company,
            user=personas.manager,
            entity="leads",
            kind="open",
            format="csv",
            state=state,
            created_at=timezone.now() - datetime.timedelta(days=days),
        )
        made.file.save(f"leads-{days}.csv", ContentFile(b"a;b\r\n"), save=True)
        return made

    old, running, recent = job(8, "done"), job(8, "running"), job(6, "done")
    old_file = old.file.name
    storage = old.file.storage
    assert storage.exists(old_file)

    assert export_jobs_purge() == 1
    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert not storage.exists(old_file)
    assert ExportJob.objects.filter(pk__in=[running.pk, recent.pk]).count() == 2
    assert storage.exists(recent.file.name)
