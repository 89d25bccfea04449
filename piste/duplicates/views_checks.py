"""« Vérifier doublons »: the field picker of a check (from a list's selection or the whole
list), the list of checks with the scan of the whole database, and a check's results.

A small check runs in the request and opens its results; a larger one and a scan run in the
background: their page shows a progress bar (polled every second) until the groups are there.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from piste.core.access import company_required, require_actor
from piste.core.forms import add_service_errors
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.duplicates import selectors_checks as selectors
from piste.duplicates import services_checks as services
from piste.duplicates.fields import DEFAULTS, FIELDS, field_labels
from piste.duplicates.forms_checks import CheckForm, ScanForm
from piste.duplicates.models import DuplicateScan, Entity
from piste.leads.selectors import ListKind

State = DuplicateScan.State
# Query string names of the check page itself; any other is the list's filter.
_OWN = ("ids", "field", "step")


def _entity(entity: str) -> str:
    if entity not in Entity.values:
        raise Http404(_("Duplicates are checked on leads, partners or contacts only."))
    return entity


def _list_query(query: QueryDict) -> str:
    rest = query.copy()
    for name in _OWN:
        rest.pop(name, None)
    return rest.urlencode()[: services.MAX_LIST_QUERY + 1]


def _from_list(entity: str, data: QueryDict) -> str:
    """The check page for what a list's bulk toolbar posted: its selected ids, or (all matching,
    or nothing selected) the list itself with its filters."""
    params = QueryDict(mutable=True)
    ids = data.getlist("ids")
    if ids and not data.get("all"):
        params.setlist("ids", ids[: services.MAX_SELECTION + 1])
    else:
        params = QueryDict(str(data.get("query", ""))[: services.MAX_LIST_QUERY], mutable=True)
        for name in _OWN:
            params.pop(name, None)
        kind = str(data.get("kind", ""))
        if kind in ListKind.ALL:
            params["kind"] = kind
    url = reverse("duplicates_checks:check", args=[entity])
    return f"{url}?{params.urlencode()}" if params else url


def _back_url(entity: str, ids: list[str], query: str) -> str:
    """The list the check was started from."""
    params = QueryDict(query)
    if entity == Entity.LEAD:
        kind = params.get("kind")
        rest = params.copy()
        rest.pop("kind", None)
        url = reverse(f"leads:{kind}") if kind in ListKind.ALL else reverse("leads:open")
        return f"{url}?{rest.urlencode()}" if rest and not ids else url
    q = params.get("q", "")
    url = reverse("partners:accounts")
    return f"{url}?{QueryDict.fromkeys(['q'], q).urlencode()}" if q and not ids else url


def _done_message(request: AuthedHttpRequest, scan: DuplicateScan) -> None:
    if scan.state == State.FAILED:
        messages.error(request, scan.error)
    elif scan.state == State.DONE:
        messages.success(
            request,
            ngettext(
                "%(count)d group of duplicates found.",
                "%(count)d groups of duplicates found.",
                scan.group_count,
            )
            % {"count": scan.group_count}
            if scan.group_count
            else _("No duplicates found."),
        )


@login_required
@company_required
@require_http_methods(["GET", "POST"])
def check(request: AuthedHttpRequest, entity: str) -> HttpResponse:
    """The field picker. ``?ids=`` a selection, or the list's own query string (``?kind=open&
    q=...`` for leads, ``?q=&kind=`` for the accounts page); a list's bulk toolbar posts its
    form here (no ``step``) and is sent on to the picker of its selection."""
    actor = require_actor(request.user)
    entity = _entity(entity)
    if request.method == "POST" and "step" not in request.POST:
        return redirect(_from_list(entity, request.POST))
    data = request.POST if request.method == "POST" else request.GET
    ids = data.getlist("ids")
    query = data.get("query", "") if request.method == "POST" else _list_query(request.GET)
    form = CheckForm(
        request.POST if request.method == "POST" else None,
        entity=entity,
        initial={"field": list(DEFAULTS[entity])},
    )
    if request.method == "POST" and form.is_valid():
        try:
            scan = services.duplicate_scan_start(
                actor=actor,
                entity=entity,
                fields=form.cleaned_data["field"],
                record_ids=ids or None,
                list_query=query,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _done_message(request, scan)
            return redirect("duplicates_checks:scan", scan.pk)
    scope, scope_errors = None, []
    try:
        scope = services.check_scope(
            actor=actor, entity=entity, record_ids=ids or None, list_query=query
        )
    except ValidationError as exc:
        scope_errors = exc.messages
    context = {
        "entity": entity,
        "entity_label": Entity(entity).label,
        "form": form,
        "scope": scope,
        "scope_errors": scope_errors,
        "ids": ids[: services.MAX_SELECTION + 1],
        "query": query,
        "inline_max": services.INLINE_MAX,
        "back_url": _back_url(entity, ids, query),
    }
    return render(request, "duplicates/check.html", context, status=400 if scope_errors else 200)


def _scan_choices() -> list[dict[str, Any]]:
    """The scan forms: one per kind of record, its fields ticked as the defaults."""
    return [
        {
            "entity": entity,
            "label": label,
            "fields": [
                (f.key, f.label, f.key in DEFAULTS[entity]) for f in FIELDS[entity].values()
            ],
        }
        for entity, label in Entity.choices
    ]


@login_required
@company_required
@require_GET
def scans(request: AuthedHttpRequest) -> HttpResponse:
    """The company's checks (those the user sees), newest first, and the scan forms."""
    actor = require_actor(request.user)
    page = selectors.scans_page(request.user, request.GET.get("cursor"))
    rows = [(scan, field_labels(scan.entity, scan.fields)) for scan in page.rows]
    context = {
        "page": page,
        "rows": rows,
        "polling": selectors.has_running(page),
        "can_scan": actor.has(selectors.SCAN_RIGHT),
    }
    if request.htmx and request.htmx.target == "scan-rows":
        return render(request, "duplicates/scans.html#rows", context)
    context["scan_choices"] = _scan_choices() if context["can_scan"] else []
    return render(request, "duplicates/scans.html", context)


