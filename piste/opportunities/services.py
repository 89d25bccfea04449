"""Writes on opportunities: create, edit, stage moves (status bar, kanban), win, lose, reopen,
reschedule (the signature calendar), delete.

Every function takes the acting ``Actor`` (``piste.core.access``), checks the right it needs and
that every record it touches belongs to the actor's company, writes the timeline, and runs in one
transaction: a refused action changes nothing. In that same transaction each write keeps the
derived columns (``name_key``, ``weighted_amount``) and the running totals of the kanban
(``StageTotal``) up to date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from piste.core.access import Actor
from piste.core.models import Activity, external_id_clean
from piste.core.rights import Right
from piste.core.services import ConflictError
from piste.core.statuses import status_by_role
from piste.core.text import fold
from piste.core.timeline import activity_record
from piste.documents.services import documents_delete_for_record
from piste.leads.models import Lead, LeadSource, LostReason
from piste.opportunities.models import MAX_AMOUNT, Opportunity, OpportunityStage, StageTotal
from piste.opportunities.statuses import OPPORTUNITY_STAGES
from piste.partners.models import Contact, Partner
from piste.partners.services import TYPE_FLAGS, partner_set_types
from piste.users.models import Company, Team, User

# Fields a user edits on the opportunity form, in the order the timeline lists their changes.
FORM_FIELDS = [
    "name",
    "partner",
    "amount",
    "currency",
    "probability",
    "expected_close_date",
    "stage",
    "assigned_to",
    "team",
    "source",
    "description",
    # Not on the form: set by imports and the API.
    "external_id",
]
# What else the creation takes (the lead an opportunity is generated from).
CREATE_FIELDS = [*FORM_FIELDS, "lead"]
# Expected signing dates outside these years are typing mistakes (the calendar shows these).
FIRST_YEAR, LAST_YEAR = 1900, 2999
MAX_DESCRIPTION = 20_000
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CENT = Decimal("0.01")
Role = OpportunityStage.Role


# Running totals (StageTotal) -----------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    """The StageTotal row an opportunity counts in."""

    company_id: int
    stage_id: int
    currency: str
    owner_id: int
    team_id: int
    creator_id: int

    @classmethod
    def of(cls, opportunity: Opportunity) -> _Key:
        return cls(
            company_id=opportunity.company_id,
            stage_id=opportunity.stage_id,
            currency=opportunity.currency,
            owner_id=opportunity.assigned_to_id or 0,
            team_id=opportunity.team_id or 0,
            creator_id=opportunity.created_by_id or 0,
        )

    def as_filter(self) -> dict[str, Any]:
        return {
            "company_id": self.company_id,
            "stage_id": self.stage_id,
            "currency": self.currency,
            "owner_id": self.owner_id,
            "team_id": self.team_id,
            "creator_id": self.creator_id,
        }

    def order(self) -> tuple[Any, ...]:
        return (
            self.company_id,
            self.stage_id,
            self.currency,
            self.owner_id,
            self.team_id,
            self.creator_id,
        )


@dataclass(frozen=True)
class _Figures:
    key: _Key
    amount: Decimal
    weighted: Decimal

    @classmethod
    def of(cls, opportunity: Opportunity) -> _Figures:
        return cls(
            _Key.of(opportunity),
            Decimal(opportunity.amount),
            Decimal(opportunity.weighted_amount),
        )


def _totals_add(key: _Key, count: int, amount: Decimal, weighted: Decimal) -> None:
    """Add (or, negative, subtract) figures to one StageTotal row, created when missing. F()
    updates: two transactions adding to the same row wait for each other, none loses a sum."""
    row = StageTotal.objects.filter(**key.as_filter())
    changed = row.update(
        count=F("count") + count,
        amount=F("amount") + amount,
        weighted_amount=F("weighted_amount") + weighted,
    )
    if not changed:
        try:
            # A savepoint: a row created meanwhile by another transaction makes this insert fail
            # on the unique key, and the update then finds that row.
            with transaction.atomic():
                StageTotal.objects.create(
                    **key.as_filter(), count=count, amount=amount, weighted_amount=weighted
                )
            return
        except IntegrityError:
            row.update(
                count=F("count") + count,
                amount=F("amount") + amount,
                weighted_amount=F("weighted_amount") + weighted,
            )
    if count < 0:
        # A row that counts no opportunity any more goes: the kanban sums fewer rows, and the
        # table stays what a rebuild makes.
        row.filter(count=0).delete()


def stage_totals_apply(before: _Figures | None, after: _Figures | None) -> None:
    """Move an opportunity's figures from its old row to its new one (None: it did not exist, or
    no longer exists). Rows are touched in key order, so that two writes never wait for each
    other crosswise."""
    if before is not None and after is not None and before == after:
        return
    if before is not None and after is not None and before.key == after.key:
        _totals_add(after.key, 0, after.amount - before.amount, after.weighted - before.weighted)
        return
    steps = []
    if before is not None:
        steps.append((before.key, -1, -before.amount, -before.weighted))
    if after is not None:
        steps.append((after.key, 1, after.amount, after.weighted))
    for key, count, amount, weighted in sorted(steps, key=lambda step: step[0].order()):
        _totals_add(key, count, amount, weighted)


@transaction.atomic
def stage_totals_rebuild(*, company: Company | int) -> None:
    """Recompute the company's StageTotal rows from its opportunities (one GROUP BY): after a
    user or a team is deleted (their ids are plain numbers there), or to repair the table."""
    company_id = company if isinstance(company, int) else company.pk
    rows = (
        Opportunity.objects.filter(company_id=company_id)
        .values("stage_id", "currency", "assigned_to_id", "team_id", "created_by_id")
        .annotate(n=Count("id"), amount_sum=Sum("amount"), weighted_sum=Sum("weighted_amount"))
        .order_by()
    )
    totals = [
        StageTotal(
            company_id=company_id,
            stage_id=row["stage_id"],
            currency=row["currency"],
            owner_id=row["assigned_to_id"] or 0,
            team_id=row["team_id"] or 0,
            creator_id=row["created_by_id"] or 0,
            count=row["n"],
            amount=row["amount_sum"] or Decimal(0),
            weighted_amount=row["weighted_sum"] or Decimal(0),
        )
        for row in rows
    ]
    StageTotal.objects.filter(company_id=company_id).delete()
    StageTotal.objects.bulk_create(totals, batch_size=1000)


def stage_totals_rebuild_for_user(user_id: int) -> None:
    """After a user was deleted: rebuild the totals of the companies where they owned or
    created opportunities (their opportunities now have no owner or creator)."""
    companies = (
        StageTotal.objects.filter(Q(owner_id=user_id) | Q(creator_id=user_id))
        .values_list("company_id", flat=True)
        .distinct()
    )
    for company_id in list(companies):
        stage_totals_rebuild(company=company_id)


def stage_totals_rebuild_for_team(team_id: int, company_id: int) -> None:
    """After a team was deleted: its opportunities have no team any more."""
    if StageTotal.objects.filter(company_id=company_id, team_id=team_id).exists():
        stage_totals_rebuild(company=company_id)


# Checks --------------------------------------------------------------------------------------


def _require(actor: Actor, right: Right, opportunity: Opportunity | None = None) -> None:
    if opportunity is not None and opportunity.company_id != actor.company.pk:
        raise PermissionDenied
    if not actor.has(right):
        raise PermissionDenied(right.label)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def _normalise(actor: Actor, data: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
    """The fields of ``data`` among ``fields``, validated and normalised; every error at once,
    keyed by field. Related records must belong to the actor's company."""
    values = {name: data[name] for name in fields if name in data}
    errors: dict[str, str] = {}
    company_id = actor.company.pk
    if "external_id" in values:
        try:
            values["external_id"] = external_id_clean(values["external_id"])
        except ValidationError as exc:
            errors["external_id"] = exc.message_dict["external_id"][0]
    if "name" in values:
        values["name"] = " ".join(str(values["name"] or "").split())
        if not values["name"]:
            errors["name"] = _("Enter the name of the opportunity.")
        elif len(values["name"]) > 200:
            errors["name"] = _("The name holds at most 200 characters.")
    if "partner" in values:
        partner = values["partner"]
        if partner is None:
            errors["partner"] = _("Choose the customer or prospect.")
        elif not isinstance(partner, Partner) or partner.company_id != company_id:
            errors["partner"] = _("Choose a partner of this company.")
    if "amount" in values:
        amount = Decimal(0) if values["amount"] in (None, "") else _decimal(values["amount"])
        if amount is None:
            errors["amount"] = _("Enter an amount such as 12500.00.")
        elif not 0 <= amount <= MAX_AMOUNT:
            errors["amount"] = _("The amount is between 0 and 999,999,999,999.99.")
        else:
            values["amount"] = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    if "currency" in values:
        currency = str(values["currency"] or "EUR").strip().upper()
        if not _CURRENCY.match(currency):
            errors["currency"] = _("Enter a currency code of three letters, such as EUR.")
        values["currency"] = currency
    if "probability" in values:
        probability = 0 if values["probability"] in (None, "") else _integer(values["probability"])
        if probability is None or not 0 <= probability <= 100:
            errors["probability"] = _("The probability is a whole number from 0 to 100.")
        else:
            values["probability"] = probability
    if "expected_close_date" in values:
        day = values["expected_close_date"]
        if day is not None and (
            not isinstance(day, date) or not FIRST_YEAR <= day.year <= LAST_YEAR
        ):
            errors["expected_close_date"] = _(
                "Enter a signing date between the years %(first)d and %(last)d."
            ) % {"first": FIRST_YEAR, "last": LAST_YEAR}
    if "stage" in values:
        stage = values["stage"]
        if stage is None:
            del values["stage"]
        elif not isinstance(stage, OpportunityStage) or stage.company_id != company_id:
            errors["stage"] = _("Choose a sales stage of this company.")
    if "description" in values:
        values["description"] = str(values["description"] or "").strip()
        if len(values["description"]) > MAX_DESCRIPTION:
            errors["description"] = _("The description holds at most %(max)d characters.") % {
                "max": MAX_DESCRIPTION
            }
    user = values.get("assigned_to")
    if user is not None and (
        not isinstance(user, User)
        or not user.memberships.filter(company_id=company_id, is_active=True).exists()
    ):
        errors["assigned_to"] = _("Choose a user of this company.")
    for name, model in (("team", Team), ("source", LeadSource), ("lead", Lead)):
        value = values.get(name)
        if value is not None and (not isinstance(value, model) or value.company_id != company_id):
            errors[name] = _("Choose a value of this company.")
    if errors:
        raise ValidationError(errors)
    return values


