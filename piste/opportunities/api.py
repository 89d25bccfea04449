"""The opportunity endpoints of the REST API (``/api/v1/opportunities``)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["opportunities"])
