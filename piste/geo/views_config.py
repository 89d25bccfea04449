"""Configuration → Territory: countries, regions, departments and cities (browse, search, edit).

Shared by every company: any user with the configuration right sees and edits the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.core.access import require_actor, right_required
from piste.core.forms import posted
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.core.timeline import before_param, timeline_for
from piste.geo import selectors, services
from piste.geo.forms_config import (
    CityForm,
    CountryForm,
    DepartmentForm,
    RegionForm,
    TerritoryForm,
    country_from,
)


@dataclass(frozen=True)
class Kind:
    """What the shared form page needs to know about one kind of territory record."""

    plural: Promise
    new_title: Promise
    list_url: str
    create_url: str | None
    edit_url: str
    delete_url: str


COUNTRIES = Kind(
    gettext_lazy("Countries"),
    gettext_lazy("New country"),
    "territory:country_list",
    None,
    "territory:country_edit",
    "territory:country_delete",
)
REGIONS = Kind(
    gettext_lazy("Regions"),
    gettext_lazy("New region"),
    "territory:region_list",
    "territory:region_create",
    "territory:region_edit",
    "territory:region_delete",
)
DEPARTMENTS = Kind(
    gettext_lazy("Departments"),
    gettext_lazy("New department"),
    "territory:department_list",
    "territory:department_create",
    "territory:department_edit",
    "territory:department_delete",
)
CITIES = Kind(
    gettext_lazy("Cities"),
    gettext_lazy("New city"),
    "territory:city_list",
    "territory:city_create",
    "territory:city_edit",
    "territory:city_delete",
)

FORM_TEMPLATE = "geo/config/place_form.html"


def _list_template(request: AuthedHttpRequest, template: str) -> str:
    """The rows only for the list's own HTMX requests (search, sort, pages, filters)."""
    if request.htmx and request.htmx.target == "rows":
        return f"{template}#rows"
    return template


