from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext as _

from piste.core.contact import phone_display
from piste.core.text import fold
from piste.core.timeline import field_label as _field_label

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
