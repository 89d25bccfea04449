"""The partner and contact endpoints of the REST API (``/api/v1/partners``, ``/contacts``)."""

from __future__ import annotations

from ninja import Router

partners_router = Router(tags=["partners"])
contacts_router = Router(tags=["contacts"])
