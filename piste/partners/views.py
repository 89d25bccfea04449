"""Partner pages: create (prospect, customer…), the partner page (fields in the left column, edited
in place; tabs Contacts and Activity), validate a draft prospect, delete, logo.

Every partner is read through ``partner_get_for_user`` first: another company's partner, one
outside the user's record scope, or a closed account without the right to see them is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from piste.core.access import Actor, can_change, get_or_404, require_actor, right_required
from piste.core.contact import phone_display
from piste.core.forms import add_service_errors, posted
from piste.core.http import AuthedHttpRequest
from piste.core.layouts import AppliedLayout, layout_apply, layout_for
from piste.core.rights import Right
from piste.core.timeline import older_page
from piste.core.views_uploads import serve_private_file
from piste.geo.forms import AddressForm
from piste.partners import services
from piste.partners.forms import PartnerForm
from piste.partners.models import Partner
from piste.partners.selectors import (
    partner_contacts,
    partner_get_for_user,
    partner_version,
    partners_for_user,
)
from piste.partners.services import PARTNER_ADDRESSES
from piste.partners.views_prospects import status_bar_context

# The invoicing and delivery blocks are drawn when the partner has them; an empty one is a
# button that fetches it (each block holds a 250-country select: three of them were a third of
# the page's time).
OPTIONAL_ADDRESSES = frozenset({"invoicing_address", "delivery_address"})
ADDRESS_LEGENDS = {
    "main_address": gettext_lazy("main address"),
    "invoicing_address": gettext_lazy("invoicing address"),
    "delivery_address": gettext_lazy("delivery address"),
}
ADD_ADDRESS = {
    "invoicing_address": gettext_lazy("Add an invoicing address"),
    "delivery_address": gettext_lazy("Add a delivery address"),
}


def _address_forms(request: AuthedHttpRequest, partner: Partner | None) -> dict[str, AddressForm]:
    return {
        name: AddressForm(
            posted(request), address=getattr(partner, name) if partner else None, prefix=name
        )
        for name in PARTNER_ADDRESSES
    }


def _sent_names(request: AuthedHttpRequest) -> set[str]:
    """The address blocks whose fields the request sent (each field is "<block>-<field>")."""
    if request.method != "POST":
        return set()
    return {key.partition("-")[0] for key in request.POST if "-" in key}


def _shown_addresses(
    request: AuthedHttpRequest, forms: dict[str, AddressForm], layout: AppliedLayout
) -> dict[str, AddressForm]:
    """The address blocks to check and save: those the company's layout shows and the form
    sent. A block hidden by the layout, or not drawn (an empty invoicing address is a button
    until asked for), is neither checked nor saved: the partner keeps it."""
    sent = _sent_names(request)
    return {name: form for name, form in forms.items() if layout.shows(name) and name in sent}


def _drawn_addresses(request: AuthedHttpRequest, partner: Partner | None) -> set[str]:
    """The address blocks the page draws: the main one, those the partner has, those sent."""
    has = {n for n in OPTIONAL_ADDRESSES if partner and getattr(partner, f"{n}_id") is not None}
    return {*PARTNER_ADDRESSES} - OPTIONAL_ADDRESSES | has | _sent_names(request)


def _valid(form: PartnerForm, addresses: dict[str, AddressForm]) -> bool:
    return all([form.is_valid(), *(f.is_valid() for f in addresses.values())])


def _addresses_data(forms: dict[str, AddressForm]) -> dict[str, Any]:
    return {name: form.cleaned_data for name, form in forms.items()}


def _redirect(request: AuthedHttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _page_context(
    request: AuthedHttpRequest,
    actor: Actor,
    form: PartnerForm,
    layout: AppliedLayout,
    addresses: dict[str, AddressForm],
    partner: Partner | None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "form": form,
        "layout": layout,
        "address_forms": addresses,
        "address_form": None,
        "drawn_addresses": _drawn_addresses(request, partner),
        "address_legends": ADDRESS_LEGENDS,
        "add_address": ADD_ADDRESS,
        # The lookup fills the form: offered to those who may save it.
        "sirene_lookup": partner is None or can_change(request.user, partner),
        "partner": partner,
        "can_create": actor.has(Right.CREATE_RECORDS),
        "can_create_customers": actor.has(Right.CREATE_CUSTOMERS),
    }
    if partner is not None:
        context.update(
            {
                "contacts": partner_contacts(request.user, partner),
                # The tags the form read for its initial value (no query more).
                "tags": sorted(form.initial.get("tags") or [], key=lambda t: t.name_key),
                "phones": [
                    (label, value, phone_display(value))
                    for label, value in (
                        (_("Fixed phone"), partner.fixed_phone),
                        (_("Mobile phone"), partner.mobile_phone),
                    )
                    if value
                ],
                "can_validate": partner.is_draft_prospect and actor.has(Right.VALIDATE_PROSPECTS),
                "can_delete": actor.has(Right.DELETE_RECORDS),
                "can_change": can_change(request.user, partner),
                # The prospect status bar (1 query more, when the company manages them).
                **status_bar_context(request, actor, partner),
            }
        )
    return context


@login_required
@right_required(Right.CREATE_RECORDS)
@require_http_methods(["GET", "POST"])
def partner_create(request: AuthedHttpRequest) -> HttpResponse:
    """« Nouveau prospect »: an empty partner form, a prospect unless asked otherwise."""
    actor = require_actor(request.user)
    files = request.FILES if request.method == "POST" else None
    initial = {}
    if request.GET.get("type") == "customer" and actor.has(Right.CREATE_CUSTOMERS):
        initial = {"is_customer": True, "is_prospect": False}
    form = PartnerForm(posted(request), files, actor=actor, initial=initial)
    layout = layout_apply(form, layout_for(actor.company.pk, "partner"))
    addresses = _address_forms(request, None)
    if request.method == "POST" and _valid(form, _shown_addresses(request, addresses, layout)):
        try:
            partner = services.partner_create(
                actor=actor,
                data=form.partner_data(),
                addresses=_addresses_data(_shown_addresses(request, addresses, layout)),
                tags=form.cleaned_data.get("tags", ()),
                logo=form.cleaned_data.get("logo"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” was created.") % {"name": partner})
            return _redirect(request, reverse("partners:detail", args=[partner.pk]))
    return render(
        request,
        "partners/partner.html",
        _page_context(request, actor, form, layout, addresses, None),
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The partner page; its left column is the form, saved in place by those who may."""
    actor = require_actor(request.user)
    try:
        partner = partner_get_for_user(request.user, pk)
    except Http404:
        # A partner merged into another one: its page is now the survivor's.
        from piste.duplicates.views_merge import merged_or_404

        return merged_or_404(request, "partner", pk)
    if (older := older_page(request, partner)) is not None:
        return older
    editable = can_change(request.user, partner)
    if request.method == "POST" and not editable:
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    files = request.FILES if request.method == "POST" else None
    form = PartnerForm(posted(request), files, instance=partner, actor=actor)
    layout = layout_apply(form, layout_for(actor.company.pk, "partner"))
    addresses = _address_forms(request, partner)
    if request.method == "POST" and _valid(form, _shown_addresses(request, addresses, layout)):
        try:
            services.partner_update(
                actor=actor,
                partner=partner,
                data=form.partner_data(),
                version=form.cleaned_data["version"],
                addresses=_addresses_data(_shown_addresses(request, addresses, layout)),
                tags=form.cleaned_data.get("tags"),
                logo=form.logo_value(),  # type: ignore[arg-type]
            )
        except services.ConflictError as exc:
            form.add_error(None, exc)
            form.set_version(partner_version(partner))
        except ValidationError as exc:
            add_service_errors(form, exc)
            partner.refresh_from_db()
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": partner})
            return _redirect(request, reverse("partners:detail", args=[partner.pk]))
    return render(
        request,
        "partners/partner.html",
        _page_context(request, actor, form, layout, addresses, partner),
    )


