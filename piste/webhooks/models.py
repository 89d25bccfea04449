"""Webhooks: the URLs an administrator subscribed to record events, and each delivery of an
event to one of them (its payload, attempts and the receiver's last answer)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from piste.core.models import CompanyOwned


class WebhookSubscription(CompanyOwned):
    """A URL that receives the chosen events of the company's records, signed with ``secret``."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    # Event names of piste.webhooks.events.EVENT_NAMES ("lead.created"...).
    events = models.JSONField(_("events"), default=list)
    # Encrypted at rest (piste.core.secrets): Piste must give it back to sign each delivery.
    secret = models.CharField(max_length=500, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        indexes = [
            # The listener's cached lookup: a company's active subscriptions.
            models.Index(fields=["company", "is_active"], name="webhook_company_active"),
        ]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(CompanyOwned):
    """One event about one record sent to one subscription; a replay is a new delivery with
    the same payload (``replay_of`` the first one)."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        RETRYING = "retrying", _("waiting for a retry")
        SUCCEEDED = "succeeded", _("delivered")
        FAILED = "failed", _("failed")

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("webhook"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=60)
    object_id = models.BigIntegerField(_("record id"))
    payload = models.JSONField(_("payload"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_status = models.PositiveSmallIntegerField(_("answer"), null=True, blank=True)
    # The first 2 KB of the receiver's last answer.
    response_body = models.TextField(_("answer body"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The deliveries log, newest first, of the company and of one subscription.
            models.Index(fields=["company", "-id"], name="webhook_delivery_company"),
            models.Index(fields=["subscription", "-id"], name="webhook_delivery_sub"),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.object_id}"
