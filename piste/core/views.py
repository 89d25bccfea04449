from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.core import selectors, services
from piste.core.access import get_or_404, in_company, require_actor, right_required
from piste.core.forms import CsvUploadForm, posted, referential_form_class
from piste.core.http import AuthedHttpRequest
from piste.core.models import NamedReferential
from piste.core.referentials import REGISTRY, Referential, referentials_for
from piste.core.rights import Right
from piste.core.tasks import queue_heartbeat_last
from piste.core.text import search_text
from piste.core.timeline import timeline_for

logger = logging.getLogger(__name__)


@login_required
def home(request: AuthedHttpRequest) -> HttpResponse:
    from piste.leads.selectors import my_latest_leads

    actor = require_actor(request.user)
    return render(
        request,
        "core/home.html",
        {
            "actor": actor,
            "my_leads": my_latest_leads(request.user),
            "can_create": actor.has(Right.CREATE_RECORDS),
        },
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and job queue reachability, for load balancers and monitors."""
    from huey.contrib.djhuey import HUEY

    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception:
        logger.exception("healthz: database check failed")
        checks["database"] = "error"
    try:
        HUEY.pending_count()
        checks["queue"] = "ok"
    except Exception:
        logger.exception("healthz: job queue check failed")
        checks["queue"] = "error"
    healthy = all(v == "ok" for v in checks.values())
    # Informational only: a web process may well run before any consumer has started.
    try:
        consumer_seen = queue_heartbeat_last()
    except Exception:
        logger.exception("healthz: reading the consumer heartbeat failed")
        consumer_seen = None
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks, "consumer_seen": consumer_seen},
        status=200 if healthy else 503,
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
def config_home(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    return render(
        request,
        "config/home.html",
        {
            "referentials": referentials_for(actor, "referentials"),
            "organisation": referentials_for(actor, "organisation"),
        },
    )


def _referential(request: AuthedHttpRequest, slug: str) -> Referential:
    actor = require_actor(request.user)
    referential = REGISTRY.get(slug)
    if referential is None or not referential.visible(actor):
        raise Http404
    return referential


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def referential_list(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    referential = _referential(request, slug)
    q = search_text(request.GET.get("q"))
    sort = request.GET.get("sort")
    page = selectors.referentials_page(
        user=request.user,
        referential=referential,
        q=q,
        sort=sort,
        cursor=request.GET.get("cursor"),
    )
    context = {
        "referential": referential,
        "page": page,
        "q": q,
        "sort": sort or "name",
        "columns": [referential.model._meta.get_field(c) for c in referential.columns],
    }
    template = "config/referential_list.html"
    if request.htmx and request.htmx.target == "rows":
        template += "#rows"
    return render(request, template, context)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def referential_create(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    actor = require_actor(request.user)
    referential = _referential(request, slug)
    form_class = referential_form_class(referential)
    form = form_class(posted(request), company_id=actor.company.pk)
    if request.method == "POST" and form.is_valid():
        try:
            obj = services.referential_create(
                actor=actor, model=referential.model, data=form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("“%(name)s” was created.") % {"name": obj.name})
            return redirect("config:referential_list", slug=slug)
    return render(
        request, "config/referential_form.html", {"referential": referential, "form": form}
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def referential_edit(request: AuthedHttpRequest, slug: str, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    referential = _referential(request, slug)
    obj = get_or_404(in_company(request.user, referential.model.objects.all()), pk)
    if request.htmx and "before" in request.GET:
        return _timeline_partial(request, obj)
    form_class = referential_form_class(referential)
    form = form_class(posted(request), instance=obj, company_id=actor.company.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.referential_update(actor=actor, obj=obj, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
            obj.refresh_from_db()  # the page heading shows the saved name, not the rejected one
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": obj.name})
            return redirect("config:referential_list", slug=slug)
    activities, next_before = timeline_for(obj)
    return render(
        request,
        "config/referential_form.html",
        {
            "referential": referential,
            "form": form,
            "object": obj,
            "activities": activities,
            "next_before": next_before,
        },
    )


def _timeline_partial(request: AuthedHttpRequest, obj: NamedReferential) -> HttpResponse:
    try:
        before = int(request.GET["before"])
    except (TypeError, ValueError):
        before = None
    activities, next_before = timeline_for(obj, before_id=before)
    return render(
        request,
        "components/timeline.html",
        {"activities": activities, "next_before": next_before, "object": obj},
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def referential_delete(request: AuthedHttpRequest, slug: str, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    referential = _referential(request, slug)
    obj = get_or_404(in_company(request.user, referential.model.objects.all()), pk)
    try:
        services.referential_delete(actor=actor, obj=obj)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("config:referential_edit", slug=slug, pk=obj.pk)
    messages.success(request, _("“%(name)s” was deleted.") % {"name": obj.name})
    return redirect("config:referential_list", slug=slug)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def referential_import(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    actor = require_actor(request.user)
    referential = _referential(request, slug)
    if not referential.csv_import:
        raise Http404
    form = CsvUploadForm(posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > services.MAX_NAMES_IMPORT_BYTES:
            form.add_error("file", _("The file is larger than 2 MB."))
        else:
            try:
                result = services.referential_import_names(
                    actor=actor, model=referential.model, content=upload.read()
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
            else:
                messages.success(
                    request,
                    _("%(created)d created, %(skipped)d already present.") % result,
                )
                return redirect(reverse("config:referential_list", args=[slug]))
    return render(
        request, "config/referential_import.html", {"referential": referential, "form": form}
    )
