"""Merge pages: the comparison table of the records to merge (/duplicates/merge/<entity>/), the
merge history (/duplicates/merges/) and Undo; and the redirect of a merged record's page to
its survivor (``merged_or_404``, called by the record pages on their 404 path).

Merging and undoing need the rights to change and to delete records (there is no merge right:
see ``services_merge.may_merge``); a missing right is a 403, records that are not visible are
reported without saying whether they exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.core.access import Actor, require_actor
from piste.core.forms import posted
from piste.core.http import AuthedHttpRequest
from piste.duplicates.forms_merge import PREFIX, MergeForm
from piste.duplicates.merge_fields import ENTITIES, EntitySpec, entity_spec
from piste.duplicates.models import MergeLog
from piste.duplicates.selectors_merge import (
    merge_candidates,
    merge_log_get_for_user,
    merge_logs_page,
    merge_rows,
    merged_redirect,
    undo_blockers,
    united_rows,
)
from piste.duplicates.services_merge import merge_undo, records_merge, require_merge

TEMPLATE = "duplicates/merge.html"
HISTORY_TEMPLATE = "duplicates/merges.html"


def _spec_or_404(entity: str) -> EntitySpec:
    spec = entity_spec(entity)
    if spec is None:
        raise Http404
    return spec


def _merging_actor(request: AuthedHttpRequest) -> Actor:
    actor = require_actor(request.user)
    require_merge(actor)
    return actor


def _survivor(records: list[Any], wanted: Any) -> Any:
    """The record the table keeps: ``?survivor=`` when it is one of them, else the first."""
    return next((r for r in records if str(r.pk) == str(wanted)), records[0])


def _table(
    rows: list[Any], records: list[Any], form: MergeForm
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows to choose in (values differ) and the rows that agree, each cell with its
    radio's state: the posted choice, else the default."""
    differ, same = [], []
    for row in rows:
        if row.same:
            same.append({"row": row, "value": row.values[0]})
            continue
        posted_value = form.data.get(f"{PREFIX}{row.name}") if form.is_bound else None
        chosen = str(posted_value) if posted_value else str(row.default)
        cells = [
            {"pk": r.pk, "value": value, "checked": str(r.pk) == chosen}
            for r, value in zip(records, row.values, strict=True)
        ]
        differ.append({"row": row, "cells": cells, "field": form[f"{PREFIX}{row.name}"]})
    return differ, same


def _undo_message(request: AuthedHttpRequest, log: MergeLog) -> SafeString:
    """The message on the survivor's page, with its Undo button (a POST form: the message is
    built here, escaped, and marked safe; the message storage keeps that mark)."""
    text = ngettext(
        "%(count)s record merged into this one (%(moved)s related records moved).",
        "%(count)s records merged into this one (%(moved)s related records moved).",
        len(log.merged_ids),
    ) % {"count": len(log.merged_ids), "moved": log.moved_count}
    return format_html(
        '{} <form method="post" action="{}" class="d-inline" data-testid="merge-undo-form">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}">'
        '<button type="submit" class="btn btn-sm btn-outline-secondary ms-2" '
        'data-testid="merge-undo">{}</button></form>',
        text,
        reverse("duplicates_merge:undo", args=[log.pk]),
        get_token(request),
        reverse(ENTITIES[log.entity].detail_url, args=[log.survivor_id]),
        _("Undo"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def merge_page(request: AuthedHttpRequest, entity: str) -> HttpResponse:
    """GET: the comparison table of ``?ids=…``; POST: merge them as chosen."""
    spec = _spec_or_404(entity)
    actor = _merging_actor(request)
    source = request.POST if request.method == "POST" else request.GET
    context: dict[str, Any] = {"spec": spec, "entity": entity, "errors": []}
    try:
        records = merge_candidates(request.user, entity, source.getlist("ids"))
    except ValidationError as exc:
        context["errors"] = exc.messages
        return render(request, TEMPLATE, context, status=400)
    survivor = _survivor(records, source.get("survivor"))
    rows = merge_rows(spec, records, survivor)
    form = MergeForm(posted(request), records=records, rows=rows, initial={"survivor": survivor.pk})
    if request.method == "POST":
        if form.is_valid():
            kept, others = form.survivor_and_others()
            try:
                log = records_merge(
                    actor=actor, entity=entity, survivor=kept, others=others, choices=form.choices()
                )
            except ValidationError as exc:
                context["errors"] = exc.messages
            else:
                messages.success(request, _undo_message(request, log))
                return redirect(spec.detail_url, log.survivor_id)
        else:
            context["errors"] = [m for errors in form.errors.values() for m in errors]
    differ, same = _table(rows, records, form)
    context.update(
        records=records,
        survivor=survivor,
        differ=differ,
        same=same,
        united=united_rows(spec, records),
    )
    return render(request, TEMPLATE, context, status=400 if context["errors"] else 200)


@login_required
@require_GET
def merge_history(request: AuthedHttpRequest) -> HttpResponse:
    """The company's merges, newest first, each with Undo while it can be undone."""
    _merging_actor(request)
    page = merge_logs_page(request.user, request.GET.get("cursor"))
    blockers = undo_blockers(page.rows)
    rows = [
        {
            "log": log,
            "url": reverse(ENTITIES[log.entity].detail_url, args=[log.survivor_id])
            if log.entity in ENTITIES
            else "",
            "blocker": blockers.get(log.pk),
        }
        for log in page.rows
    ]
    context = {"page": page, "rows": rows, "entities": ENTITIES.values()}
    if request.htmx and request.htmx.target == "merge-rows":
        return render(request, f"{HISTORY_TEMPLATE}#rows", context)
    return render(request, HISTORY_TEMPLATE, context)


@login_required
@require_POST
def merge_undo_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = _merging_actor(request)
    log = merge_log_get_for_user(request.user, pk)
    try:
        merge_undo(actor=actor, log=log)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Merge undone: %(names)s restored.") % {"names": ", ".join(log.merged_labels)},
        )
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("duplicates_merge:history")
    return redirect(next_url)


def merged_or_404(request: AuthedHttpRequest, entity: str, pk: Any) -> HttpResponse:
    """A record page's 404 path: the survivor's page when ``pk`` was merged into a record the
    user sees, a 404 otherwise."""
    url = merged_redirect(request.user, entity, pk)
    if url is None:
        raise Http404
    messages.info(request, _("This record was merged into this one."))
    return redirect(url)
