"""Writes of duplicate checks: start a check or a scan, run it (the job's body), mark groups
merged, start the scheduled scans.

A check of a few records (a selection, or a list of at most ``INLINE_MAX`` records) runs in the
request; a larger one and a scan of the whole database run as a background job (huey) that
writes its progress as it reads, then every group at once with the final state: a failed run
leaves no group behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from piste.core.access import Actor, actor_for, forget_actor
from piste.core.text import is_id
from piste.duplicates.fields import DEFAULTS, FIELDS, entity_clean, fields_clean
from piste.duplicates.grouping import columns_of, group_rows
from piste.duplicates.models import DuplicateGroup, DuplicateScan, Entity
from piste.duplicates.selectors_checks import records_for_check
from piste.users.models import CrmSettings, User
from piste.users.selectors import crm_settings_of

logger = logging.getLogger(__name__)
State = DuplicateScan.State

# Checks of at most this many records run in the request (a second at most); larger ones in
# the background with a progress bar.
INLINE_MAX = 5_000
# Ids of a selection: the lists select a page at a time, this is far more than any selection.
MAX_SELECTION = 10_000
MAX_LIST_QUERY = 4_000
# Groups kept per check, largest first: more than anyone merges by hand; the check says how
# many it found in all.
MAX_GROUPS = 50_000
PROGRESS_EVERY = 20_000
CHUNK = 5_000
STORED_KEY = 1_000
# Scheduled scans are kept this long: the newest answers, the older ones show the trend.
SCHEDULED_KEEP = timedelta(days=14)
# A scheduled scan still queued or running after this long is taken for dead, not waited for.
UNFINISHED = timedelta(hours=20)


def _ids_clean(record_ids: Iterable[object]) -> list[int]:
    """The selection's ids, in order, once each."""
    ids: dict[int, None] = {}
    for value in record_ids:
        if not is_id(value) or int(str(value)) == 0:
            raise ValidationError(_("The selection holds an invalid record id."), code="ids")
        ids[int(str(value))] = None
        if len(ids) > MAX_SELECTION:
            raise ValidationError(
                _("At most %(max)s records can be checked as a selection: check the whole list.")
                % {"max": f"{MAX_SELECTION:,}"},
                code="too_many",
            )
    if len(ids) < 2:
        raise ValidationError(_("Select at least two records to compare."), code="too_few")
    return list(ids)


@dataclass(frozen=True)
class Scope:
    """What a check would read: the selection's ids (all visible) or the list's query, and how
    many records (counted up to ``INLINE_MAX`` + 1: past that it runs in the background)."""

    ids: list[int]
    list_query: str
    size: int

    @property
    def background(self) -> bool:
        return self.size > INLINE_MAX


def check_scope(
    *,
    actor: Actor | None,
    entity: str,
    record_ids: Iterable[object] | None = None,
    list_query: str = "",
    company_id: int | None = None,
) -> Scope:
    """Validate what a check reads (refused with a message: bad or unseen ids, too many, a
    query too long); a scheduled scan passes no actor and its ``company_id``."""
    entity = entity_clean(entity)
    company_id = actor.company.pk if actor is not None else company_id
    if company_id is None:
        raise ValidationError(_("A check is started by a user or by the schedule."))
    ids = _ids_clean(record_ids) if record_ids else []
    list_query = "" if ids else list_query
    if len(list_query) > MAX_LIST_QUERY or "\x00" in list_query:
        raise ValidationError(_("The list's filters are too long to check."), code="query")
    records = records_for_check(
        entity=entity,
        user=actor.user if actor is not None else None,
        company_id=company_id,
        record_ids=ids or None,
        list_query=list_query,
    )
    if not ids:
        size = records.order_by()[: INLINE_MAX + 1].count()
        return Scope(ids=[], list_query=list_query, size=size)
    missing = len(set(ids) - set(records.values_list("pk", flat=True)))
    if missing:
        raise ValidationError(
            ngettext(
                "%(count)d selected record cannot be checked: it does not exist, was merged or "
                "is not one you see.",
                "%(count)d selected records cannot be checked: they do not exist, were merged or "
                "are not ones you see.",
                missing,
            )
            % {"count": missing},
            code="ids",
        )
    return Scope(ids=ids, list_query="", size=len(ids))