def _contacts_checked(actor: Actor, partner: Partner, contacts: Iterable[Contact]) -> list[Contact]:
    """The chosen contacts, each one of the partner's (its own or attached to it)."""
    chosen = {c.pk: c for c in contacts}
    if not chosen:
        return []
    if any(c.company_id != actor.company.pk for c in chosen.values()):
        raise ValidationError({"contacts": _("Choose contacts of this company.")})
    of_partner = set(
        Contact.objects.filter(pk__in=list(chosen))
        .filter(Q(main_partner_id=partner.pk) | Q(other_partners=partner.pk))
        .values_list("pk", flat=True)
    )
    if set(chosen) - of_partner:
        raise ValidationError(
            {"contacts": _("Choose contacts of %(partner)s.") % {"partner": partner}}
        )
    return list(chosen.values())


def weighted_amount(amount: Decimal, probability: int) -> Decimal:
    """The amount times the probability, rounded to the cent (« montant pondéré »)."""
    return (Decimal(amount) * probability / 100).quantize(_CENT, rounding=ROUND_HALF_UP)


def _refresh_derived(opportunity: Opportunity) -> None:
    opportunity.name_key = fold(opportunity.name)[:200]
    opportunity.weighted_amount = weighted_amount(opportunity.amount, opportunity.probability)


