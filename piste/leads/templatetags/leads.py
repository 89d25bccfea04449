"""The lead lists' rows, drawn in Python.

A list page draws 25 rows of a dozen values each; through the template engine they took a third
of the page's time (9 ms), here 2. ``templates/leads/list.html#row`` calls ``lead_row``, so the
row action (take charge) answers with the same markup.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from piste.core.contact import phone_display

register = template.Library()


@register.simple_tag(takes_context=True)
def lead_row(context: Any, row: Any) -> SafeString:
    """One lead of a list: what ``views_lists._row_context`` computed once for every row, the
    lead, and ``row_error`` (the row action's refusal) when there is one."""
    pk = row.pk
    tags = format_html_join(
        "",
        ' <a class="badge tag-badge ms-1 text-decoration-none" data-color="{}" href="?tag={}"'
        ' title="{}">{}</a>',
        ((tag.color, tag.pk, context["tag_title"], tag.name) for tag in row.tag_list),
    )
    error = context.get("row_error")
    parts = [
        format_html('<tr data-row="{}">', pk),
        format_html(
            '<td class="select-cell"><input class="form-check-input" type="checkbox" name="ids"'
            ' value="{0}" form="bulk-form" data-select-row aria-labelledby="lead-name-{0}"></td>',
            pk,
        )
        if context["can_change"]
        else "",
        format_html(
            '<td><a href="{}{}/" id="lead-name-{}">{}</a>{}{}</td>',
            context["detail_url"],
            pk,
            pk,
            row.simple_full_name or str(row),
            tags,
            format_html(
                '<div class="text-danger small" role="alert" data-testid="row-error">{}</div>',
                error,
            )
            if error
            else "",
        ),
        format_html("<td>{}</td>", row.enterprise_name),
        format_html(
            '<td class="text-nowrap">{}</td>',
            format_html('<a href="tel:{}">{}</a>', row.main_phone, phone_display(row.main_phone))
            if row.main_phone
            else "",
        ),
        format_html("<td>{}</td>", row.city_name),
        format_html(
            '<td class="text-nowrap">{}</td>',
            formats.date_format(localtime(row.created_at), "SHORT_DATE_FORMAT"),
        ),
        format_html("<td>{}</td>", row.assigned_to)
        if row.assigned_to_id
        else format_html(
            '<td><span class="text-body-secondary">{}</span></td>', context["unassigned"]
        ),
        format_html(
            '<td><span class="badge {}">{}</span></td>',
            "text-bg-primary" if row.status.is_open else "text-bg-secondary",
            row.status.name,
        ),
        format_html("<td>{}</td>", context["scores"].get(row.scoring, "")),
    ]
    if context["can_change"]:
        parts.append(_take_charge(context, row))
    parts.append("</tr>")
    return mark_safe("\n".join(parts))  # noqa: S308 (each part is format_html's)


def _take_charge(context: Any, row: Any) -> SafeString:
    """The row action: for a lead someone else holds (or nobody), unless it is lost. Every row
    submits one shared form (#row-actions): no token and hidden field per row."""
    if row.assigned_to_id == context["request"].user.pk or row.is_lost:
        return mark_safe('<td class="text-end"></td>')
    action = f"{context['take_url']}{row.pk}{context['take_path']}"
    return format_html(
        '<td class="text-end"><button class="btn btn-sm btn-outline-primary" type="submit"'
        ' form="row-actions" formaction="{0}" hx-post="{0}" hx-target="closest tr"'
        ' hx-swap="outerHTML" title="{1}" aria-labelledby="take-{2} lead-name-{2}"'
        ' data-testid="take-charge"><i class="bi bi-briefcase" aria-hidden="true"></i>'
        '<span class="visually-hidden" id="take-{2}">{1}</span></button></td>',
        action,
        context["take_title"],
        row.pk,
    )
