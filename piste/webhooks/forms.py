"""The subscription form of Configuration → Webhooks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from piste.core.forms import style_form
from piste.webhooks.events import event_choices
from piste.webhooks.models import WebhookSubscription


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("An https:// address that answers 2xx within 10 seconds."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=event_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The record events sent to this URL."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "events", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        style_form(self)
        self.fields["events"].widget.attrs.pop("class", None)
