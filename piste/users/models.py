from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from piste.core.models import NamedReferential
from piste.core.rights import Role, Scope, role_scope
from piste.core.text import fold


class Company(models.Model):
    """A legal entity using Piste; every business record belongs to one."""

    name = models.CharField(_("name"), max_length=120)
    name_key = models.CharField(max_length=120, editable=False)
    legal_form = models.CharField(_("legal form"), max_length=40, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    address = models.OneToOneField(
        "geo.Address",
        verbose_name=_("address"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name_key"]
        constraints = [models.UniqueConstraint("name_key", name="company_name_key_unique")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_key = fold(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)


class User(AbstractUser):
    class Language(models.TextChoices):
        BROWSER = "", _("Browser language")
        FRENCH = "fr", _("French")
        ENGLISH = "en", _("English")

    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, blank=True, default=""
    )
    active_company = models.ForeignKey(
        Company,
        verbose_name=_("active company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active_team = models.ForeignKey(
        "users.Team",
        verbose_name=_("active team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active_agency = models.ForeignKey(
        "users.Agency",
        verbose_name=_("active agency"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Password reset mails go to one account per address.
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_ci_unique",
                condition=~models.Q(email=""),
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def initials(self) -> str:
        parts = [p for p in (self.first_name, self.last_name) if p]
        return "".join(p[0] for p in parts).upper() or self.username[:2].upper()


class Membership(models.Model):
    """Grants a user one role in one company, with the record scope of that role by default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    scope = models.CharField(_("record scope"), max_length=16, choices=Scope.choices, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint("user", "company", name="membership_user_company_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.get_role_display()})"

    @property
    def effective_scope(self) -> Scope:
        return Scope(self.scope) if self.scope else role_scope(self.role)


class Team(NamedReferential):
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="teams", blank=True
    )

    class Meta(NamedReferential.Meta):
        verbose_name = _("team")
        verbose_name_plural = _("teams")


class Agency(NamedReferential):
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="agencies", blank=True
    )

    class Meta(NamedReferential.Meta):
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")


class CrmSettings(models.Model):
    """The CRM settings of one company (CRM → Configuration → Settings)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="crm_settings")
    agencies_enabled = models.BooleanField(
        _("agencies"),
        default=False,
        help_text=_("Shows the Agency field on records and the Agencies configuration page."),
    )
    manage_prospect_statuses = models.BooleanField(
        _("manage statuses on prospects"),
        default=False,
        help_text=_("Prospects follow a customisable status workflow like leads."),
    )
    ignored_email_domains = models.TextField(
        _("public email domains"),
        blank=True,
        default="gmail.com\nhotmail.com\nhotmail.fr\noutlook.com\noutlook.fr\nyahoo.com\n"
        "yahoo.fr\nlive.fr\nfree.fr\norange.fr\nwanadoo.fr\nsfr.fr\nlaposte.net\nicloud.com",
        help_text=_("One per line: addresses at these domains never count as duplicates."),
    )
    duplicate_scan = models.CharField(
        _("scheduled duplicate scan"),
        max_length=8,
        choices=[("", _("off")), ("daily", _("every night")), ("weekly", _("every Sunday night"))],
        blank=True,
        default="",
        help_text=_("Scans leads, partners and contacts for duplicates in the background."),
    )
    document_max_mb = models.PositiveIntegerField(
        _("largest document (MB)"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text=_("Files larger than this are refused on upload."),
    )
    document_extensions = models.TextField(
        _("allowed document types"),
        blank=True,
        default=(
            "pdf doc docx odt xls xlsx ods ppt pptx odp csv txt rtf "
            "png jpg jpeg gif webp eml msg zip"
        ),
        help_text=_("File extensions, separated by spaces or new lines."),
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("CRM settings")
        verbose_name_plural = _("CRM settings")

    def __str__(self) -> str:
        return str(_("CRM settings of %(company)s") % {"company": self.company})