@login_required
@company_required
@require_POST
def scan_start(request: AuthedHttpRequest) -> HttpResponse:
    """Scan every record of one kind the user sees, in the background."""
    actor = require_actor(request.user)
    if not actor.has(selectors.SCAN_RIGHT):
        raise PermissionDenied(selectors.SCAN_RIGHT.label)
    form = ScanForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("duplicates_checks:scans")
    try:
        scan = services.duplicate_scan_start(
            actor=actor, entity=form.cleaned_data["entity"], fields=form.cleaned_data["field"]
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("duplicates_checks:scans")
    _done_message(request, scan)
    return redirect("duplicates_checks:scan", scan.pk)


@login_required
@company_required
@require_GET
def scan_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A check's results: the progress bar while it runs (``#scan-progress`` polls; once the
    check ends the page reloads), then its groups, largest first (``#groups`` pages)."""
    actor = require_actor(request.user)
    scan = selectors.scan_get_for_user(request.user, pk)
    running = scan.state in (State.QUEUED, State.RUNNING)
    target = request.htmx.target if request.htmx else None
    context: dict[str, Any] = {
        "scan": scan,
        "running": running,
        "field_labels": field_labels(scan.entity, scan.fields),
    }
    if target == "scan-progress":
        if not running:
            return HttpResponseClientRefresh()
        return render(request, "duplicates/scan.html#progress", context)
    if scan.state == State.DONE:
        page = selectors.groups_page(user=request.user, scan=scan, cursor=request.GET.get("cursor"))
        if page.now_merged or page.now_unmerged:
            services.duplicate_groups_mark(merged=page.now_merged, unmerged=page.now_unmerged)
        context.update(
            page=page,
            # The merge page's own rule (services_merge.require_merge): merging archives.
            can_merge=actor.has(Right.CHANGE_RECORDS) and actor.has(Right.DELETE_RECORDS),
            merge_at_once=selectors.MERGE_AT_ONCE,
            kept=min(scan.group_count, services.MAX_GROUPS),
            capped=scan.group_count > services.MAX_GROUPS,
        )
        if target == "groups":
            return render(request, "duplicates/scan.html#groups", context)
    return render(request, "duplicates/scan.html", context)
