from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "piste.leads"
    label = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        from piste.core.timeline import link_timelines
        from piste.leads import (  # noqa: F401
            layouts,  # registers the lead form's layout
            referentials,  # registers its configuration lists
        )
        from piste.leads.models import Lead
        from piste.partners.models import Contact, Partner

        # A partner's and a contact's timelines show the history of the leads converted into them.
        link_timelines(Partner, Lead, "partner")
        link_timelines(Contact, Lead, "contact")
