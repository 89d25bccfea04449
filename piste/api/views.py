"""The profile's API tokens page: list, create (the secret shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from piste.api import services
from piste.api.forms import ApiTokenForm
from piste.api.selectors import LIST_LIMIT, api_token_get_for_user, api_tokens_for_user
from piste.core.access import require_actor
from piste.core.forms import add_service_errors, posted
from piste.core.http import AuthedHttpRequest


@login_required
@never_cache  # the page carrying a new token's secret must not stay in any cache
@require_http_methods(["GET", "POST"])
def api_tokens(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    form = ApiTokenForm(posted(request))
    secret = ""
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.api_token_create(
                actor=actor, name=form.cleaned_data["name"], expires_at=form.expires_at()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            form = ApiTokenForm()
    # Queries: the tokens with their companies (one).
    tokens = list(api_tokens_for_user(request.user)[:LIST_LIMIT])
    context = {
        "form": form,
        "tokens": tokens,
        "created": created,
        "secret": secret,
        "company": actor.company,
    }
    return render(request, "api/tokens.html", context)


@login_required
@require_POST
def api_token_revoke(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_actor(request.user)
    token = api_token_get_for_user(request.user, pk)
    services.api_token_revoke(actor=actor, token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api_tokens:list")
