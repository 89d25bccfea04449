"""The lead lists (My leads, Open leads, Closed leads), their row action and bulk actions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from piste.core.access import Actor, company_required, get_or_404, require_actor
from piste.core.forms import company_users
from piste.core.http import AuthedHttpRequest
from piste.core.models import Tag
from piste.core.rights import Right
from piste.core.selectors import bounded_choices
from piste.leads import selectors, services
from piste.leads.forms_lists import BulkAction, BulkForm, LeadFilterForm
from piste.leads.models import Lead, LeadSource, LeadStatus
from piste.leads.selectors import ListKind

TEMPLATE = "leads/list.html"
TITLES = {
    ListKind.MINE: gettext_lazy("My leads"),
    ListKind.OPEN: gettext_lazy("Open leads"),
    ListKind.CLOSED: gettext_lazy("Closed leads"),
}
# (sort name in selectors.SORTS, column heading), in the order of the table.
COLUMNS = [
    ("name", gettext_lazy("Full name")),
    ("company", pgettext_lazy("lead list column", "Company")),
    ("phone", gettext_lazy("Phone")),
    ("city", gettext_lazy("City")),
    ("created", gettext_lazy("Created on")),
    ("assigned", gettext_lazy("Assigned to")),
    ("status", gettext_lazy("Status")),
    ("scoring", gettext_lazy("Lead scoring")),
]
STARS = range(1, 6)


def _kind(kind: str) -> str:
    if kind not in ListKind.ALL:
        raise Http404
    return kind


def stars(score: int) -> str:
    """A score's stars (lists and kanban), with its text for screen readers."""
    label = ngettext("%(count)d star out of 5", "%(count)d stars out of 5", score) % {
        "count": score
    }
    icons = format_html_join(
        "",
        '<i class="bi {}" aria-hidden="true"></i>',
        (("bi-star-fill" if star <= score else "bi-star",) for star in STARS),
    )
    return format_html(
        '<span class="stars text-nowrap" role="img" aria-label="{}">{}</span>', label, icons
    )


def _row_context(actor: Actor) -> dict[str, Any]:
    """What a row needs besides the lead (the list and the row action render rows).

    A list renders 25 rows and the template engine's tags are its main cost: what is the same
    for every row is computed once per request here: each score's stars, the translated
    labels, and the URLs' common part (reversing two URLs per row cost 2 ms a page).
    """
    detail = reverse("leads:detail", args=[0])
    take = reverse("leads:row_take_charge", args=[0])
    event = reverse("activities:record_event_new", args=["lead", 0])
    email = reverse("emails:compose", args=["lead", 0])
    return {
        "can_change": actor.has(Right.CHANGE_RECORDS),
        "scores": {score: stars(score) for score in range(6)},
        "detail_url": detail[: detail.rindex("0/")],
        "take_url": take[: take.rindex("0/")],
        "take_path": take[take.rindex("0/") + 1 :],
        "take_title": _("Take charge"),
        # Row icons (seed 000): the group plans an event, the envelope sends an email.
        "event_url": event[: event.rindex("0/")],
        "event_path": event[event.rindex("0/") + 1 :],
        "event_title": _("Plan an event"),
        "email_url": email[: email.rindex("0/")],
        "email_path": email[email.rindex("0/") + 1 :],
        "email_title": _("Send an email"),
        "no_email_title": _("No email can be sent to this lead"),
        "tag_title": _("Leads with this tag"),
        "unassigned": pgettext("lead", "Unassigned"),
    }


