from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "piste.partners"
    label = "partners"
    verbose_name = _("Accounts and contacts")

    def ready(self) -> None:
        from piste.partners import layouts, referentials  # noqa: F401  (registers their specs)
