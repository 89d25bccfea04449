"""Printing a record (« Éditer »): the dialog (« Modèle », « Associer le document », Valider)
and the PDF.

The dialog opens in the record page's ``#record-dialog`` (HTMX) or as a page of its own. Its POST
answers:
- with "attach" ticked: the PDF is stored on the record, then a redirect to its download (plain
  POST: 302; HTMX: ``HX-Redirect``, and ``HX-Trigger: documents-changed`` so the Documents tab
  reloads);
- without: the PDF itself (plain POST), or for HTMX a redirect to ``print_pdf``, which makes it
  on a GET (an HTMX request cannot hand a download to the browser);
- a template that cannot be filled (syntax error, a filter fed a wrong value) or laid out: the
  dialog again with « Line N: … », never a 500 (400 for a plain POST, 200 for HTMX to be swapped).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods

from piste.core.access import actor_for, company_required, require_actor, require_right
from piste.core.http import AuthedHttpRequest
from piste.core.placeholders import PlaceholderError
from piste.core.records import kind_of, record_get_for_user, record_url
from piste.core.rights import Right
from piste.documents import printing, services
from piste.documents.forms import PrintForm
from piste.documents.models import PrintKind
from piste.documents.printing import PrintChoice

TEMPLATE = "documents/print.html"


def _record(request: AuthedHttpRequest, kind: str, pk: int) -> Any:
    if kind not in PrintKind.values:  # events are not printed
        raise Http404
    return record_get_for_user(request.user, kind, pk)


def _choices(request: AuthedHttpRequest, kind: str) -> list[PrintChoice]:
    actor = require_actor(request.user)
    return printing.print_choices(actor.company.pk, kind)


def _dialog(
    request: AuthedHttpRequest, kind: str, record: Any, form: PrintForm, error: str = ""
) -> HttpResponse:
    actor = actor_for(request.user)
    context = {
        "kind": kind,
        "kind_label": kind_of(record).label,
        "record": record,
        "record_url": record_url(record),
        "form": form,
        "error": error,
        "can_attach": actor is not None and actor.has(Right.CHANGE_RECORDS),
    }
    if request.htmx:
        return render(request, f"{TEMPLATE}#dialog", context)
    return render(request, TEMPLATE, context, status=400 if (error or form.errors) else 200)


def _make_pdf(request: AuthedHttpRequest, choice: PrintChoice, record: Any) -> bytes:
    """PlaceholderError or PdfError with the message to show."""
    from piste.documents.pdf import html_to_pdf  # WeasyPrint: loaded by the first print only

    actor = require_actor(request.user)
    html = printing.render_html(choice, record, user=request.user, company=actor.company)
    return html_to_pdf(html, choice.css)


def pdf_response(pdf: bytes, name: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@company_required
@require_http_methods(["GET", "POST"])
def record_print(request: AuthedHttpRequest, kind: str, pk: int) -> HttpResponse:
    record = _record(request, kind, pk)
    choices = _choices(request, kind)
    if request.method == "GET":
        initial = {"template": printing.preselected(choices, (get_language() or "en")[:2])}
        return _dialog(request, kind, record, PrintForm(initial=initial, choices=choices))
    form = PrintForm(request.POST, choices=choices)
    if not form.is_valid():
        return _dialog(request, kind, record, form)
    choice = form.choice
    attach = form.cleaned_data["attach"]
    if attach:
        require_right(request.user, Right.CHANGE_RECORDS)  # 403 before any work
    from piste.documents.pdf import PdfError

    if request.htmx and not attach:
        # Checked here (the filling, the cheap part), made by the GET the browser is sent to.
        try:
            actor = require_actor(request.user)
            printing.render_html(choice, record, user=request.user, company=actor.company)
        except PlaceholderError as exc:
            return _dialog(request, kind, record, form, str(exc))
        url = reverse("documents:print_pdf", args=[kind, record.pk])
        response = HttpResponse()
        response["HX-Redirect"] = f"{url}?{urlencode({'template': choice.key})}"
        return response
    try:
        pdf = _make_pdf(request, choice, record)
    except (PlaceholderError, PdfError) as exc:
        return _dialog(request, kind, record, form, str(exc))
    name = printing.print_file_name(record, language=choice.language)
    if not attach:
        return pdf_response(pdf, name)
    document = services.document_add_generated(
        user=request.user, record=record, name=name, content=pdf
    )
    url = reverse("documents:download", args=[document.pk])
    if request.htmx:
        response = HttpResponse()
        response["HX-Trigger"] = "documents-changed"
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@login_required
@company_required
@require_GET
def record_print_pdf(request: AuthedHttpRequest, kind: str, pk: int) -> HttpResponse:
    """The PDF of ``?template=`` (nothing stored): where an HTMX print is sent to download."""
    record = _record(request, kind, pk)
    choices = _choices(request, kind)
    form = PrintForm(request.GET, choices=choices)
    if not form.is_valid():
        return _dialog(request, kind, record, form)
    from piste.documents.pdf import PdfError

    try:
        pdf = _make_pdf(request, form.choice, record)
    except (PlaceholderError, PdfError) as exc:
        return _dialog(request, kind, record, form, str(exc))
    return pdf_response(pdf, printing.print_file_name(record, language=form.choice.language))
