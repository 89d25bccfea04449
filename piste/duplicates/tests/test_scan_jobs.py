"""Scans in the background: through the huey task (immediate mode, the consumer's code path),
progress as they read, done or failed with nothing half-written, and the scheduled scans."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from piste.duplicates import services_checks as services
from piste.duplicates import tasks
from piste.duplicates.models import DuplicateGroup, DuplicateScan
from piste.duplicates.tests.checks_support import (
    actor,
    groups_of,
    ids,
    immediate_huey,  # noqa: F401 (a fixture)
    leads_world,
)
from piste.users.models import CrmSettings, Membership

State = DuplicateScan.State
MONDAY, SUNDAY = date(2026, 3, 2), date(2026, 3, 8)


@pytest.fixture
def world(personas):
    return leads_world(personas)


@pytest.fixture
def background(monkeypatch):
    """Every check past two records runs in the background."""
    monkeypatch.setattr(services, "INLINE_MAX", 2)


def run(pk: int) -> DuplicateScan:
    scan = services.duplicate_scan_run(pk)
    assert scan is not None
    return scan


def start(user, **kwargs):
    kwargs.setdefault("entity", "lead")
    kwargs.setdefault("fields", ["name", "company"])
    return services.duplicate_scan_start(actor=actor(user), **kwargs)


@pytest.mark.usefixtures("immediate_huey")
def test_a_scan_runs_through_the_queue_and_ends_done(
    personas, world, background, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        scan = start(personas.administrator)
    assert len(callbacks) == 1  # enqueued once the check is saved
    scan.refresh_from_db()
    assert scan.state == State.DONE
    assert (scan.total, scan.processed, scan.percent) == (7, 7, 100)
    assert groups_of(scan)[0] == (
        "dupont jean · morel",
        ids(world["s1"], world["s2"], world["t1"], world["o1"]),
    )
    assert scan.created_by == personas.administrator and not scan.scheduled


@pytest.mark.usefixtures("immediate_huey")
def test_progress_is_written_while_the_scan_reads(
    personas, world, background, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "PROGRESS_EVERY", 3)
    seen: list[tuple[str, int, int]] = []
    real = services.group_rows

    def watching(rows, fields, *, progress, **kwargs):
        def told(count):
            progress(count)
            row = DuplicateScan.objects.values_list("state", "processed", "total").get()
            seen.append(row)

        return real(rows, fields, progress=told, **kwargs)

    monkeypatch.setattr(services, "group_rows", watching)
    with django_capture_on_commit_callbacks(execute=True):
        start(personas.administrator)
    assert seen == [("running", 3, 7), ("running", 6, 7), ("running", 7, 7)]
    assert DuplicateScan.objects.get().state == State.DONE


@pytest.mark.usefixtures("immediate_huey")
def test_a_failing_scan_says_why_and_keeps_no_group(
    personas, world, background, monkeypatch, django_capture_on_commit_callbacks
):
    manager = DuplicateGroup.objects
    real = manager.bulk_create

    def half_then_fail(objs, **kwargs):
        real(list(objs)[:1], **kwargs)  # a first batch is written...
        raise RuntimeError("disk full")  # ...then the database gives up

    monkeypatch.setattr(manager, "bulk_create", half_then_fail)
    with django_capture_on_commit_callbacks(execute=True):
        scan = start(personas.administrator)
    scan.refresh_from_db()
    assert scan.state == State.FAILED
    assert scan.error == "The check stopped on an error: disk full"
    assert scan.finished_at is not None
    assert not DuplicateGroup.objects.exists()
    assert scan.group_count == 0


def test_a_check_runs_once(personas, world, background):
    scan = start(personas.administrator, enqueue=False)
    assert run(scan.pk).state == State.DONE
    assert DuplicateGroup.objects.count() == 2
    # A second worker (or a retried task) finds it done and leaves it alone.
    assert run(scan.pk).state == State.DONE
    assert DuplicateGroup.objects.count() == 2
    assert services.duplicate_scan_run(987654) is None


def test_a_user_who_left_the_company_meanwhile_fails_the_check(personas, world, background):
    scan = start(personas.salesperson, enqueue=False)
    Membership.objects.filter(user=personas.salesperson).update(is_active=False)
    scan = run(scan.pk)
    assert scan.state == State.FAILED
    assert "no longer works in this company" in scan.error


def test_the_check_reads_its_company_whatever_company_the_user_opened_since(
    personas, world, background
):
    Membership.objects.create(user=personas.salesperson, company=personas.other_company,
                              role="salesperson")  # fmt: skip
    scan = start(personas.salesperson, enqueue=False)
    personas.salesperson.active_company = personas.other_company
    personas.salesperson.save(update_fields=["active_company"])
    scan = run(scan.pk)
    assert scan.state == State.DONE
    assert groups_of(scan)[0][1] == ids(world["s1"], world["s2"], world["t1"])


@pytest.mark.usefixtures("immediate_huey")
def test_the_task_runs_a_queued_check(personas, world, background):
    scan = start(personas.salesperson, enqueue=False)
    assert scan.state == State.QUEUED
    tasks.run_duplicate_scan(scan.pk, "fr")
    scan.refresh_from_db()
    assert scan.state == State.DONE


def test_a_check_of_fields_no_longer_offered_fails_with_a_message(personas, world, background):
    scan = start(personas.salesperson, enqueue=False)
    DuplicateScan.objects.filter(pk=scan.pk).update(fields=["gone"])
    scan = run(scan.pk)
    assert (scan.state, scan.error) == (
        State.FAILED,
        "This check compares fields no longer offered: start it again.",
    )


# Scheduled scans --------------------------------------------------------------------------------


def switch(company, frequency):
    CrmSettings.objects.filter(company=company).update(duplicate_scan=frequency)


@pytest.mark.usefixtures("immediate_huey")
def test_the_nightly_scan_starts_only_for_companies_that_switched_it_on(
    personas, world, django_capture_on_commit_callbacks
):
    switch(personas.company, "daily")
    with django_capture_on_commit_callbacks(execute=True):
        started = services.duplicate_scans_schedule(today=MONDAY)
    assert sorted(s.entity for s in started) == ["contact", "lead", "partner"]
    scans = DuplicateScan.objects.all()
    assert {s.company_id for s in scans} == {personas.company.pk}
    assert all(s.scheduled and s.created_by is None for s in scans)
    leads = scans.get(entity="lead")
    assert (leads.state, leads.fields) == (State.DONE, ["name", "company"])
    # Every lead of the company but the merged one, whoever owns it.
    assert groups_of(leads)[0][1] == ids(world["s1"], world["s2"], world["t1"], world["o1"])


def test_weekly_scans_start_on_sunday_only(personas, world):
    switch(personas.company, "weekly")
    assert services.duplicate_scans_schedule(today=MONDAY) == []
    assert len(services.duplicate_scans_schedule(today=SUNDAY)) == 3


def test_an_unfinished_scheduled_scan_is_not_doubled_and_old_ones_go(personas, world):
    switch(personas.company, "daily")
    first = services.duplicate_scans_schedule(today=MONDAY)
    assert {s.state for s in first} == {State.QUEUED}  # no consumer ran them
    assert services.duplicate_scans_schedule(today=MONDAY) == []
    DuplicateScan.objects.update(
        state=State.DONE, created_at=timezone.now() - services.SCHEDULED_KEEP - timedelta(days=1)
    )
    again = services.duplicate_scans_schedule(today=MONDAY)
    assert len(again) == 3
    assert set(DuplicateScan.objects.values_list("pk", flat=True)) == {s.pk for s in again}


@pytest.mark.usefixtures("immediate_huey")
def test_the_periodic_task_starts_the_scans(personas, world, monkeypatch):
    switch(personas.company, "daily")
    tasks.scheduled_duplicate_scans.call_local()
    assert DuplicateScan.objects.filter(scheduled=True).count() == 3
