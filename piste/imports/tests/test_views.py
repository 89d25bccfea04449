"""The import wizard's pages through the HTTP client: the whole flow, access per persona, bad
files and crafted requests (never a 500), the list's query count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from piste.core.access import require_actor
from piste.core.testing import Personas, en_client
from piste.emails.tests.conftest import immediate_huey  # noqa: F401 (a fixture)
from piste.imports.models import ImportJob
from piste.imports.services import import_configure, import_run, import_start, import_upload
from piste.leads.models import Lead
from piste.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db

CSV = (
    "Nom;Prénom;Société;Email;Téléphone;Ville\r\n"
    "Lefèvre;Hélène;Société Générale;helene@exemple.fr;01 42 00 00 00;Paris\r\n"
    "Durand;Anne;Durand SA;pas-un-email;;Lyon\r\n"
    "Martin;Paul;;paul@exemple.fr;;Nantes\r\n"
).encode("cp1252")


def _file(content: bytes = CSV, name: str = "pistes.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _draft(user: Any, content: bytes = CSV) -> ImportJob:
    return import_upload(actor=require_actor(user), entity="leads", upload=_file(content))


def _mapping_post(job: ImportJob, **extra: str) -> dict[str, str]:
    data = {f"column-{i}": name for i, name in job.mapping.items()}
    data.update(match_on=job.match_on or "email", mode="both")
    data.update(extra)
    return data


def test_whole_flow_upload_mapping_preview_start_report_rejected_undo(
    personas: Personas,
    immediate_huey,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    client = en_client(personas.salesperson)
    page = client.get("/imports/new/?entity=leads")
    assert page.status_code == 200
    assert 'value="leads" selected' in page.content.decode()

    response = client.post("/imports/new/", {"entity": "leads", "file": _file()})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"

    # The mapping step: the guessed fields selected, the preview with the bad email on its cell.
    body = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'name="column-3"' in body and '<option value="email" selected>' in body
    assert "windows-1252" in body.lower() or "cp1252" in body
    assert body.count('data-testid="preview-row"') == 3
    assert body.count('data-testid="cell-problem"') == 1
    assert "pas-un-email" in body

    # Preview: the mapping saved (city not imported), the page shows the draft again.
    post = _mapping_post(job, **{"column-5": "", "preview": "1"})
    response = client.post(f"/imports/{job.pk}/mapping/", post)
    assert response.status_code == 302
    job.refresh_from_db()
    assert "5" not in job.mapping and job.status == "draft"

    # Start: the run happens at once (immediate queue), then the report.
    post = _mapping_post(job, start="1")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/mapping/", post)
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == ("done", 2, 1)
    body = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="created">2<' in body and 'data-testid="errors">1<' in body
    assert "hx-trigger" not in body  # finished: no polling
    assert f'href="/imports/{job.pk}/rejected.csv"' in body

    rejected = client.get(f"/imports/{job.pk}/rejected.csv")
    assert rejected.status_code == 200
    assert rejected["Content-Disposition"].startswith("attachment;")
    content = b"".join(rejected.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert "pas-un-email" in content and "Durand" in content
    assert Lead.objects.filter(email__in=["helene@exemple.fr", "paul@exemple.fr"]).count() == 2

    # Undo, confirmed by the page's dialog; the leads are gone and the page says so.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/undo/")
    assert response.status_code == 302
    assert not Lead.objects.exists()
    body = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="undone"' in body and 'data-testid="undo"' not in body

    # And it is on « My imports ».
    assert f'data-testid="job-{job.pk}"' in client.get("/imports/").content.decode()


def test_htmx_preview_follows_the_form_without_saving(personas: Personas):
    job = _draft(personas.salesperson)
    client = en_client(personas.salesperson)
    # Email column not imported: no problem left in the preview.
    post = _mapping_post(job, **{"column-3": "", "match_on": "name"})
    response = client.post(f"/imports/{job.pk}/preview/", post, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<section id="import-preview"')
    assert 'data-testid="cell-problem"' not in body
    job.refresh_from_db()
    assert job.mapping["3"] == "email" and job.match_on == "email"


def test_mapping_refusal_shows_on_the_form_and_the_job_stays_a_draft(personas: Personas):
    job = _draft(personas.salesperson)
    post = _mapping_post(job, **{"column-0": "", "start": "1"})  # no last name
    response = en_client(personas.salesperson).post(f"/imports/{job.pk}/mapping/", post)
    assert response.status_code == 200
    assert "it is required" in response.content.decode()
    job.refresh_from_db()
    assert job.status == "draft" and job.mapping["0"] == "last_name"


def test_a_started_import_cannot_be_set_up_again(personas: Personas):
    job = _draft(personas.salesperson)
    ImportJob.objects.filter(pk=job.pk).update(status="running")
    client = en_client(personas.salesperson)
    response = client.post(f"/imports/{job.pk}/mapping/", _mapping_post(job, start="1"))
    assert response.status_code == 302
    assert client.post(f"/imports/{job.pk}/preview/", _mapping_post(job)).status_code == 200
    job.refresh_from_db()
    assert job.status == "running"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "is empty"),
        (b"\x00\x01\x02PNG\x00\x00binary", "image.csv", "not a text"),
        (b"PK\x03\x04broken zip", "broken.xlsx", "not a readable Excel workbook"),
        (";".join(["x"] * 100_000).encode(), "wide.csv", "columns"),
        (b"Nom\r\nDupont\r\n", "photo.png", "Choose a CSV or XLSX file."),
    ],
)
def test_bad_files_show_a_clear_message_and_nothing_is_kept(
    personas: Personas, content, name, message
):
    response = en_client(personas.salesperson).post(
        "/imports/new/", {"entity": "leads", "file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"entity": "leads"},  # no file
        {"entity": "ref-nothing", "file": "x"},
        {"entity": "ref-industry-sectors"},  # configuration: not for a salesperson
        {},
    ],
)
def test_upload_form_refuses_crafted_posts(personas: Personas, data):
    if data.get("file"):
        data = {**data, "file": _file()}
    response = en_client(personas.salesperson).post("/imports/new/", data)
    assert response.status_code == 200
    assert (
        "is-invalid" in response.content.decode() or "invalid-feedback" in response.content.decode()
    )
    assert not ImportJob.objects.exists()


def test_read_only_user_may_not_import(personas: Personas):
    client = en_client(personas.reader)
    assert client.get("/imports/new/?entity=leads").status_code == 403
    body = client.get("/imports/").content.decode()
    assert 'data-testid="import-menu"' not in body


def test_the_menu_offers_the_kinds_the_user_may_import(personas: Personas):
    salesperson = en_client(personas.salesperson).get("/imports/").content.decode()
    administrator = en_client(personas.administrator).get("/imports/").content.decode()
    for key in ("leads", "partners", "contacts", "opportunities", "events"):
        assert f'data-testid="import-{key}"' in salesperson
    assert 'data-testid="import-ref-' not in salesperson
    assert 'data-testid="import-ref-' in administrator


@pytest.mark.parametrize("persona", ["teammate", "manager", "other"])
def test_only_the_owner_sees_a_job(personas: Personas, persona: str):
    job = _draft(personas.salesperson)
    ImportJob.objects.filter(pk=job.pk).update(report="imports/reports/x.csv")
    client = en_client(getattr(personas, persona))
    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert client.get(f"/imports/{job.pk}/rejected.csv").status_code == 404
    assert client.post(f"/imports/{job.pk}/mapping/", _mapping_post(job)).status_code == 404
    assert client.post(f"/imports/{job.pk}/preview/", _mapping_post(job)).status_code == 404
    assert client.post(f"/imports/{job.pk}/undo/").status_code == 404
    assert f"job-{job.pk}" not in client.get("/imports/").content.decode()


def test_anonymous_is_sent_to_sign_in(personas: Personas):
    response = en_client().get("/imports/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "post",
    [
        {"column-0": "no_such_field", "mode": "both"},
        {"column-0": "last_name", "column-999": "email", "mode": "sideways"},
        {"column-0": "last_name", "match_on": "<script>", "mode": "both"},
        {"column-0": "last_name", "column-1": "last_name", "mode": "create"},
        {"column-0": "last_name", "default-scoring": "x" * 10_000, "mode": "create"},
        {"column-0": "last_name\x00", "mode": "create", "start": "1"},
    ],
)
def test_crafted_mapping_posts_never_give_a_500(personas: Personas, post):
    job = _draft(personas.salesperson)
    client = en_client(personas.salesperson)
    assert client.post(f"/imports/{job.pk}/mapping/", post).status_code == 200
    assert client.post(f"/imports/{job.pk}/preview/", post).status_code == 200
    job.refresh_from_db()
    assert job.status == "draft"


@pytest.mark.parametrize("pk", ["0", "99999999999999999999999", "-1", "abc"])
def test_crafted_ids_give_404(personas: Personas, pk: str):
    client = en_client(personas.salesperson)
    assert client.get(f"/imports/{pk}/").status_code == 404
    assert client.post(f"/imports/{pk}/undo/").status_code == 404
    assert client.get(f"/imports/{pk}/rejected.csv").status_code == 404


def test_a_job_without_rejected_rows_has_no_download(personas: Personas):
    job = _draft(personas.salesperson)
    assert en_client(personas.salesperson).get(f"/imports/{job.pk}/rejected.csv").status_code == 404


def test_undo_refused_shows_a_message(personas: Personas):
    job = _draft(personas.salesperson)
    client = en_client(personas.salesperson)
    response = client.post(f"/imports/{job.pk}/undo/", follow=True)
    assert "Only a finished import can be undone." in response.content.decode()


def test_a_running_job_shows_its_progress_and_time_left_and_polls(personas: Personas):
    job = _draft(personas.salesperson)
    ImportJob.objects.filter(pk=job.pk).update(
        status="running",
        total_rows=1000,
        processed_rows=250,
        started_at=timezone.now() - dt.timedelta(seconds=20),
    )
    client = en_client(personas.salesperson)
    response = client.get(
        f"/imports/{job.pk}/", headers={"HX-Request": "true", "HX-Target": "import-state"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="import-state"')
    assert 'hx-trigger="every 2s"' in body
    assert 'value="25"' in body and "250 of 1,000 rows" in body
    # 250 rows in 20 s: 750 more in about 60 s.
    assert "Time left: 60 seconds" in body
    # Done: the same partial stops polling and shows the report.
    ImportJob.objects.filter(pk=job.pk).update(status="done", processed_rows=1000)
    body = client.get(
        f"/imports/{job.pk}/", headers={"HX-Request": "true", "HX-Target": "import-state"}
    ).content.decode()
    assert "hx-trigger" not in body and 'data-testid="report"' in body


def test_undo_lists_the_records_kept(
    personas: Personas,
    immediate_huey,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    make_lead(personas.salesperson, last_name="Lefèvre", email="helene@exemple.fr")
    job = _draft(personas.salesperson)
    client = en_client(personas.salesperson)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/mapping/", _mapping_post(job, start="1"))
    job.refresh_from_db()
    assert job.updated_count == 1
    lead = Lead.objects.get(email="helene@exemple.fr")
    Lead.objects.filter(pk=lead.pk).update(first_name="Changed")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/undo/")
    body = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="kept"' in body and "Changed since the import" in body
    assert "1 record was kept" in body


def test_list_is_keyset_paginated_newest_first(personas: Personas):
    actor = require_actor(personas.salesperson)
    jobs = [
        ImportJob.objects.create(
            company=actor.company, created_by=actor.user, entity="leads", file_name=f"f{i}.csv"
        )
        for i in range(27)
    ]
    client = en_client(personas.salesperson)
    body = client.get("/imports/").content.decode()
    assert body.index(f"job-{jobs[-1].pk}") < body.index(f"job-{jobs[-2].pk}")
    assert body.count('data-testid="job-') == 25 and 'rel="next"' in body
    cursor = body.split("?cursor=")[1].split('"')[0]
    second = client.get(f"/imports/?cursor={cursor}").content.decode()
    assert second.count('data-testid="job-') == 2
    assert client.get("/imports/?cursor=%00garbage").status_code == 200


def test_list_query_count(personas: Personas):
    actor = require_actor(personas.salesperson)
    for i in range(5):
        ImportJob.objects.create(
            company=actor.company, created_by=actor.user, entity="leads", file_name=f"f{i}.csv"
        )
    client = en_client(personas.salesperson)
    client.get("/imports/")  # warm the session
    # 1 session, 2 user, 3 memberships with companies (actor), 4 teams (actor), 5 the page of
    # jobs: whatever the number of jobs.
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/imports/").status_code == 200
    assert len(queries) == 5, "\n".join(q["sql"] for q in queries)


def test_my_imports_polls_while_a_job_runs(personas: Personas):
    job = _draft(personas.salesperson)
    ImportJob.objects.filter(pk=job.pk).update(status="pending")
    response = en_client(personas.salesperson).get(
        "/imports/", headers={"HX-Request": "true", "HX-Target": "import-rows"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="import-rows"')
    assert 'hx-trigger="every 2s"' in body and "<progress" in body


def test_a_draft_whose_file_is_gone_shows_a_message_not_a_500(personas: Personas):
    job = _draft(personas.salesperson)
    job.file.delete(save=False)
    response = en_client(personas.salesperson).get(f"/imports/{job.pk}/")
    assert response.status_code == 200
    assert 'data-testid="preview-error"' in response.content.decode()


def test_a_draft_is_deleted_with_its_file_by_its_owner_only(
    personas: Personas, django_capture_on_commit_callbacks
):
    job = _draft(personas.salesperson)
    name, storage = job.file.name, job.file.storage
    assert storage.exists(name)
    assert (
        'data-testid="delete-draft"'
        in en_client(personas.salesperson).get(f"/imports/{job.pk}/").content.decode()
    )
    # Someone else's draft is not even there for them.
    assert en_client(personas.teammate).post(f"/imports/{job.pk}/delete/").status_code == 404
    assert ImportJob.objects.filter(pk=job.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = en_client(personas.salesperson).post(f"/imports/{job.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/imports/"
    assert not ImportJob.objects.filter(pk=job.pk).exists()
    assert not storage.exists(name)


def test_a_started_import_cannot_be_deleted(personas: Personas):
    job = _draft(personas.salesperson)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE)
    client = en_client(personas.salesperson)
    response = client.post(f"/imports/{job.pk}/delete/", follow=True)
    assert "Only an import not started yet can be deleted" in response.content.decode()
    assert ImportJob.objects.filter(pk=job.pk).exists()


def _actions(body: str) -> dict[int, str]:
    import re

    found = re.findall(r'data-line="(\d+)".*?data-action="(\w*)"', body, flags=re.S)
    return {int(line): action for line, action in found}


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("both", {2: "update", 3: "reject", 4: "create"}),
        ("create", {2: "skip", 3: "reject", 4: "create"}),
        ("update", {2: "update", 3: "reject", 4: "skip"}),
    ],
)
def test_preview_tells_what_each_row_will_do(personas: Personas, mode, expected):
    make_lead(personas.salesperson, last_name="Lefèvre", email="Helene@Exemple.fr")
    job = _draft(personas.salesperson)
    client = en_client(personas.salesperson)
    post = _mapping_post(job, mode=mode)
    response = client.post(f"/imports/{job.pk}/preview/", post, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert _actions(body) == expected
    created, updated, skipped = {"both": (1, 1, 0), "create": (1, 0, 1), "update": (0, 1, 1)}[mode]
    assert f"Among them: {created} to create, {updated} to update, {skipped} to skip." in body
    if mode == "create":
        assert "Already exists: skipped (create-only import)." in body
    assert not ImportJob.objects.get(pk=job.pk).records.exists()  # nothing written


def test_preview_matches_the_file_against_the_database_in_one_query(personas: Personas):
    rows = "".join(f"N{i};P;;p{i}@exemple.fr;;Paris\r\n" for i in range(40))
    job = _draft(
        personas.salesperson, ("Nom;Prénom;Société;Email;Téléphone;Ville\r\n" + rows).encode()
    )
    make_lead(personas.salesperson, last_name="N3", email="p3@exemple.fr")
    client = en_client(personas.salesperson)
    post = _mapping_post(job)
    with CaptureQueriesContext(connection) as queries:
        body = client.post(f"/imports/{job.pk}/preview/", post, headers={"HX-Request": "true"})
    matching = [q for q in queries.captured_queries if "email_key" in q["sql"] and "IN" in q["sql"]]
    assert len(matching) == 1
    actions = _actions(body.content.decode())
    assert len(actions) == 20 and actions[5] == "update"  # line 5 holds p3
    assert sorted(set(actions.values())) == ["create", "update"]


def test_preview_shows_a_repeated_key_as_skipped_with_its_first_line(personas: Personas):
    content = b"Nom;Email\r\nA;a@exemple.fr\r\nB;A@EXEMPLE.FR\r\n"
    job = _draft(personas.salesperson, content)
    client = en_client(personas.salesperson)
    post = _mapping_post(job)
    body = client.post(f"/imports/{job.pk}/preview/", post, headers={"HX-Request": "true"})
    text = body.content.decode()
    assert _actions(text) == {2: "create", 3: "skip"}
    assert "Same email as line 2: skipped." in text


def _finished(personas: Personas) -> ImportJob:
    """A salesperson's import, done, with a rejected row."""
    job = _draft(personas.salesperson)
    actor = require_actor(personas.salesperson)
    job = import_configure(
        actor=actor, job=job, mapping=job.mapping, defaults={}, match_on="email", mode="both"
    )
    import_start(actor=actor, job=job, enqueue=False)
    return import_run(job_id=job.pk)


