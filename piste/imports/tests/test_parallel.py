"""A large lead import in several processes (``piste.imports.parallel``) does exactly what one
process does: the same leads, the same counts, the same rejected rows with the same reasons,
and it undoes the same way."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from piste.core.access import require_actor
from piste.core.rights import Role
from piste.core.testing import Personas, make_personas, make_user
from piste.imports import engine, parallel
from piste.imports.models import ImportJob
from piste.imports.services import (
    adapter_for,
    import_configure,
    import_run,
    import_start,
    import_undo,
    import_undo_start,
    import_upload,
)
from piste.leads.models import Lead
from piste.leads.services import lead_create
from piste.users.models import User

HEADER = "Nom;Prénom;Email;Téléphone;Ville\r\n"


def content(count: int) -> bytes:
    """``count`` people, with what a real file holds: the same email again further down (in
    another case), a bad email, rows with no email, and one person already known."""
    lines = []
    for i in range(count):
        email = f"p{i}@x.fr"
        if i % 50 == 49:
            email = f"  P{i - 40}@X.fr"  # an in-file duplicate of a row 40 lines up
        elif i % 97 == 0:
            email = "pas-une-adresse"
        elif i % 101 == 3:
            email = ""
        lines.append(f"Nom{i};Jo;{email};01 42 00 {i // 90 % 90 + 10:02d} {i % 90 + 10:02d};Lyon")
    return (HEADER + "\r\n".join(lines) + "\r\n").encode("cp1252")


def run(user: User, data: bytes) -> ImportJob:
    actor = require_actor(user)
    job = import_upload(actor=actor, entity="leads", upload=SimpleUploadedFile("p.csv", data))
    job = import_configure(
        actor=actor, job=job, mapping=job.mapping, defaults={}, match_on="email", mode="both"
    )
    import_start(actor=actor, job=job, enqueue=False)
    return import_run(job_id=job.pk)


def leads_of(user: User) -> set[tuple[str, ...]]:
    company = require_actor(user).company
    return set(
        Lead.objects.filter(company=company).values_list(
            "email_key", "last_name", "fixed_phone", "city_name", "search_key"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_several_processes_import_as_one_does(settings, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("several processes write at once on PostgreSQL only")
    personas = make_personas()
    alone = personas.salesperson
    shared = make_user("partage", personas.other_company, Role.SALESPERSON)
    for user in (alone, shared):  # known already: updated by the import
        lead_create(actor=require_actor(user), data={"last_name": "Connu", "email": "p7@x.fr"})
    data = content(1300)

    settings.IMPORT_WORKERS = 1
    one = run(alone, data)

    calls: list[int] = []
    real = parallel.execute

    def spy(*args, **kwargs):
        calls.append(args[4])
        return real(*args, **kwargs)

    monkeypatch.setattr(parallel, "execute", spy)
    settings.IMPORT_WORKERS = 2
    settings.IMPORT_PARALLEL_MIN_ROWS = 1000
    two = run(shared, data)

    assert calls == [2]  # two processes imported the second file
    counts = ("status", "created_count", "updated_count", "skipped_count", "error_count")
    assert [getattr(two, name) for name in counts] == [getattr(one, name) for name in counts]
    # 26 repeats, but line 651 repeats line 611, whose email is empty: it is a first.
    assert (one.updated_count, one.skipped_count, one.error_count) == (1, 25, 14)
    assert two.processed_rows == 1300
    assert leads_of(shared) == leads_of(alone)
    # The same rejected rows, reasons and order: "Same email as line N" names the first line.
    report = two.report.read()
    assert report == one.report.read()
    lines = {
        row[0]: row[1] for row in csv.reader(io.StringIO(report.decode("utf-8-sig")), delimiter=";")
    }
    assert " 11" in lines["51"]  # line 51 repeats line 11's email, in another case

    undone = import_undo(job_id=import_undo_start(actor=require_actor(shared), job=two).pk)
    assert undone.undo_status == ImportJob.UndoStatus.DONE
    assert list(
        Lead.objects.filter(company=require_actor(shared).company).values_list("last_name", "email")
    ) == [("Connu", "p7@x.fr")]


@pytest.mark.django_db
def test_rows_with_one_email_meet_in_one_process(personas: Personas):
    actor = require_actor(personas.salesperson)
    adapter = adapter_for(actor, "leads")
    job = ImportJob(mapping={"0": "last_name", "1": "email"}, defaults={}, match_on="email")
    settings = engine.Settings.of(job, adapter)
    for parts in (2, 3, 4):
        first = engine.Row(number=2, cells=["A", "jean.dupont@exemple.fr"])
        again = engine.Row(number=9000, cells=["B", "  Jean.Dupont@EXEMPLE.fr "])
        assert parallel.share_of(settings, first, parts) == parallel.share_of(
            settings, again, parts
        )
        shares = {
            parallel.share_of(settings, engine.Row(number=n, cells=["A", f"p{n}@x.fr"]), parts)
            for n in range(2, 200)
        }
        assert shares == set(range(parts))  # the work is spread
    # No email: by blocks of lines.
    row = engine.Row(number=2, cells=["A", ""])
    far = engine.Row(number=2 + parallel.LINE_BLOCK, cells=["A", ""])
    assert parallel.share_of(settings, row, 2) != parallel.share_of(settings, far, 2)


@pytest.mark.django_db
def test_only_large_lead_imports_on_postgresql_use_several_processes(personas, settings):
    actor = require_actor(personas.salesperson)
    settings.IMPORT_WORKERS = 4
    settings.IMPORT_PARALLEL_MIN_ROWS = 20_000
    leads, partners = adapter_for(actor, "leads"), adapter_for(actor, "partners")
    by_email = ImportJob(match_on="email")
    expected = 4 if connection.vendor == "postgresql" else 1
    assert parallel.workers_for(leads, by_email, 100_000) == expected
    assert parallel.workers_for(leads, by_email, 19_999) == 1
    assert parallel.workers_for(leads, ImportJob(match_on="siren"), 100_000) == 1
    assert parallel.workers_for(partners, by_email, 100_000) == 1
    settings.IMPORT_WORKERS = 1
    assert parallel.workers_for(leads, by_email, 100_000) == 1


@pytest.mark.django_db(transaction=True)
def test_a_process_that_fails_fails_the_job_and_what_was_written_stays_undoable(
    settings, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("several processes write at once on PostgreSQL only")
    from piste.imports.tasks import run_import

    personas = make_personas()
    actor = require_actor(personas.salesperson)
    job = import_upload(
        actor=actor, entity="leads", upload=SimpleUploadedFile("p.csv", content(1300))
    )
    job = import_configure(
        actor=actor, job=job, mapping=job.mapping, defaults={}, match_on="email", mode="both"
    )
    import_start(actor=actor, job=job, enqueue=False)
    settings.IMPORT_WORKERS = 2
    settings.IMPORT_PARALLEL_MIN_ROWS = 1000
    # The other process is sent to a database that does not exist: it cannot start its share.
    monkeypatch.setitem(connection.settings_dict, "NAME", "piste_no_such_database")
    with pytest.raises(RuntimeError, match="piste_no_such_database"):
        run_import.call_local(job.pk)
    monkeypatch.undo()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "piste_no_such_database" in job.error
    # What this process wrote before hearing of the failure (whole batches, maybe none: the
    # batch that heard it is rolled back) is all in the undo records, and undone like any.
    created = Lead.objects.filter(company=personas.company).count()
    assert created == job.records.filter(action="created").count() == job.created_count
    if created:
        undone = import_undo(job_id=import_undo_start(actor=actor, job=job).pk)
        assert undone.undo_status == ImportJob.UndoStatus.DONE
        assert not Lead.objects.filter(company=personas.company).exists()


def test_messages_of_the_other_processes_are_added_up_or_stop_the_import():
    import multiprocessing

    from django.core.exceptions import ValidationError

    messages = multiprocessing.get_context("spawn").Queue()
    totals = parallel.Totals()
    finished: dict[int, list] = {}
    messages.put(("progress", 1, (10, 6, 2, 1, 1)))
    messages.put(("done", 2, ((20, 20, 0, 0, 0), [(7, ["a"], "why")])))
    assert parallel._drain(messages, totals, finished, block=True)
    if len(totals.counts) < 2:  # the queue's feeder thread had not passed the second one yet
        assert parallel._drain(messages, totals, finished, block=True)
    assert totals.counts == {1: (10, 6, 2, 1, 1), 2: (20, 20, 0, 0, 0)}
    assert finished == {2: [(7, ["a"], "why")]}
    assert not parallel._drain(messages, totals, finished, block=False)  # nothing waiting
    messages.put(("refused", 1, "Vous ne travaillez plus dans cette société."))
    with pytest.raises(ValidationError, match="plus dans cette"):
        parallel._drain(messages, totals, finished, block=True)
    messages.put(("failed", 1, "OperationalError: connection refused"))
    with pytest.raises(RuntimeError, match="connection refused"):
        parallel._drain(messages, totals, finished, block=True)
