"""Configuration → Web forms: build the forms other sites embed, get their snippet, see their
latest submissions (administrators: Manage the configuration)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.core.access import require_right, right_required
from piste.core.forms import add_service_errors, posted
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.webforms import selectors, services
from piste.webforms.fields import HONEYPOT
from piste.webforms.forms import PublicForm, WebFormConfigForm
from piste.webforms.models import WebForm

config_required = right_required(Right.MANAGE_CONFIGURATION)


@login_required
@config_required
@require_GET
def webforms(request: AuthedHttpRequest) -> HttpResponse:
    rows = list(selectors.webforms_for_config(request.user))
    return render(request, "webforms/config_list.html", {"rows": rows})


def _snippets(request: AuthedHttpRequest, webform: WebForm) -> dict[str, str]:
    """What the administrator pastes into their site: an iframe of the hosted page, or a plain
    HTML form posting here (styled by their site)."""
    url = request.build_absolute_uri(reverse("webforms:form", args=[webform.public_key]))
    context = {
        "url": url,
        "webform": webform,
        "form": PublicForm(webform=webform),
        "honeypot": HONEYPOT,
    }
    return {
        "iframe": render_to_string("webforms/snippet_iframe.html", context).strip(),
        "html": render_to_string("webforms/snippet_form.html", context).strip(),
        "url": url,
    }


@login_required
@config_required
@require_http_methods(["GET", "POST"])
def webform_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    actor = require_right(request.user, Right.MANAGE_CONFIGURATION)
    webform = selectors.webform_get_for_config(request.user, pk) if pk is not None else None
    form = WebFormConfigForm(posted(request), company_id=actor.company.pk, instance=webform)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.webform_save(actor=actor, data=form.cleaned_data, webform=webform)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The web form is saved."))
            return redirect("webforms_config:edit", saved.pk)
    context = {
        "form": form,
        "object": webform,
        "snippets": _snippets(request, webform) if webform is not None else None,
        "submissions": selectors.recent_submissions(webform) if webform is not None else [],
    }
    return render(request, "webforms/config_form.html", context)


@login_required
@config_required
@require_POST
def webform_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_right(request.user, Right.MANAGE_CONFIGURATION)
    webform = selectors.webform_get_for_config(request.user, pk)
    services.webform_delete(actor=actor, webform=webform)
    messages.success(request, _("The web form is deleted."))
    return redirect("webforms_config:list")
