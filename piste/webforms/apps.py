from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebformsConfig(AppConfig):
    name = "piste.webforms"
    label = "webforms"
    verbose_name = _("Web forms")