def _shown(opportunity: Opportunity, name: str) -> Any:
    """A field's value as the timeline keeps it (JSON)."""
    if name in ("partner", "stage", "assigned_to", "team", "source", "lead", "lost_reason"):
        value = getattr(opportunity, f"{name}_id")
        return str(getattr(opportunity, name)) if value is not None else None
    value = getattr(opportunity, name)
    if value in ("", None):
        return None
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return value if isinstance(value, str | int | bool) else str(value)


def _stage_change(before: OpportunityStage, after: OpportunityStage) -> dict[str, Any]:
    return {"field": "stage", "from": before.name, "to": after.name}


def _locked(opportunity: Opportunity) -> Opportunity:
    """The opportunity's saved row, locked until the transaction ends: its figures are those the
    running totals hold, whatever the caller's copy says."""
    return (
        Opportunity.objects.select_for_update(of=("self",))
        .select_related("stage")
        .get(pk=opportunity.pk)
    )


def _closed_refusal(opportunity: Opportunity) -> str | None:
    """Why a won or lost opportunity refuses a change, or None."""
    if opportunity.stage.role == Role.WON:
        return _("This opportunity is won: it no longer changes. Reopen it first.")
    if opportunity.stage.role == Role.LOST:
        return _("This opportunity is lost: it no longer changes. Reopen it first.")
    return None


