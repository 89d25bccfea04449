"""A REST API client for tests: a personal token made for the persona, sent as
``Authorization: Bearer …`` (the way integrations call Piste)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.test import Client

from piste.api.auth import token_digest
from piste.api.models import ApiToken
from piste.users.models import User

BASE = "/api/v1"


class ApiClient:
    """Calls ``/api/v1/…`` with a fresh token of ``user`` in their active company."""

    def __init__(self, user: User) -> None:
        secret = secrets.token_urlsafe(32)
        assert user.active_company_id is not None
        ApiToken.objects.create(
            user=user,
            company_id=user.active_company_id,
            name="tests",
            prefix=secret[:8],
            digest=token_digest(secret),
        )
        self.client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Bearer {secret}")

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(BASE + path, params or {})

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(BASE + path, _json(body), content_type="application/json")

    def patch(self, path: str, body: Any = None) -> Any:
        return self.client.patch(BASE + path, _json(body), content_type="application/json")

    def delete(self, path: str) -> Any:
        return self.client.delete(BASE + path)

    def raw(self, method: str, path: str, data: bytes | str) -> Any:
        call = getattr(self.client, method)
        return call(BASE + path, data, content_type="application/json")


def _json(body: Any) -> str:
    return json.dumps({} if body is None else body)
