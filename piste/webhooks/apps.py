from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "piste.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from piste.core.timeline import on_activity
        from piste.webhooks.dispatch import activity_recorded

        # Every timeline line is a candidate event: the dispatcher keeps those subscribed.
        on_activity(activity_recorded)
