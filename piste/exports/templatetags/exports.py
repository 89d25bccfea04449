"""``{% export_menu "exports:leads" kind %}``: the list's "Export" menu (CSV, Excel), shown
only to users with the export right."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from piste.core.access import actor_for
from piste.core.rights import Right

register = template.Library()


@register.inclusion_tag("exports/menu.html", takes_context=True)
def export_menu(context: Any, url_name: str, *args: Any, label: str = "") -> dict[str, Any]:
    """``label`` names the button when a page has more than one menu ("Export contacts");
    "Export" otherwise. The menu's links carry the list's query string as rendered;
    exports.js replaces it by the address bar's at click time (the filters change it through
    HTMX without rendering the header again). The actor is the request's, already loaded:
    no query."""
    request = context["request"]
    actor = actor_for(request.user)
    if actor is None or not actor.has(Right.EXPORT):
        return {"show": False}
    query = request.GET.copy()
    query.pop("cursor", None)  # a page of the list: the export takes them all
    suffix = f"?{query.urlencode()}" if query else ""
    return {
        "show": True,
        "button_label": label,
        "links": [
            (fmt, text, reverse(url_name, args=[*args, fmt]), suffix)
            for fmt, text in (("csv", "CSV"), ("xlsx", "Excel (XLSX)"))
        ],
    }
