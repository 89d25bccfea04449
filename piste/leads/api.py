"""The leads endpoints of the REST API (``/api/v1/leads``)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["leads"])
