"""The API's documentation page (``/api/v1/docs``): Swagger UI from ``static/vendor`` (npm's
swagger-ui-dist, copied by ``make assets``), never a CDN, under Piste's Content-Security-Policy:
no inline script, the settings ride on data attributes read by ``static/piste/api_docs.js``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

if TYPE_CHECKING:
    from ninja import NinjaAPI


class OfflineSwagger(DocsBase):
    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        context = {"api": api, "openapi_url": self.get_openapi_url(api, kwargs)}
        return render(request, "api/docs.html", context)