@login_required
@require_POST
def partner_validate(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """« Actions → Valider le prospect »."""
    actor = require_actor(request.user)
    partner = partner_get_for_user(request.user, pk)
    if not actor.has(Right.VALIDATE_PROSPECTS):
        raise PermissionDenied(Right.VALIDATE_PROSPECTS.label)
    try:
        services.partner_validate_prospect(actor=actor, partner=partner)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The prospect was validated."))
    return _redirect(request, reverse("partners:detail", args=[partner.pk]))


def _visible_contacts(request: AuthedHttpRequest, partner: Partner) -> list[Any]:
    return [c for c in partner_contacts(request.user, partner) if c.main_partner_id == partner.pk]


@login_required
@require_http_methods(["GET", "POST"])
def partner_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A confirmation that lists what goes with the partner (or why it cannot go), then the
    deletion, for good."""
    actor = require_actor(request.user)
    partner = partner_get_for_user(request.user, pk)
    if not actor.has(Right.DELETE_RECORDS):
        raise PermissionDenied(Right.DELETE_RECORDS.label)
    contacts = _visible_contacts(request, partner)
    refusal = services.partner_delete_refusal(actor, partner, len(contacts))
    if request.method == "POST" and not refusal:
        name = str(partner)
        try:
            services.partner_delete(actor=actor, partner=partner, visible_contacts=len(contacts))
        except ValidationError as exc:
            refusal = " ".join(exc.messages)
        else:
            messages.success(request, _("“%(name)s” was deleted.") % {"name": name})
            return _redirect(request, reverse("partners:accounts"))
    context = {
        "object": partner,
        "refusal": refusal,
        "linked": [
            (_("Contacts deleted with it"), [str(c) for c in contacts]),
            (
                _("Subsidiaries"),
                [str(p) for p in partners_for_user(request.user).filter(parent=partner)[:20]],
            ),
            (
                _("Contacts also attached to it (they stay)"),
                [str(c) for c in partner.other_contacts.all()[:20]],
            ),
        ],
        "cancel_url": reverse("partners:detail", args=[partner.pk]),
    }
    return render(
        request,
        "partners/delete.html",
        context,
        status=409 if refusal and request.method == "POST" else 200,
    )


@login_required
@require_GET
def partner_logo(request: AuthedHttpRequest, pk: int) -> FileResponse:
    partner = get_or_404(partners_for_user(request.user).only("id", "company_id", "logo"), pk)
    return serve_private_file(partner.logo)


@login_required
@require_GET
def address_block(request: AuthedHttpRequest) -> HttpResponse:
    """An empty invoicing or delivery address block, drawn when the user asks for it."""
    name = request.GET.get("name", "")
    if name not in OPTIONAL_ADDRESSES:
        raise Http404
    return render(
        request,
        "partners/_form_partials.html#address_block",
        {
            "name": name,
            "drawn_addresses": {name},
            "address_forms": {name: AddressForm(None, prefix=name)},
            "address_legends": ADDRESS_LEGENDS,
        },
    )
