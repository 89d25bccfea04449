"""The form renderer: Django's own, with selects, inputs and text areas drawn in Python.

The template engine spends about 25 µs on each ``<option>`` (an include, the attrs template, the
filters) and 200 µs on an ``<input>``: a country list costs 20 ms, and a partner page holds three
of them beside the tags and fifty inputs. The HTML is the same, to the byte, as Django's
templates give (a test compares both); a select whose options use another template, and every
other widget, go to the templates.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.choices import CallableChoiceIterator
from django.utils.formats import localize
from django.utils.safestring import SafeData, SafeString, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
TEXTAREA = "django/forms/widgets/textarea.html"
# The options of radio buttons and check box lists, drawn one by one (``{{ radio.tag }}``) or by
# their list's template: each includes input_option.html.
INPUT_OPTIONS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("radio_option", "checkbox_option", "input_option")
)
# The widget templates that are nothing but ``{% include "django/forms/widgets/input.html" %}``.
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        *("checkbox", "color", "date", "datetime", "email", "file", "hidden", "input"),
        *("number", "password", "search", "tel", "text", "time", "url"),
    )
)


# Django's escape() is html.escape() behind a lazy-string check; a page draws a thousand options.


def _text(value: Any) -> str:
    """``{{ value }}``: localized, as text, escaped unless already safe."""
    text = value if type(value) is str else str(localize(value))
    return text if isinstance(text, SafeData) else html.escape(text)


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` (a safe value stays as it is: the filter is is_safe)."""
    text = "%s" % (value,)  # noqa: UP031 (the filter's own formatting)
    return text if isinstance(value, SafeData) else html.escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(
            f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"'
        )
    return "".join(parts)


def render_select(widget: dict[str, Any]) -> SafeString | None:
    """select.html for ``widget`` (a widget's context), or None when an option is drawn by
    another template."""
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION:
                return None
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 (every part above is escaped)


def render_input(widget: dict[str, Any]) -> SafeString:
    """input.html for ``widget``."""
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return mark_safe(  # noqa: S308 (every part is escaped)
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>"
    )


def render_input_option(widget: dict[str, Any]) -> SafeString:
    """input_option.html for ``widget``: the input, in its label when ``wrap_label``."""
    if not widget.get("wrap_label"):
        return render_input(widget)
    id_ = widget["attrs"].get("id")
    opening = f'<label for="{_text(id_)}">' if id_ else "<label>"
    return mark_safe(  # noqa: S308 (every part is escaped)
        f"{opening}{render_input(widget)}\n {_text(widget['label'])}</label>"
    )


def render_textarea(widget: dict[str, Any]) -> SafeString:
    """textarea.html for ``widget``."""
    value = widget["value"]
    return mark_safe(  # noqa: S308 (every part is escaped)
        f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_text(value) if value else ''}</textarea>"
    )


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name in INPUTS:
            return render_input(context["widget"])
        if template_name in INPUT_OPTIONS:
            return render_input_option(context["widget"])
        if template_name == TEXTAREA:
            return render_textarea(context["widget"])
        if template_name == SELECT:
            html = render_select(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request)


class PairsSelect(forms.Select):
    """A select over (value, label) pairs read when it is drawn (``offered``), drawn in one pass:
    Django's HTML to the byte, without the option dictionaries Django builds and normalises for
    each option (a 250-country select took 2 ms, a third of it here)."""

    def __init__(
        self, offered: Callable[[], Iterable[tuple[Any, Any]]], attrs: dict[str, Any] | None = None
    ) -> None:
        super().__init__(attrs)
        self.offered = offered
        self.choices = CallableChoiceIterator(offered)  # what other readers of choices see

    def use_required_attribute(self, initial: Any) -> bool:
        # Django's rule (the first option must be the empty one), on the pairs.
        first = next(iter(self.offered()), None)
        return not self.is_hidden and first is not None and first[0] in ("", None)

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = set(self.format_value(value))
        parts = [f'<select name="{_text(name)}"{_attrs(self.build_attrs(self.attrs, attrs))}>']
        has_selected = False
        for option_value, label in self.offered():
            if option_value is None:
                option_value = ""
            selected = not has_selected and str(option_value) in chosen
            has_selected |= selected
            parts.append(
                f'\n  <option value="{_formatted(option_value)}"'
                f"{' selected' if selected else ''}>{_text(label)}</option>\n"
            )
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every part above is escaped)
