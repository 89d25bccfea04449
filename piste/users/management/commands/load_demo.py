"""`manage.py load_demo`: two French demo companies, one user per role, French referentials.

`make run` calls it with --if-empty, so a fresh install opens on a CRM that looks lived in.
The demo password below is the only password Piste ever creates by itself: demo data is for
trying Piste, never for production.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import transaction
from django.utils.translation import gettext as _

from piste.core.access import Actor, require_actor
from piste.core.models import NamedReferential, Tag
from piste.core.rights import Role
from piste.core.services import referential_create
from piste.geo.models import City, Country
from piste.leads.models import LeadSource, LostReason
from piste.partners.models import Department, IndustrySector, JobTitle, PartnerCategory
from piste.users.models import Agency, Company, CrmSettings, Team, User
from piste.users.services import company_create, user_invite, user_switch_company

DEMO_PASSWORD = "piste-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    first_name: str
    last_name: str
    email: str


# One sign-in per role; the administrator works in both companies (the company switcher shows).
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", Role.ADMINISTRATOR, "Claire", "Martin", "claire.martin@durand-conseil.fr"),
    DemoUser(
        "manager", Role.SALES_MANAGER, "Julien", "Bernard", "julien.bernard@durand-conseil.fr"
    ),
    DemoUser("commercial", Role.SALESPERSON, "Sophie", "Petit", "sophie.petit@durand-conseil.fr"),
    DemoUser("marketing", Role.MARKETING, "Camille", "Robert", "camille.robert@durand-conseil.fr"),
    DemoUser("lecture", Role.READ_ONLY, "Nicolas", "Richard", "nicolas.richard@durand-conseil.fr"),
)

# SIREN numbers are 9 digits whose Luhn checksum is valid (these two are made up).
COMPANIES = (
    {"name": "Durand Conseil SARL", "legal_form": "SARL", "siren": "512345679"},
    {"name": "Atelier Lemoine SAS", "legal_form": "SAS", "siren": "793824517"},
)
# Typed cities (the city referential may still be empty on a fresh install), in France.
ADDRESSES = (
    {"line1": "12 rue de la République", "postal_code": "69002", "city_name": "Lyon"},
    {"line1": "3 quai de la Fosse", "postal_code": "44000", "city_name": "Nantes"},
)
# INSEE codes of the demo companies' cities, linked when the demo cities are loaded.
ADDRESS_CITIES = ("69123", "44109")
# A few French cities with their postal codes (Piste's CSV template), so that address entry
# suggests cities on a fresh demo; real referentials come from the city import.
DEMO_CITIES = Path(__file__).resolve().parents[3] / "geo" / "data" / "demo_cities.csv"

INDUSTRY_SECTORS = (
    "Industrie",
    "Services",
    "Secteur public",
    "Commerce",
    "BTP",
    "Santé",
    "Agriculture",
    "Transport et logistique",
    "Banque et assurance",
    "Informatique et télécoms",
    "Énergie",
    "Enseignement et formation",
)
JOB_TITLES = (
    "Directeur général",
    "Directrice générale",
    "Directeur commercial",
    "Responsable achats",
    "DSI",
    "Assistant(e) de direction",
    "Chef de projet",
    "Responsable marketing",
    "Directeur administratif et financier",
    "Gérant",
)
DEPARTMENTS = (
    ("Direction", "DIR"),
    ("Commercial", "COM"),
    ("Achats", "ACH"),
    ("Marketing", "MKT"),
    ("Informatique", "DSI"),
    ("Comptabilité", "CPT"),
    ("Ressources humaines", "RH"),
)
LEAD_SOURCES = (
    ("Formulaire du site web", "WEB"),
    ("Webinar", "WEBINAR"),
    ("Salon professionnel", "SALON"),
    ("Recommandation", "RECO"),
    ("Prospection commerciale", "PROSP"),
    ("Campagne emailing", "EMAILING"),
    ("Réseaux sociaux", "SOCIAL"),
)
PARTNER_CATEGORIES = (
    ("Association", "ASSO"),
    ("PME", "PME"),
    ("Grand compte", "GC"),
    ("Investisseur", "INV"),
    ("Collectivité", "COLL"),
    ("Start-up", "STARTUP"),
)
LOST_REASONS = (
    ("Prix trop élevé", False),
    ("Concurrent retenu", False),
    ("Pas de budget", False),
    ("Projet abandonné", False),
    ("Pas de réponse", False),
    ("Autre", True),
)
TAGS = (
    ("Open Source", "#dc3545"),
    ("Prioritaire", "#fd7e14"),
    ("Salon 2026", "#0d6efd"),
    ("Partenaire", "#198754"),
    ("VIP", "#6f42c1"),
    ("À relancer", "#ffc107"),
    ("Newsletter", "#20c997"),
)


def demo_users_present() -> list[DemoUser]:
    """The demo users that still exist and still sign in with the demo password."""
    users = {
        u.username: u for u in User.objects.filter(username__in=[d.username for d in DEMO_USERS])
    }
    return [
        demo
        for demo in DEMO_USERS
        if demo.username in users
        and users[demo.username].is_active
        and users[demo.username].check_password(DEMO_PASSWORD)
    ]


def print_sign_ins(
    stdout: IO[str] | OutputWrapper,
    *,
    url: str | None = None,
    users: list[DemoUser] | None = None,
) -> None:
    """The demo sign-ins table (URL, user name, role, password)."""
    users = list(DEMO_USERS) if users is None else users
    if not users:
        return
    login_url = (url or settings.SITE_URL).rstrip("/") + "/login/"
    header = (_("user name"), _("role"), _("password"))
    rows = [(u.username, str(u.role.label), DEMO_PASSWORD) for u in users]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(2)]
    lines = [_("Piste demo: sign in at %(url)s") % {"url": login_url}]
    lines += [
        f"  {row[0].ljust(widths[0])}  {row[1].ljust(widths[1])}  {row[2]}"
        for row in [header, *rows]
    ]
    stdout.write("\n".join(lines) + "\n")


def _create_all(actor: Actor, model: type[NamedReferential], rows: list[dict[str, Any]]) -> None:
    for data in rows:
        referential_create(actor=actor, model=model, data=data)


def _referentials(actor: Actor) -> None:
    _create_all(actor, IndustrySector, [{"name": n} for n in INDUSTRY_SECTORS])
    _create_all(actor, JobTitle, [{"name": n} for n in JOB_TITLES])
    _create_all(actor, Department, [{"name": n, "code": c} for n, c in DEPARTMENTS])
    _create_all(actor, LeadSource, [{"name": n, "code": c} for n, c in LEAD_SOURCES])
    _create_all(actor, PartnerCategory, [{"name": n, "code": c} for n, c in PARTNER_CATEGORIES])
    _create_all(actor, LostReason, [{"name": n, "comment_required": r} for n, r in LOST_REASONS])
    _create_all(actor, Tag, [{"name": n, "color": c} for n, c in TAGS])


def _actor_in(user: User, company: Company) -> Actor:
    user_switch_company(user=user, company_id=company.pk)
    return require_actor(user)


@transaction.atomic
def load_demo() -> dict[str, User]:
    demo = {d.username: d for d in DEMO_USERS}
    spec = demo["admin"]
    admin = User(
        username=spec.username,
        email=spec.email,
        first_name=spec.first_name,
        last_name=spec.last_name,
    )
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    france = Country.objects.filter(code="FR").first()
    cities = {c.insee_code: c for c in City.objects.filter(insee_code__in=ADDRESS_CITIES)}
    durand, lemoine = (
        company_create(
            creator=admin,
            **company,
            address={**address, "country": france, "city": cities.get(insee)},
        )
        for company, address, insee in zip(COMPANIES, ADDRESSES, ADDRESS_CITIES, strict=True)
    )
    CrmSettings.objects.filter(company=durand).update(agencies_enabled=True)

    # Durand Conseil: every role, two teams, two agencies.
    actor = _actor_in(admin, durand)
    users = {"admin": admin}
    for spec in DEMO_USERS[1:]:
        membership = user_invite(
            actor=actor,
            username=spec.username,
            email=spec.email,
            first_name=spec.first_name,
            last_name=spec.last_name,
            role=spec.role,
        )
        user = membership.user
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        users[spec.username] = user
    manager, commercial = users["manager"], users["commercial"]
    north = referential_create(
        actor=actor,
        model=Team,
        data={"name": "Équipe Nord", "leader": manager, "members": [manager, commercial]},
    )
    south = referential_create(
        actor=actor,
        model=Team,
        data={"name": "Équipe Sud", "leader": admin, "members": [admin, users["marketing"]]},
    )
    lyon = referential_create(
        actor=actor,
        model=Agency,
        data={"name": "Agence de Lyon", "members": [admin, manager, commercial]},
    )
    referential_create(
        actor=actor,
        model=Agency,
        data={
            "name": "Agence de Villeurbanne",
            "members": [users["marketing"], users["lecture"]],
        },
    )
    _referentials(actor)

    # Atelier Lemoine: the administrator's second company.
    actor = _actor_in(admin, lemoine)
    referential_create(
        actor=actor,
        model=Team,
        data={"name": "Équipe Atlantique", "leader": admin, "members": [admin]},
    )
    _referentials(actor)

    user_switch_company(user=admin, company_id=durand.pk)
    for user, team in ((admin, south), (manager, north), (commercial, north)):
        user.active_team = team
        user.save(update_fields=["active_team"])
    for user in (admin, manager, commercial):
        user.active_agency = lyon
        user.save(update_fields=["active_agency"])
    return users


class Command(BaseCommand):
    help = "Load the demo data: two French companies, one user per role, French referentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when a company already exists (used by `make run`).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reason = None
        if Company.objects.exists():
            reason = "the database already holds companies"
        elif User.objects.filter(username__in=[d.username for d in DEMO_USERS]).exists():
            reason = "users named like the demo users already exist"
        if reason is not None:
            if options["if_empty"]:
                if options["verbosity"] > 0:
                    self.stdout.write(f"Demo data not loaded: {reason}.")
                return
            # Loading twice would duplicate companies and users: demo data only goes into an
            # empty database.
            raise CommandError(
                f"Demo data not loaded: {reason}. It is loaded only into an empty database "
                "(--if-empty skips this quietly)."
            )
        # The cities first, so that the demo companies' addresses link to them.
        call_command("import_cities", "--format=csv", str(DEMO_CITIES), stdout=io.StringIO())
        load_demo()
        # -v 0 for `make run`, which prints the sign-ins with demo_sign_ins on every start.
        if options["verbosity"] > 0:
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
            print_sign_ins(self.stdout)
