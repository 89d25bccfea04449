"""The job queue end to end: enqueue, a real consumer takes the job, the result comes back.

Both storages Piste uses: Redis (production, REDIS_URL) and SQLite (embedded mode). Each test
builds its own huey instance, so nothing touches the application's queue.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import redis
from django.core.cache import cache
from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from piste.core import tasks
from piste.core.tasks import QUEUE_HEARTBEAT_KEY, queue_heartbeat_record

# A database of its own, away from the application's keys.
REDIS_TEST_URL = os.environ.get("PISTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _consume(huey: Huey) -> Iterator[Consumer]:
    consumer = huey.create_consumer(workers=1, worker_type="thread", periodic=False)
    # The consumer's signal handlers belong to a consumer process, not to the test runner.
    consumer._set_signal_handlers = lambda: None
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)


def _round_trip(huey: Huey) -> None:
    # The same function the application's tasks call.
    heartbeat = huey.task()(queue_heartbeat_record)
    result = heartbeat()
    assert huey.pending_count() == 1  # enqueued, not run in process
    assert cache.get(QUEUE_HEARTBEAT_KEY) is None

    for _ in _consume(huey):
        seen = result.get(blocking=True, timeout=10)

    assert seen == cache.get(QUEUE_HEARTBEAT_KEY)
    assert tasks.queue_heartbeat_last() == seen
    assert huey.pending_count() == 0


@pytest.fixture
def redis_huey() -> Iterator[RedisHuey]:
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"Redis is unreachable at {REDIS_TEST_URL} ({exc})")
    name = f"piste-test-{uuid.uuid4().hex}"
    huey = RedisHuey(name=name, url=REDIS_TEST_URL, immediate=False)
    try:
        yield huey
    finally:
        huey.storage.flush_all()
        leftovers = list(client.scan_iter(match=f"*{name}*"))
        if leftovers:
            client.delete(*leftovers)
        assert not list(client.scan_iter(match=f"*{name}*"))
        client.close()


def test_redis_queue_runs_a_job_through_a_real_consumer(redis_huey):
    _round_trip(redis_huey)


def test_sqlite_queue_runs_a_job_through_a_real_consumer(tmp_path):
    huey = SqliteHuey(name="piste-test", filename=str(tmp_path / "jobs.sqlite3"), immediate=False)
    _round_trip(huey)


def test_heartbeat_is_registered_and_due_every_minute():
    from huey.contrib.djhuey import HUEY

    assert any(name.endswith("record_heartbeat") for name in HUEY._registry._registry)
    periodic = {task.name: task for task in HUEY._registry.periodic_tasks}
    heartbeat = periodic["heartbeat_every_minute"]
    start = datetime(2026, 3, 2, 9, 0)
    assert all(heartbeat.validate_datetime(start + timedelta(minutes=m)) for m in range(61))


def test_record_heartbeat_task_body_writes_the_heartbeat():
    seen = tasks.record_heartbeat.call_local()
    assert cache.get(QUEUE_HEARTBEAT_KEY) == seen