def _add_errors(form: TerritoryForm, exc: ValidationError) -> None:
    """The service's errors on their fields; errors on fields the form lacks go on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _form_page(
    request: AuthedHttpRequest,
    *,
    kind: Kind,
    form: TerritoryForm,
    obj: models.Model | None,
    save: Callable[[dict[str, Any]], models.Model],
) -> HttpResponse:
    """The create or edit page of a territory record: the form, its dependent fields reloaded
    when the country changes (HTMX), the timeline and its "Show older" pages."""
    if form.dependent_fields:
        # The form's own path, without the page's query string (htmx would append to it).
        form.fields["country"].widget.attrs["hx-get"] = request.path
    if obj is not None and "before" in request.GET:
        activities, next_before = timeline_for(obj, before_id=before_param(request))
        if request.htmx:
            return render(
                request,
                "components/timeline.html",
                {"activities": activities, "next_before": next_before, "object": obj},
            )
    if request.method == "GET" and request.htmx and "country" in request.GET:
        return render(request, f"{FORM_TEMPLATE}#dependent", {"form": form})
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(dict(form.cleaned_data))
        except ValidationError as exc:
            _add_errors(form, exc)
            if obj is not None:
                obj.refresh_from_db()  # the heading shows the saved record, not the rejected one
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": saved})
            return redirect(kind.list_url)
    context: dict[str, Any] = {"kind": kind, "form": form, "object": obj}
    if obj is not None:
        context["activities"], context["next_before"] = timeline_for(
            obj, before_id=before_param(request)
        )
    return render(request, FORM_TEMPLATE, context)


def _delete(
    request: AuthedHttpRequest, *, kind: Kind, obj: models.Model, delete: Callable[[], None]
) -> HttpResponse:
    name = str(obj)
    try:
        delete()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(kind.edit_url, pk=obj.pk)
    messages.success(request, _("“%(name)s” was deleted.") % {"name": name})
    return redirect(kind.list_url)


def _new_initial(request: AuthedHttpRequest) -> dict[str, Any]:
    """A new record starts in the country of the URL (the list's filter), else in France."""
    country = country_from(request.GET.get("country")) or country_from("FR")
    return {"country": country} if country is not None else {}


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def index(request: AuthedHttpRequest) -> HttpResponse:
    return render(request, "geo/config/index.html")


# Countries -----------------------------------------------------------------------------------


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def country_list(request: AuthedHttpRequest) -> HttpResponse:
    q = selectors.clean_query(request.GET.get("q"))
    page, sort = selectors.countries_page(
        q=q, sort=request.GET.get("sort"), cursor=request.GET.get("cursor")
    )
    return render(
        request,
        _list_template(request, "geo/config/country_list.html"),
        {"kind": COUNTRIES, "page": page, "q": q, "sort": sort},
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def country_edit(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    country = selectors.country_get(pk)
    form = CountryForm(posted(request), instance=country)
    return _form_page(
        request,
        kind=COUNTRIES,
        form=form,
        obj=country,
        save=lambda data: services.country_update(actor=actor, country=country, data=data),
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def country_delete(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    country = selectors.country_get(pk)
    return _delete(
        request,
        kind=COUNTRIES,
        obj=country,
        delete=lambda: services.country_delete(actor=actor, country=country),
    )


# Regions ----------------------------------------------------------------------------------------


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def region_list(request: AuthedHttpRequest) -> HttpResponse:
    q = selectors.clean_query(request.GET.get("q"))
    filters = selectors.read_filters(request.GET)
    page, sort = selectors.regions_page(
        q=q,
        country=filters.country,
        sort=request.GET.get("sort"),
        cursor=request.GET.get("cursor"),
    )
    return render(
        request,
        _list_template(request, "geo/config/region_list.html"),
        {"kind": REGIONS, "page": page, "q": q, "sort": sort, "filters": filters},
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def region_create(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    form = RegionForm(posted(request), initial=_new_initial(request))
    return _form_page(
        request,
        kind=REGIONS,
        form=form,
        obj=None,
        save=lambda data: services.region_create(actor=actor, data=data),
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def region_edit(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    region = selectors.region_get(pk)
    form = RegionForm(posted(request), instance=region)
    return _form_page(
        request,
        kind=REGIONS,
        form=form,
        obj=region,
        save=lambda data: services.region_update(actor=actor, region=region, data=data),
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def region_delete(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    region = selectors.region_get(pk)
    return _delete(
        request,
        kind=REGIONS,
        obj=region,
        delete=lambda: services.region_delete(actor=actor, region=region),
    )


# Departments ------------------------------------------------------------------------------------


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def department_list(request: AuthedHttpRequest) -> HttpResponse:
    q = selectors.clean_query(request.GET.get("q"))
    filters = selectors.read_filters(request.GET, subdivision="region")
    page, sort = selectors.departments_page(
        q=q,
        country=filters.country,
        region=filters.subdivision,
        sort=request.GET.get("sort"),
        cursor=request.GET.get("cursor"),
    )
    return render(
        request,
        _list_template(request, "geo/config/department_list.html"),
        {"kind": DEPARTMENTS, "page": page, "q": q, "sort": sort, "filters": filters},
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def department_create(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    form = DepartmentForm(posted(request), initial=_new_initial(request))
    return _form_page(
        request,
        kind=DEPARTMENTS,
        form=form,
        obj=None,
        save=lambda data: services.department_create(actor=actor, data=data),
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def department_edit(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    department = selectors.department_get(pk)
    form = DepartmentForm(posted(request), instance=department, initial=_country_in_url(request))
    return _form_page(
        request,
        kind=DEPARTMENTS,
        form=form,
        obj=department,
        save=lambda data: services.department_update(actor=actor, department=department, data=data),
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def department_delete(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    department = selectors.department_get(pk)
    return _delete(
        request,
        kind=DEPARTMENTS,
        obj=department,
        delete=lambda: services.department_delete(actor=actor, department=department),
    )


# Cities -----------------------------------------------------------------------------------------


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def city_list(request: AuthedHttpRequest) -> HttpResponse:
    q = selectors.clean_query(request.GET.get("q"))
    filters = selectors.read_filters(request.GET, subdivision="department")
    page, sort = selectors.cities_page(
        q=q,
        country=filters.country,
        department=filters.subdivision,
        sort=request.GET.get("sort"),
        cursor=request.GET.get("cursor"),
    )
    return render(
        request,
        _list_template(request, "geo/config/city_list.html"),
        {"kind": CITIES, "page": page, "q": q, "sort": sort, "filters": filters},
    )


def _save_city(actor: Any, city: Any = None) -> Callable[[dict[str, Any]], models.Model]:
    def save(data: dict[str, Any]) -> models.Model:
        codes = data.pop("postal_codes")
        if city is None:
            return services.city_create(actor=actor, data=data, postal_codes=codes)
        return services.city_update(actor=actor, city=city, data=data, postal_codes=codes)

    return save


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def city_create(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    form = CityForm(posted(request), initial=_new_initial(request))
    return _form_page(request, kind=CITIES, form=form, obj=None, save=_save_city(actor))


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def city_edit(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    city = selectors.city_get(pk)
    form = CityForm(posted(request), instance=city, initial=_country_in_url(request))
    return _form_page(request, kind=CITIES, form=form, obj=city, save=_save_city(actor, city))


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def city_delete(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    city = selectors.city_get(pk)
    return _delete(
        request,
        kind=CITIES,
        obj=city,
        delete=lambda: services.city_delete(actor=actor, city=city),
    )


def _country_in_url(request: AuthedHttpRequest) -> dict[str, Any]:
    """On an edit page, the country picked in the form: sent alone by HTMX when it changes, the
    form then offers that country's regions and departments."""
    code = request.GET.get("country")
    return {"country": code} if code and request.method == "GET" else {}
