from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "piste.leads"
    label = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        from piste.leads import (  # noqa: F401
            layouts,  # registers the lead form's layout
            referentials,  # registers its configuration lists
        )
