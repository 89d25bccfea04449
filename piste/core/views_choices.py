"""What pickers ask while the user types: a referential too large for a select (tags), as JSON.

A picker is a ``<select data-choices-url>`` holding the chosen rows and a few more;
static/piste/choices.js adds a search box above it that replaces the unchosen options with the
rows this answers (``{"results": [{"id": 1, "text": "…"}]}``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from piste.core.access import in_company
from piste.core.http import AuthedHttpRequest
from piste.core.models import Tag
from piste.core.selectors import name_choices


def choices_response(rows: Iterable[tuple[int, str]]) -> JsonResponse:
    return JsonResponse({"results": [{"id": pk, "text": text} for pk, text in rows]})


@login_required
@require_GET
def tag_choices(request: AuthedHttpRequest) -> JsonResponse:
    tags = in_company(request.user, Tag.objects.only("id", "name", "name_key"))
    return choices_response((t.pk, t.name) for t in name_choices(tags, request.GET.get("q")))
