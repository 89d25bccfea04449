"""The answers ``static/piste/kanban.js`` expects from a board's move views (its header documents
the contract): JSON when the board asked for it, else a message and a redirect (a plain form)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect

from piste.core.http import AuthedHttpRequest


def wants_json(request: AuthedHttpRequest) -> bool:
    """The move came from kanban.js (``Accept: application/json``), not from a plain form."""
    return "application/json" in request.headers.get("Accept", "")


def move_refused(request: AuthedHttpRequest, message: str, status: int, back: str) -> HttpResponse:
    """A refused move: the card goes back with ``message``; without JavaScript, ``back``."""
    if wants_json(request):
        return JsonResponse({"ok": False, "error": message}, status=status)
    messages.error(request, message)
    return redirect(back)
