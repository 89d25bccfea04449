"""Sale orders (« Commandes »): what makes a prospect a customer.

A simple order: a number per company, the partner, a date, a total and a status. Confirming the
first order of a prospect makes it a customer (``piste.orders.services.order_confirm``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from piste.core.models import CompanyOwned

# A total of at most a thousand billion, cents included: what DecimalField(14, 2) holds.
MAX_TOTAL = Decimal("999999999999.99")


class SaleOrder(CompanyOwned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        CONFIRMED = "confirmed", _("confirmed")
        CANCELLED = "cancelled", _("cancelled")

    # 1, 2, 3… per company, shown as "CMD-00001"; given at creation, never reused.
    number = models.PositiveIntegerField(_("number"), editable=False)
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("customer / prospect"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    order_date = models.DateField(_("order date"))
    total = models.DecimalField(
        _("total excl. tax"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_TOTAL)],
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    confirmed_at = models.DateTimeField(_("confirmed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint("company", "number", name="saleorder_number_unique"),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="saleorder_total_gte_0"),
        ]
        indexes = [
            # A partner's orders, newest first (the partner page's Orders tab).
            models.Index(fields=["partner", "-order_date", "-id"], name="saleorder_partner_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"CMD-{self.number:05d}"