@login_required
@company_required
@require_GET
def lead_list(request: AuthedHttpRequest, kind: str) -> HttpResponse:
    """One list; an HTMX request aimed at ``#rows`` (filters, sort, pages) gets the rows only."""
    actor = require_actor(request.user)
    kind = _kind(kind)
    statuses = selectors.lead_statuses(actor.company)
    form = LeadFilterForm(request.GET)
    filters = form.filters()
    sort = selectors.sort_of(request.GET.get("sort"))
    page = selectors.leads_page(
        user=request.user,
        kind=kind,
        filters=filters,
        sort=sort,
        cursor=request.GET.get("cursor"),
        statuses=statuses,
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    context: dict[str, Any] = {
        **_row_context(actor),
        "kind": kind,
        "title": TITLES[kind],
        "page": page,
        "sort": sort,
        "form": form,
        "filters": filters,
        "columns": COLUMNS,
        "list_url": request.get_full_path(),
        # The list's filters, for "select all matching" (count and bulk form).
        "filter_query": query.urlencode(),
        "can_delete": actor.has(Right.DELETE_RECORDS),
    }
    if request.htmx and request.htmx.target == "rows":
        return render(request, f"{TEMPLATE}#rows", context)
    # The filter panel and the bulk toolbar: the company's choices, each read once.
    context.update(
        statuses=statuses,
        open_statuses=[s for s in statuses if s.is_open],
        **filter_choices(actor, filters, page.rows),
    )
    return render(request, TEMPLATE, context)


# A company may hold thousands of tags: the panel offers the first ones by name, plus those the
# list is filtered on or shows (a page must not load a whole referential; each tag is drawn twice,
# in the filters and in the bulk toolbar). Sources are fewer.
MAX_CHOICES = 50
MAX_TAG_CHOICES = 20


def filter_choices(
    actor: Actor, filters: selectors.LeadFilters, rows: Iterable[Lead]
) -> dict[str, Any]:
    """The filter panel's choices (the lists' and the kanban's): sources, tags and users, each
    read once, and whether the panel opens by itself. Queries: 3 (4 when a tag filtered on is
    past the first ones)."""
    return {
        "sources": bounded_choices(
            LeadSource.objects.filter(company=actor.company), chosen=[], limit=MAX_CHOICES
        ),
        # The first tags by name, those filtered on and those of the rows shown; any other tag
        # is one click away: its badge on a row filters the list on it.
        "tags": bounded_choices(
            Tag.objects.filter(company=actor.company),
            chosen=[*filters.tags, *{t.pk for row in rows for t in getattr(row, "tag_list", [])}],
            limit=MAX_TAG_CHOICES,
        ),
        "users": list(company_users(actor.company.pk)),
        "show_filters": _panel_open(filters),
    }


def _panel_open(filters: selectors.LeadFilters) -> bool:
    """The filter panel opens by itself when a filter other than the search box is on."""
    return filters != selectors.LeadFilters(q=filters.q)


@login_required
@company_required
@require_GET
def matching_count(request: AuthedHttpRequest, kind: str) -> HttpResponse:
    """How many leads match the list's filters, asked only when the whole page is selected
    (a bounded count: never more than MAX_BULK + 1 rows read)."""
    actor = require_actor(request.user)
    kind = _kind(kind)
    leads = selectors.filtered_leads(
        user=request.user,
        kind=kind,
        filters=LeadFilterForm(request.GET).filters(),
        statuses=selectors.lead_statuses(actor.company),
    )
    count = selectors.matching_count(leads, services.MAX_BULK)
    over = count > services.MAX_BULK
    shown = number_format(min(count, services.MAX_BULK), force_grouping=True)
    return render(
        request,
        f"{TEMPLATE}#matching",
        {
            "count": count,
            "over": over,
            "count_display": f"{shown}+" if over else shown,
            "max_bulk": number_format(services.MAX_BULK, force_grouping=True),
        },
    )


def back_url(request: AuthedHttpRequest, default: str) -> str:
    """The list the user came from (a local /leads/ URL only), else ``default``."""
    url = request.POST.get("next", "")
    if (
        url.startswith("/leads/")
        and "\n" not in url
        and "\r" not in url
        and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    ):
        return url
    return default


@login_required
@company_required
@require_POST
def row_take_charge(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The row action "take charge": assign the lead to me. An HTMX request gets the row back
    (with the refusal in it); a plain form goes back to the list with a message."""
    actor = require_actor(request.user)
    if not actor.has(Right.CHANGE_RECORDS):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    lead = get_or_404(
        selectors.leads_for_user(request.user).select_related("status", "assigned_to"), pk
    )
    error = None
    try:
        services.lead_take_charge(actor=actor, lead=lead)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    back = back_url(request, reverse("leads:mine"))
    if request.htmx:
        lead.tag_list = list(lead.tags.order_by("name_key"))  # type: ignore[attr-defined]
        context = {**_row_context(actor), "row": lead, "row_error": error, "list_url": back}
        return render(request, f"{TEMPLATE}#row", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("You took charge of “%(name)s”.") % {"name": lead})
    return redirect(back)


@login_required
@company_required
@require_POST
def bulk(request: AuthedHttpRequest) -> HttpResponse:
    """A bulk action on the selected leads (or all the leads matching the list's filters),
    always within the leads the user sees in that list: ids are never trusted."""
    actor = require_actor(request.user)
    if not actor.has(Right.CHANGE_RECORDS):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    if request.POST.get("action") == BulkAction.DELETE and not actor.has(Right.DELETE_RECORDS):
        raise PermissionDenied(Right.DELETE_RECORDS.label)
    form = BulkForm(request.POST, company_id=actor.company.pk)
    valid = form.is_valid()
    kind = form.cleaned_data.get("kind") or ListKind.MINE
    # Re-encoded, so whatever was posted comes back as a plain query string of this list.
    query = QueryDict(form.cleaned_data.get("query") or "")
    back = reverse(f"leads:{kind}") + (f"?{query.urlencode()}" if query else "")
    if not valid:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    leads = selectors.filtered_leads(
        user=request.user,
        kind=kind,
        filters=LeadFilterForm(query).filters(),
        statuses=selectors.lead_statuses(actor.company),
    )
    if not data["all"]:
        leads = leads.filter(pk__in=data["ids"])
    try:
        text = _bulk_run(actor, data, leads)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, text)
    return HttpResponseRedirect(back)


def _bulk_run(actor: Actor, data: dict[str, Any], leads: Any) -> str:
    """Run the action; the message telling what changed and what was skipped."""
    action = data["action"]
    parts: list[str] = []
    if action in (BulkAction.ASSIGN_ME, BulkAction.ASSIGN):
        user = actor.user if action == BulkAction.ASSIGN_ME else data["user"]
        changed, skipped = services.leads_bulk_assign(actor=actor, leads=leads, user=user)
        parts.append(
            ngettext(
                "%(count)d lead assigned to %(user)s.",
                "%(count)d leads assigned to %(user)s.",
                changed,
            )
            % {"count": changed, "user": user}
        )
        if skipped:
            parts.append(
                ngettext(
                    "%(count)d lost lead skipped: reopen it first.",
                    "%(count)d lost leads skipped: reopen them first.",
                    skipped,
                )
                % {"count": skipped}
            )
    elif action == BulkAction.STATUS:
        status: LeadStatus = data["status"]
        changed, skipped = services.leads_bulk_status(actor=actor, leads=leads, status=status)
        parts.append(
            ngettext(
                "%(count)d lead moved to “%(status)s”.",
                "%(count)d leads moved to “%(status)s”.",
                changed,
            )
            % {"count": changed, "status": status.name}
        )
        if skipped:
            parts.append(
                ngettext(
                    "%(count)d converted or lost lead skipped: its status no longer changes here.",
                    "%(count)d converted or lost leads skipped: their status no longer changes "
                    "here.",
                    skipped,
                )
                % {"count": skipped}
            )
    elif action in (BulkAction.TAG_ADD, BulkAction.TAG_REMOVE):
        tag: Tag = data["tag"]
        add = action == BulkAction.TAG_ADD
        changed, skipped = services.leads_bulk_tag(actor=actor, leads=leads, tag=tag, add=add)
        if add:
            parts.append(
                ngettext(
                    "Tag “%(tag)s” added to %(count)d lead.",
                    "Tag “%(tag)s” added to %(count)d leads.",
                    changed,
                )
                % {"count": changed, "tag": tag.name}
            )
        else:
            parts.append(
                ngettext(
                    "Tag “%(tag)s” removed from %(count)d lead.",
                    "Tag “%(tag)s” removed from %(count)d leads.",
                    changed,
                )
                % {"count": changed, "tag": tag.name}
            )
        if skipped:
            parts.append(
                (
                    ngettext(
                        "%(count)d lead already had it.", "%(count)d leads already had it.", skipped
                    )
                    if add
                    else ngettext(
                        "%(count)d lead did not have it.",
                        "%(count)d leads did not have it.",
                        skipped,
                    )
                )
                % {"count": skipped}
            )
    else:
        deleted = services.leads_bulk_delete(actor=actor, leads=leads)
        parts.append(
            ngettext("%(count)d lead deleted.", "%(count)d leads deleted.", deleted)
            % {"count": deleted}
        )
    return " ".join(parts)