def _move_refusal(opportunity: Opportunity, stage: OpportunityStage) -> str | None:
    """Why ``opportunity`` may not move to ``stage`` by a click (status bar, kanban), or None."""
    if stage.company_id != opportunity.company_id:
        return _("Choose a sales stage of this company.")
    if stage.pk == opportunity.stage_id:
        return None
    if stage.role == Role.WON:
        return _("To win an opportunity, use Win: it asks what the partner becomes.")
    if stage.role == Role.LOST:
        return _("To lose an opportunity, use Lose: it asks the lost reason.")
    return None


def _sync_to_instance(target: Opportunity, source: Opportunity) -> None:
    """The caller's copy takes the saved values (views render it after the service). Setting an
    id drops the relation cached for another id; those the service read are handed over."""
    for field in Opportunity._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    for name in ("stage", "partner", "assigned_to", "team", "source", "lost_reason", "lead"):
        if name in source._state.fields_cache:
            setattr(target, name, getattr(source, name))


def _bump_version(opportunity: Opportunity) -> None:
    opportunity.version = opportunity.version + 1


# Create, update, delete ----------------------------------------------------------------------


@transaction.atomic
def opportunity_create(
    *, actor: Actor, data: Mapping[str, Any], contacts: Iterable[Contact] = ()
) -> Opportunity:
    """A new opportunity numbered after the company's last one, with the default stage unless
    ``data`` gives an open stage; unset owner and team take the creator and their active
    team."""
    _require(actor, Right.CREATE_RECORDS)
    values = _normalise(actor, data, CREATE_FIELDS)
    errors: dict[str, str] = {}
    if "name" not in values:
        errors["name"] = _("Enter the name of the opportunity.")
    if values.get("partner") is None and "partner" not in errors:
        errors["partner"] = _("Choose the customer or prospect.")
    stage = values.pop("stage", None)
    if stage is not None and not stage.is_open:
        errors["stage"] = _(
            "A new opportunity takes an open stage: win, lose or close it afterwards."
        )
    if errors:
        raise ValidationError(errors)
    partner: Partner = values["partner"]
    chosen = _contacts_checked(actor, partner, contacts)
    if stage is None:
        stage = status_by_role(OPPORTUNITY_STAGES, actor.company.pk, Role.DEFAULT)
    user = actor.user
    if "assigned_to" not in data:
        values["assigned_to"] = user
    if "team" not in data and user.active_team_id:
        values["team_id"] = user.active_team_id
    opportunity = Opportunity(company=actor.company, stage=stage, created_by=user, **values)
    _refresh_derived(opportunity)
    # Two opportunities created at once may read the same last number: the unique constraint
    # refuses the second, which takes the next one.
    attempts = 0
    while True:
        last = Opportunity.objects.filter(company_id=actor.company.pk).aggregate(
            last=Max("number")
        )["last"]
        opportunity.number = (last or 0) + 1
        try:
            with transaction.atomic():
                opportunity.save(force_insert=True)
            break
        except IntegrityError:
            opportunity.pk = None
            attempts += 1
            if attempts == 3:
                raise
    if chosen:
        opportunity.contacts.set(chosen)
    stage_totals_apply(None, _Figures.of(opportunity))
    activity_record(obj=opportunity, verb=Activity.Verb.CREATED, actor=user)
    return opportunity


