"""Roles, record scopes and named rights: declared here and nowhere else.

A membership gives a user one role in one company. The role brings a default record scope
(which records of the company the user sees) and a set of rights (what the user may do).
Later features only add rights to this file and check them through ``piste.core.access``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    COMPANY = "company", _("Whole company")
    TEAM = "team", _("My teams")
    OWN = "own", _("My own records")


class Right(models.TextChoices):
    CREATE_RECORDS = "create_records", _("Create records")
    CHANGE_RECORDS = "change_records", _("Change records")
    DELETE_RECORDS = "delete_records", _("Delete records")
    EXPORT = "export", _("Export")
    SEE_CLOSED_ACCOUNTS = "see_closed_accounts", _("See closed accounts and contacts")
    VALIDATE_PROSPECTS = "validate_prospects", _("Validate prospects")
    CREATE_CUSTOMERS = "create_customers", _("Create customers")
    MANAGE_CONFIGURATION = "manage_configuration", _("Manage the configuration")
    MANAGE_USERS = "manage_users", _("Manage users and companies")


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SALESPERSON = "salesperson", _("Salesperson")
    MARKETING = "marketing", _("Marketing")
    READ_ONLY = "read_only", _("Read-only")


@dataclass(frozen=True)
class RoleSpec:
    scope: Scope
    rights: frozenset[Right]


_ALL = frozenset(Right)
_SALES = frozenset({Right.CREATE_RECORDS, Right.CHANGE_RECORDS})

ROLES: dict[Role, RoleSpec] = {
    Role.ADMINISTRATOR: RoleSpec(Scope.COMPANY, _ALL),
    Role.SALES_MANAGER: RoleSpec(
        Scope.COMPANY,
        _SALES
        | {
            Right.DELETE_RECORDS,
            Right.EXPORT,
            Right.SEE_CLOSED_ACCOUNTS,
            Right.VALIDATE_PROSPECTS,
            Right.CREATE_CUSTOMERS,
        },
    ),
    # A salesperson works on their own records and their teams' records.
    Role.SALESPERSON: RoleSpec(Scope.TEAM, _SALES),
    # Marketing qualifies and exports across the company but deletes nothing.
    Role.MARKETING: RoleSpec(Scope.COMPANY, _SALES | {Right.EXPORT}),
    Role.READ_ONLY: RoleSpec(Scope.COMPANY, frozenset()),
}


def role_rights(role: str) -> frozenset[Right]:
    return ROLES[Role(role)].rights


def role_scope(role: str) -> Scope:
    return ROLES[Role(role)].scope
