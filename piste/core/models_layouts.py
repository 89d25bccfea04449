"""``FormLayout``: a company's layout of one record form (see ``piste.core.layouts``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from piste.core.models import CompanyOwned


class FormLayout(CompanyOwned):
    """Which fields a company's form shows, where, in which order, and which are mandatory.

    ``fields``: the ordered entries ``[{"name", "section", "visible", "required"}]``; an empty
    list is the spec's default layout (after "Reset to default"). The code reads it leniently
    (``layout_from_stored``): a field renamed or added in the code never disappears.
    ``version`` moves on every save, so two administrators never overwrite each other unseen.
    """

    form_name = models.CharField(_("form"), max_length=40)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("form layout")
        verbose_name_plural = _("form layouts")
        constraints = [
            # One layout per form and company; also the index of layout_for's lookup.
            models.UniqueConstraint(
                fields=["company", "form_name"], name="formlayout_company_form_unique"
            )
        ]

    def __str__(self) -> str:
        return self.form_name
