from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from piste.core.models import (
    CompanyOwned,
    ExternallyKeyed,
    Mergeable,
    NamedReferential,
    WorkflowStatus,
    duplicate_lookup_indexes,
    external_id_index,
    role_openness,
)
from piste.core.people import Civility, CompanySize


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


class PartnerStatus(WorkflowStatus):
    """A step of the prospect workflow (« Statut de prospect »), used when the company manages
    statuses on prospects (``CrmSettings.manage_prospect_statuses``).

    Roles: the default status (new prospects), the won one (the prospect becomes a customer) and
    the lost one (set with a lost reason).
    """

    class Role(models.TextChoices):
        NONE = "", _("none")
        DEFAULT = "default", _("default status")
        WON = "won", _("won status")
        LOST = "lost", _("lost status")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)

    class Meta(WorkflowStatus.Meta):
        verbose_name = _("prospect status")
        verbose_name_plural = _("prospect statuses")
        constraints = [
            *WorkflowStatus.Meta.constraints,
            role_openness("partnerstatus_role_openness", ["won", "lost"]),
        ]


class PartnerType(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation")
    INDIVIDUAL = "individual", _("Individual")


def _logo_path(instance: Partner, filename: str) -> str:
    return f"partners/{instance.company_id}/logos/{filename}"


def _user_fk(verbose: Any) -> models.ForeignKey[Any, Any]:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


def _address_fk(verbose: Any) -> models.OneToOneField[Any, Any]:
    return models.OneToOneField(
        "geo.Address",
        verbose_name=verbose,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class Partner(CompanyOwned, Mergeable, ExternallyKeyed):
    """Any organisation or person of the address book (« Tiers »): prospect, customer, supplier…

    The types are independent flags: one partner may be a customer and a supplier. A prospect is
    a draft until someone with the right validates it (``prospect_validated_at``). The ``*_key``
    columns are folded copies (``piste.core.text.fold``) kept by ``piste.partners.services``:
    ``name_key`` is the name as sorted, ``alt_key`` a second start for the accounts search: the
    other order of a person's names ("Jean Dupont" found by "jea" and by "dup"), a company's name
    from its second significant word ("Boulangeries Morel" found by "mor").
    """

    partner_type = models.CharField(
        _("type"), max_length=12, choices=PartnerType.choices, default=PartnerType.ORGANISATION
    )
    civility = models.CharField(_("civility"), max_length=2, choices=Civility.choices, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=200)

    # Types
    is_prospect = models.BooleanField(_("prospect"), default=False)
    is_customer = models.BooleanField(_("customer"), default=False)
    is_supplier = models.BooleanField(_("supplier"), default=False)
    is_partner = models.BooleanField(pgettext_lazy("partner type", "partner"), default=False)
    is_internal = models.BooleanField(_("internal"), default=False)
    is_factor = models.BooleanField(_("factor"), default=False)
    prospect_validated_at = models.DateTimeField(_("prospect validated on"), null=True, blank=True)
    prospect_validated_by = _user_fk(_("prospect validated by"))
    # The prospect workflow, when the company manages statuses on prospects.
    status = models.ForeignKey(
        PartnerStatus,
        verbose_name=_("prospect status"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="partners",
    )
    lost_reason = models.ForeignKey(
        "leads.LostReason",
        verbose_name=_("lost reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lost_comment = models.TextField(_("lost comment"), blank=True)

    # Identification
    category = models.ForeignKey(
        PartnerCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    industry_sector = models.ForeignKey(
        IndustrySector,
        verbose_name=_("industry sector"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ape_code = models.CharField(_("APE code"), max_length=10, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    vat_number = models.CharField(_("intra-EU VAT number"), max_length=20, blank=True)
    size = models.PositiveSmallIntegerField(
        _("size"), choices=CompanySize.choices, null=True, blank=True
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent company"),
        null=True,
        blank=True,
        # A parent cannot vanish under its subsidiaries: deleting it is refused while they point
        # to it (the delete confirmation names them).
        on_delete=models.PROTECT,
        related_name="subsidiaries",
    )
    logo = models.ImageField(_("logo"), upload_to=_logo_path, blank=True)
    description = models.TextField(_("description"), blank=True)

    # Contact details (phones in E.164)
    fixed_phone = models.CharField(_("fixed phone"), max_length=20, blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    do_not_call = models.BooleanField(_("do not call"), default=False)
    do_not_email = models.BooleanField(_("do not email"), default=False)
    main_address = _address_fk(_("main address"))
    invoicing_address = _address_fk(_("invoicing address"))
    delivery_address = _address_fk(_("delivery address"))

    # Tracking
    assigned_to = _user_fk(_("account owner"))
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    agency = models.ForeignKey(
        "users.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = _user_fk(_("created by"))
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    # Marketing
    scoring = models.PositiveSmallIntegerField(
        _("lead scoring"), default=0, validators=[MaxValueValidator(5)]
    )
    is_key_account = models.BooleanField(_("key account"), default=False)
    is_nurturing = models.BooleanField(_("nurturing"), default=False)
    source = models.ForeignKey(
        "leads.LeadSource",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    tags = models.ManyToManyField(
        "core.Tag", verbose_name=_("tags"), blank=True, related_name="partners"
    )

    # Closing (« fermé »): closed accounts show only to users with the right to see them.
    is_closed = models.BooleanField(_("closed"), default=False)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_reason = models.CharField(_("closing reason"), max_length=200, blank=True)

    # Derived columns for lists and searches, kept by the services.
    full_name = models.CharField(_("full name"), max_length=320, editable=False, default="")
    name_key = models.CharField(max_length=320, editable=False, default="")
    alt_key = models.CharField(max_length=320, editable=False, default="")
    city_name = models.CharField(_("city"), max_length=200, editable=False, default="")
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        indexes = [
            models.Index(fields=["company", "name_key", "id"], name="partner_name_idx"),
            # The accounts search reads name_key and alt_key in byte order: indexes made by
            # migration 0004 (core.search.byte_order_indexes), COLLATE "C" on PostgreSQL.
            models.Index(fields=["company", "siren"], name="partner_siren_idx"),
            # Duplicate checks and the conversion wizard's matches look partners up by email.
            models.Index(fields=["company", "email"], name="partner_email_idx"),
            models.Index(fields=["assigned_to", "name_key"], name="partner_owner_idx"),
            # Prospect lists and the prospect kanban walk one status at a time, by name.
            models.Index(fields=["company", "status", "name_key", "id"], name="partner_status_idx"),
            *duplicate_lookup_indexes("partner"),
            external_id_index("partner"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(scoring__lte=5), name="partner_scoring_0_5"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.name

    @property
    def is_draft_prospect(self) -> bool:
        return self.is_prospect and self.prospect_validated_at is None

    @property
    def is_validated_prospect(self) -> bool:
        return self.is_prospect and self.prospect_validated_at is not None

    @property
    def phone(self) -> str:
        return self.fixed_phone or self.mobile_phone

    @property
    def kind_label(self) -> str:
        """What the header shows: the first type in the order a sales team reads them."""
        if self.is_customer:
            return str(_("Customer"))
        if self.is_prospect:
            return str(_("Draft prospect") if self.is_draft_prospect else _("Validated prospect"))
        for flag, label in (
            (self.is_supplier, _("Supplier")),
            (self.is_partner, pgettext_lazy("partner type", "Partner")),
            (self.is_internal, _("Internal")),
            (self.is_factor, _("Factor")),
        ):
            if flag:
                return str(label)
        return str(_("Partner"))


def _contact_photo_path(instance: Contact, filename: str) -> str:
    return f"contacts/{instance.company_id}/photos/{filename}"


class Contact(CompanyOwned, Mergeable, ExternallyKeyed):
    """A person attached to one main partner (and possibly to others) (« Contact »)."""

    civility = models.CharField(_("civility"), max_length=2, choices=Civility.choices, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    main_partner = models.ForeignKey(
        Partner,
        verbose_name=_("company"),
        # A partner's own contacts go with it; the delete confirmation lists them.
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    other_partners = models.ManyToManyField(
        Partner, verbose_name=_("other companies"), blank=True, related_name="other_contacts"
    )
    job_title = models.ForeignKey(
        JobTitle,
        verbose_name=_("job title"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    fixed_phone = models.CharField(_("direct line"), max_length=20, blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    do_not_call = models.BooleanField(_("do not call"), default=False)
    do_not_email = models.BooleanField(_("do not email"), default=False)
    address = _address_fk(_("address"))
    description = models.TextField(_("description"), blank=True)

    assigned_to = _user_fk(_("assigned to"))
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    agency = models.ForeignKey(
        "users.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = _user_fk(_("created by"))
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)
    tags = models.ManyToManyField(
        "core.Tag", verbose_name=_("tags"), blank=True, related_name="contacts"
    )

    # Derived, kept by the services: the main partner's closed flag, copied so that the
    # accounts search hides contacts of closed accounts without a join.
    partner_closed = models.BooleanField(default=False, editable=False)
    full_name = models.CharField(_("full name"), max_length=320, editable=False, default="")
    name_key = models.CharField(max_length=201, editable=False, default="")
    alt_key = models.CharField(max_length=201, editable=False, default="")
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["company", "name_key", "id"], name="contact_name_idx"),
            models.Index(fields=["main_partner", "name_key"], name="contact_partner_idx"),
            models.Index(fields=["company", "email"], name="contact_email_idx"),
            *duplicate_lookup_indexes("contact"),
            external_id_index("contact"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.last_name

    @property
    def simple_full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def phone(self) -> str:
        return self.fixed_phone or self.mobile_phone


from piste.partners.models_sirene import SireneEstablishment, SireneUnit  # noqa: E402, F401
