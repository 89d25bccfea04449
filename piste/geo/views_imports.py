"""City import pages (/config/territory/imports/): the jobs, a new import, a job's progress,
its rejected lines; administrators only (Right.MANAGE_CONFIGURATION)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from piste.core.access import require_actor, right_required
from piste.core.forms import posted
from piste.core.http import AuthedHttpRequest
from piste.core.pagination import keyset_page
from piste.core.rights import Right
from piste.geo import imports
from piste.geo.forms_imports import CityImportForm, ImportSettingsForm
from piste.geo.importers.csv_template import COLUMNS, EXAMPLE, HEADER, template_text
from piste.geo.models import CityImport

LIST_TEMPLATE = "geo/imports/list.html"
DETAIL_TEMPLATE = "geo/imports/detail.html"


def _list_page(
    request: AuthedHttpRequest,
    *,
    form: CityImportForm | None = None,
    settings_form: ImportSettingsForm | None = None,
) -> HttpResponse:
    page = keyset_page(
        imports.city_imports_for_user(request.user),
        sort="-id",
        cursor=request.GET.get("cursor"),
        per_page=25,
    )
    states = imports.city_import_states(page.rows)
    context: dict[str, Any] = {
        "page": page,
        "rows": [(job, states[job.pk]) for job in page.rows],
        "polling": any(state.active for state in states.values()),
    }
    if request.htmx and request.htmx.target == "import-rows":
        return render(request, f"{LIST_TEMPLATE}#rows", context)
    if form is None:
        form = CityImportForm()
    context.update(
        form=form,
        settings_form=settings_form or ImportSettingsForm(instance=imports.import_settings_get()),
        template_header=HEADER,
        template_columns=COLUMNS,
        template_example=EXAMPLE,
    )
    return render(request, LIST_TEMPLATE, context)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def import_list(request: AuthedHttpRequest) -> HttpResponse:
    return _list_page(request)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def import_create(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    form = CityImportForm(posted(request), request.FILES)
    if form.is_valid():
        try:
            job = imports.city_import_create(
                actor=actor,
                import_format=form.cleaned_data["import_format"],
                source=form.cleaned_data["source"],
                upload=form.cleaned_data.get("file"),
                country=form.cleaned_data.get("country"),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The import is queued: it starts in a moment."))
            return redirect("city_imports:detail", pk=job.pk)
    return _list_page(request, form=form)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def import_settings(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    settings_form = ImportSettingsForm(posted(request), instance=imports.import_settings_get())
    if settings_form.is_valid():
        try:
            imports.import_settings_update(actor=actor, data=settings_form.cleaned_data)
        except ValidationError as exc:
            settings_form.add_error(None, exc)
        else:
            messages.success(request, _("The download addresses were saved."))
            return redirect("city_imports:list")
    return _list_page(request, settings_form=settings_form)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def import_template(request: AuthedHttpRequest) -> HttpResponse:
    response = HttpResponse(template_text(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="piste-cities.csv"'
    return response


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def import_detail(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    job = imports.city_import_get_for_user(request.user, pk)
    context = {
        "job": job,
        "state": imports.city_import_state(job),
        "sources": imports.automatic_sources(
            imports.import_settings_get(), job.format, job.country.code if job.country else "FR"
        )
        if job.source == CityImport.Source.AUTOMATIC
        else [],
    }
    if request.htmx and request.htmx.target == "import-progress":
        return render(request, f"{DETAIL_TEMPLATE}#progress", context)
    return render(request, DETAIL_TEMPLATE, context)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def import_cancel(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    job = imports.city_import_get_for_user(request.user, pk)
    try:
        job = imports.city_import_cancel(actor=require_actor(request.user), job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if job.status == CityImport.Status.CANCELLED:
            messages.success(request, _("The import was cancelled."))
        else:
            messages.success(
                request, _("The import stops at its next step; nothing it wrote is kept.")
            )
    return redirect("city_imports:detail", pk=job.pk)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def import_restart(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    job = imports.city_import_get_for_user(request.user, pk)
    try:
        imports.city_import_restart(actor=require_actor(request.user), job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The import is queued again: it starts in a moment."))
    return redirect("city_imports:detail", pk=job.pk)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def import_report(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    job = imports.city_import_get_for_user(request.user, pk)
    report = imports.city_import_report(job)
    if report is None:
        raise Http404
    response = FileResponse(
        report,
        as_attachment=True,
        filename=f"city-import-{job.pk}-rejected-lines.csv",
        content_type="text/csv; charset=utf-8",
    )
    # Streamed (a report may be large): a streaming response, which the access decorators,
    # typed for plain responses, pass through unchanged.
    return cast(HttpResponse, response)
