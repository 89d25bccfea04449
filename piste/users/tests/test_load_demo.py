from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from piste.core.models import Activity, Tag
from piste.core.rights import Role
from piste.leads.models import LostReason
from piste.users.management.commands.load_demo import DEMO_PASSWORD, DEMO_USERS
from piste.users.models import Company, CrmSettings, Membership, Team, User


def _counts() -> dict[str, int]:
    models = [Company, CrmSettings, User, Membership, Team, Tag, LostReason, Activity]
    return {model.__name__: model._default_manager.count() for model in models}


def test_demo_loads_two_companies_and_one_user_per_role(db):
    out = StringIO()
    call_command("load_demo", stdout=out)

    assert Company.objects.count() == 2
    assert CrmSettings.objects.count() == 2
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role)
    admin = User.objects.get(username="admin")
    assert admin.memberships.count() == 2
    assert LostReason.objects.get(company=admin.active_company, name="Autre").comment_required
    for demo in DEMO_USERS:
        assert demo.username in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()


def test_every_demo_user_signs_in_with_the_demo_password(db):
    call_command("load_demo", stdout=StringIO())
    for demo in DEMO_USERS:
        client = Client()
        response = client.post("/login/", {"username": demo.username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, demo.username
        assert client.get("/").status_code == 200, demo.username


def test_if_empty_leaves_loaded_data_unchanged(db):
    call_command("load_demo", stdout=StringIO())
    before = _counts()
    call_command("load_demo", "--if-empty", stdout=StringIO())
    assert _counts() == before


def test_loading_into_a_database_with_data_is_refused(db):
    call_command("load_demo", stdout=StringIO())
    before = _counts()
    with pytest.raises(CommandError):
        call_command("load_demo", stdout=StringIO())
    assert _counts() == before


def test_demo_sign_ins_prints_nothing_without_demo_users(db):
    out = StringIO()
    call_command("demo_sign_ins", stdout=out)
    assert out.getvalue() == ""
    call_command("load_demo", stdout=StringIO())
    call_command("demo_sign_ins", stdout=out)
    assert "commercial" in out.getvalue()


def test_the_demo_brings_french_cities_and_links_the_companies_addresses(db):
    from piste.geo.address import city_suggestions
    from piste.geo.models import City

    call_command("load_demo", stdout=StringIO())
    assert City.objects.filter(country__code="FR").count() >= 30
    paris = City.objects.get(insee_code="75056")
    assert paris.postal_codes.filter(code="75011").exists()
    assert [s["name"] for s in city_suggestions("75011")] == ["Paris"]
    lyon_company = Company.objects.get(name="Durand Conseil SARL")
    assert lyon_company.address is not None
    assert lyon_company.address.city is not None
    assert lyon_company.address.city.insee_code == "69123"
