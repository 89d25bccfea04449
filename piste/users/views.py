from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from piste.core.access import (
    companies_administered_by,
    forget_actor,
    get_or_404,
    in_company,
    require_actor,
    right_required,
)
from piste.core.forms import posted
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.core.text import search_text
from piste.core.timeline import timeline_for
from piste.geo.forms import AddressForm
from piste.users import selectors, services, throttle
from piste.users.forms import (
    CompanyForm,
    CrmSettingsForm,
    InviteForm,
    MembershipForm,
    ProfileForm,
    StyledPasswordResetForm,
)
from piste.users.models import Membership, Team


class PasswordResetView(auth_views.PasswordResetView):
    """Password reset by mail, limited per address and per client: every try may send a mail."""

    template_name = "registration/password_reset.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    form_class = StyledPasswordResetForm
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: StyledPasswordResetForm) -> HttpResponse:
        window = settings.PASSWORD_RESET_WINDOW_SECONDS
        if not throttle.allow(
            self.request,
            "password-reset",
            form.cleaned_data["email"],
            limit=settings.PASSWORD_RESET_LIMIT,
            window=window,
        ):
            form.add_error(
                None,
                _("Too many reset requests. Wait %(minutes)d minutes and try again.")
                % {"minutes": max(1, window // 60)},
            )
            return self.form_invalid(form)
        return super().form_valid(form)


def _next_url(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or fallback
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    agencies = selectors.crm_settings_of(actor.company).agencies_enabled
    form = ProfileForm(posted(request), instance=request.user, agencies_enabled=agencies)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your profile was saved."))
            response = redirect("users:profile")
            if request.user.language:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    request.user.language,
                    max_age=365 * 24 * 3600,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                    samesite="Lax",
                )
            else:
                # "Browser language": forget the cookie so the browser's choice applies again.
                response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite="Lax")
            return response
    return render(request, "users/profile.html", {"form": form})


@login_required
@require_POST
def switch_company(request: AuthedHttpRequest) -> HttpResponse:
    try:
        company = services.user_switch_company(
            user=request.user, company_id=int(request.POST.get("company", ""))
        )
    except (ValueError, OverflowError, ValidationError):
        messages.error(request, _("This company is not granted to you."))
        return redirect("home")
    messages.success(request, _("You now work in %(company)s.") % {"company": company})
    # The page we came from may show a record of the previous company: start from home.
    return redirect("home")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    response: HttpResponse = HttpResponseRedirect(_next_url(request))
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("Unknown language."))
        return response
    if request.user.is_authenticated:
        services.user_set_language(user=request.user, language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        samesite="Lax",
    )
    return response


# Configuration: users of the company -------------------------------------------------------


@login_required
@right_required(Right.MANAGE_USERS)
def user_list(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    q = search_text(request.GET.get("q"))
    sort = request.GET.get("sort") or "username"
    page = selectors.memberships_page(
        actor.company, q=q, sort=sort, cursor=request.GET.get("cursor")
    )
    return render(request, "users/user_list.html", {"page": page, "q": q, "sort": sort})


@login_required
@right_required(Right.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_invite(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    form = InviteForm(posted(request), company_id=actor.company.pk)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.user_invite(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if not membership.user.has_usable_password():
                services.send_password_setup(
                    user=membership.user,
                    request=request,
                    subject_template="registration/invitation_subject.txt",
                )
            messages.success(
                request,
                _("%(user)s can now work in %(company)s.")
                % {"user": membership.user, "company": actor.company},
            )
            return redirect("config:user_list")
    return render(request, "users/user_form.html", {"form": form})


@login_required
@right_required(Right.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_edit(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    membership = get_or_404(in_company(request.user, Membership.objects.select_related("user")), pk)
    teams = Team.objects.filter(company_id=actor.company.pk, members=membership.user)
    form = MembershipForm(
        posted(request),
        company_id=actor.company.pk,
        initial={
            "role": membership.role,
            "scope": membership.scope,
            "is_active": membership.is_active,
            "teams": list(teams),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(actor=actor, membership=membership, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            forget_actor(request.user)
            messages.success(request, _("%(user)s was saved.") % {"user": membership.user})
            return redirect("config:user_list")
    activities, next_before = timeline_for(membership)
    return render(
        request,
        "users/user_form.html",
        {
            "form": form,
            "membership": membership,
            "object": membership,
            "activities": activities,
            "next_before": next_before,
        },
    )


# Configuration: companies -------------------------------------------------------------------


@login_required
@right_required(Right.MANAGE_USERS)
def company_list(request: AuthedHttpRequest) -> HttpResponse:
    companies = companies_administered_by(request.user).select_related("address")
    return render(request, "users/company_list.html", {"companies": companies})


@login_required
@right_required(Right.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def company_create(request: AuthedHttpRequest) -> HttpResponse:
    form = CompanyForm(posted(request))
    address_form = AddressForm(posted(request))
    if request.method == "POST" and all([form.is_valid(), address_form.is_valid()]):
        try:
            company = services.company_create(
                creator=request.user, **form.cleaned_data, address=address_form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("%(company)s was created; you are its administrator.") % {"company": company},
            )
            return redirect("config:company_list")
    return render(request, "users/company_form.html", {"form": form, "address_form": address_form})


@login_required
@right_required(Right.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def company_edit(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    company = get_or_404(
        companies_administered_by(request.user).select_related(
            "address__city__department", "address__country"
        ),
        pk,
    )
    form = CompanyForm(posted(request), instance=company)
    address_form = AddressForm(posted(request), address=company.address)
    if request.method == "POST" and all([form.is_valid(), address_form.is_valid()]):
        try:
            services.company_update(
                actor=actor,
                company=company,
                data=form.cleaned_data,
                address=address_form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(company)s was saved.") % {"company": company})
            return redirect("config:company_list")
    activities, next_before = timeline_for(company)
    return render(
        request,
        "users/company_form.html",
        {
            "form": form,
            "address_form": address_form,
            "object": company,
            "activities": activities,
            "next_before": next_before,
        },
    )


# Configuration: CRM settings ----------------------------------------------------------------


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def crm_settings(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    crm = selectors.crm_settings_of(actor.company)
    form = CrmSettingsForm(posted(request), instance=crm)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.crm_settings_update(
                actor=actor, settings=crm, data=data, version=form.cleaned_data["version"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The CRM settings were saved."))
            return redirect("config:crm_settings")
    activities, next_before = timeline_for(crm)
    return render(
        request,
        "users/crm_settings.html",
        {"form": form, "object": crm, "activities": activities, "next_before": next_before},
    )
