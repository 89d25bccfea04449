"""`manage.py load_demo`: two French demo companies, one user per role, French referentials,
and Durand Conseil's leads at every step of their lifecycle.

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

from piste.activities.demo import demo_events
from piste.core.access import Actor, require_actor
from piste.core.models import NamedReferential, Tag
from piste.core.rights import Role
from piste.core.services import referential_create
from piste.emails.services import email_templates_install_defaults
from piste.geo.models import City, Country
from piste.leads import services as leads
from piste.leads.models import CompanySize, LeadSource, LostReason
from piste.leads.selectors import lead_statuses
from piste.opportunities.demo import demo_opportunities
from piste.orders.demo import demo_orders
from piste.partners.demo import demo_partners
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


@dataclass(frozen=True)
class DemoLead:
    """One demo lead of Durand Conseil, as a user would type it (phones in French formats)."""

    civility: str
    first_name: str
    last_name: str
    company: str = ""
    job_title: str = ""
    sector: str = ""
    department: str = ""
    category: str = ""
    fixed: str = ""
    mobile: str = ""
    email: str = ""
    website: str = ""
    # Street, postal code and INSEE code of a demo city (geo/data/demo_cities.csv).
    address: tuple[str, str, str] | None = None
    # Who typed it, and who it is assigned to ("" for nobody; None: the creator).
    creator: str = "commercial"
    owner: str | None = None
    # Who takes it in charge afterwards (« Prendre en charge »).
    taken_by: str = ""
    # Where it went: new, marketing, sales or nurturing (the open statuses in order), lost, or
    # reopened (lost, then reopened).
    step: str = "new"
    lost_reason: str = ""
    lost_comment: str = ""
    scoring: int = 0
    size: int | None = None
    key_account: bool = False
    nurturing: bool = False
    do_not_call: bool = False
    do_not_email: bool = False
    source: str = ""
    tags: tuple[str, ...] = ()
    description: str = ""


M, F = "mr", "ms"
DEMO_LEADS: tuple[DemoLead, ...] = (
    DemoLead(
        F, "Isabelle", "Fournier", "Boulangerie Fournier", "Gérant", "Commerce", "Direction",
        "PME", fixed="04 72 41 12 30", email="isabelle@boulangerie-fournier.fr",
        address=("8 rue Mercière", "69002", "69123"), step="sales", scoring=4,
        size=CompanySize.S3, source="Salon professionnel", tags=("Salon 2026", "Prioritaire"),
        description="<div>Rencontrée au <strong>salon Sirha</strong> : trois boutiques, veut "
        "suivre ses commandes de gros.</div>",
    ),
    DemoLead(
        M, "Thierry", "Lambert", "Transports Lambert", "Directeur général",
        "Transport et logistique", "Direction", "PME", fixed="04.78.62.15.90",
        mobile="06 12 45 78 90", email="t.lambert@transports-lambert.fr",
        website="www.transports-lambert.fr", address=("45 avenue Jean Jaurès", "69007", "69123"),
        step="marketing", scoring=3, size=CompanySize.S21, source="Recommandation",
    ),
    DemoLead(
        F, "Nathalie", "Girard", "Clinique du Parc", "Responsable achats", "Santé", "Achats",
        fixed="04 91 55 20 10", email="n.girard@clinique-du-parc.fr",
        address=("12 boulevard Périer", "13008", "13055"), creator="marketing", owner="",
        source="Webinar", scoring=2, tags=("Newsletter",),
    ),
    DemoLead(
        M, "Julien", "Mercier", "Mercier Informatique", "DSI", "Informatique et télécoms",
        "Informatique", "Start-up", mobile="+33 6 45 12 78 90",
        email="julien.mercier@mercier-informatique.fr", website="mercier-informatique.fr",
        address=("3 place du Capitole", "31000", "31555"), step="sales", scoring=5,
        size=CompanySize.S11, key_account=True, source="Formulaire du site web",
        tags=("Open Source", "VIP"),
        description="<div>Cherche un CRM <em>libre</em> pour 15 commerciaux.<br>Démo prévue "
        "avec <strong>Sophie</strong>.</div><ul><li>Hébergement en France</li><li>Import "
        "depuis des fichiers Excel</li></ul>",
    ),
    DemoLead(
        F, "Sandrine", "Bonnet", "Cabinet Bonnet", "Gérant", "Services", "Direction",
        fixed="01 42 36 12 48", email="contact@cabinet-bonnet.fr",
        address=("27 rue de la Roquette", "75011", "75056"), creator="manager", owner="manager",
        step="nurturing", nurturing=True, scoring=1, source="Campagne emailing",
        tags=("À relancer",),
    ),
    DemoLead(
        M, "Olivier", "Roux", "Menuiserie Roux", "Gérant", "BTP", fixed="02 40 47 85 12",
        mobile="07 81 22 36 54", email="olivier.roux@menuiserie-roux.fr",
        address=("5 quai de la Fosse", "44000", "44109"), step="lost",
        lost_reason="Prix trop élevé", scoring=2, size=CompanySize.S2,
        source="Prospection commerciale",
    ),
    DemoLead(
        F, "Camille", "Lefebvre", "Lefebvre Conseil", "Directrice générale", "Services",
        "Direction", "PME", mobile="06 78 12 45 36", email="camille@lefebvre-conseil.fr",
        address=("18 rue du Vieux-Marché-aux-Poissons", "67000", "67482"), creator="marketing",
        owner="", source="Formulaire du site web", scoring=1,
    ),
    DemoLead(
        M, "Patrick", "Garnier", "Garage Garnier", "Gérant", "Commerce",
        fixed="04 67 58 96 32", address=("9 avenue de Toulouse", "34000", "34172"),
        step="lost", lost_reason="Pas de réponse", do_not_call=True, source="Salon professionnel",
    ),
    DemoLead(
        F, "Hélène", "Chevalier", "Laboratoires Chevalier", "Directrice générale", "Santé",
        "Direction", "Grand compte", fixed="05 56 44 12 87", mobile="06 14 52 36 98",
        email="h.chevalier@labo-chevalier.fr", website="https://www.labo-chevalier.fr",
        address=("14 cours de l'Intendance", "33000", "33063"), creator="manager",
        owner="manager", step="sales", scoring=5, size=CompanySize.S32, key_account=True,
        source="Recommandation", tags=("VIP", "Prioritaire"),
        description="<div>Recommandée par le <strong>cabinet Bonnet</strong>. Trois sites en "
        "Gironde, appel d'offres prévu au printemps.</div>",
    ),
    DemoLead(
        M, "Vincent", "Leroy", "Imprimerie Leroy", "Directeur commercial", "Industrie",
        "Commercial", fixed="03 20 57 41 96", email="vincent.leroy@imprimerie-leroy.fr",
        address=("62 rue Nationale", "59000", "59350"), step="marketing", scoring=2,
        size=CompanySize.S12, source="Campagne emailing", tags=("Newsletter",),
    ),
    DemoLead(
        F, "Aurélie", "Morel", "", fixed="", mobile="06 21 36 54 87",
        email="aurelie.morel@orange.fr", address=("4 rue de la Monnaie", "35000", "35238"),
        creator="marketing", owner="", source="Réseaux sociaux",
        description="<div>A écrit sur LinkedIn : cherche un outil pour son <em>futur</em> "
        "cabinet de conseil.</div>",
    ),
    DemoLead(
        M, "Sébastien", "Faure", "Faure Énergie", "Directeur administratif et financier",
        "Énergie", "Comptabilité", "PME", fixed="04 76 85 12 47",
        email="s.faure@faure-energie.fr", address=("2 place Grenette", "38000", "38185"),
        creator="manager", owner="commercial", step="marketing", scoring=3,
        size=CompanySize.S21, source="Webinar", tags=("Open Source",),
    ),
    DemoLead(
        F, "Claire", "Dupont", "Domaine Dupont", "Gérant", "Agriculture", "Direction",
        fixed="03 80 30 12 45", email="claire@domaine-dupont.fr",
        website="www.domaine-dupont.fr", address=("11 rue des Forges", "21000", "21231"),
        step="nurturing", nurturing=True, scoring=2, source="Salon professionnel",
        tags=("Salon 2026",),
    ),
    DemoLead(
        M, "Nicolas", "Blanc", "Blanc Bâtiment", "Chef de projet", "BTP", fixed="02 41 87 45 12",
        mobile="06 45 87 12 36", email="nicolas.blanc@blanc-batiment.fr",
        address=("7 rue Lenepveu", "49000", "49007"), step="lost",
        lost_reason="Concurrent retenu", lost_comment="A signé avec un éditeur américain.",
        scoring=1, size=CompanySize.S12, source="Prospection commerciale",
    ),
    DemoLead(
        F, "Marie", "Perrin", "Mairie de Villeurbanne", "Responsable achats", "Secteur public",
        "Achats", "Collectivité", fixed="04 72 65 80 00", email="m.perrin@mairie-villeurbanne.fr",
        address=("Place Lazare-Goujon", "69100", "69266"), creator="admin", owner="manager",
        step="sales", scoring=4, size=CompanySize.S41, key_account=True,
        source="Recommandation", tags=("Prioritaire",),
        description="<div>Marché public à venir : <strong>dossier à déposer avant la fin du "
        "trimestre</strong>.</div>",
    ),
    DemoLead(
        M, "François", "Gauthier", "Gauthier Logistique", "Directeur général",
        "Transport et logistique", "Direction", fixed="04 73 91 45 20",
        email="francois.gauthier@gauthier-logistique.fr",
        address=("21 boulevard Trudaine", "63100", "63113"), creator="marketing", owner="",
        source="Webinar", scoring=1,
    ),
    DemoLead(
        F, "Émilie", "Rousseau", "Agence Rousseau", "Responsable marketing", "Services",
        "Marketing", mobile="07 82 45 12 96", email="emilie@agence-rousseau.fr",
        address=("19 rue Sainte", "13001", "13055"), step="marketing", scoring=3,
        source="Réseaux sociaux", tags=("Partenaire",),
    ),
    DemoLead(
        M, "Laurent", "Fontaine", "Fontaine Assurances", "Directeur commercial",
        "Banque et assurance", "Commercial", "PME", fixed="02 35 71 45 89",
        email="l.fontaine@fontaine-assurances.fr",
        address=("10 rue Jeanne d'Arc", "76000", "76540"),
        creator="manager", owner="manager", step="new", scoring=2, size=CompanySize.S21,
        source="Campagne emailing",
    ),
    DemoLead(
        F, "Valérie", "André", "Librairie André", "Gérant", "Commerce", fixed="02 47 05 12 36",
        email="valerie.andre@wanadoo.fr", address=("36 rue Nationale", "37000", "37261"),
        step="lost", lost_reason="Pas de budget", scoring=0, do_not_email=True,
        source="Salon professionnel",
    ),
    DemoLead(
        M, "Hugo", "Michel", "Michel Numérique", "Chef de projet", "Informatique et télécoms",
        "Informatique", "Start-up", mobile="06 87 45 12 03", email="hugo@michel-numerique.fr",
        website="michel-numerique.fr", address=("23 rue de Siam", "29200", "29019"),
        creator="marketing", owner="", taken_by="commercial", source="Formulaire du site web",
        scoring=3, tags=("Open Source",),
    ),
    DemoLead(
        F, "Christine", "Bertrand", "Hôtel Bertrand", "Directrice générale", "Services",
        "Direction", fixed="04 93 87 12 45", mobile="06 11 22 33 44",
        email="direction@hotel-bertrand.fr", website="www.hotel-bertrand.fr",
        address=("15 promenade des Anglais", "06000", "06088"), step="sales", scoring=4,
        size=CompanySize.S12, source="Salon professionnel", tags=("Salon 2026",),
        description="<div>Groupe de <strong>deux hôtels</strong> ; veut centraliser les "
        "demandes des agences de voyages.</div>",
    ),
    DemoLead(
        M, "Alain", "Moreau", "Moreau & Fils", "Gérant", "BTP", fixed="01 48 57 12 36",
        email="alain.moreau@moreau-et-fils.fr", address=("41 rue de Paris", "93100", "93048"),
        step="reopened", lost_reason="Projet abandonné", scoring=2, size=CompanySize.S3,
        source="Prospection commerciale", tags=("À relancer",),
        description="<div>Projet relancé après le rachat d'un concurrent.</div>",
    ),
    DemoLead(
        F, "Julie", "Robin", "Robin Formation", "Directrice générale",
        "Enseignement et formation", "Direction", mobile="07 61 45 12 78",
        email="julie.robin@robin-formation.fr", address=("6 rue Saint-Rome", "31000", "31555"),
        creator="marketing", owner="", source="Webinar", scoring=2, tags=("Newsletter",),
    ),
    DemoLead(
        M, "Stéphane", "Masson", "Masson Industrie", "Directeur général", "Industrie",
        "Direction", "Grand compte", fixed="03 88 32 45 17", mobile="06 80 45 12 36",
        email="stephane.masson@masson-industrie.fr", website="https://masson-industrie.fr",
        address=("30 route du Rhin", "67000", "67482"), creator="manager", owner="manager",
        step="marketing", scoring=4, size=CompanySize.S42, key_account=True,
        source="Recommandation", tags=("VIP",),
    ),
    DemoLead(
        F, "Pauline", "Henry", "Pharmacie Henry", "Gérant", "Santé", fixed="03 26 47 12 58",
        email="pharmacie.henry@free.fr", address=("3 place Drouet-d'Erlon", "51100", "51454"),
        step="new", scoring=1, size=CompanySize.S2, source="Prospection commerciale",
    ),
    DemoLead(
        M, "Guillaume", "Dumont", "Dumont Architecture", "Gérant", "BTP", "Direction",
        fixed="04 42 26 45 18", email="g.dumont@dumont-architecture.fr",
        website="www.dumont-architecture.fr", address=("22 cours Mirabeau", "13100", "13001"),
        step="nurturing", nurturing=True, scoring=2, size=CompanySize.S2, source="Webinar",
    ),
    DemoLead(
        F, "Delphine", "Marchand", "Marchand Distribution", "Responsable achats", "Commerce",
        "Achats", "PME", fixed="05 61 22 45 78", mobile="06 24 57 81 36",
        email="delphine.marchand@marchand-distribution.fr",
        address=("14 allée Jean Jaurès", "31000", "31555"), creator="admin", owner="commercial",
        step="sales", scoring=3, size=CompanySize.S21, source="Campagne emailing",
        tags=("Prioritaire",),
    ),
    DemoLead(
        M, "Éric", "Duval", "", mobile="06 58 47 12 36", email="eric.duval@laposte.net",
        address=("8 rue Paradis", "13001", "13055"), creator="marketing", owner="",
        source="Réseaux sociaux",
    ),
    DemoLead(
        F, "Anne", "Lemoine", "Lemoine Environnement", "Directrice générale", "Services",
        "Direction", "Association", fixed="02 99 78 45 12", email="anne@lemoine-environnement.fr",
        address=("10 quai Lamartine", "35000", "35238"), step="lost",
        lost_reason="Autre", lost_comment="Association dissoute en fin d'année.",
        source="Recommandation",
    ),
    DemoLead(
        M, "Romain", "Denis", "Denis Services", "Assistant(e) de direction", "Services",
        "Direction", fixed="01 46 05 12 78", email="r.denis@denis-services.fr",
        address=("52 route de la Reine", "92100", "92012"), creator="manager", owner="manager",
        step="new", scoring=1, source="Formulaire du site web",
    ),
    DemoLead(
        F, "Mathilde", "Giraud", "Fromagerie Giraud", "Gérant", "Agriculture",
        mobile="06 47 12 58 36", email="mathilde@fromagerie-giraud.fr",
        address=("1 place du Marché", "33300", "33063"), step="new", scoring=2,
        size=CompanySize.S1, source="Salon professionnel", tags=("Salon 2026",),
    ),
    DemoLead(
        M, "Benoît", "Lacroix", "Lacroix Ingénierie", "Directeur général", "Industrie",
        "Direction", "PME", fixed="02 40 89 45 12", email="benoit.lacroix@lacroix-ingenierie.fr",
        website="www.lacroix-ingenierie.fr", address=("5 rue de l'Industrie", "44800", "44162"),
        step="marketing", scoring=3, size=CompanySize.S22, source="Webinar",
        tags=("Open Source", "Partenaire"),
    ),
    DemoLead(
        F, "Sophie", "Caron", "Caron Communication", "Responsable marketing", "Services",
        "Marketing", mobile="06 85 12 47 36", email="sophie.caron@caron-communication.fr",
        address=("12 avenue de Paris", "94300", "94080"), creator="marketing", owner="",
        taken_by="manager", source="Campagne emailing", scoring=2, tags=("Newsletter",),
    ),
    DemoLead(
        M, "Cédric", "Picard", "Picard Transports", "Directeur commercial",
        "Transport et logistique", "Commercial", fixed="03 20 45 78 12",
        email="c.picard@picard-transports.fr", address=("18 Grande Rue", "59100", "59512"),
        step="sales", scoring=4, size=CompanySize.S22, source="Prospection commerciale",
    ),
    DemoLead(
        F, "Lucie", "Schmitt", "Schmitt Conseil", "Gérant", "Services", "Direction",
        fixed="04 78 42 15 36", email="lucie.schmitt@schmitt-conseil.fr",
        address=("7 place Bellecour", "69002", "69123"), creator="admin", owner="admin",
        step="new", scoring=3, source="Recommandation", tags=("Partenaire",),
        description="<div>Partenaire intégrateur possible pour la région lyonnaise.</div>",
    ),
    DemoLead(
        M, "Damien", "Renard", "Renard Électricité", "Gérant", "BTP", mobile="07 68 45 12 78",
        email="damien@renard-electricite.fr", address=("25 rue de Bretagne", "33700", "33281"),
        step="new", scoring=0, size=CompanySize.S2, source="Prospection commerciale",
    ),
    DemoLead(
        F, "Margaux", "Vidal", "Vidal Immobilier", "Directrice générale", "Services",
        "Direction", fixed="04 93 62 45 18", email="margaux@vidal-immobilier.fr",
        address=("40 avenue Jean Médecin", "06000", "06088"), creator="manager",
        owner="commercial", step="nurturing", nurturing=True, scoring=1,
        source="Réseaux sociaux",
    ),
    DemoLead(
        M, "Arnaud", "Fabre", "Fabre Agroalimentaire", "Directeur administratif et financier",
        "Industrie", "Comptabilité", "Grand compte", fixed="05 56 12 45 87",
        mobile="06 87 45 12 36", email="arnaud.fabre@fabre-agro.fr",
        address=("60 quai des Chartrons", "33300", "33063"), creator="manager", owner="manager",
        step="marketing", scoring=4, size=CompanySize.S51, key_account=True,
        source="Salon professionnel", tags=("Salon 2026", "VIP"),
    ),
    DemoLead(
        F, "Inès", "Benoît", "", mobile="06 14 78 45 12", email="ines.benoit@gmail.com",
        address=("9 rue de la Pompe", "75016", "75056"), creator="marketing", owner="",
        source="Formulaire du site web", scoring=1,
    ),
    DemoLead(
        M, "Yannick", "Le Gall", "Cave Le Gall", "Gérant", "Commerce", fixed="02 98 44 12 36",
        email="yannick@cave-legall.fr", address=("4 rue de Lyon", "29200", "29019"),
        creator="marketing", owner="marketing", step="marketing", scoring=2,
        source="Campagne emailing", tags=("Newsletter", "À relancer"),
    ),
)  # fmt: skip


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


def _demo_leads(company: Company, users: dict[str, User]) -> None:
    """Durand Conseil's demo leads, written through the lead services (so their timelines and
    list columns are real), then moved along the status bar, taken in charge or lost."""
    actors = {name: require_actor(user) for name, user in users.items()}
    statuses = [s for s in lead_statuses(company) if s.is_open and not s.role]
    steps = {"marketing": 0, "sales": 1, "nurturing": 2}

    def by_name(model: type[NamedReferential]) -> dict[str, Any]:
        return {row.name: row for row in model.objects.filter(company=company)}

    refs: dict[str, dict[str, Any]] = {
        "job_title": by_name(JobTitle),
        "industry_sector": by_name(IndustrySector),
        "department": by_name(Department),
        "category": by_name(PartnerCategory),
        "source": by_name(LeadSource),
    }
    tags, reasons = by_name(Tag), by_name(LostReason)
    france = Country.objects.filter(code="FR").first()
    cities = {c.insee_code: c for c in City.objects.filter(country=france)}
    for demo in DEMO_LEADS:
        data: dict[str, Any] = {
            "civility": demo.civility,
            "first_name": demo.first_name,
            "last_name": demo.last_name,
            "enterprise_name": demo.company,
            "fixed_phone": demo.fixed,
            "mobile_phone": demo.mobile,
            "email": demo.email,
            "website": demo.website,
            "do_not_call": demo.do_not_call,
            "do_not_email": demo.do_not_email,
            "description": demo.description,
            "scoring": demo.scoring,
            "size": demo.size,
            "is_key_account": demo.key_account,
            "is_nurturing": demo.nurturing,
        }
        for name, value in (
            ("job_title", demo.job_title),
            ("industry_sector", demo.sector),
            ("department", demo.department),
            ("category", demo.category),
            ("source", demo.source),
        ):
            data[name] = refs[name][value] if value else None
        if demo.owner is not None:
            owner = users[demo.owner] if demo.owner else None
            data["assigned_to"] = owner
            # The lead works in its salesperson's team (none for unassigned leads).
            data["team"] = owner.active_team if owner else None
        address = None
        if demo.address:
            street, postal_code, insee = demo.address
            city = cities.get(insee)
            address = {
                "line1": street,
                "postal_code": postal_code,
                # Typed when the demo cities are missing (load_demo() called on its own).
                "city_name": city.name if city else "",
                "city": city,
                "country": france,
            }
        actor = actors[demo.creator]
        lead = leads.lead_create(
            actor=actor, data=data, address=address, tags=[tags[t] for t in demo.tags]
        )
        if demo.taken_by:
            leads.lead_take_charge(actor=actors[demo.taken_by], lead=lead)
        mover = actors[demo.taken_by or demo.owner or demo.creator]
        if demo.step in steps:
            # Qualification goes step by step along the status bar, as people click it.
            for status in statuses[: steps[demo.step] + 1]:
                leads.lead_change_status(actor=mover, lead=lead, status=status)
        elif demo.step in ("lost", "reopened"):
            leads.lead_lose(
                actor=mover,
                lead=lead,
                reason=reasons[demo.lost_reason],
                comment=demo.lost_comment,
            )
            if demo.step == "reopened":
                leads.lead_reopen(actor=mover, lead=lead)


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
    _demo_leads(durand, users)
    demo_partners(durand, users)
    demo_orders(durand, users)
    demo_opportunities(durand, users)
    demo_events(durand, users)
    email_templates_install_defaults(durand)
    return users


class Command(BaseCommand):
    help = (
        "Load the demo data: two French companies, one user per role, French referentials, "
        "leads, prospects, customers, their contacts and orders."
    )

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
