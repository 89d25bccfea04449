"""From timeline lines to webhook deliveries (filled in by the webhooks work)."""

from __future__ import annotations

from typing import Any

from django.db import models


def activity_recorded(
    company_id: int | None,
    model: type[models.Model],
    verb: str,
    items: list[tuple[int, dict[str, Any]]],
) -> None:
    """Called inside the writing transaction for every new timeline line (or batch of lines)."""
    return None
