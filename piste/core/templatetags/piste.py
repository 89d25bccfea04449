from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template
from django.forms import BoundField
from django.template import Context
from django.utils import dateformat, formats
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from piste.core.contact import phone_display
from piste.core.text import fold
from piste.core.timeline import field_label as _field_label

if TYPE_CHECKING:
    from piste.core.layouts import BoundSection

register = template.Library()


@register.simple_tag
def field_label(obj: Any, name: str) -> str:
    return _field_label(type(obj), name)


@register.filter
def yesno_display(value: Any) -> Any:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return value


@register.simple_tag(takes_context=True)
def sort_url(context: Any, column: str) -> str:
    """The list URL sorted on ``column``, flipping the direction when already sorted on it."""
    request = context["request"]
    params = request.GET.copy()
    params.pop("cursor", None)
    current = context.get("sort") or "name"
    params["sort"] = f"-{column}" if current == column else column
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def cursor_url(context: Any, cursor: str) -> str:
    params = context["request"].GET.copy()
    params["cursor"] = cursor
    return "?" + params.urlencode()


@register.filter
def field_value(obj: Any, name: str) -> Any:
    value = getattr(obj, name)
    return value


@register.filter
def phone(value: str | None) -> str:
    """A stored E.164 number as people read it ("06 12 34 56 78")."""
    return phone_display(value)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` in a template (None when missing)."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.filter
def highlight(text: Any, key: str) -> str:
    """``text`` with the words starting with the folded ``key`` marked (``<mark>``), as the
    accounts search matched them: accents and case ignored."""
    text = str(text or "")
    if not key:
        return conditional_escape(text)
    starts = [0] + [i + 1 for i, ch in enumerate(text) if not ch.isalnum() and i + 1 < len(text)]
    for start in starts:
        for end in range(start + 1, len(text) + 1):
            folded = fold(text[start:end])
            if folded == key:
                return format_html("{}<mark>{}</mark>{}", text[:start], text[start:end], text[end:])
            if not key.startswith(folded):
                break
    return conditional_escape(text)


@register.filter
def any_rows(groups: Any) -> bool:
    """Whether any group of a grouped search found a row."""
    return any(getattr(g, "rows", None) for g in groups or [])


def _form_row(field: BoundField, col: str) -> SafeString:
    """The row of a field without markup of its own: label, widget, help, errors (with
    data-testid="error-<name>"), a red * when mandatory; a check box sits before its label."""
    name = field.name
    if getattr(field.field.widget, "input_type", None) == "checkbox":
        head = format_html(
            '<div class="mb-3 {} form-check ms-2" data-field="{}">\n  {} '
            '<label class="form-check-label" for="{}">{}</label>',
            col,
            name,
            field,
            field.id_for_label,
            capfirst(field.label),
        )
    else:
        head = format_html(
            '<div class="mb-3 {}" data-field="{}">\n  <label class="form-label" for="{}">{}{}'
            "</label>\n  {}",
            col,
            name,
            field.id_for_label,
            capfirst(field.label),
            _REQUIRED if field.field.required else "",
            field,
        )
    parts: list[str] = [head]
    if field.help_text:
        parts.append(format_html('\n  <div class="form-text">{}</div>', field.help_text))
    for error in field.errors:
        parts.append(
            format_html(
                '\n  <div class="invalid-feedback d-block" data-testid="error-{}">{}</div>',
                name,
                error,
            )
        )
    parts.append("\n</div>")
    return mark_safe("".join(parts))  # noqa: S308 (each part is format_html's)


_REQUIRED = mark_safe(' <span class="text-danger" aria-hidden="true">*</span>')


@register.simple_tag(takes_context=True)
def form_sections(context: Context, sections: list[BoundSection], partials: str) -> SafeString:
    """A record form's sections in the company's layout (piste.core.layouts): the view applies
    the layout to its form (``layout = layout_apply(form, layout_for(company_id, "lead"))``) and
    the page draws each column of its grid with

        {% form_sections layout.columns.main "leads/form.html" %}

    A field gets the generic row (``_form_row``). An entry the spec marks custom (a field with
    its own markup, or a block such as the address) is the partial "field_<name>" of the page
    named by ``partials``, drawn with ``field`` (its bound field, None for a block) and ``item``
    (its width in ``item.col``, ``item.required``). A section whose spec has footer=True ends with
    the page's partial "section_<id>_footer". The page renders the form's hidden fields
    (version, form_layout) itself.

    Drawn in Python: a partner form holds sixty entries, and the template engine spent a third
    of the page's time on their rows.
    """
    assert context.template is not None  # a tag renders inside a template
    engine = context.template.engine

    def partial(name: str, **values: Any) -> str:
        with context.push(**values):
            return engine.get_template(f"{partials}#{name}").render(context)

    parts: list[str] = []
    for section in sections:
        parts.append(
            format_html(
                '<section class="card mb-3" aria-labelledby="section-{0}" data-section="{0}">\n'
                '  <h2 class="card-header h6" id="section-{0}">{1}</h2>\n'
                '  <div class="card-body row g-2">\n',
                section.id,
                section.label,
            )
        )
        for item in section.items:
            if item.custom:
                parts.append(partial(item.partial, field=item.field, item=item))
            else:
                parts.append(_form_row(item.field, item.col or "col-12"))  # type: ignore[arg-type]
            parts.append("\n")
        if section.footer:
            parts.append(partial(f"section_{section.id}_footer"))
        parts.append("  </div>\n</section>\n")
    return mark_safe("".join(parts))  # noqa: S308 (rows are format_html's, partials templates')


def _change_value(value: Any) -> str:
    """``{{ value|default_if_none:"—"|yesno_display }}``."""
    return conditional_escape(localize(yesno_display("—" if value is None else value)))


def _listed(values: Any) -> list[str]:
    """``{{ values|join:", " }}``'s items, escaped (a lone value is one item)."""
    if not values:
        return []
    return [conditional_escape(v) for v in (values if isinstance(values, list) else [values])]


def _change(obj: Any, change: dict[str, Any]) -> str:
    label = capfirst(_field_label(type(obj), change.get("field", "")))
    if "added" in change or "removed" in change:
        added, removed = _listed(change.get("added")), _listed(change.get("removed"))
        body = "{} {}".format(
            "+ " + ", ".join(added) if added else "",
            "\u2212 " + ", ".join(removed) if removed else "",  # a minus sign
        )
    elif change.get("from") is None and change.get("to") is None:
        body = conditional_escape(_("changed"))
    else:
        body = "<del>{}</del> → <ins>{}</ins>".format(
            _change_value(change.get("from")), _change_value(change.get("to"))
        )
    return (
        f'\n  <div class="text-body-secondary">\n    {conditional_escape(label)}:\n    {body}\n'
        "  </div>"
    )


@register.simple_tag
def timeline_entries(activities: list[Any], obj: Any) -> SafeString:
    """A page of a record's timeline (components/timeline.html), drawn in Python: twenty
    entries took the template engine 2.5 ms on each record page."""
    if not activities:
        return format_html(
            '<li class="list-group-item text-body-secondary small">{}</li>', _("Nothing yet.")
        )
    parts: list[str] = []
    for activity in activities:
        created = localtime(activity.created_at)
        data = activity.data if isinstance(activity.data, dict) else {}
        # A line of a linked record (the lead a partner was converted from) names it.
        origin = getattr(activity, "origin", None)
        parts.append(
            format_html(
                '\n<li class="list-group-item small" data-testid="activity">\n'
                '  <div class="d-flex justify-content-between gap-2">\n'
                "    <span><strong>{}</strong> · {}{}</span>\n"
                '    <time datetime="{}" class="text-body-secondary text-nowrap">{}</time>\n'
                "  </div>",
                activity.actor or _("System"),
                activity.verb_label,
                format_html(
                    ' <span class="badge text-bg-light" data-testid="activity-origin">{} {}</span>',
                    capfirst(origin._meta.verbose_name),
                    origin,
                )
                if origin is not None
                else "",
                dateformat.format(created, "c"),
                formats.date_format(created, "SHORT_DATETIME_FORMAT"),
            )
        )
        changes = data.get("changes")
        for change in changes if isinstance(changes, list) else ():
            if isinstance(change, dict):
                parts.append(_change(origin if origin is not None else obj, change))
        if data.get("message"):
            parts.append(
                format_html('\n  <div class="text-body-secondary">{}</div>', data["message"])
            )
        parts.append("\n</li>")
    return mark_safe("".join(parts))  # noqa: S308 (each part is escaped above)
