"""Personal API tokens: made in the profile, shown once, stored hashed, revocable, expiring;
acting in their company only while the user belongs to it and is active."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from piste.api.auth import token_digest
from piste.api.models import ApiToken
from piste.api.services import api_token_create, api_token_revoke
from piste.api.tests.helpers import ApiClient, token_for
from piste.core.access import require_actor
from piste.core.testing import en_client
from piste.users.models import Membership

pytestmark = pytest.mark.django_db


def test_profile_page_creates_a_token_shown_once_and_stores_its_hash(personas):
    client = en_client(personas.salesperson)
    response = client.post("/profile/api-tokens/", {"name": "Website", "expires_on": ""})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("pst_") and secret in response.content.decode()
    token = ApiToken.objects.get(user=personas.salesperson)
    assert token.digest == token_digest(secret)
    assert secret not in {token.digest, token.prefix, token.name}
    assert token.company == personas.company
    assert response["Cache-Control"].startswith("max-age=0")
    # Shown once: the list page never again carries it.
    again = client.get("/profile/api-tokens/")
    assert secret not in again.content.decode()
    assert token.prefix in again.content.decode()
    assert ApiClient(secret).get("/leads").status_code == 200


def test_profile_page_refuses_a_blank_name_and_a_past_expiry(personas):
    client = en_client(personas.salesperson)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post("/profile/api-tokens/", {"name": "  ", "expires_on": yesterday})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "expires_on"}
    response = client.post("/profile/api-tokens/", {"name": "x" * 101, "expires_on": "20266-01-01"})
    assert set(response.context["form"].errors) == {"name", "expires_on"}
    assert not ApiToken.objects.exists()


def test_token_with_an_expiry_day_works_through_that_day(personas):
    client = en_client(personas.salesperson)
    today = timezone.localdate().isoformat()
    response = client.post("/profile/api-tokens/", {"name": "Short", "expires_on": today})
    assert ApiClient(response.context["secret"]).get("/leads").status_code == 200
    token = ApiToken.objects.get()
    assert token.expires_at is not None and token.expires_at > timezone.now()


def test_revoke_from_the_profile_stops_the_token(personas):
    secret = token_for(personas.salesperson)
    token = ApiToken.objects.get()
    client = en_client(personas.salesperson)
    response = client.post(f"/profile/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    response = ApiClient(secret).get("/leads")
    assert response.status_code == 401
    assert "token" in response.json()["detail"]


def test_a_user_cannot_revoke_someone_elses_token(personas):
    token_for(personas.salesperson)
    token = ApiToken.objects.get()
    response = en_client(personas.teammate).post(f"/profile/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=require_actor(personas.teammate), token=token)


def test_the_token_list_shows_only_my_tokens(personas):
    token_for(personas.salesperson)
    token_for(personas.teammate)
    response = en_client(personas.salesperson).get("/profile/api-tokens/")
    assert [t.user for t in response.context["tokens"]] == [personas.salesperson]


def test_expired_token_gets_401(personas):
    secret = token_for(personas.salesperson, expires_at=timezone.now() + timedelta(minutes=1))
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ApiClient(secret).get("/leads").status_code == 401


def test_deactivated_user_gets_401(personas):
    secret = token_for(personas.salesperson)
    personas.salesperson.is_active = False
    personas.salesperson.save(update_fields=["is_active"])
    assert ApiClient(secret).get("/leads").status_code == 401


def test_user_removed_from_the_company_gets_401_even_with_another_company(personas):
    secret = token_for(personas.salesperson)
    # Still a member elsewhere: the token must not fall back to that other company.
    from piste.core.rights import Role

    Membership.objects.create(
        user=personas.salesperson, company=personas.other_company, role=Role.ADMINISTRATOR
    )
    Membership.objects.filter(user=personas.salesperson, company=personas.company).update(
        is_active=False
    )
    assert ApiClient(secret).get("/leads").status_code == 401


def test_unknown_missing_or_malformed_tokens_get_401_json(personas):
    for secret in ("pst_nope", "x" * 5000, "", "Bearer"):
        response = ApiClient(secret).get("/leads")
        assert response.status_code == 401, secret
        assert response["Content-Type"].startswith("application/json")
    assert ApiClient(None).get("/leads").status_code == 401
    # A write with a wrong token and no session hears 401, not a CSRF refusal.
    assert ApiClient("pst_nope").post("/leads", {"last_name": "X"}).status_code == 401


def test_last_used_is_recorded_at_most_every_few_minutes(personas):
    secret = token_for(personas.salesperson)
    client = ApiClient(secret)
    client.get("/leads")
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    client.get("/leads")
    assert ApiToken.objects.get().last_used_at == first


def test_a_token_acts_in_its_company_not_the_users_active_one(personas):
    from piste.core.rights import Role
    from piste.leads.models import Lead
    from piste.leads.tests.factories import make_lead

    Membership.objects.create(
        user=personas.salesperson, company=personas.other_company, role=Role.ADMINISTRATOR
    )
    secret = token_for(personas.salesperson)  # made while working in company A
    personas.salesperson.active_company = personas.other_company
    personas.salesperson.save(update_fields=["active_company"])
    in_b = make_lead(personas.other, last_name="Lemoine")
    client = ApiClient(secret)
    assert in_b.pk not in [row["id"] for row in client.get("/leads").json()["items"]]
    created = client.post("/leads", {"last_name": "Durand"}).json()
    assert Lead.objects.get(pk=created["id"]).company == personas.company


def test_session_writes_need_the_csrf_token(personas):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(personas.salesperson)
    assert client.get("/api/v1/leads").status_code == 200
    refused = client.post("/api/v1/leads", {"last_name": "Dupont"}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.get("/profile/api-tokens/")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    allowed = client.post(
        "/api/v1/leads",
        {"last_name": "Dupont"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert allowed.status_code == 201, allowed.content


def test_service_caps_live_tokens(personas, monkeypatch):
    from django.core.exceptions import ValidationError

    from piste.api import services

    monkeypatch.setattr(services, "MAX_ACTIVE_TOKENS", 2)
    actor = require_actor(personas.salesperson)
    api_token_create(actor=actor, name="a")
    api_token_create(actor=actor, name="b")
    with pytest.raises(ValidationError):
        api_token_create(actor=actor, name="c")
