"""Export a list the user is looking at (its filters and columns) to CSV or XLSX.

Up to DIRECT_MAX rows the file is streamed at once (100,000 leads take 5 to 8 s); beyond, a
job writes it to storage and the user downloads it from the job's page: a stream of a million
rows would outlive gunicorn's timeout and be cut half-written.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from piste.core.access import company_required, get_or_404, require_right, right_required
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.exports import selectors, services, writers
from piste.exports.models import ExportJob
from piste.leads.selectors import ListKind
from piste.opportunities.selectors import ListKind as OpportunityKind
from piste.partners.selectors_prospects import ListKind as ProspectKind

FORMATS = ("csv", "xlsx")
# About 15 s of streaming at the measured speed, well within gunicorn's 60 s timeout.
DIRECT_MAX = 200_000


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Http404
    return fmt


def _response(
    request: AuthedHttpRequest,
    export: selectors.Export,
    *,
    entity: str,
    kind: str,
    fmt: str,
    list_url: str,
) -> HttpResponse:
    """The file, streamed as it is written; a job for a large list; or, when the query string
    holds a filter the list ignores, a page saying which (a file of more rows than the user
    asked for would be wrong without a word)."""
    back = list_url + (f"?{request.GET.urlencode()}" if request.GET else "")
    if export.errors:
        return render(
            request,
            "exports/refused.html",
            {"errors": export.errors, "back": back, "title": export.title},
            status=400,
        )
    if export.more_than(DIRECT_MAX):
        job = services.export_job_start(
            actor=require_right(request.user, Right.EXPORT),
            entity=entity,
            kind=kind,
            query=request.GET.urlencode(),
            fmt=fmt,
            language=get_language() or "",
        )
        return redirect("exports:job", job.pk)
    streamed = StreamingHttpResponse(
        writers.pieces(fmt, export.headers, export.kinds, export.rows, export.title),
        content_type=writers.CONTENT_TYPES[fmt],
    )
    name = export.file_name(fmt, timezone.localtime())
    streamed["Content-Disposition"] = f'attachment; filename="{name}"'
    # Customer data: never kept by a shared cache or proxy.
    streamed["Cache-Control"] = "private, no-store"
    # The access decorators are typed for HttpResponse; Django serves any HttpResponseBase.
    return cast(HttpResponse, streamed)


@login_required
@company_required
@right_required(Right.EXPORT)
@require_GET
def lead_list_export(request: AuthedHttpRequest, kind: str, fmt: str) -> HttpResponse:
    """A lead list (My / Open / Closed leads) with the filters of its query string."""
    if kind not in ListKind.ALL:
        raise Http404
    fmt = _format(fmt)
    export = selectors.lead_export(user=request.user, kind=kind, query=request.GET)
    return _response(
        request, export, entity="leads", kind=kind, fmt=fmt, list_url=reverse(f"leads:{kind}")
    )


@login_required
@company_required
@right_required(Right.EXPORT)
@require_GET
def opportunity_list_export(request: AuthedHttpRequest, kind: str, fmt: str) -> HttpResponse:
    """An opportunity list (Portfolio / My / Open / Closed) with its query string's filters."""
    if kind not in OpportunityKind.KINDS:
        raise Http404
    fmt = _format(fmt)
    export = selectors.opportunity_export(user=request.user, kind=kind, query=request.GET)
    name = "list" if kind == OpportunityKind.ALL else kind
    return _response(
        request,
        export,
        entity="opportunities",
        kind=kind,
        fmt=fmt,
        list_url=reverse(f"opportunities:{name}"),
    )


@login_required
@company_required
@right_required(Right.EXPORT)
@require_GET
def account_list_export(request: AuthedHttpRequest, kind: str, fmt: str) -> HttpResponse:
    """The partners or the contacts of the « Comptes & contacts » search (?q=, ?kind=)."""
    if kind not in selectors.AccountKind.ALL:
        raise Http404
    fmt = _format(fmt)
    export = selectors.accounts_export(user=request.user, kind=kind, query=request.GET)
    return _response(
        request,
        export,
        entity="accounts",
        kind=kind,
        fmt=fmt,
        list_url=reverse("partners:accounts"),
    )


@login_required
@company_required
@right_required(Right.EXPORT)
@require_GET
def prospect_list_export(request: AuthedHttpRequest, kind: str, fmt: str) -> HttpResponse:
    """Open or Closed prospects with the list's filters; 404 like the list when the company
    does not manage statuses on prospects."""
    if kind not in ProspectKind.ALL:
        raise Http404
    fmt = _format(fmt)
    try:
        export = selectors.prospect_export(user=request.user, kind=kind, query=request.GET)
    except KeyError:
        raise Http404 from None
    return _response(
        request,
        export,
        entity="prospects",
        kind=kind,
        fmt=fmt,
        list_url=reverse(f"prospects:{kind}"),
    )


@login_required
@company_required
@right_required(Right.EXPORT)
@require_GET
def action_list_export(request: AuthedHttpRequest, fmt: str) -> HttpResponse:
    """ "My actions" (?show=late: the late ones only)."""
    fmt = _format(fmt)
    export = selectors.actions_export(user=request.user, kind="", query=request.GET)
    return _response(
        request, export, entity="actions", kind="", fmt=fmt, list_url=reverse("activities:actions")
    )


@login_required
@company_required
@right_required(Right.EXPORT)
@require_GET
def job_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A large export's page: waiting, then its download link. It asks again every few
    seconds (HTMX) while the job runs."""
    job = get_or_404(selectors.export_jobs_for_user(request.user), pk)
    context = {"job": job, "busy": job.state in (ExportJob.State.PENDING, ExportJob.State.RUNNING)}
    if request.htmx:
        return render(request, "exports/job.html#state", context)
    return render(request, "exports/job.html", context)


@login_required
@company_required
@right_required(Right.EXPORT)
@require_GET
def job_download(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    job = get_or_404(
        selectors.export_jobs_for_user(request.user).filter(state=ExportJob.State.DONE), pk
    )
    response = FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file_name)
    response["Cache-Control"] = "private, no-store"
    return cast(HttpResponse, response)


@login_required
@company_required
@right_required(Right.MANAGE_CONFIGURATION)
@right_required(Right.EXPORT)
@require_GET
def referential_list_export(request: AuthedHttpRequest, slug: str, fmt: str) -> HttpResponse:
    """A configuration list (industry sectors, job titles, tags…) with its search."""
    fmt = _format(fmt)
    try:
        export = selectors.referential_export(user=request.user, kind=slug, query=request.GET)
    except KeyError:
        raise Http404 from None
    return _response(
        request,
        export,
        entity="referentials",
        kind=slug,
        fmt=fmt,
        list_url=reverse("config:referential_list", args=[slug]),
    )
