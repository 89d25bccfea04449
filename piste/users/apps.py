from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "piste.users"
    label = "users"
    verbose_name = _("Users and organisation")

    def ready(self) -> None:
        from piste.users import referentials  # noqa: F401  (registers its configuration lists)
