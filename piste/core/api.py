"""Statuses and referentials in the REST API (``/api/v1/statuses/…``, ``/referentials/…``)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["referentials"])