def test_an_administrator_follows_and_undoes_a_colleagues_import(
    personas: Personas,
    immediate_huey,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    job = _finished(personas)
    assert (job.created_count, job.error_count) == (2, 1)
    client = en_client(personas.administrator)
    assert f"job-{job.pk}" not in client.get("/imports/").content.decode()  # not theirs
    everybody = client.get("/imports/?scope=all").content.decode()
    assert f"job-{job.pk}" in everybody and 'data-testid="started-by"' in everybody
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Started by" in page and 'data-testid="undo"' in page
    rejected = client.get(f"/imports/{job.pk}/rejected.csv")
    assert rejected.status_code == 200
    assert b"pas-un-email" in rejected.getvalue()
    # The one who imported has left: the administrator's undo acts as the administrator.
    personas.salesperson.is_active = False
    personas.salesperson.save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/undo/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.undo_status == "done" and job.undone_by == personas.administrator
    assert not Lead.objects.filter(email__in=["helene@exemple.fr", "paul@exemple.fr"]).exists()


def test_an_administrator_cannot_set_up_a_colleagues_draft(personas: Personas):
    job = _draft(personas.salesperson)
    client = en_client(personas.administrator)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Only they can set it up and start it." in page
    assert 'data-testid="mapping-form"' not in page and 'data-testid="delete-draft"' not in page
    assert (
        client.post(f"/imports/{job.pk}/mapping/", _mapping_post(job, start="1")).status_code == 404
    )
    assert client.post(f"/imports/{job.pk}/preview/", _mapping_post(job)).status_code == 404
    assert client.post(f"/imports/{job.pk}/delete/").status_code == 404
    job.refresh_from_db()
    assert job.status == "draft"


def test_everybodys_imports_are_for_administrators_only(personas: Personas):
    _draft(personas.administrator)
    job = _draft(personas.salesperson)
    manager = en_client(personas.manager).get("/imports/?scope=all").content.decode()
    assert f"job-{job.pk}" not in manager and 'data-testid="import-scope"' not in manager


def test_everybodys_imports_list_makes_the_same_queries_for_more_rows(personas: Personas):
    client = en_client(personas.administrator)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/imports/?scope=all").status_code == 200
        return len(captured.captured_queries)

    _draft(personas.salesperson)
    few = queries()
    for user in (personas.teammate, personas.manager, personas.administrator):
        _draft(user)
    assert queries() == few