@transaction.atomic
def _scan_create(
    *,
    actor: Actor | None,
    company_id: int | None,
    entity: str,
    fields: Iterable[object],
    record_ids: Iterable[object] | None,
    list_query: str,
    scheduled: bool,
    enqueue: bool,
) -> tuple[DuplicateScan, bool]:
    """Validate and save the check; (the check, whether it runs in the background)."""
    entity = entity_clean(entity)
    chosen = fields_clean(entity, list(fields))
    if actor is None and not scheduled:
        raise ValidationError(_("A check is started by a user or by the schedule."))
    scope = check_scope(
        actor=actor,
        entity=entity,
        record_ids=record_ids,
        list_query=list_query,
        company_id=company_id,
    )
    background = scheduled or scope.background
    owner = actor.company.pk if actor is not None else company_id
    assert owner is not None  # check_scope refused a check of no company
    scan = DuplicateScan.objects.create(
        company_id=owner,
        entity=entity,
        fields=chosen,
        record_ids=scope.ids,
        list_query=scope.list_query,
        scheduled=scheduled,
        created_by=actor.user if actor is not None else None,
    )
    if background and enqueue:
        from piste.duplicates.tasks import run_duplicate_scan

        language = translation.get_language() or ""
        transaction.on_commit(lambda: run_duplicate_scan(scan.pk, language))
    return scan, background


def duplicate_scan_start(
    *,
    actor: Actor | None,
    entity: str,
    fields: Iterable[object],
    record_ids: Iterable[object] | None = None,
    list_query: str = "",
    scheduled: bool = False,
    company_id: int | None = None,
    enqueue: bool = True,
) -> DuplicateScan:
    """Start a duplicate check of ``entity`` on ``fields``: of the selected ``record_ids``, or
    of the list ``list_query`` (its query string), or of every record the actor sees. A small
    check has run when this returns; a larger one is queued (``enqueue=False``: left queued, for
    whoever calls ``duplicate_scan_run``). The scheduled scan has no actor: ``company_id`` names
    the company, whose records it reads all.

    Not one transaction: the check is saved first (atomic); an inline run then writes its
    result, or its failure, as the background job does.
    """
    scan, background = _scan_create(
        actor=actor,
        company_id=company_id,
        entity=entity,
        fields=fields,
        record_ids=record_ids,
        list_query=list_query,
        scheduled=scheduled,
        enqueue=enqueue,
    )
    if background:
        return scan
    return duplicate_scan_run(scan.pk, user=actor.user if actor else None) or scan


def _scan_user(scan: DuplicateScan, user: User | None) -> User | None:
    """Whose records the check reads: who started it, working in the check's company whatever
    company they switched to since; None for the scheduled scan (every record)."""
    if scan.scheduled:
        return None
    user = user or scan.created_by
    if user is None:
        raise ValidationError(_("The user who started this check no longer exists."))
    if user.active_company_id != scan.company_id:
        user.active_company_id = scan.company_id  # in memory only: never saved
        forget_actor(user)
    actor = actor_for(user)
    if actor is None or actor.company.pk != scan.company_id:
        raise ValidationError(_("The user who started this check no longer works in this company."))
    return user


def duplicate_scan_run(scan_id: int, *, user: User | None = None) -> DuplicateScan | None:
    """The job: read the records, group them, save the groups and the final state at once.

    A check runs once: one no longer queued (run meanwhile, or by a second worker) is left
    alone. Progress (``processed`` of ``total``) is written every ``PROGRESS_EVERY`` records.
    Any error ends the check failed, with its message, and without any group.
    """
    taken = DuplicateScan.objects.filter(pk=scan_id, state=State.QUEUED).update(
        state=State.RUNNING, processed=0, error=""
    )
    scan = DuplicateScan.objects.select_related("created_by").filter(pk=scan_id).first()
    if not taken or scan is None:
        return scan
    try:
        _run(scan, user)
    except ValidationError as exc:
        _fail(scan, " ".join(exc.messages))
    except Exception as exc:  # a job must end, and say why
        logger.exception("Duplicate check %s failed", scan_id)
        _fail(
            scan,
            _("The check stopped on an error: %(error)s")
            % {"error": str(exc) or type(exc).__name__},
        )
    scan.refresh_from_db()
    return scan


