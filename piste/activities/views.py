"""Placeholder views: replaced by the feature (issue 8)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def event_detail(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def record_events(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def record_event_new(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
