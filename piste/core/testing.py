"""Test personas: the people every access test is written for.

Company A ("Durand Conseil") has two teams, North and South:
- administrator: Administrator of A;
- manager: Sales manager of A, leader of North;
- salesperson: Salesperson in North (owns the records under test);
- teammate: Salesperson in North too;
- outsider: Salesperson of A in South (same company, other team);
- marketing, reader: Marketing and Read-only in A;
- other: Administrator of company B ("Lemoine Industrie"), which must never leak into A.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from django.test import Client

from piste.core.rights import Role
from piste.users.models import Company, CrmSettings, Membership, Team, User

PASSWORD = "Persona-pass-2026!"


@dataclass
class Personas:
    company: Company
    other_company: Company
    north: Team
    south: Team
    administrator: User
    manager: User
    salesperson: User
    teammate: User
    outsider: User
    marketing: User
    reader: User
    other: User

    def client(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    @property
    def all(self) -> dict[str, User]:
        return {
            "administrator": self.administrator,
            "manager": self.manager,
            "salesperson": self.salesperson,
            "teammate": self.teammate,
            "outsider": self.outsider,
            "marketing": self.marketing,
            "reader": self.reader,
            "other": self.other,
        }


def en_client(user: User | None = None) -> Client:
    """A browser asking for English, so that messages read the same whatever the catalogs."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def make_company(name: str) -> Company:
    company = Company.objects.create(name=name)
    CrmSettings.objects.create(company=company)
    from piste.users.services import install_defaults

    install_defaults(company)
    return company


def make_user(username: str, company: Company, role: Role, **extra: str) -> User:
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.test",
        password=PASSWORD,
        first_name=extra.get("first_name", username.capitalize()),
        last_name=extra.get("last_name", "Test"),
    )
    Membership.objects.create(user=user, company=company, role=role)
    user.active_company = company
    user.save(update_fields=["active_company"])
    return user


def make_personas() -> Personas:
    a = make_company("Durand Conseil")
    b = make_company("Lemoine Industrie")
    administrator = make_user("administrator", a, Role.ADMINISTRATOR)
    manager = make_user("manager", a, Role.SALES_MANAGER)
    salesperson = make_user("salesperson", a, Role.SALESPERSON)
    teammate = make_user("teammate", a, Role.SALESPERSON)
    outsider = make_user("outsider", a, Role.SALESPERSON)
    marketing = make_user("marketing", a, Role.MARKETING)
    reader = make_user("reader", a, Role.READ_ONLY)
    other = make_user("other", b, Role.ADMINISTRATOR)
    north = Team.objects.create(company=a, name="Nord", leader=manager)
    north.members.add(manager, salesperson, teammate)
    south = Team.objects.create(company=a, name="Sud")
    south.members.add(outsider)
    return Personas(
        company=a,
        other_company=b,
        north=north,
        south=south,
        administrator=administrator,
        manager=manager,
        salesperson=salesperson,
        teammate=teammate,
        outsider=outsider,
        marketing=marketing,
        reader=reader,
        other=other,
    )


# A real SMTP server on loopback (aiosmtpd), behind the ``smtp`` fixture of conftest.py -----


class SmtpCollector:
    """What the loopback SMTP server received: ``envelopes`` in order; ``port`` it listens on."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook
        self.envelopes.append(envelope)
        return "250 Message accepted"


def free_port() -> int:
    """A loopback port nobody listens on (for a server to start, or a refused connection)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
