"""Merge speed: merging a partner that has 10,000 related records into another, and undoing it.

In the bench company ("Bench SA", as its administrator ``bench``) the bench creates two partners,
gives the one to be merged ``BENCH_MERGE_RELATED`` timeline activities (10,000 by default) and
``BENCH_MERGE_OPPORTUNITIES`` opportunities (100), inserted in batches; then, ``BENCH_MERGE_ROUNDS``
times (3), times ``records_merge`` (everything moves to the survivor in one transaction) and
``merge_undo`` (everything moves back). The target: a merge under 2 s. Everything the bench
created is deleted afterwards, whatever happens; the rest of the database is left alone.

Standalone: ``DATABASE_URL=postgres://… uv run python bench/merge_speed.py`` on a database where
``manage.py generate_dataset`` made the bench company (any size: the merge's cost depends on
the related rows, read through their indexes). The result entry, for latest.json, is named
``merge_10000_related``: the merge's p50/p95/p99 in ms over the rounds (``n``) against
``target_p95_ms``, and the undo's in ``undo_p95_ms``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NAME = "merge_10000_related"
TARGET_MS = 2000.0
PREFIX = "Bench merge"


def _actor() -> Any:
    from bench.run import COMPANY, USERNAME
    from piste.core.access import actor_for
    from piste.core.text import fold
    from piste.users.models import Company, User

    company = Company.objects.get(name_key=fold(COMPANY))
    user = User.objects.get(username=USERNAME)
    actor = actor_for(user)
    if actor is None or actor.company.pk != company.pk:
        raise RuntimeError(f"{USERNAME} does not work in {COMPANY}: run generate_dataset first")
    return actor


def _setup(actor: Any, related: int, opportunities: int) -> tuple[Any, Any, list[int]]:
    """The two partners, the merged one's activities and opportunities (batched INSERTs)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.db.models import Max

    from piste.core.models import Activity
    from piste.core.statuses import status_by_role
    from piste.core.text import fold
    from piste.opportunities.models import Opportunity, OpportunityStage
    from piste.opportunities.statuses import OPPORTUNITY_STAGES
    from piste.partners import services as partner_services

    with transaction.atomic():
        survivor = partner_services.partner_create(
            actor=actor, data={"name": f"{PREFIX} A", "email": "a@bench-merge.test"}
        )
        merged = partner_services.partner_create(
            actor=actor, data={"name": f"{PREFIX} B", "email": "b@bench-merge.test"}
        )
        partner_type = ContentType.objects.get_for_model(type(merged))
        Activity.objects.bulk_create(
            (
                Activity(
                    company_id=actor.company.pk,
                    content_type=partner_type,
                    object_id=merged.pk,
                    verb=Activity.Verb.NOTE,
                    data={"message": f"Bench call {n}"},
                )
                for n in range(related)
            ),
            batch_size=2000,
        )
        stage = status_by_role(OPPORTUNITY_STAGES, actor.company.pk, OpportunityStage.Role.DEFAULT)
        last = Opportunity.objects.filter(company_id=actor.company.pk).aggregate(m=Max("number"))
        first = (last["m"] or 0) + 1
        # Straight inserts: the kanban's running totals (StageTotal) never hear of them, and the
        # cleanup deletes them the same way, so the totals stay right.
        created = Opportunity.objects.bulk_create(
            [
                Opportunity(
                    company_id=actor.company.pk,
                    number=first + n,
                    name=f"{PREFIX} {n}",
                    name_key=fold(f"{PREFIX} {n}"),
                    partner=merged,
                    stage=stage,
                    created_by=actor.user,
                )
                for n in range(opportunities)
            ],
            batch_size=1000,
        )
    return survivor, merged, [o.pk for o in created]


def _cleanup(partner_ids: list[int], opportunity_ids: list[int]) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from piste.core.models import Activity
    from piste.duplicates.models import MergeLog
    from piste.opportunities.models import Opportunity
    from piste.partners.models import Partner

    with transaction.atomic():
        Opportunity.objects.filter(pk__in=opportunity_ids).delete()
        # The timeline is append-only for the application; the bench removes its own lines.
        Activity._base_manager.filter(
            content_type=ContentType.objects.get_for_model(Partner), object_id__in=partner_ids
        )._raw_delete(connection.alias)
        MergeLog.objects.filter(entity="partner", survivor_id__in=partner_ids).delete()
        Partner._base_manager.filter(pk__in=partner_ids).update(merged_into=None)
        Partner._base_manager.filter(pk__in=partner_ids).delete()


def measure() -> dict[str, Any]:
    """Create, merge and undo ``BENCH_MERGE_ROUNDS`` times, clean up; the latest.json entry."""
    from bench.run import percentile
    from piste.duplicates.services_merge import merge_undo, records_merge

    related = int(os.environ.get("BENCH_MERGE_RELATED", "10000"))
    opportunities = int(os.environ.get("BENCH_MERGE_OPPORTUNITIES", "100"))
    rounds = int(os.environ.get("BENCH_MERGE_ROUNDS", "3"))
    actor = _actor()
    merges: list[float] = []
    undos: list[float] = []
    moved = 0
    t0 = time.perf_counter()
    survivor, merged, opportunity_ids = _setup(actor, related, opportunities)
    print(
        f"merge: {related:,} activities and {opportunities:,} opportunities created in "
        f"{time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    try:
        for _round in range(rounds):
            started = time.perf_counter()
            log = records_merge(
                actor=actor, entity="partner", survivor=survivor, others=[merged], choices={}
            )
            merges.append((time.perf_counter() - started) * 1000)
            moved = log.moved_count
            started = time.perf_counter()
            merge_undo(actor=actor, log=log)
            undos.append((time.perf_counter() - started) * 1000)
            print(
                f"merge: {moved:,} related rows moved in {merges[-1]:.0f} ms, "
                f"back in {undos[-1]:.0f} ms",
                flush=True,
            )
    finally:
        _cleanup([survivor.pk, merged.pk], opportunity_ids)
    return {
        "p50_ms": round(percentile(merges, 50), 1),
        "p95_ms": round(percentile(merges, 95), 1),
        "p99_ms": round(percentile(merges, 99), 1),
        "n": len(merges),
        "target_p95_ms": TARGET_MS,
        "related_rows": moved,
        "undo_p50_ms": round(percentile(undos, 50), 1),
        "undo_p95_ms": round(percentile(undos, 95), 1),
    }


def meets_target(result: dict[str, Any]) -> bool:
    """The merge's p95 against its target (True for entries that are not this bench's)."""
    if "related_rows" not in result:
        return True
    return result["p95_ms"] <= result["target_p95_ms"]


def print_summary(results: dict[str, dict[str, Any]]) -> None:
    result = results.get(NAME)
    if result:
        verdict = "PASS" if meets_target(result) else "FAIL"
        print(
            f"{NAME}: merge of {result['related_rows']:,} related rows p95 "
            f"{result['p95_ms']:,.0f} ms (target {result['target_p95_ms']:,.0f}), "
            f"undo p95 {result['undo_p95_ms']:,.0f} ms  {verdict}"
        )


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        print("Note: the target holds on PostgreSQL; this run uses SQLite.", file=sys.stderr)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    result = measure()
    print_summary({NAME: result})
    return 0 if meets_target(result) else 1


if __name__ == "__main__":
    sys.exit(main())
