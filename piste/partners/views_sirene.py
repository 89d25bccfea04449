"""The SIRENE lookup button of the partner form (``hx-post`` with the form's fields).

The answer is the preview region of ``partners/sirene_preview.html``: each field of the form the
directory's details would change (current value, new value) and an Apply button that
``static/piste/sirene.js`` uses to fill the form, or the message saying why nothing was found.
Nothing is saved: the user still saves the form. Without HTMX the same view answers a page.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from piste.core.access import company_required, require_actor
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.partners import identifiers
from piste.partners.sirene import SireneError, sirene_lookup, sirene_preview
from piste.users import throttle

TEMPLATE = "partners/sirene_preview.html"
# Per user; INSEE allows an application 30 lookups a minute for all its users together.
LOOKUP_LIMIT = 10
LOOKUP_WINDOW_SECONDS = 60


@login_required
@company_required
@require_POST
def lookup(request: AuthedHttpRequest) -> HttpResponse:
    """POST the partner form: ``siret`` (looked up when given), else ``siren``."""
    actor = require_actor(request.user)
    # The lookup only serves the partner form: who may neither create nor change records
    # has no use for it (and would spend the company's INSEE quota).
    if not (actor.has(Right.CREATE_RECORDS) or actor.has(Right.CHANGE_RECORDS)):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    template = f"{TEMPLATE}#preview" if request.htmx else TEMPLATE
    if not throttle.allow(
        request,
        "sirene-lookup",
        str(actor.user.pk),
        limit=LOOKUP_LIMIT,
        window=LOOKUP_WINDOW_SECONDS,
    ):
        context: dict[str, Any] = {
            "error": _("Too many SIRENE lookups in a short time: wait a minute and try again."),
            "kind": "throttled",
        }
        # htmx shows only 2xx answers: the message must reach the preview region.
        return render(request, template, context, status=200 if request.htmx else 429)
    siret = request.POST.get("siret", "")
    number = siret if identifiers.normalise_siret(siret) else request.POST.get("siren", "")
    try:
        result = sirene_lookup(number)
    except SireneError as exc:
        return render(request, template, {"error": exc.message, "kind": exc.kind})
    preview = sirene_preview(request.POST, result)
    context = {
        "result": result,
        "changes": preview.changes,
        "values_json": json.dumps(preview.values),
        "department": preview.department,
    }
    return render(request, template, context)
