from __future__ import annotations

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


class LeadSource(NamedReferential):
    """Where a lead came from (« Provenance »): web form, webinar, trade show…"""

    code = models.CharField(_("code"), max_length=20, blank=True)

    class Meta(NamedReferential.Meta):
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")


class LostReason(NamedReferential):
    """Why a lead, prospect or opportunity was lost; shared by all three."""

    comment_required = models.BooleanField(
        _("comment required"),
        default=False,
        help_text=_("Losing with this reason asks for a free-text comment."),
    )

    class Meta(NamedReferential.Meta):
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")


class LeadStatus(WorkflowStatus):
    """A step of the lead workflow (« Statut de piste »), shown in order on the status bar.

    Open statuses list under Open leads, closed ones under Closed leads. Three statuses carry a
    role: the default one (new and reopened leads), the converted one (set only by Convert) and
    the lost one (set only by Lose); each role is held by at most one status of a company.
    """

    class Role(models.TextChoices):
        NONE = "", _("none")
        DEFAULT = "default", _("default status")
        CONVERTED = "converted", _("converted status")
        LOST = "lost", _("lost status")

    sequence = models.PositiveIntegerField(_("order"), default=0)
    is_open = models.BooleanField(
        pgettext_lazy("lead status", "open"),
        default=True,
        help_text=_("Open statuses list under Open leads, closed ones under Closed leads."),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)

    class Meta(NamedReferential.Meta):
        verbose_name = _("lead status")
        verbose_name_plural = _("lead statuses")
        ordering = ["sequence", "id"]
        constraints = [
            *NamedReferential.Meta.constraints,
            models.UniqueConstraint(
                "company", "role", name="leadstatus_role_unique", condition=~models.Q(role="")
            ),
            # Convert and Lose close a lead; new and reopened leads are open.
            role_openness("leadstatus_role_openness", ["converted", "lost"]),
        ]


def _logo_path(instance: Lead, filename: str) -> str:
    return f"leads/{instance.company_id}/logos/{filename}"


# Links most leads leave empty (see ``Lead.Meta.indexes``).
SPARSE_LINKS = ["job_title", "industry_sector", "department", "lost_reason", "partner", "contact"]
SPARSE_LINKS += ["team", "agency", "source", "category", "merged_into"]


