"""Contact pages: create (from a partner's page), the contact page (fields in the left column,
edited in place; Activity tab), delete.

Every contact is read through ``contact_get_for_user`` first (404 outside the user's reach); the
partner a new contact joins is read through ``partner_get_for_user``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from piste.core.access import Actor, can_change, require_actor, right_required
from piste.core.contact import phone_display
from piste.core.forms import add_service_errors, posted
from piste.core.http import AuthedHttpRequest
from piste.core.layouts import AppliedLayout, layout_apply, layout_for
from piste.core.rights import Right
from piste.core.text import search_text
from piste.core.timeline import older_page, timeline_context
from piste.geo.forms import AddressForm
from piste.partners import services
from piste.partners.forms import ContactForm
from piste.partners.models import Contact, Partner
from piste.partners.selectors import (
    RESULTS_PAGE,
    Kind,
    accounts_search,
    contact_get_for_user,
    contact_version,
    partner_get_for_user,
    search_key,
)


def _valid(form: ContactForm, address_form: AddressForm, layout: AppliedLayout) -> bool:
    """The form, and the address when the company's layout shows it, are valid."""
    return all([form.is_valid(), not layout.shows("address") or address_form.is_valid()])


def _redirect(request: AuthedHttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _context(
    request: AuthedHttpRequest,
    actor: Actor,
    form: ContactForm,
    layout: AppliedLayout,
    address_form: AddressForm,
    partner: Partner,
    contact: Contact | None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "form": form,
        "layout": layout,
        "address_form": address_form,
        "address_forms": {},
        "sirene_lookup": False,
        "partner": partner,
        "contact": contact,
        "can_change": contact is None or can_change(request.user, contact),
    }
    if contact is not None:
        context.update(timeline_context(request, contact))
        context.update(
            {
                "phones": [
                    (label, value, phone_display(value))
                    for label, value in (
                        (_("Direct line"), contact.fixed_phone),
                        (_("Mobile phone"), contact.mobile_phone),
                    )
                    if value
                ],
                "other_partners": list(contact.other_partners.order_by("name_key")[:50]),
                "can_delete": actor.has(Right.DELETE_RECORDS),
            }
        )
    return context


@login_required
@right_required(Right.CREATE_RECORDS)
@require_http_methods(["GET", "POST"])
def contact_create(request: AuthedHttpRequest) -> HttpResponse:
    """A new contact of the partner named by ``?partner=``, as its page's button opens it."""
    actor = require_actor(request.user)
    partner = partner_get_for_user(request.user, request.GET.get("partner"))
    form = ContactForm(
        posted(request),
        actor=actor,
        initial={"assigned_to": partner.assigned_to_id, "team": partner.team_id},
    )
    layout = layout_apply(form, layout_for(actor.company.pk, "contact"))
    address_form = AddressForm(posted(request))
    if request.method == "POST" and _valid(form, address_form, layout):
        try:
            contact = services.contact_create(
                actor=actor,
                partner=partner,
                data=form.contact_data(),
                address=address_form.cleaned_data if layout.shows("address") else None,
                tags=form.cleaned_data.get("tags", ()),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The contact “%(name)s” was created.") % {"name": contact})
            return _redirect(request, reverse("partners:detail", args=[partner.pk]))
    return render(
        request,
        "partners/contact.html",
        _context(request, actor, form, layout, address_form, partner, None),
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_actor(request.user)
    try:
        contact = contact_get_for_user(request.user, pk)
    except Http404:
        # A contact merged into another one: its page is now the survivor's.
        from piste.duplicates.views_merge import merged_or_404

        return merged_or_404(request, "contact", pk)
    if (older := older_page(request, contact)) is not None:
        return older
    editable = can_change(request.user, contact)
    if request.method == "POST" and not editable:
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    form = ContactForm(posted(request), instance=contact, actor=actor)
    layout = layout_apply(form, layout_for(actor.company.pk, "contact"))
    address_form = AddressForm(posted(request), address=contact.address)
    if request.method == "POST" and _valid(form, address_form, layout):
        try:
            services.contact_update(
                actor=actor,
                contact=contact,
                data=form.contact_data(),
                version=form.cleaned_data["version"],
                address=address_form.cleaned_data if layout.shows("address") else None,
                tags=form.cleaned_data.get("tags"),
            )
        except services.ConflictError as exc:
            form.add_error(None, exc)
            form.set_version(contact_version(contact))
        except ValidationError as exc:
            add_service_errors(form, exc)
            contact.refresh_from_db()
        else:
            messages.success(request, _("The contact “%(name)s” was saved.") % {"name": contact})
            return _redirect(request, reverse("partners:contact", args=[contact.pk]))
    return render(
        request,
        "partners/contact.html",
        _context(request, actor, form, layout, address_form, contact.main_partner, contact),
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_actor(request.user)
    contact = contact_get_for_user(request.user, pk)
    if not actor.has(Right.DELETE_RECORDS):
        raise PermissionDenied(Right.DELETE_RECORDS.label)
    refusal = None
    if request.method == "POST":
        name, partner_id = str(contact), contact.main_partner_id
        try:
            services.contact_delete(actor=actor, contact=contact)
        except ValidationError as exc:
            refusal = " ".join(exc.messages)
        else:
            messages.success(request, _("The contact “%(name)s” was deleted.") % {"name": name})
            return _redirect(request, reverse("partners:detail", args=[partner_id]))
    context = {
        "object": contact,
        "refusal": refusal,
        "linked": [
            (_("Also attached to"), [str(p) for p in contact.other_partners.all()[:20]]),
        ],
        "cancel_url": reverse("partners:contact", args=[contact.pk]),
    }
    return render(request, "partners/delete.html", context, status=409 if refusal else 200)


@login_required
@require_http_methods(["GET", "POST"])
def contact_attach(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Attach an existing contact to the partner ``pk``: find it by the first letters of its
    name, then Attach (POST ``contact``); Detach (POST ``detach``) undoes it."""
    actor = require_actor(request.user)
    partner = partner_get_for_user(request.user, pk)
    if not can_change(request.user, partner):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    if request.method == "POST":
        detach = "detach" in request.POST
        contact = contact_get_for_user(request.user, request.POST.get("contact"))
        try:
            if detach:
                services.contact_detach(actor=actor, contact=contact, partner=partner)
            else:
                services.contact_attach(actor=actor, contact=contact, partner=partner)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            done = (
                _("“%(contact)s” is no longer attached to “%(partner)s”.")
                if detach
                else _("“%(contact)s” is now also a contact of “%(partner)s”.")
            )
            messages.success(request, done % {"contact": contact, "partner": partner})
        return _redirect(request, reverse("partners:detail", args=[partner.pk]))
    q = search_text(request.GET.get("q"))
    groups = accounts_search(request.user, q, kinds=(Kind.CONTACTS,), limit=RESULTS_PAGE)
    return render(
        request,
        "partners/contact_attach.html",
        {
            "partner": partner,
            "q": q,
            "key": search_key(q),
            "contacts": groups[0].rows if groups else [],
            "too_short": bool(q) and not search_key(q),
        },
    )