@transaction.atomic
def opportunity_update(
    *,
    actor: Actor,
    opportunity: Opportunity,
    data: Mapping[str, Any],
    version: int,
    contacts: Iterable[Contact] | None = None,
) -> Opportunity:
    """Save the fields in ``data`` (and the contacts when given) if nobody saved the
    opportunity since ``version`` was read; ConflictError otherwise, and nothing is written.
    A won or lost opportunity is read-only. A new stage follows the status bar's rules (Win and
    Lose have their own ways)."""
    _require(actor, Right.CHANGE_RECORDS, opportunity)
    locked = _locked(opportunity)
    if locked.version != version:
        raise ConflictError(
            _(
                "Someone else saved this opportunity while you were editing it. Your values are "
                "kept below: check them against the saved opportunity and save again to keep "
                "yours."
            ),
            code="conflict",
        )
    refusal = _closed_refusal(locked)
    if refusal:
        raise ValidationError(refusal)
    values = _normalise(actor, data, FORM_FIELDS)
    stage = values.pop("stage", None)
    if stage is not None:
        refusal = _move_refusal(locked, stage)
        if refusal:
            raise ValidationError({"stage": refusal})
    partner: Partner = values.get("partner") or locked.partner
    if contacts is not None:
        chosen: list[Contact] | None = _contacts_checked(actor, partner, contacts)
    elif partner.pk != locked.partner_id:
        # The contacts of the former partner leave with it.
        chosen = list(
            locked.contacts.filter(Q(main_partner_id=partner.pk) | Q(other_partners=partner.pk))
        )
    else:
        chosen = None
    before = _Figures.of(locked)
    changes = []
    for name, value in values.items():
        shown_before = _shown(locked, name)
        setattr(locked, name, value)
        shown_after = _shown(locked, name)
        if shown_before != shown_after:
            changes.append({"field": name, "from": shown_before, "to": shown_after})
    stage_change = None
    if stage is not None and stage.pk != locked.stage_id:
        stage_change = _stage_change(locked.stage, stage)
        _set_stage(locked, stage)
    contact_change = _set_contacts(locked, chosen) if chosen is not None else None
    if contact_change:
        changes.append(contact_change)
    if not changes and not stage_change:
        _sync_to_instance(opportunity, locked)
        return opportunity
    _refresh_derived(locked)
    _bump_version(locked)
    locked.save()
    stage_totals_apply(before, _Figures.of(locked))
    assigned = next((c for c in changes if c["field"] == "assigned_to"), None)
    others = [c for c in changes if c is not assigned]
    if others:
        activity_record(
            obj=locked, verb=Activity.Verb.CHANGED, actor=actor.user, data={"changes": others}
        )
    if assigned:
        activity_record(
            obj=locked, verb=Activity.Verb.ASSIGNED, actor=actor.user, data={"changes": [assigned]}
        )
    if stage_change:
        activity_record(
            obj=locked,
            verb=Activity.Verb.STATUS_CHANGED,
            actor=actor.user,
            data={"changes": [stage_change]},
        )
    _sync_to_instance(opportunity, locked)
    return opportunity


def _set_contacts(opportunity: Opportunity, contacts: list[Contact]) -> dict[str, Any] | None:
    current = {c.pk: c for c in opportunity.contacts.all()}
    wanted = {c.pk: c for c in contacts}
    added = [wanted[pk] for pk in wanted.keys() - current.keys()]
    removed = [current[pk] for pk in current.keys() - wanted.keys()]
    if not added and not removed:
        return None
    opportunity.contacts.set(contacts)
    return {
        "field": "contacts",
        "added": sorted(str(c) for c in added),
        "removed": sorted(str(c) for c in removed),
    }


