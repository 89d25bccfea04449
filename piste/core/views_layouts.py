"""Configuration → Form layouts: which fields the lead, partner and contact forms show, in which
sections and order, and which are mandatory, for the administrator's company.

Edits are saved by the Save button only: dragging a row (SortableJS), its arrows (a plain
submit, for keyboards and without JavaScript) and the section select change the page, not the
layout. A refused save shows the page again as the administrator left it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from piste.core.access import require_actor, right_required
from piste.core.forms_layouts import FormLayoutForm, layout_rows, moved
from piste.core.http import AuthedHttpRequest
from piste.core.layouts import FormSpec, Layout, layout_for, spec_get, specs
from piste.core.rights import Right
from piste.core.services_layouts import (
    LayoutConflictError,
    form_layout_reset,
    form_layout_save,
)

EDIT_TEMPLATE = "core/layouts/edit.html"


def _spec(form_name: str) -> FormSpec:
    spec = spec_get(form_name)
    if spec is None:
        raise Http404
    return spec


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def layout_list(request: AuthedHttpRequest) -> HttpResponse:
    """The forms an administrator may arrange. Queries: none beyond the actor's."""
    return render(request, "core/layouts/list.html", {"specs": specs()})


def _edit_page(
    request: AuthedHttpRequest,
    layout: Layout,
    form: FormLayoutForm,
    rows: Any,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        EDIT_TEMPLATE,
        {"spec": layout.spec, "layout": layout, "form": form, "sections": rows},
        status=status,
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def layout_edit(request: AuthedHttpRequest, form_name: str) -> HttpResponse:
    """The layout of one form (GET), saved (POST), or an arrow's move drawn (POST ``move``).
    Queries (GET): the layout."""
    actor = require_actor(request.user)
    spec = _spec(form_name)
    layout = layout_for(actor.company.pk, spec.name)
    if request.method != "POST":
        return _edit_page(request, layout, FormLayoutForm(layout=layout), layout_rows(layout))
    form = FormLayoutForm(request.POST, layout=layout)
    move = request.POST.get("move")
    if move is not None:
        # An arrow: the page again with the row moved, nothing saved.
        entries = moved(spec, form.read(), move)
        messages.info(request, _("The order changed on this page: save to keep it."))
        return _edit_page(request, layout, form, layout_rows(layout, entries))
    errors: dict[str, list[str]] = {}
    if form.is_valid():
        try:
            form_layout_save(
                actor=actor,
                form_name=spec.name,
                fields=form.entries,
                version=form.cleaned_data["version"],
            )
        except LayoutConflictError as exc:
            form.add_error(None, exc)
            form.set_version(layout_for(actor.company.pk, spec.name).version)
        except ValidationError as exc:
            errors = exc.message_dict
            for message in errors.pop(NON_FIELD_ERRORS, []):
                form.add_error(None, message)
            if errors:
                form.add_error(None, _("Some choices cannot be saved: see the fields below."))
        else:
            messages.success(
                request, _("The layout of the form “%(form)s” was saved.") % {"form": spec.label}
            )
            return redirect("form_layouts:edit", form_name=spec.name)
    return _edit_page(request, layout, form, layout_rows(layout, form.entries, errors))


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def layout_reset(request: AuthedHttpRequest, form_name: str) -> HttpResponse:
    """Reset to default (asked for confirmation by htmx's hx-confirm when JavaScript runs)."""
    actor = require_actor(request.user)
    spec = _spec(form_name)
    raw = request.POST.get("version", "")
    version = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None
    try:
        if version is None:
            raise ValidationError(_("This page is out of date: reload it."))
        form_layout_reset(actor=actor, form_name=spec.name, version=version)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The form “%(form)s” has its default layout again.") % {"form": spec.label},
        )
    target = redirect("form_layouts:edit", form_name=spec.name)
    return HttpResponseClientRedirect(target.url) if request.htmx else target
