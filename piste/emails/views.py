"""Placeholder views: replaced by the feature (issue 8)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def record_emails(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def compose(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
