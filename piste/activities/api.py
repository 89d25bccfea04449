"""The event endpoints of the REST API (``/api/v1/events``)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["events"])
