"""Warnings while typing (« Doublons possibles »): what the lead, partner and contact forms ask
for as the user types (static/piste/duplicate_warnings.js), answered as an HTML fragment the form
shows beside its fields. A warning never blocks saving."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from piste.core.access import company_required
from piste.core.http import AuthedHttpRequest
from piste.duplicates.models import Entity
from piste.duplicates.selectors_warnings import duplicate_warnings


@login_required
@company_required
@require_GET
def warnings_fragment(request: AuthedHttpRequest, entity: str) -> HttpResponse:
    """Every role reads the three tables (each record through its access filter), so the right
    to ask is being in a company; the form sends its fields by name and the edited record's id
    as ``exclude``."""
    if entity not in Entity.values:
        raise Http404
    found = duplicate_warnings(
        request.user, entity=entity, values=request.GET, exclude_id=request.GET.get("exclude")
    )
    return render(request, "duplicates/warnings.html#warnings", {"warnings": found})
