from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "piste.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from piste.core import registered  # noqa: F401  (registers the tag list)
