"""The public endpoint /forms/<key>/: the hosted form page (GET, shown in other sites' iframes)
and the submission (POST, from that page, from a plain HTML form on another site, or from
fetch with JSON). No session, no CSRF token: other sites post here. What guards it instead: the
allowed sites (Origin, else Referer), the honeypot, the per-address limit and the size limits.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from piste.core.client import client_ip
from piste.core.forms import add_service_errors
from piste.webforms import selectors, services
from piste.webforms.forms import MAX_BODY_BYTES, PublicForm
from piste.webforms.models import WebForm
from piste.webforms.origins import origin_allowed, origin_of
from piste.webforms.throttle import WINDOW_SECONDS, submission_allowed


def _wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or request.headers.get(
        "Accept", ""
    ).startswith("application/json")


def _headers(response: HttpResponse, webform: WebForm | None, origin: str, allowed: bool) -> None:
    """Which sites may frame the page and read the answer; where the page may send the form."""
    sites = " ".join(webform.allowed_origins) if webform is not None else ""
    targets = ""
    if webform is not None and webform.redirect_url:
        targets = " " + origin_of(webform.redirect_url)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        f"form-action 'self'{targets}; frame-ancestors 'self' {sites}; base-uri 'none'"
    ).replace("  ", " ")
    response.headers["Referrer-Policy"] = "no-referrer"
    if origin and allowed and webform is not None and origin in webform.allowed_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
    patch_vary_headers(response, ["Origin"])


def _answer(
    request: HttpRequest,
    webform: WebForm | None,
    *,
    status: int,
    form: PublicForm | None = None,
    message: str = "",
    done: bool = False,
    origin: str = "",
    allowed: bool = True,
) -> HttpResponse:
    response: HttpResponse
    if _wants_json(request):
        body: dict[str, Any] = {"ok": done, "message": message}
        if form is not None and form.errors:
            body["errors"] = {k: [str(e) for e in v] for k, v in form.errors.items()}
        if done and webform is not None and webform.redirect_url:
            body["redirect"] = webform.redirect_url
        response = JsonResponse(body, status=status)
    else:
        context = {"webform": webform, "form": form, "message": message, "done": done}
        response = render(request, "webforms/public.html", context, status=status)
    _headers(response, webform, origin, allowed)
    return response


def _thanks(request: HttpRequest, webform: WebForm, origin: str) -> HttpResponse:
    if webform.redirect_url and not _wants_json(request):
        response: HttpResponse = redirect(webform.redirect_url)
        response.status_code = 303  # the browser follows with a GET
        _headers(response, webform, origin, True)
        return response
    message = webform.thank_you_message or _("Thank you: your message is sent.")
    return _answer(request, webform, status=200, message=message, done=True, origin=origin)


def _posted(request: HttpRequest) -> QueryDict | dict[str, Any] | None:
    """The submitted fields, from a form post or a JSON object; None for a body that is neither."""
    if request.content_type != "application/json":
        return request.POST
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    # A JSON true ticks a box; other scalars are read as the text a form would send.
    return {
        str(k): ("on" if v is True else "" if v in (False, None) else str(v))
        for k, v in data.items()
        if isinstance(v, str | int | float | bool) or v is None
    }


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def form_page(request: HttpRequest, key: str) -> HttpResponse:
    try:
        webform = selectors.webform_get_public(key)
    except Http404:
        return _answer(
            request,
            None,
            status=404,
            message=_("This form does not exist or is no longer open."),
        )
    if request.method == "GET":
        # Anyone may open the page (a link in a newsletter); which sites may frame it is the
        # Content-Security-Policy's frame-ancestors.
        form = PublicForm(webform=webform)
        return _answer(request, webform, status=200, form=form)
    allowed, origin = origin_allowed(request, webform.allowed_origins)
    if not allowed:
        return _answer(
            request,
            webform,
            status=403,
            message=_("This form cannot be sent from this site (%(origin)s).") % {"origin": origin},
            origin=origin,
            allowed=False,
        )
    if request.method == "OPTIONS":
        # A fetch preflight from an allowed site (JSON bodies need one).
        response = HttpResponse(status=204)
        _headers(response, webform, origin, True)
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
        response.headers["Access-Control-Max-Age"] = "600"
        return response
    return _submit(request, webform, origin)


def _submit(request: HttpRequest, webform: WebForm, origin: str) -> HttpResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return _answer(
            request,
            webform,
            status=413,
            message=_("The form sent is too large: shorten the message."),
            origin=origin,
        )
    ip = client_ip(request)
    if not submission_allowed(webform.pk, services.ip_hash(ip)):
        response = _answer(
            request,
            webform,
            status=429,
            message=_("Too many submissions from your address: try again in a few minutes."),
            origin=origin,
        )
        response.headers["Retry-After"] = str(WINDOW_SECONDS)
        return response
    data = _posted(request)
    if data is None:
        return _answer(
            request, webform, status=400, message=_("The form sent is unreadable."), origin=origin
        )
    form = PublicForm(data, webform=webform)
    if form.honeypot_filled:
        # A robot filled the field people never see: it is told all went well, nothing is kept.
        return _thanks(request, webform, origin)
    if form.is_valid():
        try:
            services.webform_submit(
                webform=webform,
                values=form.values(),
                consents=form.consents_given(),
                ip=ip,
                user_agent=request.headers.get("User-Agent", ""),
                origin=origin,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _thanks(request, webform, origin)
    # The page shows its errors as every Piste form does (200); a script is told 400.
    return _answer(
        request,
        webform,
        status=400 if _wants_json(request) else 200,
        form=form,
        message=_("Please correct the fields below."),
        origin=origin,
    )
