from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response.

    Each response gets a fresh style nonce (``request.csp_style_nonce``): the Trix editor inserts
    its own ``<style>`` element and marks it with the nonce it reads from the page's
    ``<meta name="trix-csp-nonce">``; no other inline style or script is allowed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_style_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault(
            "Content-Security-Policy", settings.CONTENT_SECURITY_POLICY.format(style_nonce=nonce)
        )
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        return response


class ServerTimingMiddleware:
    """``Server-Timing: app;dur=<ms>`` on every response: the time Piste spent on the request,
    without the network. Browsers' developer tools show it; ``make bench`` reads it to hold the
    pages whose targets are server-side to them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = (time.perf_counter() - started) * 1000
        response.headers.setdefault("Server-Timing", f"app;dur={elapsed:.1f}")
        return response
