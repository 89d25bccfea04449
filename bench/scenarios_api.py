"""Benchmark scenarios of the REST API, as the bench user calls it with a personal token:
``SCENARIOS``, to append to ``bench.scenarios.SCENARIOS``.

- api_leads_list: ``GET /api/v1/leads?limit=50``, the first page of the company's leads (the
  issue: p95 under 50 ms with 1,000,000 leads);
- api_leads_list_deep: the page after a cursor 90 % down the list (keyset: the same cost);
- api_lead_read: one lead.

The token is the bench's own: made (or found again) the first time a URL is built, for the
bench user in the bench company; only its SHA-256 is stored, as for any token.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from bench.scenarios import Dataset, Scenario

TOKEN = "piste-bench-api-token-not-a-secret-0000000000"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}


@cache
def _token(d: Dataset) -> None:
    from piste.api.auth import token_digest
    from piste.api.models import ApiToken

    ApiToken.objects.update_or_create(
        digest=token_digest(TOKEN),
        defaults={
            "user": d.bench_user,
            "company_id": d.company_id,
            "name": "bench",
            "prefix": TOKEN[:8],
            "revoked_at": None,
            "expires_at": None,
        },
    )


def _with_token(url: Callable[[Dataset], str]) -> Callable[[Dataset], str]:
    def build(d: Dataset) -> str:
        _token(d)
        return url(d)

    return build


@cache
def _lead_ids(d: Dataset) -> tuple[int, int]:
    """(the newest lead's id, the id 90 % down the list in id order, newest first)."""
    from piste.leads.models import Lead

    leads = Lead.objects.filter(company_id=d.company_id).order_by("-id")
    newest = leads.values_list("pk", flat=True).first()
    if newest is None:
        raise LookupError("the bench company has no lead")
    deep = leads.values_list("pk", flat=True)[max(int(d.lead_count * 0.9) - 1, 0)]
    return newest, deep


def _deep(d: Dataset) -> str:
    from piste.api.pagination import cursor_encode

    return f"/api/v1/leads?limit=50&cursor={cursor_encode(_lead_ids(d)[1])}"


SCENARIOS = [
    Scenario(
        "api_leads_list",
        50,
        _with_token(lambda d: "/api/v1/leads?limit=50"),
        "REST API: first page of 50 leads, with a personal token",
        headers=HEADERS,
        expect=lambda d: '"next_cursor"',
    ),
    Scenario(
        "api_leads_list_deep",
        50,
        _with_token(_deep),
        "REST API: the page of 50 leads after a cursor 90 % down the list",
        headers=HEADERS,
        expect=lambda d: '"next_cursor"',
    ),
    Scenario(
        "api_lead_read",
        50,
        _with_token(lambda d: f"/api/v1/leads/{_lead_ids(d)[0]}"),
        "REST API: one lead",
        headers=HEADERS,
        expect=lambda d: f'"id": {_lead_ids(d)[0]}',
    ),
]
