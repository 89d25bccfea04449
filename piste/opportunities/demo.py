"""The demo opportunities of Durand Conseil: a dozen sales in progress with the demo partners,
spread over the sales stages, the owners and this month's and next month's signing dates (so the
kanban and the signature calendar look lived in), a few won and one lost, written through the
opportunity services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from piste.core.access import require_actor
from piste.leads.models import LeadSource, LostReason
from piste.opportunities import services
from piste.opportunities.models import OpportunityStage
from piste.partners.models import Contact, Partner
from piste.users.models import Company, User


@dataclass(frozen=True)
class DemoOpportunity:
    name: str
    partner: str
    owner: str  # a demo username
    amount: str
    probability: int
    # The stage by position among the open stages (0: Nouveau … 3: Négociation), or "won",
    # "lost".
    stage: int | str
    # Days after the first of this month.
    signing_day: int
    source: str = ""


DEMO_OPPORTUNITIES = (
    DemoOpportunity("Refonte du site e-commerce", "Boulangeries Morel", "commercial", "18500.00",
                    60, 2, 12, "Salon professionnel"),
    DemoOpportunity("Formation des vendeurs en boutique", "Boulangeries Morel", "commercial",
                    "4200.00", 30, 1, 25),
    DemoOpportunity("Optimisation des tournées", "Transports Girard", "commercial", "26000.00",
                    20, 0, 40, "Recommandation"),
    DemoOpportunity("Audit de la chaîne logistique", "Transports Girard", "manager", "9800.00",
                    50, 3, 8),
    DemoOpportunity("Dématérialisation du dossier patient", "Clinique du Parc", "manager",
                    "72000.00", 70, 3, 20, "Prospection commerciale"),
    DemoOpportunity("Contrat de maintenance 2027", "Clinique du Parc", "manager", "15600.00",
                    90, "won", 5),
    DemoOpportunity("Accompagnement RGPD", "Cabinet Fabre Avocats", "admin", "6500.00", 40, 2,
                    33, "Webinar"),
    DemoOpportunity("Site vitrine du cabinet", "Cabinet Fabre Avocats", "admin", "3900.00", 100,
                    "won", 2),
    DemoOpportunity("Portail citoyen", "Mairie de Villeurbanne", "commercial", "48000.00", 25, 1,
                    45, "Formulaire du site web"),
    DemoOpportunity("Conseil en marchés publics", "Mairie de Villeurbanne", "manager", "12000.00",
                    10, 0, 52),
    DemoOpportunity("Tableaux de bord commerciaux", "Boulangeries Morel", "manager", "7400.00",
                    35, "lost", 15),
    DemoOpportunity("Intégration de l'outil de paie", "Clinique du Parc", "admin", "21000.00",
                    45, 2, 58, "Recommandation"),
)  # fmt: skip


def demo_opportunities(company: Company, users: dict[str, User]) -> None:
    manager = require_actor(users["manager"])
    first = timezone.localdate().replace(day=1)
    stages = list(
        OpportunityStage.objects.filter(company=company, is_open=True).order_by("sequence", "id")
    )
    partners = {p.name: p for p in Partner.objects.filter(company=company)}
    sources = {s.name: s for s in LeadSource.objects.filter(company=company)}
    reason = LostReason.objects.filter(company=company, name="Concurrent retenu").first()
    for demo in DEMO_OPPORTUNITIES:
        partner = partners.get(demo.partner)
        if partner is None:
            continue
        contact = (
            Contact.objects.filter(Q(main_partner=partner) | Q(other_partners=partner))
            .order_by("name_key", "id")
            .first()
        )
        owner = require_actor(users[demo.owner])
        data = {
            "name": demo.name,
            "partner": partner,
            "amount": Decimal(demo.amount),
            "probability": demo.probability,
            "expected_close_date": first + dt.timedelta(days=demo.signing_day),
            "source": sources.get(demo.source),
        }
        if isinstance(demo.stage, int) and stages:
            data["stage"] = stages[min(demo.stage, len(stages) - 1)]
        opportunity = services.opportunity_create(
            actor=owner, data=data, contacts=[contact] if contact else []
        )
        if demo.stage == "won":
            # Winning makes the partner a customer: the manager has the right to.
            services.opportunity_win(
                actor=manager,
                opportunity=opportunity,
                partner_types={"is_customer": True, "is_prospect": False},
            )
        elif demo.stage == "lost" and reason is not None:
            services.opportunity_lose(
                actor=manager,
                opportunity=opportunity,
                reason=reason,
                comment="Le concurrent a proposé un délai plus court.",
            )