@transaction.atomic
def opportunity_delete(*, actor: Actor, opportunity: Opportunity) -> None:
    """Delete the opportunity; its timeline stays (who deleted what, and when)."""
    _require(actor, Right.DELETE_RECORDS, opportunity)
    locked = _locked(opportunity)
    stage_totals_apply(_Figures.of(locked), None)
    activity_record(
        obj=locked,
        verb=Activity.Verb.DELETED,
        actor=actor.user,
        data={"message": f"{locked.reference} {locked.name}"},
    )
    documents_delete_for_record(record=locked)
    locked.delete()


# Stages --------------------------------------------------------------------------------------


def _set_stage(
    opportunity: Opportunity,
    stage: OpportunityStage,
    lost_reason: LostReason | None = None,
    lost_comment: str = "",
) -> None:
    """The new stage and what it implies: closed_at set when it closes (kept when it stays
    closed), cleared when it opens; the lost reason is the one given (none but when losing)."""
    was_open = opportunity.stage.is_open
    opportunity.stage = stage
    if stage.is_open:
        opportunity.closed_at = None
    elif was_open or opportunity.closed_at is None:
        opportunity.closed_at = timezone.now()
    opportunity.lost_reason = lost_reason
    opportunity.lost_comment = lost_comment


def _stage_write(
    actor: Actor,
    opportunity: Opportunity,
    locked: Opportunity,
    stage: OpportunityStage,
    *,
    message: str = "",
    lost_reason: LostReason | None = None,
    lost_comment: str = "",
    probability: int | None = None,
) -> Opportunity:
    """Move the locked row to ``stage``, save, keep the totals, write the timeline. Winning and
    losing also set the probability (100 and 0 %): the weighted sums then count a won sale whole
    and a lost one not at all."""
    before = _Figures.of(locked)
    changes = [_stage_change(locked.stage, stage)]
    fields = ["stage", "closed_at", "lost_reason", "lost_comment", "version", "updated_at"]
    if probability is not None and probability != locked.probability:
        changes.append({"field": "probability", "from": locked.probability, "to": probability})
        locked.probability = probability
        _refresh_derived(locked)
        fields += ["probability", "weighted_amount"]
    if locked.lost_reason_id is not None or lost_reason is not None:
        changes.append(
            {
                "field": "lost_reason",
                "from": _shown(locked, "lost_reason"),
                "to": lost_reason.name if lost_reason else None,
            }
        )
    _set_stage(locked, stage, lost_reason, lost_comment)
    _bump_version(locked)
    locked.save(update_fields=fields)
    stage_totals_apply(before, _Figures.of(locked))
    data: dict[str, Any] = {"changes": changes}
    if message:
        data["message"] = message
    activity_record(obj=locked, verb=Activity.Verb.STATUS_CHANGED, actor=actor.user, data=data)
    _sync_to_instance(opportunity, locked)
    return opportunity


@transaction.atomic
def opportunity_move(
    *, actor: Actor, opportunity: Opportunity, stage: OpportunityStage
) -> Opportunity:
    """Move the opportunity to ``stage`` (the status bar, the kanban): an open stage (which also
    reopens a closed opportunity, forgetting why it was lost), or a closed stage without a
    role. The won and lost stages are reached through Win and Lose only."""
    _require(actor, Right.CHANGE_RECORDS, opportunity)
    locked = _locked(opportunity)
    refusal = _move_refusal(locked, stage)
    if refusal:
        raise ValidationError(refusal)
    if stage.pk == locked.stage_id:
        _sync_to_instance(opportunity, locked)
        return opportunity
    return _stage_write(actor, opportunity, locked, stage)


@transaction.atomic
def opportunity_reopen(*, actor: Actor, opportunity: Opportunity) -> Opportunity:
    """Give a closed opportunity the default stage again, forgetting why it was lost."""
    _require(actor, Right.CHANGE_RECORDS, opportunity)
    locked = _locked(opportunity)
    if locked.stage.is_open:
        raise ValidationError(_("Only a closed opportunity can be reopened."))
    default = status_by_role(OPPORTUNITY_STAGES, actor.company.pk, Role.DEFAULT)
    return _stage_write(actor, opportunity, locked, default)


