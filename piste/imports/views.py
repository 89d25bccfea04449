"""Import wizard pages (/imports/): my imports, a new upload, a job through its states (mapping
and preview, progress, report, undo), its rejected rows. Each job is seen by its owner, and by
the company's administrators (who may undo it, not set up someone else's draft)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.core.access import company_required, require_actor
from piste.core.forms import add_service_errors, posted
from piste.core.http import AuthedHttpRequest
from piste.core.pagination import keyset_page
from piste.imports import selectors, services
from piste.imports.adapters import Adapter, get_adapter
from piste.imports.forms import MappingForm, UploadForm
from piste.imports.models import ImportJob

LIST_TEMPLATE = "imports/list.html"
NEW_TEMPLATE = "imports/new.html"
DETAIL_TEMPLATE = "imports/detail.html"


@login_required
@company_required
@require_GET
def import_list(request: AuthedHttpRequest) -> HttpResponse:
    sees_every = selectors.sees_every_import(request.user)
    everybody = sees_every and request.GET.get("scope") == "all"
    page = keyset_page(
        selectors.imports_for_user(request.user, everybody=everybody),
        sort="-id",
        cursor=request.GET.get("cursor"),
        per_page=25,
    )
    rows = [
        (job, selectors.adapter_label(get_adapter(job.entity)), selectors.import_state(job))
        for job in page.rows
    ]
    context: dict[str, Any] = {
        "page": page,
        "rows": rows,
        "polling": any(state.active for _job, _label, state in rows),
        "kinds": selectors.importable_kinds(request.user),
        "sees_every": sees_every,
        "everybody": everybody,
    }
    if request.htmx and request.htmx.target == "import-rows":
        return render(request, f"{LIST_TEMPLATE}#rows", context)
    return render(request, LIST_TEMPLATE, context)


@login_required
@company_required
@require_http_methods(["GET", "POST"])
def import_new(request: AuthedHttpRequest) -> HttpResponse:
    kinds = selectors.importable_kinds(request.user)
    if not kinds:
        raise PermissionDenied(_("You may not import any kind of record."))
    entity = request.GET.get("entity", "")
    initial = {"entity": entity} if entity in dict(kinds) else {}
    form = UploadForm(posted(request), request.FILES or None, kinds=kinds, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_upload(
                actor=require_actor(request.user),
                entity=form.cleaned_data["entity"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("imports:detail", pk=job.pk)
    return render(request, NEW_TEMPLATE, {"form": form, "kinds": kinds})


def _adapter(job: ImportJob) -> Adapter:
    adapter = get_adapter(job.entity)
    if adapter is None:
        raise Http404  # a referential removed since the upload
    return adapter


def _detail(
    request: AuthedHttpRequest, job: ImportJob, form: MappingForm | None = None
) -> HttpResponse:
    adapter = _adapter(job)
    mine = job.created_by_id == request.user.pk
    context: dict[str, Any] = {
        "job": job,
        "mine": mine,
        "kind": selectors.adapter_label(adapter),
        "delimiter": _("tab") if job.delimiter == "\t" else job.delimiter,
        "state": selectors.import_state(job),
        "undo_refusal": services.undo_refusal(require_actor(request.user), job)
        if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED)
        else None,
    }
    if request.htmx and request.htmx.target == "import-state":
        return render(request, f"{DETAIL_TEMPLATE}#state", context)
    if job.status == ImportJob.Status.DRAFT and mine:
        context["form"] = form or MappingForm(job=job, adapter=adapter)
        context["preview"] = selectors.import_preview(request.user, job)
    return render(request, DETAIL_TEMPLATE, context)


@login_required
@company_required
@require_GET
def import_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.import_get_for_user(request.user, pk))


@login_required
@company_required
@require_POST
def import_mapping(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Save the mapping (« Aperçu » shows the preview of what was saved), and with « Start the
    import » start the run. Refusals show on the form, the job staying a draft."""
    job = selectors.import_get_own(request.user, pk)
    if job.status != ImportJob.Status.DRAFT:
        messages.error(request, _("This import has already started."))
        return redirect("imports:detail", pk=job.pk)
    actor = require_actor(request.user)
    form = MappingForm(request.POST, job=job, adapter=_adapter(job))
    if form.is_valid():
        try:
            services.import_configure(actor=actor, job=job, **form.settings())
            if "start" in request.POST:
                services.import_start(actor=actor, job=job)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            # Mapping saved, start refused (updating without the right to change records…).
            reason = str(exc) or _("not allowed")
            form.add_error(None, _("You may not do this: %(right)s.") % {"right": reason})
        else:
            if "start" in request.POST:
                messages.success(request, _("The import is queued: it starts in a moment."))
            return redirect("imports:detail", pk=job.pk)
    job.refresh_from_db()
    if form.is_valid():
        _apply(job, form)  # the preview of what the form holds, as its refresh shows it
    return _detail(request, job, form)


def _apply(job: ImportJob, form: MappingForm) -> None:
    """The form's settings on ``job`` in memory only: the preview reads them from the job."""
    chosen = form.settings()
    job.mapping = {k: v for k, v in chosen["mapping"].items() if v}
    job.defaults = {k: v for k, v in chosen["defaults"].items() if v}
    job.match_on, job.mode = chosen["match_on"], chosen["mode"]


@login_required
@company_required
@require_POST
def import_preview(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The preview of the mapping as the form holds it, not saved (the form's HTMX refresh)."""
    job = selectors.import_get_own(request.user, pk)
    form = MappingForm(request.POST, job=job, adapter=_adapter(job))
    context: dict[str, Any] = {"job": job}
    if job.status != ImportJob.Status.DRAFT:
        context["preview"] = selectors.Preview([], _("This import has already started."))
    elif form.is_valid():
        _apply(job, form)
        context["preview"] = selectors.import_preview(request.user, job)
    else:
        context["preview"] = selectors.Preview([], _("Choose the fields among those offered."))
    return render(request, f"{DETAIL_TEMPLATE}#preview", context)


@login_required
@company_required
@require_GET
def import_rejected(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_get_for_user(request.user, pk)
    if not job.report:
        raise Http404
    try:
        handle = job.report.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"import-{job.pk}-rejected-rows.csv",
        content_type="text/csv; charset=utf-8",
    )
    # Streamed (the rejected rows of a big file may be many): FileResponse is a streaming
    # response, which the access decorators, typed for plain responses, pass through.
    return cast(HttpResponse, response)


@login_required
@company_required
@require_POST
def import_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_get_own(request.user, pk)
    try:
        services.import_draft_delete(actor=require_actor(request.user), job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("imports:detail", pk=job.pk)
    messages.success(request, _("The import “%(name)s” was deleted.") % {"name": job.file_name})
    return redirect("imports:list")


@login_required
@company_required
@require_POST
def import_undo(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_get_for_user(request.user, pk)
    try:
        services.import_undo_start(actor=require_actor(request.user), job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The import is being undone."))
    return redirect("imports:detail", pk=job.pk)
