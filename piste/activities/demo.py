"""The demo events of Durand Conseil: calls, meetings, tasks and notes on the demo leads,
partners and opportunities, around today (so the calendar, "My actions" with a late task, and
the last / next event dates look lived in), written through the event services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Model
from django.utils import timezone

from piste.activities.models import EventKind, EventStatus
from piste.activities.services import event_create, event_set_status
from piste.core.access import require_actor
from piste.leads.models import Lead
from piste.opportunities.models import Opportunity
from piste.partners.models import Partner
from piste.users.models import Company, User


@dataclass(frozen=True)
class DemoEvent:
    kind: str
    subject: str
    owner: str  # a demo username
    days: int  # from today
    hour: int
    minutes: int = 60
    lead: str = ""  # a demo lead's last name
    partner: str = ""  # a demo partner's name
    opportunity: str = ""  # a demo opportunity's name
    done: bool = False
    location: str = ""


DEMO_EVENTS = (
    DemoEvent(EventKind.CALL, "Premier appel de qualification", "commercial", -6, 10, 15,
              lead="Fournier", done=True),
    DemoEvent(EventKind.MEETING, "Rendez-vous de découverte", "commercial", 2, 14, 90,
              lead="Fournier", location="Boulangerie Fournier, Lyon"),
    DemoEvent(EventKind.TASK, "Envoyer la plaquette commerciale", "commercial", -2, 9, 0,
              lead="Fournier"),
    DemoEvent(EventKind.TASK, "Préparer la proposition chiffrée", "commercial", 4, 9, 0,
              opportunity="Refonte du site e-commerce"),
    DemoEvent(EventKind.NOTE, "Intéressé par une démonstration en janvier", "manager", -1, 16,
              0, partner="Boulangeries Morel"),
    DemoEvent(EventKind.MEETING, "Point d'avancement avec le client", "manager", 1, 11, 60,
              partner="Boulangeries Morel", location="Visioconférence"),
    DemoEvent(EventKind.CALL, "Relance du devis", "manager", 0, 15, 30,
              opportunity="Refonte du site e-commerce"),
    DemoEvent(EventKind.MEETING, "Réunion d'équipe commerciale", "manager", 3, 9, 60,
              location="Salle Rhône"),
)  # fmt: skip


def demo_events(company: Company, users: dict[str, User]) -> None:
    today = timezone.localdate()
    for demo in DEMO_EVENTS:
        actor = require_actor(users[demo.owner])
        record: Model | None = None
        if demo.lead:
            record = Lead.objects.filter(company=company, last_name=demo.lead).first()
        elif demo.partner:
            record = Partner.objects.filter(company=company, name=demo.partner).first()
        elif demo.opportunity:
            record = Opportunity.objects.filter(company=company, name=demo.opportunity).first()
        day = today + dt.timedelta(days=demo.days)
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(demo.hour)))
        data = {
            "kind": demo.kind,
            "subject": demo.subject,
            "start": start,
            "end": start + dt.timedelta(minutes=demo.minutes),
            "location": demo.location,
            "assigned_to": actor.user,
        }
        event = event_create(actor=actor, data=data, record=record)
        if demo.done:
            event_set_status(actor=actor, event=event, status=EventStatus.DONE)
