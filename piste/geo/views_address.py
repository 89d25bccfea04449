"""The city autocomplete of address fields: JSON for ``static/piste/address.js``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from piste.core.access import actor_for
from piste.geo.address import city_suggestions


def actor_required_json(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-in user working in a company, else 403 in JSON (a script reads the answer: a
    redirect to the sign-in page would be HTML)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if actor_for(request.user) is None:
            return JsonResponse(
                {"results": [], "error": _("Sign in to search the cities.")}, status=403
            )
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@actor_required_json
def city_suggest(request: HttpRequest) -> JsonResponse:
    """``?q=75011`` or ``?q=Montreui``, optionally ``&country=FR``: ``{"results": [...]}``."""
    results = city_suggestions(request.GET.get("q", ""), country=request.GET.get("country"))
    return JsonResponse({"results": results})
