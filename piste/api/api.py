"""The REST API (``/api/v1/``): one NinjaAPI, each app's router from its own ``api.py``.

Every error is JSON ``{"detail": "…"}`` (with ``"errors"`` by field for refused values), in the
caller's language; the status says which: 400 refused values, 401 no valid token or session,
403 a missing right, 404 not found or not visible, 409 an edit conflict, 413 a body over the
upload limit, 422 a malformed request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError

from piste.api.auth import SessionAuth, TokenAuth
from piste.api.docs import OfflineSwagger
from piste.core.services import ConflictError

logger = logging.getLogger(__name__)

# The session cookie's name is a setting: give it to the auth before the API documents it.
SessionAuth.param_name = settings.SESSION_COOKIE_NAME


class PisteAPI(NinjaAPI):
    """NinjaAPI whose unknown URLs (404) and wrong methods (405) answer JSON too."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for url in urls:
            if isinstance(url, URLPattern):
                if url.name == "api-root":  # ninja's raises a 404, rendered as an HTML page
                    url.callback = _root
                url.callback = _json_not_allowed(url.callback)
        return [*urls, re_path(r"^.*$", _unknown_url)]


def _json_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)  # keeps csrf_exempt and the other marks ninja puts on its views
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            detail = _("Method %(method)s is not allowed here; use %(allowed)s.") % {
                "method": request.method,
                "allowed": allowed,
            }
            response = JsonResponse({"detail": detail}, status=405)
            response["Allow"] = allowed
        return response

    return wrapper


@csrf_exempt
def _root(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return JsonResponse({"docs": "/api/v1/docs", "openapi": "/api/v1/openapi.json"})


@csrf_exempt
def _unknown_url(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        {"detail": _("No such API address: see %(docs)s.") % {"docs": "/api/v1/docs"}},
        status=404,
    )


api = PisteAPI(
    title="Piste API",
    version="1",
    description="Leads, accounts, contacts, opportunities, events and referentials of Piste.",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    docs=OfflineSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: list(messages) for field, messages in exc.message_dict.items()}
    return {"__all__": list(exc.messages)}


@api.exception_handler(ConflictError)
def _conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    return api.create_response(request, {"detail": " ".join(exc.messages)}, status=409)


@api.exception_handler(ValidationError)
def _refused(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = _errors(exc)
    detail = " ".join(m for messages in errors.values() for m in messages)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


@api.exception_handler(RequestValidationError)
def _malformed(request: HttpRequest, exc: RequestValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        where = ".".join(str(p) for p in error.get("loc", ())[1:]) or "__all__"
        errors.setdefault(where, []).append(str(error.get("msg", "")))
    return api.create_response(
        request,
        {"detail": _("The request is malformed: see errors."), "errors": errors},
        status=422,
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    detail = str(exc) or _("You may not do this.")
    return api.create_response(request, {"detail": detail}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": _("Send a valid API token: Authorization: Bearer <token>.")},
        status=401,
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    detail = _("The request body is larger than %(size)s bytes.") % {"size": limit}
    return api.create_response(request, {"detail": detail}, status=413)


@api.exception_handler(SuspiciousOperation)
def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return api.create_response(request, {"detail": _("The request is malformed.")}, status=400)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    detail = _("Server error: it has been logged.")
    return api.create_response(request, {"detail": detail}, status=500)


def _routers() -> list[tuple[str, Any]]:
    from piste.activities.api import router as events
    from piste.core.api import router as referentials
    from piste.leads.api import router as leads
    from piste.opportunities.api import router as opportunities
    from piste.partners.api import contacts_router, partners_router

    return [
        ("/leads", leads),
        ("/partners", partners_router),
        ("/contacts", contacts_router),
        ("/opportunities", opportunities),
        ("/events", events),
        ("/", referentials),
    ]


for _prefix, _router in _routers():
    api.add_router(_prefix, _router)
