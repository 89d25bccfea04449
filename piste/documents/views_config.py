"""Print templates (Configuration → Print templates, « Modèles d'édition »): list, create (blank
or a copy of a built-in or of another template), edit, delete. Administrators only (right
MANAGE_CONFIGURATION). The HTML is checked on save: a syntax error is shown with its line."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.core.access import require_actor, right_required
from piste.core.http import AuthedHttpRequest
from piste.core.placeholders import PlaceholderError, record_placeholders
from piste.core.records import record_get_for_user, record_kind
from piste.core.rights import Right
from piste.core.text import is_id
from piste.documents import printing, selectors, services
from piste.documents.forms import PrintTemplateForm
from piste.documents.models import PrintKind, PrintTemplate
from piste.documents.views_print import pdf_response

LIST = "documents/config/list.html"
FORM = "documents/config/form.html"


def _placeholders() -> list[tuple[str, Any, list[Any]]]:
    return [(kind, label, record_placeholders(kind)) for kind, label in PrintKind.choices]


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def template_list(request: AuthedHttpRequest) -> HttpResponse:
    templates = list(selectors.print_templates_for_user(request.user))
    builtins = [choice for kind in PrintKind.values for choice in printing.builtin_choices(kind)]
    return render(request, LIST, {"templates": templates, "builtins": builtins})


def _copied(request: AuthedHttpRequest) -> dict[str, Any]:
    """The initial values of a new template: a copy of ``?copy=`` (a built-in's key or the id
    of one of the company's templates) when given; anything else starts blank."""
    key = request.GET.get("copy", "")
    source: printing.PrintChoice | None = None
    if key.startswith(printing.BUILTIN_PREFIX):
        source = next(
            (
                choice
                for kind in PrintKind.values
                for choice in printing.builtin_choices(kind)
                if choice.key == key
            ),
            None,
        )
    elif is_id(key):
        found = selectors.print_templates_for_user(request.user).filter(pk=int(key)).first()
        source = printing.template_choice(found) if found else None
    if source is None:
        kind = request.GET.get("kind", "")
        return {"kind": kind} if kind in PrintKind.values else {}
    return {
        "name": _("Copy of %(name)s") % {"name": source.name},
        "kind": source.kind,
        "language": source.language,
        "html": source.html,
        "css": source.css,
    }


def _form_page(
    request: AuthedHttpRequest,
    form: PrintTemplateForm,
    template: PrintTemplate | None,
    error: str = "",
) -> HttpResponse:
    return render(
        request,
        FORM,
        {"form": form, "template": template, "placeholders": _placeholders(), "error": error},
        status=400 if form.errors or error else 200,
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def template_create(request: AuthedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form_page(request, PrintTemplateForm(initial=_copied(request)), None)
    form = PrintTemplateForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, None)
    template = services.print_template_save(user=request.user, template=form.instance)
    messages.success(request, _("Print template “%(name)s” created.") % {"name": template.name})
    return redirect("print_templates:edit", template.pk)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def template_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    template = selectors.print_template_get_for_user(request.user, pk)
    if request.method == "GET":
        return _form_page(request, PrintTemplateForm(instance=template), template)
    form = PrintTemplateForm(request.POST, instance=template)
    if not form.is_valid():
        return _form_page(request, form, template)
    services.print_template_save(user=request.user, template=form.instance)
    messages.success(request, _("Print template “%(name)s” saved.") % {"name": template.name})
    return redirect("print_templates:edit", template.pk)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def template_preview(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The saved template printed on the newest record of its kind the administrator sees (a
    PDF download), or the form with the reason it cannot be."""
    from piste.documents.pdf import PdfError, html_to_pdf

    template = selectors.print_template_get_for_user(request.user, pk)
    actor = require_actor(request.user)
    kind = record_kind(template.kind)
    rows = kind.model._default_manager.filter(company_id=actor.company.pk)
    if any(f.name == "merged_into" for f in kind.model._meta.fields):
        rows = rows.filter(merged_into__isnull=True)  # archived by a merge
    newest = rows.order_by("-pk").values_list("pk", flat=True).first()
    form = PrintTemplateForm(instance=template)
    if newest is None:
        reason = _("There is no record of this type to preview the template on.")
        return _form_page(request, form, template, reason)
    record = record_get_for_user(request.user, kind.slug, newest)
    choice = printing.template_choice(template)
    try:
        html = printing.render_html(choice, record, user=request.user, company=actor.company)
        pdf = html_to_pdf(html, choice.css)
    except (PlaceholderError, PdfError) as exc:
        return _form_page(request, form, template, str(exc))
    return pdf_response(pdf, printing.print_file_name(record, language=choice.language))


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def template_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    template = selectors.print_template_get_for_user(request.user, pk)
    services.print_template_delete(user=request.user, template=template)
    messages.success(request, _("Print template “%(name)s” deleted.") % {"name": template.name})
    return redirect("print_templates:list")
