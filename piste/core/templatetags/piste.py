from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from piste.core.contact import phone_display
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
