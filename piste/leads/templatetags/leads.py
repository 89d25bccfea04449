"""The lead lists' rows, drawn in Python.

A list page draws 25 rows of a dozen values each; through the template engine they took a third
of the page's time (9 ms), here 2. ``templates/leads/list.html#row`` calls ``lead_row``, so the
row action (take charge) answers with the same markup.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.utils import formats
from django.utils.html import conditional_escape as esc
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from piste.core.contact import phone_display

register = template.Library()


@register.simple_tag(takes_context=True)
def lead_row(context: Any, row: Any) -> SafeString:
    """One lead of a list: what ``views_lists._row_context`` computed once for every row, the
    lead, and ``row_error`` (the row action's refusal) when there is one. Every value goes
    through ``esc`` (f-strings: format_html cost twice as much)."""
    pk = row.pk
    can_change = context["can_change"]
    tag_title = esc(context["tag_title"])
    tags = "".join(
        f' <a class="badge tag-badge ms-1 text-decoration-none" data-color="{esc(tag.color)}"'
        f' href="?tag={tag.pk}" title="{tag_title}">{esc(tag.name)}</a>'
        for tag in row.tag_list
    )
    error = context.get("row_error")
    if error:
        tags += (
            f'<div class="text-danger small" role="alert" data-testid="row-error">{esc(error)}'
            "</div>"
        )
    phone = row.main_phone
    badge = "text-bg-primary" if row.status.is_open else "text-bg-secondary"
    if row.assigned_to_id:
        assignee = f"<td>{esc(row.assigned_to)}</td>"
    else:
        assignee = f'<td><span class="text-body-secondary">{esc(context["unassigned"])}</span></td>'
    html = (
        f'<tr data-row="{pk}">\n'
        + (
            f'<td class="select-cell"><input class="form-check-input" type="checkbox" name="ids"'
            f' value="{pk}" form="bulk-form" data-select-row aria-labelledby="lead-name-{pk}">'
            "</td>\n"
            if can_change
            else ""
        )
        + f'<td><a href="{esc(context["detail_url"])}{pk}/" id="lead-name-{pk}">'
        f"{esc(row.simple_full_name or row)}</a>{tags}</td>\n"
        f"<td>{esc(row.enterprise_name)}</td>\n"
        '<td class="text-nowrap">'
        + (f'<a href="tel:{esc(phone)}">{esc(phone_display(phone))}</a>' if phone else "")
        + "</td>\n"
        f"<td>{esc(row.city_name)}</td>\n"
        f'<td class="text-nowrap">'
        f"{esc(formats.date_format(localtime(row.created_at), 'SHORT_DATE_FORMAT'))}</td>\n"
        f"{assignee}\n"
        f'<td><span class="badge {badge}">'
        f"{esc(row.status.name)}</span></td>\n"
        f"<td>{esc(context['scores'].get(row.scoring, ''))}</td>\n"
        + (_take_charge(context, row) if can_change else "")
        + "</tr>"
    )
    return mark_safe(html)  # noqa: S308 (every value above is escaped)


def _take_charge(context: Any, row: Any) -> str:
    """The row actions: plan an event, send an email (seed 000's group and envelope icons),
    and take charge of a lead someone else holds (or nobody), unless it is lost. Take charge
    submits one shared form (#row-actions): no token and hidden field per row."""
    pk = row.pk
    # Saving the event comes back to this list (``next``, checked by the event view).
    back = urlencode({"type": "meeting", "next": context.get("list_url") or ""})
    event = esc(f"{context['event_url']}{pk}{context['event_path']}?{back}")
    event_title = esc(context["event_title"])
    icons = (
        f'<a class="btn btn-sm btn-outline-secondary" href="{event}" title="{event_title}"'
        f' aria-labelledby="event-{pk} lead-name-{pk}" data-testid="row-plan-event">'
        f'<i class="bi bi-people" aria-hidden="true"></i>'
        f'<span class="visually-hidden" id="event-{pk}">{event_title}</span></a> '
    )
    if row.email and not row.do_not_email:
        email = esc(f"{context['email_url']}{pk}{context['email_path']}")
        email_title = esc(context["email_title"])
        icons += (
            f'<a class="btn btn-sm btn-outline-secondary" href="{email}" title="{email_title}"'
            f' aria-labelledby="email-{pk} lead-name-{pk}" data-testid="row-send-email">'
            f'<i class="bi bi-envelope" aria-hidden="true"></i>'
            f'<span class="visually-hidden" id="email-{pk}">{email_title}</span></a> '
        )
    else:
        icons += (
            f'<span class="btn btn-sm btn-outline-secondary disabled" aria-disabled="true"'
            f' title="{esc(context["no_email_title"])}"><i class="bi bi-envelope-x"'
            f' aria-hidden="true"></i></span> '
        )
    if row.assigned_to_id == context["request"].user.pk or row.is_lost:
        return f'<td class="text-end text-nowrap">{icons}</td>\n'
    action = esc(f"{context['take_url']}{pk}{context['take_path']}")
    title = esc(context["take_title"])
    return (
        f'<td class="text-end text-nowrap">{icons}<button class="btn btn-sm btn-outline-primary"'
        f' type="submit" form="row-actions" formaction="{action}" hx-post="{action}"'
        f' hx-target="closest tr" hx-swap="outerHTML" title="{title}"'
        f' aria-labelledby="take-{pk} lead-name-{pk}" data-testid="take-charge">'
        f'<i class="bi bi-briefcase" aria-hidden="true"></i>'
        f'<span class="visually-hidden" id="take-{pk}">{title}</span></button></td>\n'
    )


@register.simple_tag
def tag_checkboxes(tags: list[Any], chosen: Any) -> SafeString:
    """The filter panel's tags, a check box each (checked when the list is filtered on it)."""
    chosen = set(chosen or ())
    return mark_safe(  # noqa: S308 (every value is escaped)
        "".join(
            f'<div class="form-check form-check-inline"><input class="form-check-input"'
            f' type="checkbox" name="tag" value="{t.pk}" id="filter-tag-{t.pk}"'
            f'{" checked" if t.pk in chosen else ""}> <label class="form-check-label"'
            f' for="filter-tag-{t.pk}"><span class="badge tag-badge"'
            f' data-color="{esc(t.color)}">{esc(t.name)}</span></label></div>'
            for t in tags
        )
    )


@register.simple_tag
def tag_options(tags: list[Any]) -> SafeString:
    """The bulk toolbar's tags, an option each."""
    return mark_safe(  # noqa: S308 (every value is escaped)
        "".join(f'<option value="{t.pk}">{esc(t.name)}</option>' for t in tags)
    )
