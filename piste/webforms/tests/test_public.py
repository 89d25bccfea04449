"""The public endpoint /forms/<key>/: the hosted page, submissions that become leads or join the
open lead of a known address, and what guards it (allowed sites, honeypot, per-address limit,
size limits). Bad input never writes anything and never gives a server error."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from piste.core.access import require_actor
from piste.core.models import Activity
from piste.core.testing import en_client
from piste.leads.models import Lead, LeadSource, LeadStatus, LostReason
from piste.leads.services import lead_lose
from piste.leads.tests.factories import make_lead
from piste.partners.models import JobTitle
from piste.webforms.models import WebFormSubmission
from piste.webforms.tests.factories import make_webform

SITE = "https://www.durand.test"


def url(webform) -> str:
    return f"/forms/{webform.public_key}/"


def visitor(language: str = "en", **headers) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language, HTTP_USER_AGENT="Firefox/140", **headers)


def answers(**data):
    return {"first_name": "Jean", "last_name": "Dupont", "email": "Jean.Dupont@Client.test",
            "enterprise_name": "Client SA", "mobile_phone": "06 12 34 56 78",
            "postal_code": "69001", "city": "Lyon", "message": "Call me\nplease <b>now</b>",
            "consent_c1": "on", **data}  # fmt: skip


def form_activities(lead: Lead) -> list[Activity]:
    return list(
        Activity.objects.filter(object_id=lead.pk, verb=Activity.Verb.FORM_SUBMITTED).order_by("id")
    )


@pytest.fixture
def webform(personas):
    source = LeadSource.objects.create(company=personas.company, name="Site web")
    return make_webform(
        personas.administrator, source=source, assigned_to=personas.salesperson,
        team=personas.north, thank_you_message="Merci, à bientôt !",
    )  # fmt: skip


# The page --------------------------------------------------------------------------------------


def test_the_page_speaks_the_visitor_language_and_may_be_framed_by_allowed_sites(webform):
    response = visitor("fr").get(url(webform))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in body and "Envoyer" in body
    # The administrator's label as typed; the usual one otherwise; the consents' texts.
    assert "Your email" in body and "I agree to be contacted" in body
    assert 'name="nickname"' in body  # the honeypot
    assert '<html lang="en">' in visitor("en").get(url(webform)).content.decode()
    assert "X-Frame-Options" not in response.headers
    assert f"frame-ancestors 'self' {SITE}" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("key", ["unknown-key", "x" * 80, "%00"])
def test_an_unknown_form_is_a_clear_404(webform, key):
    for method in ("get", "post"):
        response = getattr(visitor(), method)(f"/forms/{key}/")
        assert response.status_code == 404
        assert "This form does not exist or is no longer open." in response.content.decode()


def test_an_inactive_form_is_a_404_and_writes_nothing(webform):
    webform.is_active = False
    webform.save(update_fields=["is_active"])
    assert visitor().get(url(webform)).status_code == 404
    assert visitor().post(url(webform), answers()).status_code == 404
    assert not Lead.objects.exists() and not WebFormSubmission.objects.exists()


# A submission ----------------------------------------------------------------------------------


def test_a_submission_creates_the_lead_with_the_form_settings_and_its_consents(personas, webform):
    JobTitle.objects.create(company=personas.company, name="Directeur commercial")
    response = visitor(HTTP_ORIGIN=SITE).post(
        url(webform), answers(job_title="directeur  COMMERCIAL")
    )
    assert response.status_code == 200
    assert "Merci, à bientôt !" in response.content.decode()
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    lead = Lead.objects.get()
    assert lead.source is not None and lead.address is not None and lead.job_title is not None
    assert (lead.company, lead.source.name, lead.team, lead.assigned_to) == (
        personas.company, "Site web", personas.north, personas.salesperson)  # fmt: skip
    # The form acts as its assigned user, who may create records.
    assert lead.created_by == personas.salesperson
    assert lead.email == "Jean.Dupont@client.test" and lead.email_key == "jean.dupont@client.test"
    assert lead.mobile_phone == "+33612345678" and lead.enterprise_name == "Client SA"
    assert lead.city_name == "Lyon" and lead.address.postal_code == "69001"
    assert lead.job_title.name == "Directeur commercial"
    # The message, escaped: the visitor's markup is text.
    assert "&lt;b&gt;now&lt;/b&gt;" in lead.description and "<br>" in lead.description
    assert lead.status.role == LeadStatus.Role.DEFAULT
    submission = WebFormSubmission.objects.get()
    assert submission.lead == lead and submission.created_lead and submission.form == webform
    assert submission.consents == {
        "c1": {"text": "I agree to be contacted", "given": True},
        "c2": {"text": "I want the newsletter", "given": False},
    }
    assert submission.values["last_name"] == "Dupont" and submission.origin == SITE
    assert len(submission.ip_hash) == 64 and "127.0.0.1" not in submission.ip_hash
    assert submission.user_agent == "Firefox/140"
    (entry,) = form_activities(lead)
    assert entry.data["consents"] == {"c1": True, "c2": False}
    assert "☑ I agree to be contacted" in entry.data["message"]
    assert "☐ I want the newsletter" in entry.data["message"]
    # Shown on the lead's timeline.
    page = personas.client(personas.salesperson).get(f"/leads/{lead.pk}/").content.decode()
    assert "Your email: Jean.Dupont@client.test" in page


def test_an_unknown_job_title_goes_into_the_description(personas, webform):
    visitor().post(url(webform), answers(job_title="Chief happiness officer", message=""))
    lead = Lead.objects.get()
    assert lead.job_title is None and "Job title: Chief happiness officer" in lead.description
    assert not JobTitle.objects.filter(company=personas.company).exists()


def test_a_form_assigned_to_a_reader_creates_as_the_administrator(personas):
    webform = make_webform(personas.administrator, assigned_to=personas.reader)
    assert visitor().post(url(webform), answers()).status_code == 200
    lead = Lead.objects.get()
    assert lead.created_by == personas.administrator and lead.assigned_to == personas.reader


def test_a_form_with_a_team_only_leaves_the_lead_unassigned_in_the_team(personas):
    webform = make_webform(personas.administrator, team=personas.south)
    visitor().post(url(webform), answers())
    lead = Lead.objects.get()
    assert lead.team == personas.south and lead.assigned_to is None
    assert lead.created_by == personas.administrator


def test_a_known_address_joins_its_open_lead_instead_of_a_duplicate(personas, webform):
    known = make_lead(personas.teammate, last_name="Dupont", email="jean.dupont@client.test")
    other_company = make_lead(personas.other, last_name="Dupont", email="jean.dupont@client.test")
    response = visitor().post(
        url(webform), answers(email="JEAN.DUPONT@client.TEST", consent_c2="on")
    )
    assert response.status_code == 200
    assert Lead.objects.filter(company=personas.company).count() == 1
    known.refresh_from_db()
    assert known.assigned_to == personas.teammate  # unchanged
    (entry,) = form_activities(known)
    assert entry.actor is None and entry.data["values"]["email"] == "JEAN.DUPONT@client.test"
    assert entry.data["consents"] == {"c1": True, "c2": True}
    submission = WebFormSubmission.objects.get()
    assert submission.lead == known and not submission.created_lead
    assert not form_activities(other_company)
    page = en_client(personas.teammate).get(f"/leads/{known.pk}/").content.decode()
    assert "form submitted" in page and "Contact — " in page


def test_a_closed_lead_of_the_same_address_gets_a_new_lead(personas, webform):
    lost = make_lead(personas.salesperson, email="jean.dupont@client.test")
    reason = LostReason.objects.create(company=personas.company, name="Injoignable")
    lead_lose(actor=require_actor(personas.salesperson), lead=lost, reason=reason)
    visitor().post(url(webform), answers())
    assert Lead.objects.count() == 2
    assert WebFormSubmission.objects.get().created_lead


def test_a_redirect_url_sends_the_visitor_there(personas):
    webform = make_webform(personas.administrator, redirect_url="https://www.durand.test/merci")
    response = visitor().post(url(webform), answers())
    assert response.status_code == 303 and response["Location"] == "https://www.durand.test/merci"
    assert Lead.objects.count() == 1
    page = visitor().get(url(webform))
    assert "form-action 'self' https://www.durand.test" in page.headers["Content-Security-Policy"]


def test_a_json_submission_from_an_allowed_site(webform):
    client = visitor(HTTP_ORIGIN=SITE)
    preflight = client.options(url(webform))
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE
    body = json.dumps({"last_name": "Dupont", "email": "a@b.test", "consent_c1": True})
    response = client.post(url(webform), body, content_type="application/json")
    assert response.status_code == 200 and response.json()["ok"] is True
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert Lead.objects.count() == 1
    bad = client.post(url(webform), json.dumps({"last_name": ""}), content_type="application/json")
    assert bad.status_code == 400 and "last_name" in bad.json()["errors"]
    for broken in ("[1, 2]", "{not json", "\xff"):
        response = client.post(url(webform), broken, content_type="application/json")
        assert response.status_code == 400 and response.json()["ok"] is False
    assert Lead.objects.count() == 1


# What guards it --------------------------------------------------------------------------------


def test_a_filled_honeypot_pretends_success_and_keeps_nothing(webform):
    response = visitor().post(url(webform), answers(nickname="bot"))
    assert response.status_code == 200 and "Merci, à bientôt !" in response.content.decode()
    assert not Lead.objects.exists() and not WebFormSubmission.objects.exists()
    assert not Activity.objects.filter(verb=Activity.Verb.FORM_SUBMITTED).exists()


def test_the_per_address_limit_answers_429(webform):
    client = visitor()
    for index in range(5):
        assert client.post(url(webform), answers(email=f"p{index}@client.test")).status_code == 200
    response = client.post(url(webform), answers(email="p6@client.test"))
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many submissions from your address" in response.content.decode()
    assert Lead.objects.count() == 5
    # Another address is not held back.
    other = Client(REMOTE_ADDR="10.1.2.3", HTTP_ACCEPT_LANGUAGE="en")
    assert other.post(url(webform), answers(email="p7@client.test")).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.test"},
        {"HTTP_ORIGIN": "http://www.durand.test"},  # not the https site listed
        {"HTTP_REFERER": "https://evil.test/page"},
    ],
)
def test_a_site_not_allowed_is_refused_with_a_clear_message(webform, headers):
    response = visitor(**headers).post(url(webform), answers())
    assert response.status_code == 403
    assert "This form cannot be sent from this site" in response.content.decode()
    assert "Access-Control-Allow-Origin" not in response.headers
    assert visitor(**headers).options(url(webform)).status_code == 403
    assert not Lead.objects.exists() and not WebFormSubmission.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": SITE},
        {"HTTP_REFERER": f"{SITE}/contact?x=1"},
        {"HTTP_ORIGIN": "http://testserver"},  # the hosted page itself
        {},  # a browser that sends neither cannot be checked
    ],
)
def test_allowed_sites_and_the_hosted_page_may_post(webform, headers):
    assert visitor(**headers).post(url(webform), answers()).status_code == 200
    assert Lead.objects.count() == 1


# Bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"last_name": ""}, "last_name", "This field is required."),
        ({"email": ""}, "email", "This field is required."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"mobile_phone": "12"}, "mobile_phone", "phone number"),
        ({"consent_c1": ""}, "consent_c1", "Tick this box to send the form."),
        ({"last_name": "x" * 101}, "last_name", "at most 100 characters"),
        ({"message": "m" * 5001}, "message", "at most 5000 characters"),
        ({"last_name": "   "}, "last_name", "This field is required."),
        ({"last_name": "Du\x00pont"}, "last_name", "Null characters are not allowed."),
        ({"civility": "king"}, "civility", "Select a valid choice."),
    ],
)
def test_bad_input_is_shown_on_the_page_and_writes_nothing(webform, data, field, message):
    response = visitor().post(url(webform), answers(**data))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Please correct the fields below." in body and message in body
    assert not Lead.objects.exists() and not WebFormSubmission.objects.exists()


def test_an_oversized_body_is_refused_before_reading(webform):
    response = visitor().post(url(webform), answers(message="m" * 70_000))
    assert response.status_code == 413
    assert "The form sent is too large" in response.content.decode()
    assert not Lead.objects.exists()


def test_unknown_and_hostile_fields_are_ignored(personas, webform):
    data = answers(status="lost", assigned_to=personas.other.pk, company=2, scoring="5")
    assert visitor().post(url(webform), data).status_code == 200
    lead = Lead.objects.get()
    assert lead.assigned_to == personas.salesperson and lead.scoring == 0
    assert lead.company == personas.company


def test_behind_a_proxy_each_visitor_has_their_own_limit(webform, settings):
    """Every request reaches Piste from the proxy's address: the limit counts the address the
    proxy saw (the last X-Forwarded-For entry), not the proxy's, nor what a visitor writes."""
    settings.TRUSTED_PROXY_HOPS = 1

    def through_proxy(forwarded: str) -> Client:
        return Client(
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
            HTTP_ACCEPT_LANGUAGE="en",
            HTTP_ORIGIN="https://www.durand.test",
        )

    first = through_proxy("198.51.100.7")
    for index in range(5):
        assert first.post(url(webform), answers(email=f"a{index}@client.test")).status_code == 200
    assert first.post(url(webform), answers(email="a6@client.test")).status_code == 429
    # Writing another address first in the header changes nothing: the proxy's entry counts.
    spoofed = through_proxy("203.0.113.50, 198.51.100.7")
    assert spoofed.post(url(webform), answers(email="a7@client.test")).status_code == 429
    # Another visitor behind the same proxy is not held back.
    second = through_proxy("198.51.100.8")
    assert second.post(url(webform), answers(email="b1@client.test")).status_code == 200
    assert Lead.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_the_same_form_sent_twice_at_once_makes_one_lead():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (the SQLite test base is in memory)")
    import threading

    from piste.core.testing import make_personas
    from piste.webforms.services import webform_submit

    personas = make_personas()
    form = make_webform(personas.administrator, assigned_to=personas.salesperson)
    values = {"last_name": "Dupont", "first_name": "Jean", "email": "jean@client.test"}
    start = threading.Barrier(2)
    errors: list[Exception] = []

    def send() -> None:
        try:
            start.wait()
            webform_submit(webform=form, values=dict(values), consents={})
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Lead.objects.filter(email="jean@client.test").count() == 1
    assert WebFormSubmission.objects.count() == 2
    assert WebFormSubmission.objects.filter(created_lead=True).count() == 1
