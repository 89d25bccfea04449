"""The benchmark scenarios of the warnings (bench/scenarios_duplicate_warnings.py) open real
answers on a small generated dataset, showing what they expect."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import Client

from piste.core.access import actor_for
from piste.leads import services as lead_services
from piste.leads.tests.factories import address_data
from piste.partners.models import Partner
from piste.users.models import User


def _generate(*args: str) -> None:
    call_command("generate_dataset", *args, stdout=StringIO())


def test_the_bench_warning_scenarios_show_what_they_expect(db):
    from bench.scenarios import Dataset
    from bench.scenarios_duplicate_warnings import SCENARIOS

    _generate("--size", "10")
    _generate("--entity", "leads", "--leads", "500")
    _generate("--entity", "partners", "--partners", "300", "--contacts", "300")
    actor = actor_for(User.objects.get(username="bench"))
    assert actor is not None
    # 500 leads hold few Martins of Paris with every field: one more, and one at the domain of
    # the organisation the partner scenario edits.
    lead_services.lead_create(
        actor=actor,
        data={
            "first_name": "Jean",
            "last_name": "Martin",
            "enterprise_name": "Menuiserie Roux SARL",
            "email": "jean.martin@menuiserie-roux.fr",
            "fixed_phone": "01 44 55 66 77",
            "mobile_phone": "06 44 55 66 77",
        },
        address=address_data(city_name="Paris"),
    )
    organisation = (
        Partner.objects.filter(company=actor.company, partner_type="organisation")
        .exclude(siren="")
        .exclude(email="")
        .exclude(city_name="")
        .order_by("id")
        .first()
    )
    assert organisation is not None
    domain = organisation.email.partition("@")[2]
    lead_services.lead_create(actor=actor, data={"last_name": "Roux", "email": f"x@{domain}"})
    dataset = Dataset()
    client = Client()
    assert client.login(username="bench", password="bench-pass")
    assert [s.name for s in SCENARIOS] == [
        "duplicate_warning_lead",
        "duplicate_warning_partner",
        "duplicate_warning_contact",
    ]
    for scenario in SCENARIOS:
        url = scenario.url(dataset)
        response = client.get(url, headers=scenario.headers)
        assert response.status_code == 200, url
        assert scenario.expect is not None
        assert scenario.expect(dataset) in response.content.decode(), (scenario.name, url)
