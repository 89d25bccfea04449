"""/healthz: what load balancers and monitors read."""

from __future__ import annotations

from django.test import Client
from huey.contrib.djhuey import HUEY

from piste.core.tasks import queue_heartbeat_record


def test_healthz_reports_database_and_queue_without_sign_in(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["queue"] == "ok"
    # No consumer ran in this test: informational, not an error.
    assert body["consumer_seen"] is None


def test_healthz_shows_when_a_consumer_was_last_seen(db):
    seen = queue_heartbeat_record()
    body = Client().get("/healthz").json()
    assert body["consumer_seen"] == seen
    assert body["status"] == "ok"


def test_healthz_is_503_when_the_queue_is_unreachable(db, monkeypatch):
    def unreachable() -> int:
        raise ConnectionError("job queue storage is down")

    monkeypatch.setattr(HUEY, "pending_count", unreachable)
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["queue"] == "error"
    assert body["database"] == "ok"


def test_healthz_is_never_cached(db):
    response = Client().get("/healthz")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
