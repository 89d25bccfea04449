"""The print dialog's form and the print template form (configuration)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from piste.core.forms import style_form
from piste.core.placeholders import PlaceholderError, check_placeholders
from piste.documents.models import PrintTemplate
from piste.documents.printing import PrintChoice

# An administrator's template: a few pages of HTML, not a book.
MAX_TEMPLATE = 200_000
CODE = "form-control font-monospace"


class PrintForm(forms.Form):
    """« Éditer »: the template (« Modèle ») and « Associer le document »."""

    template = forms.ChoiceField(label=_("Template"))
    attach = forms.BooleanField(
        label=_("Attach the document"),
        required=False,
        help_text=_("Adds the PDF to the record's documents."),
    )

    def __init__(self, *args: Any, choices: list[PrintChoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = {choice.key: choice for choice in choices}
        field = self.fields["template"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(c.key, c.label) for c in choices]
        style_form(self)

    @property
    def choice(self) -> PrintChoice:
        return self.choices[self.cleaned_data["template"]]


class PrintTemplateForm(forms.ModelForm):
    class Meta:
        model = PrintTemplate
        fields = ["name", "kind", "language", "html", "css", "is_default", "is_active"]
        widgets = {
            "html": forms.Textarea(attrs={"rows": 22, "spellcheck": "false", "class": CODE}),
            "css": forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": CODE}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_form(self)

    def clean_html(self) -> str:
        html: str = self.cleaned_data["html"]
        if len(html) > MAX_TEMPLATE:
            raise forms.ValidationError(
                _("At most %(count)s characters.") % {"count": MAX_TEMPLATE}
            )
        try:
            check_placeholders(html)
        except PlaceholderError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return html

    def clean_css(self) -> str:
        css: str = self.cleaned_data.get("css") or ""
        if len(css) > MAX_TEMPLATE:
            raise forms.ValidationError(
                _("At most %(count)s characters.") % {"count": MAX_TEMPLATE}
            )
        return css
