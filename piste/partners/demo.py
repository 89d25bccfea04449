"""The demo address book of Durand Conseil: prospects (draft and validated), customers (one
closed), a supplier and their contacts, written through the partner services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from piste.core.access import require_actor
from piste.core.models import Tag
from piste.geo.models import City, Country
from piste.partners import services
from piste.partners.models import IndustrySector, JobTitle, PartnerCategory
from piste.users.models import Company, User


@dataclass(frozen=True)
class DemoContact:
    civility: str
    first_name: str
    last_name: str
    job_title: str
    fixed: str = ""
    mobile: str = ""
    email: str = ""


@dataclass(frozen=True)
class DemoPartner:
    name: str
    kind: str  # draft, validated, customer, closed, supplier
    owner: str
    sector: str
    category: str
    siret: str
    address: tuple[str, str, str]  # street, postal code, INSEE code of the city
    fixed: str
    email: str
    website: str
    ape: str
    size: int | None
    scoring: int
    tags: tuple[str, ...] = ()
    contacts: tuple[DemoContact, ...] = field(default_factory=tuple)


# SIRETs are made up but pass the Luhn check, as real ones do.
DEMO_PARTNERS = [
    DemoPartner(
        "Boulangeries Morel", "validated", "commercial", "Commerce", "PME", "41234567100011",
        ("12 rue de la République", "69002", "69382"), "04 78 42 10 11",
        "contact@boulangeries-morel.fr", "www.boulangeries-morel.fr", "10.71C", 21, 4,
        ("Salon 2026",),
        (
            DemoContact("ms", "Claire", "Morel", "Directrice générale", "04 78 42 10 12",
                        "06 12 44 10 01", "claire.morel@boulangeries-morel.fr"),
            DemoContact("mr", "Hugo", "Lambert", "Responsable achats", "04 78 42 10 15",
                        "", "h.lambert@boulangeries-morel.fr"),
        ),
    ),
    DemoPartner(
        "Transports Girard", "draft", "commercial", "Transport et logistique", "PME",
        "52345678900016", ("5 avenue Jean Jaurès", "69007", "69387"), "04 72 71 20 30",
        "accueil@transports-girard.fr", "www.transports-girard.fr", "49.41A", 22, 2, (),
        (DemoContact("mr", "Antoine", "Girard", "Gérant", "04 72 71 20 31", "06 71 20 30 40",
                     "antoine@transports-girard.fr"),),
    ),
    DemoPartner(
        "Clinique du Parc", "customer", "manager", "Santé", "Grand compte", "63456789000017",
        ("155 boulevard de Stalingrad", "69006", "69386"), "04 37 24 50 00",
        "direction@clinique-du-parc.fr", "www.clinique-du-parc.fr", "86.10Z", 32, 5,
        ("VIP", "Prioritaire"),
        (
            DemoContact("ms", "Sophie", "Perrin", "Directeur administratif et financier",
                        "04 37 24 50 10", "06 24 50 10 11", "s.perrin@clinique-du-parc.fr"),
            DemoContact("mr", "Nicolas", "Fontaine", "DSI",
                        "04 37 24 50 20", "", "n.fontaine@clinique-du-parc.fr"),
        ),
    ),
    DemoPartner(
        "Imprimerie Rousseau", "closed", "manager", "Industrie", "PME", "74567890100018",
        ("8 rue des Tanneurs", "69100", "69266"), "04 78 85 33 00",
        "contact@imprimerie-rousseau.fr", "", "18.12Z", 3, 1, (),
        (DemoContact("mr", "Paul", "Rousseau", "Gérant", "04 78 85 33 01", "",
                     "paul@imprimerie-rousseau.fr"),),
    ),
    DemoPartner(
        "Cabinet Fabre Avocats", "validated", "admin", "Services", "PME",
        "85678901200019", ("30 quai Saint-Antoine", "69002", "69382"), "04 72 40 60 80",
        "cabinet@fabre-avocats.fr", "www.fabre-avocats.fr", "69.10Z", 11, 3, (),
        (DemoContact("ms", "Julie", "Fabre", "Directrice générale", "04 72 40 60 81",
                     "06 40 60 80 90", "j.fabre@fabre-avocats.fr"),),
    ),
    DemoPartner(
        "Mairie de Villeurbanne", "draft", "commercial", "Secteur public", "Collectivité",
        "21690266800013", ("Place Lazare Goujon", "69100", "69266"), "04 78 03 67 67",
        "", "www.villeurbanne.fr", "84.11Z", 42, 3, (), (),
    ),
    DemoPartner(
        "Fournitures Leroy", "supplier", "admin", "Commerce", "PME", "96789012300010",
        ("22 rue Paul Bert", "69003", "69383"), "04 78 60 11 22",
        "commandes@fournitures-leroy.fr", "www.fournitures-leroy.fr", "46.66Z", 12, 0, (),
        (DemoContact("mr", "Marc", "Leroy", "Directeur commercial", "04 78 60 11 23", "",
                     "marc.leroy@fournitures-leroy.fr"),),
    ),
]  # fmt: skip


def _with_luhn(prefix: str) -> str:
    """``prefix`` (13 digits) with the check digit that makes the 14 digits pass Luhn."""
    from stdnum import luhn

    return prefix + luhn.calc_check_digit(prefix)


def demo_partners(company: Company, users: dict[str, User]) -> None:
    actors = {name: require_actor(user) for name, user in users.items()}

    def by_name(model: Any) -> dict[str, Any]:
        return {row.name: row for row in model.objects.filter(company=company)}

    sectors, categories = by_name(IndustrySector), by_name(PartnerCategory)
    job_titles, tags = by_name(JobTitle), by_name(Tag)
    france = Country.objects.filter(code="FR").first()
    cities = {c.insee_code: c for c in City.objects.filter(country=france)}
    for demo in DEMO_PARTNERS:
        owner = users[demo.owner]
        actor = actors["manager" if demo.kind in ("customer", "closed") else demo.owner]
        street, postal_code, insee = demo.address
        city = cities.get(insee)
        siret = _with_luhn(demo.siret[:13])
        data: dict[str, Any] = {
            "name": demo.name,
            "is_prospect": demo.kind in ("draft", "validated"),
            "is_customer": demo.kind in ("customer", "closed"),
            "is_supplier": demo.kind == "supplier",
            "industry_sector": sectors.get(demo.sector),
            "category": categories.get(demo.category),
            "siret": siret,
            "ape_code": demo.ape,
            "size": demo.size,
            "fixed_phone": demo.fixed,
            "email": demo.email,
            "website": demo.website,
            "scoring": demo.scoring,
            "is_key_account": "VIP" in demo.tags,
            "assigned_to": owner,
            "team": owner.active_team,
        }
        address = {
            "line1": street,
            "postal_code": postal_code,
            "city_name": city.name if city else "",
            "city": city,
            "country": france,
        }
        partner = services.partner_create(
            actor=actor,
            data=data,
            addresses={"main_address": address},
            tags=[tags[t] for t in demo.tags if t in tags],
        )
        for contact in demo.contacts:
            services.contact_create(
                actor=actor,
                partner=partner,
                data={
                    "civility": contact.civility,
                    "first_name": contact.first_name,
                    "last_name": contact.last_name,
                    "job_title": job_titles.get(contact.job_title),
                    "fixed_phone": contact.fixed,
                    "mobile_phone": contact.mobile,
                    "email": contact.email,
                },
            )
        if demo.kind == "validated":
            services.partner_validate_prospect(actor=actors["manager"], partner=partner)
        elif demo.kind == "closed":
            services.partner_update(
                actor=actors["manager"],
                partner=partner,
                data={"is_closed": True, "closed_reason": "Cessation d'activité"},
                version=partner.version,
            )
