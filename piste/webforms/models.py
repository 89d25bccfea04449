from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from piste.core.models import CompanyOwned


def new_public_key() -> str:
    """The form's address in /forms/<key>/: unguessable, so forms cannot be listed by trying."""
    return secrets.token_urlsafe(24)


class WebForm(CompanyOwned):
    """A web-to-lead form (« Formulaire web ») that other sites embed: what it asks, where its
    leads go, which sites may post it.

    ``fields``: ``[{"key": "email", "label": "", "required": true}, …]`` in the order asked, keys
    from ``piste.webforms.fields.SPECS`` (an empty label shows the default one). ``consents``:
    ``[{"key": "c1", "text": "I agree to be contacted", "required": false}, …]``.
    ``allowed_origins``: ``["https://www.example.fr", …]``.
    """

    name = models.CharField(_("name"), max_length=100)
    public_key = models.CharField(
        max_length=64, unique=True, default=new_public_key, editable=False
    )
    fields = models.JSONField(_("fields"), default=list)
    consents = models.JSONField(_("consents"), default=list, blank=True)
    source = models.ForeignKey(
        "leads.LeadSource",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("title shown"), max_length=200, blank=True)
    submit_label = models.CharField(_("button label"), max_length=60, blank=True)
    thank_you_message = models.TextField(_("thank-you message"), max_length=1000, blank=True)
    redirect_url = models.URLField(_("redirect address"), max_length=500, blank=True)
    allowed_origins = models.JSONField(_("allowed sites"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebFormSubmission(CompanyOwned):
    """One accepted submission: the proof of the consents given (what was ticked, the texts as
    shown, when, from where) and the lead it created or joined. Kept when the form is deleted."""

    form = models.ForeignKey(
        WebForm,
        verbose_name=_("web form"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
    )
    form_name = models.CharField(_("form name"), max_length=100)
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # True: the submission created the lead; False: it joined a known address's open lead.
    created_lead = models.BooleanField(_("new lead"), default=True)
    values = models.JSONField(_("values"), default=dict)
    # {"c1": {"text": "I agree to be contacted", "given": true}, …}
    consents = models.JSONField(_("consents"), default=dict)
    # A keyed hash of the visitor's address: enough to tell repeated senders apart, not to
    # find out who they are.
    ip_hash = models.CharField(_("address hash"), max_length=64, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    origin = models.CharField(_("site"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("sent on"), auto_now_add=True)

    class Meta:
        verbose_name = _("web form submission")
        verbose_name_plural = _("web form submissions")
        indexes = [
            # A form's latest submissions, on its configuration page.
            models.Index(fields=["form", "-id"], name="webformsub_form_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.form_name} #{self.pk}"
