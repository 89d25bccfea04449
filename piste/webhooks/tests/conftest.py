"""Fixtures of the webhook tests: a real HTTP receiver on loopback (http.server in a thread),
the job queue run in this process, and loopback URLs allowed by the SSRF guard."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from piste.core.access import actor_for
from piste.core.testing import Personas, free_port
from piste.webhooks import services
from piste.webhooks.models import WebhookSubscription


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the loopback receiver got, and the statuses it answers with, in turn (then 200)."""

    port: int
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/piste"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's hook
            length = int(self.headers.get("Content-Length") or 0)
            state.requests.append(
                Received(self.path, dict(self.headers.items()), self.rfile.read(length))
            )
            status = state.statuses.pop(0) if state.statuses else 200
            answer = f"answer {status} ".encode() * 400  # 4 KB+: only 2 KB are kept
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def allow_loopback(settings) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def immediate_huey() -> Iterator[Any]:
    """Queued tasks run at once, in this process; scheduled attempts wait in memory."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    HUEY.flush()
    try:
        yield HUEY
    finally:
        HUEY.flush()
        HUEY.immediate = previous


def run_scheduled(huey: Any, limit: int = 1) -> int:
    """Run up to ``limit`` attempts waiting in the schedule, as the consumer would when due."""
    ran = 0
    while ran < limit:
        later = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(
            days=1
        )
        due = huey.read_schedule(later)
        if not due:
            break
        for task in due:
            task.eta = None
            huey.execute(task)
            ran += 1
    return ran


def subscribe(personas: Personas, url: str, events: list[str], **data: Any) -> WebhookSubscription:
    actor = actor_for(personas.administrator)
    assert actor is not None
    return services.subscription_save(
        actor=actor, data={"name": "CRM miroir", "url": url, "events": events, **data}
    )