class Lead(CompanyOwned, Mergeable, ExternallyKeyed):
    """A first contact, not yet qualified (« Piste »), kept apart from the address book.

    The ``*_key`` columns are folded copies (``piste.core.text.fold``) that the lists sort and
    search on, maintained by ``piste.leads.services``; ``version`` guards concurrent edits.
    """

    # Every list index below starts with the company: an index of its own would only cost
    # each insert (the import's most of all). The merge link is indexed where set only.
    company = models.ForeignKey(
        "users.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    # Identity
    civility = models.CharField(_("civility"), max_length=2, choices=Civility.choices, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    enterprise_name = models.CharField(_("company name"), max_length=200, blank=True)
    # The company's SIREN when known: carried over by Convert, and matched against partners'.
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    job_title = models.ForeignKey(
        "partners.JobTitle",
        verbose_name=_("job title"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    industry_sector = models.ForeignKey(
        "partners.IndustrySector",
        verbose_name=_("industry sector"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    department = models.ForeignKey(
        "partners.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    logo = models.ImageField(_("company logo"), upload_to=_logo_path, blank=True)

    # Contact details (phones in E.164)
    fixed_phone = models.CharField(_("fixed phone"), max_length=20, blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    do_not_call = models.BooleanField(_("do not call"), default=False)
    do_not_email = models.BooleanField(_("do not email"), default=False)
    address = models.OneToOneField(
        "geo.Address",
        verbose_name=_("main address"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    description = models.TextField(_("description"), blank=True)

    # Tracking
    status = models.ForeignKey(
        LeadStatus, verbose_name=_("status"), on_delete=models.PROTECT, related_name="leads"
    )
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    lost_comment = models.TextField(_("lost comment"), blank=True)
    # Set by Convert: the partner the lead became, and when.
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("converted into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="converted_leads",
        db_index=False,
    )
    # The first contact it became (a lead converted into a person's partner has none).
    contact = models.ForeignKey(
        "partners.Contact",
        verbose_name=_("converted into contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="converted_leads",
        db_index=False,
    )
    converted_at = models.DateTimeField(_("converted on"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    agency = models.ForeignKey(
        "users.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
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

    # Marketing
    scoring = models.PositiveSmallIntegerField(
        _("lead scoring"), default=0, validators=[MaxValueValidator(5)]
    )
    size = models.PositiveSmallIntegerField(
        _("size"), choices=CompanySize.choices, null=True, blank=True
    )
    is_key_account = models.BooleanField(_("key account"), default=False)
    is_nurturing = models.BooleanField(_("nurturing"), default=False)
    source = models.ForeignKey(
        LeadSource,
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    category = models.ForeignKey(
        "partners.PartnerCategory",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    tags = models.ManyToManyField(
        "core.Tag", verbose_name=_("tags"), blank=True, related_name="leads"
    )

    # Derived columns for lists (sort and search), kept by the services.
    full_name = models.CharField(_("full name"), max_length=400, editable=False)
    name_key = models.CharField(max_length=201, editable=False, default="")
    enterprise_key = models.CharField(max_length=200, editable=False, default="")
    main_phone = models.CharField(_("phone"), max_length=20, editable=False, default="")
    city_name = models.CharField(_("city"), max_length=200, editable=False, default="")
    city_key = models.CharField(max_length=200, editable=False, default="")
    search_key = models.TextField(editable=False, default="")
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            # Each sortable list column, within a company, in keyset order (column, id).
            models.Index(fields=["company", "created_at", "id"], name="lead_created_idx"),
            models.Index(fields=["company", "name_key", "id"], name="lead_name_idx"),
            models.Index(fields=["company", "enterprise_key", "id"], name="lead_enterprise_idx"),
            models.Index(fields=["company", "main_phone", "id"], name="lead_phone_idx"),
            models.Index(fields=["company", "city_key", "id"], name="lead_city_idx"),
            models.Index(fields=["company", "scoring", "id"], name="lead_scoring_idx"),
            # Status and assignee sorts walk one status (one user) at a time, in id order.
            models.Index(fields=["company", "status", "id"], name="lead_status_idx"),
            models.Index(fields=["company", "assigned_to", "id"], name="lead_assigned_idx"),
            # My leads, newest first: the most visited list.
            models.Index(
                fields=["assigned_to", "created_at", "id"], name="lead_assigned_created_idx"
            ),
            # Duplicate warnings read the names next to the typed one in the typed city.
            models.Index(
                fields=["company", "city_key", "name_key", "id"], name="lead_city_name_idx"
            ),
            models.Index(
                fields=["company", "city_key", "enterprise_key", "id"],
                name="lead_city_enterprise_idx",
            ),
            # My leads' kanban walks one status at a time, newest first.
            models.Index(fields=["assigned_to", "status", "id"], name="lead_assigned_status_idx"),
            *duplicate_lookup_indexes("lead"),
            external_id_index("lead"),
            models.Index(
                fields=["company", "siren"], name="lead_siren_idx", condition=~models.Q(siren="")
            ),
            # The links most leads leave empty are indexed where set only (deleting a sector or
            # a team finds its leads): an empty one costs an insert nothing.
            *(
                models.Index(
                    fields=[name],
                    name=f"lead_{name}_idx"[:30],
                    condition=models.Q(**{f"{name}__isnull": False}),
                )
                for name in SPARSE_LINKS
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(scoring__lte=5), name="lead_scoring_0_5"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.last_name

    @property
    def simple_full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def phone(self) -> str:
        return self.fixed_phone or self.mobile_phone

    @property
    def is_lost(self) -> bool:
        return self.status.role == LeadStatus.Role.LOST

    @property
    def is_converted(self) -> bool:
        return self.status.role == LeadStatus.Role.CONVERTED

    @property
    def search_phrase(self) -> str:
        """What the Google and LinkedIn shortcuts search for: the name and the company."""
        return " ".join(p for p in (self.simple_full_name, self.enterprise_name) if p)
