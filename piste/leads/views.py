"""One lead's pages: the lead page (status bar, actions, timeline), create, edit, lose, delete.

Every lead is read through ``lead_get_for_user`` first, so another company's lead (or one outside
the user's record scope) is a 404 on every URL; a missing right is a 403 after that. Writes go
through ``piste.leads.services``.

HTMX: the status bar answers with the bar and the timeline; Take charge, Reopen and Lose answer
the lead page's ``#lead`` region when asked from it, and a refresh of the asking page otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import (
    HttpResponseClientRedirect,
    HttpResponseClientRefresh,
    reswap,
    retarget,
)

from piste.core import services as core_services
from piste.core.access import Actor, get_or_404, require_actor, right_required
from piste.core.contact import phone_display
from piste.core.forms import add_service_errors, posted
from piste.core.http import AuthedHttpRequest
from piste.core.layouts import AppliedLayout, layout_apply, layout_for
from piste.core.rights import Right
from piste.core.timeline import older_page, timeline_context
from piste.core.views_uploads import serve_private_file
from piste.geo.forms import AddressForm
from piste.leads import services
from piste.leads.forms import JobTitleForm, LeadForm, LoseForm
from piste.leads.models import Lead, LeadStatus
from piste.leads.selectors import (
    has_default_status,
    lead_get_for_user,
    lead_statuses,
    lead_version,
    leads_for_user,
)
from piste.partners.models import JobTitle
from piste.users.selectors import agencies_enabled

# Regions of templates/leads/detail.html that HTMX requests ask for (their hx-target).
RECORD_TARGETS = {"lead", "lead-lose"}


@dataclass(frozen=True)
class StatusStep:
    """One status of the status bar."""

    status: LeadStatus
    current: bool
    clickable: bool
    # Why the status cannot be chosen by a click (its tooltip), "" when it can.
    hint: str


@dataclass(frozen=True)
class Phone:
    label: str
    e164: str
    display: str


def _status_steps(lead: Lead, statuses: list[LeadStatus], can_change: bool) -> list[StatusStep]:
    """Every status in order; open ones are clickable unless the bar is read-only (lost or
    converted lead, or a user who may not change it)."""
    read_only = not can_change or lead.is_lost or lead.is_converted
    steps = []
    for status in statuses:
        if status.role == LeadStatus.Role.CONVERTED:
            hint = _("To convert a lead, use the Convert button.")
        elif status.role == LeadStatus.Role.LOST:
            hint = _("To lose a lead, use the Lose button.")
        elif not status.is_open:
            hint = _("A lead moves to a closed status only through Convert or Lose.")
        else:
            hint = ""
        current = status.pk == lead.status_id
        steps.append(
            StatusStep(
                status=status,
                current=current,
                clickable=not (read_only or hint or current),
                hint=hint,
            )
        )
    return steps


def _search_urls(lead: Lead) -> dict[str, str]:
    phrase = lead.search_phrase
    return {
        "google_url": "https://www.google.com/search?" + urlencode({"q": phrase}),
        "linkedin_url": "https://www.linkedin.com/search/results/all/?"
        + urlencode({"keywords": phrase}),
    }


def _phones(lead: Lead) -> list[Phone]:
    return [
        Phone(label=label, e164=value, display=phone_display(value))
        for label, value in (
            (_("Fixed phone"), lead.fixed_phone),
            (_("Mobile phone"), lead.mobile_phone),
        )
        if value
    ]


def _detail_context(
    request: AuthedHttpRequest, actor: Actor, lead: Lead, *, fragment: bool = False
) -> dict[str, Any]:
    """What the lead page shows. Queries: the statuses, the tags and one page of timeline."""
    can_change = actor.has(Right.CHANGE_RECORDS)
    closed = lead.is_lost or lead.is_converted
    return {
        "lead": lead,
        "steps": _status_steps(lead, lead_statuses(actor.company), can_change),
        "can_change": can_change,
        "can_delete": actor.has(Right.DELETE_RECORDS),
        "can_take_charge": can_change and lead.assigned_to_id != actor.user.pk and not lead.is_lost,
        "can_lose": can_change and not closed,
        "can_convert": can_change and actor.has(Right.CREATE_RECORDS) and not closed,
        "can_reopen": can_change and lead.is_lost,
        "phones": _phones(lead),
        "tags": list(lead.tags.all()),
        "agencies_enabled": agencies_enabled(actor.company),
        "company": actor.company,  # the lead's: leads_for_user keeps the actor's company
        "fragment": fragment,
        **_search_urls(lead),
        # activities, next_before, object (the timeline names fields after its model)
        **timeline_context(request, lead),
    }


def _list_url() -> str:
    """Where to go when the lead is gone: My leads (the list pages live in urls_lists)."""
    try:
        return reverse("leads:mine")
    except NoReverseMatch:
        return reverse("home")


def _next_url(request: AuthedHttpRequest, fallback: str) -> str:
    """A page of this site to go back to (a list's row action posts ``next``), else fallback."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _lead_for_change(request: AuthedHttpRequest, pk: int) -> tuple[Actor, Lead]:
    """The lead (404 when not visible) and the actor, who must have the right to change it."""
    actor = require_actor(request.user)
    lead = lead_get_for_user(request.user, pk)
    if not actor.has(Right.CHANGE_RECORDS):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    return actor, lead


def _after_action(request: AuthedHttpRequest, actor: Actor, lead: Lead) -> HttpResponse:
    """After take charge, reopen or lose: the lead page again (its ``#lead`` region for HTMX
    asked from the page, with the messages in it); a refresh of any other HTMX page."""
    if request.htmx:
        if request.htmx.target in RECORD_TARGETS:
            response = render(
                request,
                "leads/detail.html#lead",
                _detail_context(request, actor, lead, fragment=True),
            )
            return reswap(retarget(response, "#lead"), "outerHTML")
        return HttpResponseClientRefresh()
    return redirect(_next_url(request, reverse("leads:detail", args=[lead.pk])))


def _messages_from(request: AuthedHttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# Pages -----------------------------------------------------------------------------------------


@login_required
@require_GET
def lead_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_actor(request.user)
    try:
        lead = lead_get_for_user(request.user, pk)
    except Http404:
        # A lead merged into another one: its page is now the survivor's.
        from piste.duplicates.views_merge import merged_or_404

        return merged_or_404(request, "lead", pk)
    if (older := older_page(request, lead)) is not None:
        return older
    return render(request, "leads/detail.html", _detail_context(request, actor, lead))


def _form_context(
    actor: Actor,
    form: LeadForm,
    address_form: AddressForm,
    lead: Lead | None,
    layout: AppliedLayout,
) -> dict[str, Any]:
    return {
        "form": form,
        "address_form": address_form,
        "layout": layout,
        "lead": lead,
        "company": actor.company,
        "can_create": actor.has(Right.CREATE_RECORDS),
    }


@login_required
@right_required(Right.CREATE_RECORDS)
@require_http_methods(["GET", "POST"])
def lead_create(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    files = request.FILES if request.method == "POST" else None
    form = LeadForm(posted(request), files, actor=actor)
    # The company's layout: hidden fields leave the form (nothing of theirs is saved), the
    # mandatory ones become required.
    layout = layout_apply(form, layout_for(actor.company.pk, "lead"))
    address_form = AddressForm(posted(request))
    with_address = layout.shows("address")
    if request.method == "POST" and all(
        [form.is_valid(), not with_address or address_form.is_valid()]
    ):
        try:
            lead = services.lead_create(
                actor=actor,
                data=form.lead_data(),
                address=address_form.cleaned_data if with_address else None,
                tags=form.cleaned_data.get("tags", ()),
                logo=form.cleaned_data.get("logo"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The lead “%(lead)s” was created.") % {"lead": lead})
            url = reverse("leads:detail", args=[lead.pk])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = _form_context(actor, form, address_form, None, layout)
    if not has_default_status(actor.company.pk):
        # Same words as the service's refusal: the administrator knows where to look.
        context["no_default_status"] = _(
            "Choose the %(role)s of leads in the configuration (lead statuses)."
        ) % {"role": LeadStatus.Role.DEFAULT.label}
    return render(request, "leads/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor, lead = _lead_for_change(request, pk)
    files = request.FILES if request.method == "POST" else None
    form = LeadForm(posted(request), files, instance=lead, actor=actor)
    # Hidden fields leave the form: the lead keeps their values (see layout_apply).
    layout = layout_apply(form, layout_for(actor.company.pk, "lead"))
    address_form = AddressForm(posted(request), address=lead.address)
    with_address = layout.shows("address")
    if request.method == "POST" and all(
        [form.is_valid(), not with_address or address_form.is_valid()]
    ):
        try:
            services.lead_update(
                actor=actor,
                lead=lead,
                data=form.lead_data(),
                version=form.cleaned_data["version"],
                # None: the hidden address, or the hidden tags, stay as they are.
                address=address_form.cleaned_data if with_address else None,
                tags=form.cleaned_data.get("tags"),
                logo=form.logo_value(),
            )
        except services.ConflictError as exc:
            # Nothing was written. The page keeps what the user typed and now carries the
            # current version: saving again knowingly replaces the other user's values.
            form.add_error(None, exc)
            form.set_version(lead_version(lead))
        except ValidationError as exc:
            add_service_errors(form, exc)
            lead.refresh_from_db()  # the refused values were set on it before the rollback
        else:
            messages.success(request, _("The lead “%(lead)s” was saved.") % {"lead": lead})
            url = reverse("leads:detail", args=[lead.pk])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return render(
        request, "leads/form.html", _form_context(actor, form, address_form, lead, layout)
    )


@login_required
@require_POST
def lead_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_actor(request.user)
    lead = lead_get_for_user(request.user, pk)
    if not actor.has(Right.DELETE_RECORDS):
        raise PermissionDenied(Right.DELETE_RECORDS.label)
    name = str(lead)
    services.lead_delete(actor=actor, lead=lead)
    messages.success(request, _("The lead “%(lead)s” was deleted.") % {"lead": name})
    url = _list_url()
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_GET
def lead_logo(request: AuthedHttpRequest, pk: int) -> FileResponse:
    """The company logo, to users who may see the lead (404 otherwise, and without a logo)."""
    lead = get_or_404(leads_for_user(request.user).only("id", "company_id", "logo"), pk)
    return serve_private_file(lead.logo)


# Actions ---------------------------------------------------------------------------------------


@login_required
@require_POST
def lead_status(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A click on the status bar: move the lead to an open status."""
    actor, lead = _lead_for_change(request, pk)
    status = get_or_404(
        LeadStatus.objects.filter(company_id=actor.company.pk), request.POST.get("status")
    )
    try:
        services.lead_change_status(actor=actor, lead=lead, status=status)
    except ValidationError as exc:
        _messages_from(request, exc)
    if request.htmx:
        context = _detail_context(request, actor, lead, fragment=True)
        return render(request, "leads/detail.html#status_swap", {**context, "bar_messages": True})
    return redirect("leads:detail", pk=lead.pk)


@login_required
@require_POST
def lead_take_charge(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor, lead = _lead_for_change(request, pk)
    try:
        services.lead_take_charge(actor=actor, lead=lead)
    except ValidationError as exc:
        _messages_from(request, exc)
    else:
        messages.success(request, _("You are now in charge of “%(lead)s”.") % {"lead": lead})
    return _after_action(request, actor, lead)


@login_required
@require_POST
def lead_reopen(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor, lead = _lead_for_change(request, pk)
    try:
        services.lead_reopen(actor=actor, lead=lead)
    except ValidationError as exc:
        _messages_from(request, exc)
    else:
        messages.success(request, _("The lead “%(lead)s” was reopened.") % {"lead": lead})
    return _after_action(request, actor, lead)


@login_required
@require_http_methods(["GET", "POST"])
def lead_lose(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The lose form (a page, or the ``#lead-lose`` region of the lead page with HTMX)."""
    actor, lead = _lead_for_change(request, pk)
    form = LoseForm(posted(request), company_id=actor.company.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_lose(
                actor=actor,
                lead=lead,
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The lead “%(lead)s” is lost.") % {"lead": lead})
            return _after_action(request, actor, lead)
    refusal = ""
    if lead.is_lost:
        refusal = _("This lead is already lost.")
    elif lead.is_converted:
        refusal = _("A converted lead cannot be lost.")
    template = "leads/lose.html"
    if request.htmx and request.htmx.target in RECORD_TARGETS:
        template += "#form"
    return render(request, template, {"lead": lead, "form": form, "refusal": refusal})


@login_required
@right_required(Right.CREATE_RECORDS)
@require_POST
def job_title_create(request: AuthedHttpRequest) -> HttpResponse:
    """The "+" next to the Job title field: a new job title of the company, or the existing one
    with the same name (ignoring case and accents). JSON ``{id, name}``, or an ``<option>`` for
    HTMX."""
    actor = require_actor(request.user)
    form = JobTitleForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    try:
        job_title, created = core_services.referential_get_or_create(
            actor=actor, model=JobTitle, name=form.cleaned_data["name"]
        )
    except ValidationError as exc:
        return JsonResponse({"errors": {"name": exc.messages}}, status=400)
    status = 201 if created else 200
    if request.htmx:
        return HttpResponse(
            format_html('<option value="{}" selected>{}</option>', job_title.pk, job_title.name),
            status=status,
        )
    return JsonResponse(
        {"id": job_title.pk, "name": job_title.name, "created": created}, status=status
    )