def _check_can_close(locked: Opportunity, target: str) -> None:
    if locked.stage.role == target:
        raise ValidationError(
            _("This opportunity is already won.")
            if target == Role.WON
            else _("This opportunity is already lost.")
        )
    refusal = _closed_refusal(locked)
    if refusal:
        raise ValidationError(refusal)


@transaction.atomic
def opportunity_win(
    *, actor: Actor, opportunity: Opportunity, partner_types: Mapping[str, bool]
) -> Opportunity:
    """Win the opportunity (the won stage, closed now) and set the partner's type flags as
    chosen in the Win dialog: each flag named in ``partner_types`` (``is_customer``,
    ``is_prospect``…; the dialog sends them all) takes its value. Becoming a customer needs the
    right « create customers »: without it nothing is written."""
    _require(actor, Right.CHANGE_RECORDS, opportunity)
    unknown = set(partner_types) - set(TYPE_FLAGS)
    if unknown:
        raise ValidationError(
            _("Unknown partner types: %(types)s.") % {"types": ", ".join(sorted(unknown))}
        )
    locked = _locked(opportunity)
    _check_can_close(locked, Role.WON)
    won = status_by_role(OPPORTUNITY_STAGES, actor.company.pk, Role.WON)
    partner = Partner.objects.get(pk=locked.partner_id)
    partner_set_types(
        actor=actor,
        partner=partner,
        types={name: bool(value) for name, value in partner_types.items()},
        message=_("Opportunity %(reference)s won.") % {"reference": locked.reference},
    )
    return _stage_write(
        actor, opportunity, locked, won, message=_("Opportunity won."), probability=100
    )


@transaction.atomic
def opportunity_lose(
    *, actor: Actor, opportunity: Opportunity, reason: LostReason | None, comment: str = ""
) -> Opportunity:
    """Lose the opportunity with a reason (and a comment when the reason asks for one)."""
    _require(actor, Right.CHANGE_RECORDS, opportunity)
    locked = _locked(opportunity)
    _check_can_close(locked, Role.LOST)
    if reason is None:
        raise ValidationError({"reason": _("Choose a lost reason.")})
    if reason.company_id != actor.company.pk:
        raise ValidationError({"reason": _("Choose a value of this company.")})
    comment = (comment or "").strip()
    if reason.comment_required and not comment:
        raise ValidationError({"comment": _("This reason asks for a comment.")})
    lost = status_by_role(OPPORTUNITY_STAGES, actor.company.pk, Role.LOST)
    return _stage_write(
        actor,
        opportunity,
        locked,
        lost,
        message=comment or _("Opportunity lost."),
        lost_reason=reason,
        lost_comment=comment,
        probability=0,
    )


@transaction.atomic
def opportunity_reschedule(
    *, actor: Actor, opportunity: Opportunity, expected_close_date: date
) -> Opportunity:
    """Change the expected signing date (the signature calendar's drag and drop)."""
    _require(actor, Right.CHANGE_RECORDS, opportunity)
    locked = _locked(opportunity)
    refusal = _closed_refusal(locked)
    if refusal:
        raise ValidationError(refusal)
    _normalise(actor, {"expected_close_date": expected_close_date}, ["expected_close_date"])
    if expected_close_date is None:
        raise ValidationError({"expected_close_date": _("Choose the expected signing date.")})
    if locked.expected_close_date == expected_close_date:
        _sync_to_instance(opportunity, locked)
        return opportunity
    change = {
        "field": "expected_close_date",
        "from": _shown(locked, "expected_close_date"),
        "to": expected_close_date.isoformat(),
    }
    locked.expected_close_date = expected_close_date
    _bump_version(locked)
    locked.save(update_fields=["expected_close_date", "version", "updated_at"])
    activity_record(
        obj=locked, verb=Activity.Verb.CHANGED, actor=actor.user, data={"changes": [change]}
    )
    _sync_to_instance(opportunity, locked)
    return opportunity
