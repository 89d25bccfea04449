from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from piste.core.models import NamedReferential


class IndustrySector(NamedReferential):
    class Meta(NamedReferential.Meta):
        verbose_name = _("industry sector")
        verbose_name_plural = _("industry sectors")


class JobTitle(NamedReferential):
    class Meta(NamedReferential.Meta):
        verbose_name = _("job title")
        verbose_name_plural = _("job titles")


class Department(NamedReferential):
    """A department of a company (Sales, Purchasing…), not the French territorial one."""

    code = models.CharField(_("code"), max_length=20, blank=True)

    class Meta(NamedReferential.Meta):
        verbose_name = _("department")
        verbose_name_plural = _("departments")


class PartnerCategory(NamedReferential):
    code = models.CharField(_("code"), max_length=20, blank=True)

    class Meta(NamedReferential.Meta):
        verbose_name = _("partner category")
        verbose_name_plural = _("partner categories")
