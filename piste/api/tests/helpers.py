"""API test helpers: a token for a persona, and a client sending it."""

from __future__ import annotations

from typing import Any

from django.test import Client

from piste.api.services import api_token_create
from piste.core.access import actor_for, forget_actor
from piste.users.models import User


def token_for(user: User, **extra: Any) -> str:
    forget_actor(user)
    actor = actor_for(user)
    assert actor is not None
    _token, secret = api_token_create(actor=actor, name="tests", **extra)
    return secret


class ApiClient:
    """A Django test client speaking JSON with ``Authorization: Bearer <token>``."""

    def __init__(self, secret: str | None) -> None:
        headers = {"Accept-Language": "en"}
        if secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        self.client = Client(headers=headers)

    def get(self, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.client.get(f"/api/v1{path}", data or {})

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(f"/api/v1{path}", body or {}, content_type="application/json")

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(f"/api/v1{path}", body, content_type="application/json")

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/v1{path}")

    def raw(self, method: str, path: str, data: bytes, content_type: str) -> Any:
        return self.client.generic(method, f"/api/v1{path}", data, content_type=content_type)


def api_as(user: User) -> ApiClient:
    return ApiClient(token_for(user))