def _fail(scan: DuplicateScan, message: str) -> None:
    DuplicateScan.objects.filter(pk=scan.pk).update(
        state=State.FAILED, error=message[:2000], finished_at=timezone.now()
    )


def _run(scan: DuplicateScan, user: User | None) -> None:
    known = FIELDS[scan.entity]
    missing = [key for key in scan.fields if key not in known]
    if missing or not scan.fields:
        raise ValidationError(_("This check compares fields no longer offered: start it again."))
    fields = [known[key] for key in scan.fields]
    reader = _scan_user(scan, user)
    records = records_for_check(
        entity=scan.entity,
        user=reader,
        company_id=scan.company_id,
        record_ids=scan.record_ids or None,
        list_query=scan.list_query,
    ).order_by()
    total = records.count()
    DuplicateScan.objects.filter(pk=scan.pk).update(total=total)
    read = [0]

    def progress(count: int) -> None:
        read[0] = count
        DuplicateScan.objects.filter(pk=scan.pk).update(processed=count)

    rows = records.values_list("id", *columns_of(fields)).iterator(chunk_size=CHUNK)
    ignored = crm_settings_of(scan.company).ignored_email_domains.split()
    groups = group_rows(
        rows, fields, ignored_domains=ignored, progress=progress, every=PROGRESS_EVERY
    )
    duplicates = len({pk for g in groups for pk in g.ids})
    with transaction.atomic():
        DuplicateGroup.objects.bulk_create(
            (
                DuplicateGroup(scan=scan, key=g.key[:STORED_KEY], size=g.size, record_ids=g.ids)
                for g in groups[:MAX_GROUPS]
            ),
            batch_size=2_000,
        )
        DuplicateScan.objects.filter(pk=scan.pk).update(
            state=State.DONE,
            processed=read[0],
            total=max(total, read[0]),
            group_count=len(groups),
            record_count=duplicates,
            finished_at=timezone.now(),
        )


@transaction.atomic
def duplicate_groups_mark(*, merged: list[int], unmerged: list[int]) -> None:
    """Record what a results page found: groups whose records were merged (fewer than two are
    left), or whose merge was undone. Ids come from the page's own groups."""
    if merged:
        DuplicateGroup.objects.filter(pk__in=merged).update(merged=True)
    if unmerged:
        DuplicateGroup.objects.filter(pk__in=unmerged).update(merged=False)


def duplicate_scans_schedule(*, today: date) -> list[DuplicateScan]:
    """The nightly job: a scan of each kind of record, with the default fields, for every company
    whose CRM settings ask for one tonight (daily, or weekly and today is Sunday). A company's
    scan still unfinished from the night before is not doubled; scans older than
    ``SCHEDULED_KEEP`` go."""
    frequencies = ["daily", "weekly"] if today.weekday() == 6 else ["daily"]
    now = timezone.now()
    started: list[DuplicateScan] = []
    companies = CrmSettings.objects.filter(duplicate_scan__in=frequencies).values_list(
        "company_id", flat=True
    )
    for company_id in companies:
        scheduled = DuplicateScan.objects.filter(company_id=company_id, scheduled=True)
        scheduled.filter(created_at__lt=now - SCHEDULED_KEEP).delete()
        busy = set(
            scheduled.filter(
                state__in=[State.QUEUED, State.RUNNING], created_at__gte=now - UNFINISHED
            ).values_list("entity", flat=True)
        )
        for entity in Entity.values:
            if entity in busy:
                continue
            started.append(
                duplicate_scan_start(
                    actor=None,
                    company_id=company_id,
                    entity=entity,
                    fields=DEFAULTS[entity],
                    scheduled=True,
                )
            )
    return started
