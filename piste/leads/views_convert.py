"""The conversion wizard (« Convertir la piste »): the form with the partners and contacts that
already match, then "Generate an opportunity?" once converted."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from piste.core.access import get_or_404, require_actor
from piste.core.forms import add_service_errors, posted
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.core.statuses import statuses
from piste.core.text import is_id
from piste.leads import services_convert as convert
from piste.leads.forms_convert import ConvertForm
from piste.leads.models import Lead
from piste.leads.selectors import leads_for_user
from piste.leads.selectors_convert import conversion_matches, matched_contacts, matched_partners
from piste.partners.selectors import contacts_for_user, partners_for_user
from piste.partners.statuses import PROSPECT_STATUSES
from piste.users.selectors import crm_settings_of

TEMPLATE = "leads/convert.html"


def _initial(request: AuthedHttpRequest) -> dict[str, object]:
    """ "Use this partner / contact" links of the matches: ``?partner=`` and ``?contact=``."""
    initial: dict[str, object] = {}
    partner = request.GET.get("partner", "")
    if is_id(partner):
        initial.update(partner_choice=convert.PARTNER_EXISTING, partner=int(partner))
    contacts = [int(c) for c in request.GET.getlist("contact") if is_id(c)]
    if contacts:
        initial.update(contact_choice=convert.CONTACT_EXISTING, contacts=contacts)
    return initial


def _lead(request: AuthedHttpRequest, pk: int) -> Lead:
    """The lead (404 when not visible) with its status: the wizard shows nothing else of it."""
    return get_or_404(leads_for_user(request.user).select_related("status"), pk)


@login_required
@require_http_methods(["GET", "POST"])
def lead_convert(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_actor(request.user)
    lead = _lead(request, pk)
    for right in (Right.CHANGE_RECORDS, Right.CREATE_RECORDS):
        if not actor.has(right):
            raise PermissionDenied(right.label)
    if lead.is_converted and lead.partner_id:
        messages.info(request, _("This lead is already converted."))
        return redirect("leads:converted", pk=lead.pk)
    refusal = ""
    if lead.is_lost:
        refusal = _("A lost lead cannot be converted: reopen it first.")
    elif lead.is_converted:
        refusal = _("This lead is already converted.")
    manage_statuses = crm_settings_of(actor.company).manage_prospect_statuses
    matches = conversion_matches(request.user, lead)
    form = ConvertForm(
        posted(request),
        initial=_initial(request),
        partners=partners_for_user(request.user),
        contacts=contacts_for_user(request.user),
        statuses=statuses(PROSPECT_STATUSES, actor.company) if manage_statuses else None,
        matched_partners=matched_partners(matches),
        matched_contacts=matched_contacts(matches),
    )
    if request.method == "POST" and not refusal and form.is_valid():
        data = form.cleaned_data
        try:
            result = convert.lead_convert(
                actor=actor,
                lead=lead,
                partner_choice=data["partner_choice"],
                partner=data.get("partner"),
                types=form.type_flags(),
                status=data.get("status"),
                contact_choice=data["contact_choice"],
                contacts=data.get("contacts") or [],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not result.already:
                messages.success(
                    request,
                    _("The lead “%(lead)s” was converted into “%(partner)s”.")
                    % {"lead": lead, "partner": result.partner},
                )
            return redirect("leads:converted", pk=lead.pk)
    context = {"lead": lead, "form": form, "matches": matches, "refusal": refusal}
    return render(request, TEMPLATE, context)


@login_required
@require_GET
def lead_converted(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """After the conversion: where the lead went, and "Generate an opportunity? Yes / No"."""
    actor = require_actor(request.user)
    lead = _lead(request, pk)
    if not lead.is_converted or lead.partner_id is None:
        return redirect("leads:detail", pk=lead.pk)
    partner = partners_for_user(request.user).filter(pk=lead.partner_id).first()
    contacts = list(
        contacts_for_user(request.user).filter(converted_leads=lead).select_related("main_partner")
    )
    context = {
        "lead": lead,
        "partner": partner,
        "contacts": contacts,
        "can_create": actor.has(Right.CREATE_RECORDS),
    }
    return render(request, "leads/converted.html", context)
