"""Opportunities (« Opportunités »): a sale in progress with a partner, its amount, its
probability and its expected signing date, moving through customisable stages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from piste.core.models import (
    CompanyOwned,
    ExternallyKeyed,
    WorkflowStatus,
    external_id_index,
    role_openness,
)

# An amount of at most a thousand billion, cents included: what DecimalField(14, 2) holds.
MAX_AMOUNT = Decimal("999999999999.99")


class OpportunityStage(WorkflowStatus):
    """A sales stage (« Étape de vente »), a column of the portfolio kanban.

    Roles: the default stage (new opportunities), closed won and closed lost.
    """

    class Role(models.TextChoices):
        NONE = "", _("none")
        DEFAULT = "default", _("default stage")
        WON = "won", _("won stage")
        LOST = "lost", _("lost stage")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)

    class Meta(WorkflowStatus.Meta):
        verbose_name = _("sales stage")
        verbose_name_plural = _("sales stages")
        constraints = [
            *WorkflowStatus.Meta.constraints,
            role_openness("opportunitystage_role_openness", ["won", "lost"]),
        ]


def _user_fk(verbose: Any) -> models.ForeignKey[Any, Any]:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class Opportunity(CompanyOwned, ExternallyKeyed):
    """A sale in progress (« Opportunité »).

    ``weighted_amount`` (amount times probability) and ``name_key`` are kept by
    ``piste.opportunities.services``; ``version`` guards concurrent edits.
    """

    # 1, 2, 3… per company, shown as "OPP-00001"; given at creation, never reused.
    number = models.PositiveIntegerField(_("number"), editable=False)
    name = models.CharField(_("name"), max_length=200)
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("customer / prospect"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    contacts = models.ManyToManyField(
        "partners.Contact", verbose_name=_("contacts"), blank=True, related_name="opportunities"
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_AMOUNT)],
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    weighted_amount = models.DecimalField(
        _("weighted amount"), max_digits=14, decimal_places=2, default=Decimal(0), editable=False
    )
    expected_close_date = models.DateField(_("expected signing date"), null=True, blank=True)
    stage = models.ForeignKey(
        OpportunityStage,
        verbose_name=_("sales stage"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    assigned_to = _user_fk(_("owner"))
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.ForeignKey(
        "leads.LeadSource",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
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
    description = models.TextField(_("description"), blank=True)
    # The lead this opportunity was generated from by Convert, if any.
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    closed_at = models.DateTimeField(_("closed on"), null=True, blank=True)
    created_by = _user_fk(_("created by"))
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    # Derived, kept by the services: the folded name the lists sort and search on.
    name_key = models.CharField(max_length=200, editable=False, default="")
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        constraints = [
            models.UniqueConstraint("company", "number", name="opportunity_number_unique"),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="opportunity_amount_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="opportunity_probability_0_100"
            ),
        ]
        indexes = [
            external_id_index("opportunity"),
            # A kanban column (one stage), newest first, paged by keyset.
            models.Index(fields=["company", "stage", "-id"], name="opportunity_stage_idx"),
            # The signature calendar: a month or a week of expected signing dates. The columns
            # its day totals and rankings read are included, so PostgreSQL answers from the
            # index alone (a month of 1,000,000 opportunities: 130 ms instead of 345).
            models.Index(
                fields=["company", "expected_close_date", "id"],
                include=["stage", "amount", "weighted_amount", "currency"],
                name="opportunity_close_idx",
            ),
            models.Index(fields=["company", "name_key", "id"], name="opportunity_name_idx"),
            models.Index(fields=["company", "amount", "id"], name="opportunity_amount_idx"),
            # My opportunities, newest first.
            models.Index(fields=["assigned_to", "-id"], name="opportunity_owner_idx"),
            models.Index(fields=["partner", "-id"], name="opportunity_partner_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def reference(self) -> str:
        return f"OPP-{self.number:05d}"

    @property
    def is_won(self) -> bool:
        return self.stage.role == OpportunityStage.Role.WON

    @property
    def is_lost(self) -> bool:
        return self.stage.role == OpportunityStage.Role.LOST

    @property
    def is_closed(self) -> bool:
        return not self.stage.is_open


class StageTotal(CompanyOwned):
    """Running count and sums of the opportunities of one stage, per owner, team and creator.

    The kanban shows each column's count and amounts without scanning a million rows: it adds
    up the few rows of this table that the user's record scope lets them see (the same owner,
    team and creator rules as ``piste.core.access.records_for_user``). Kept in the same
    transaction as every opportunity write by ``piste.opportunities.services``; rebuilt from the
    opportunities when a user or a team is deleted (their ids are plain numbers here, 0 for
    none, so that the key is unique on every database).
    """

    stage = models.ForeignKey(OpportunityStage, on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    owner_id = models.BigIntegerField(default=0)
    team_id = models.BigIntegerField(default=0)
    creator_id = models.BigIntegerField(default=0)
    count = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal(0))
    weighted_amount = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal(0))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "company",
                "stage",
                "currency",
                "owner_id",
                "team_id",
                "creator_id",
                name="stagetotal_key_unique",
            )
        ]
