"""« Comptes & contacts »: one search box over contacts, prospects and customers.

Typing asks for ``#suggestions`` (HTMX): the first matches of each kind, for the dropdown.
Enter opens the full result list (the same page without HTMX): each kind's first rows, and
``?kind=`` pages one kind with a keyset cursor (``?after=``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from piste.core.access import actor_for, company_required
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.core.text import is_id, search_text
from piste.core.views_choices import choices_response
from piste.partners import selectors
from piste.partners.selectors import (
    RESULTS_PAGE,
    SUGGESTIONS,
    Kind,
    accounts_search,
    parse_after,
    search_key,
)


@login_required
@company_required
@require_GET
def accounts(request: AuthedHttpRequest) -> HttpResponse:
    q = search_text(request.GET.get("q"))
    if request.htmx and request.htmx.target == "suggestions":
        groups = accounts_search(request.user, q, limit=SUGGESTIONS)
        return render(
            request,
            "partners/accounts.html#suggestions",
            {"q": q, "groups": groups, "key": search_key(q)},
        )
    kind = request.GET.get("kind")
    kinds = (kind,) if kind in Kind.ALL else Kind.ALL
    after = parse_after(request.GET.get("after")) if kind in Kind.ALL else None
    limit = RESULTS_PAGE if kind in Kind.ALL else SUGGESTIONS * 2
    groups = accounts_search(request.user, q, kinds=kinds, limit=limit, after=after)
    actor = actor_for(request.user)
    return render(
        request,
        "partners/accounts.html",
        {
            "q": q,
            "kind": kind if kind in Kind.ALL else "",
            "groups": groups,
            "key": search_key(q),
            "too_short": bool(q) and not search_key(q),
            "can_create": actor is not None and actor.has(Right.CREATE_RECORDS),
            "can_create_customers": actor is not None and actor.has(Right.CREATE_CUSTOMERS),
        },
    )


@login_required
@require_GET
def organisation_choices(request: AuthedHttpRequest) -> JsonResponse:
    """The parent-company picker's search (``?q=``; ``?exclude=`` the partner being edited;
    ``?all=1`` persons' partners too)."""
    exclude = request.GET.get("exclude", "")
    rows = selectors.organisation_choices(
        request.user,
        request.GET.get("q"),
        exclude=int(exclude) if is_id(exclude) else None,
        individuals=request.GET.get("all") == "1",
    )
    return choices_response((p.pk, str(p)) for p in rows)


@login_required
@require_GET
def contact_choices(request: AuthedHttpRequest) -> JsonResponse:
    """A contact picker's search (``?q=``): "Name (Company)"."""
    rows = selectors.contact_choices(request.user, request.GET.get("q"))
    return choices_response((c.pk, selectors.contact_label(c)) for c in rows)
