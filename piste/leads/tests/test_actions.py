"""The lead page's actions through the HTTP client, with and without HTMX: the status bar, Take
charge, Lose, Reopen and Delete."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from piste.core.access import actor_for
from piste.core.models import Activity
from piste.core.testing import en_client
from piste.leads import services
from piste.leads.models import Lead, LeadStatus, LostReason
from piste.leads.tests.factories import make_lead, status

HX = {"HX-Request": "true"}


def hx(target: str) -> dict[str, str]:
    return {**HX, "HX-Target": target}


def url(name: str, lead: Lead) -> str:
    return reverse(f"leads:{name}", args=[lead.pk])


def text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def named(company_id: int, name: str) -> LeadStatus:
    return LeadStatus.objects.get(company_id=company_id, name=name)


def timeline(lead: Lead) -> list[Activity]:
    return list(
        Activity.objects.filter(
            content_type=ContentType.objects.get_for_model(Lead), object_id=lead.pk
        ).order_by("id")
    )


@pytest.fixture
def reasons(personas) -> dict[str, LostReason]:
    return {
        "price": LostReason.objects.create(company=personas.company, name="Price"),
        "other": LostReason.objects.create(
            company=personas.company, name="Other", comment_required=True
        ),
        "foreign": LostReason.objects.create(company=personas.other_company, name="Budget"),
    }


def lose(user, lead: Lead, reason: LostReason, comment: str = "") -> None:
    actor = actor_for(user)
    assert actor is not None
    services.lead_lose(actor=actor, lead=lead, reason=reason, comment=comment)


# Status bar ---------------------------------------------------------------------------------


def test_status_bar_click_moves_the_lead_and_comes_back_to_the_page(personas):
    lead = make_lead(personas.salesperson)
    target = named(personas.company.pk, "Sales qualification")
    client = en_client(personas.salesperson)
    response = client.post(url("status", lead), {"status": target.pk})
    assert response.status_code == 302 and response["Location"] == url("detail", lead)
    lead.refresh_from_db()
    assert lead.status == target
    page = text(client.get(url("detail", lead)))
    assert "Status: To be processed → Sales qualification" in page


def test_status_bar_click_with_htmx_swaps_the_bar_and_the_timeline(personas):
    lead = make_lead(personas.salesperson)
    target = named(personas.company.pk, "Nurturing")
    response = en_client(personas.salesperson).post(
        url("status", lead), {"status": target.pk}, headers=hx("lead-status")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<nav id="lead-status"')
    assert "<html" not in html
    assert re.search(r'aria-current="step"[^>]*>Nurturing', html)
    assert re.search(r'<ul[^>]*id="timeline"[^>]*hx-swap-oob="true"', html)
    assert "To be processed → Nurturing" in text(response)


@pytest.mark.parametrize("role", ["converted", "lost"])
@pytest.mark.parametrize("htmx", [False, True])
def test_status_bar_refuses_converted_and_lost(personas, role, htmx):
    lead = make_lead(personas.salesperson)
    client = en_client(personas.salesperson)
    headers: dict[str, str] = hx("lead-status") if htmx else {}
    response = client.post(
        url("status", lead), {"status": status(personas.company.pk, role).pk}, headers=headers
    )
    word = "Convert" if role == "converted" else "Lose"
    message = f"use the {word} button."
    if htmx:
        assert response.status_code == 200 and text(response).count(message) == 2  # + tooltip
    else:
        assert response.status_code == 302
        assert message in text(client.get(response["Location"]))
    lead.refresh_from_db()
    assert lead.status.role == LeadStatus.Role.DEFAULT


def test_status_bar_refuses_to_move_a_lost_lead(personas, reasons):
    lead = make_lead(personas.salesperson)
    lose(personas.salesperson, lead, reasons["price"])
    response = en_client(personas.salesperson).post(
        url("status", lead),
        {"status": named(personas.company.pk, "Nurturing").pk},
        headers=hx("lead-status"),
    )
    assert "This lead is lost: reopen it first." in text(response)
    lead.refresh_from_db()
    assert lead.is_lost


@pytest.mark.parametrize("value", ["", "abc", "-1", "9" * 30, None])
def test_status_bar_with_a_bad_status_is_404(personas, value):
    lead = make_lead(personas.salesperson)
    data = {} if value is None else {"status": value}
    assert en_client(personas.salesperson).post(url("status", lead), data).status_code == 404


def test_status_bar_with_another_companys_status_is_404(personas):
    lead = make_lead(personas.salesperson)
    foreign = LeadStatus.objects.filter(company=personas.other_company, is_open=True).first()
    assert foreign is not None
    response = en_client(personas.salesperson).post(url("status", lead), {"status": foreign.pk})
    assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.status.role == LeadStatus.Role.DEFAULT


def test_status_bar_only_accepts_post(personas):
    lead = make_lead(personas.salesperson)
    assert en_client(personas.salesperson).get(url("status", lead)).status_code == 405


# Take charge --------------------------------------------------------------------------------


def test_take_charge_assigns_the_lead_to_me(personas):
    lead = make_lead(personas.salesperson)
    client = en_client(personas.teammate)
    response = client.post(url("take_charge", lead))
    assert response.status_code == 302 and response["Location"] == url("detail", lead)
    lead.refresh_from_db()
    assert lead.assigned_to == personas.teammate
    page = client.get(response["Location"])
    assert "You are now in charge of “Martin”." in text(page)
    assert 'data-testid="take-charge"' not in page.content.decode()
    assert "Teammate Test · assigned" in text(page)
    assert "Assigned to: Salesperson Test → Teammate Test" in text(page)


def test_take_charge_with_htmx_answers_the_lead_region(personas):
    lead = make_lead(personas.salesperson)
    response = en_client(personas.teammate).post(url("take_charge", lead), headers=hx("lead"))
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#lead" and response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="lead"') and "<html" not in html
    assert text(response).count("You are now in charge of “Martin”.") == 1
    assert 'data-testid="take-charge"' not in html


def test_take_charge_from_another_htmx_page_refreshes_it(personas):
    lead = make_lead(personas.salesperson)
    response = en_client(personas.teammate).post(url("take_charge", lead), headers=hx("rows"))
    assert response["HX-Refresh"] == "true"
    lead.refresh_from_db()
    assert lead.assigned_to == personas.teammate


def test_take_charge_goes_back_to_a_safe_next_page_only(personas):
    lead = make_lead(personas.salesperson)
    client = en_client(personas.teammate)
    response = client.post(url("take_charge", lead), {"next": "/leads/open/?sort=name"})
    assert response["Location"] == "/leads/open/?sort=name"
    response = client.post(url("take_charge", lead), {"next": "https://evil.example/"})
    assert response["Location"] == url("detail", lead)


def test_take_charge_is_refused_on_a_lost_lead_with_a_message(personas, reasons):
    lead = make_lead(personas.salesperson)
    lose(personas.salesperson, lead, reasons["price"])
    client = en_client(personas.teammate)
    response = client.post(url("take_charge", lead))
    assert "A lost lead cannot be taken in charge: reopen it first." in text(
        client.get(response["Location"])
    )
    response = client.post(url("take_charge", lead), headers=hx("lead"))
    assert "A lost lead cannot be taken in charge" in text(response)
    lead.refresh_from_db()
    assert lead.assigned_to == personas.salesperson


# Lose ---------------------------------------------------------------------------------------


def test_lose_page_offers_the_companys_reasons(personas, reasons):
    lead = make_lead(personas.salesperson)
    response = en_client(personas.salesperson).get(url("lose", lead))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert re.search(rf'<option value="{reasons["other"].pk}" data-comment-required="true"', html)
    assert re.search(rf'<option value="{reasons["price"].pk}">Price<', html)
    assert "Budget" not in html  # company B's


def test_lose_form_with_htmx_is_the_form_alone(personas, reasons):
    lead = make_lead(personas.salesperson)
    response = en_client(personas.salesperson).get(url("lose", lead), headers=hx("lead-lose"))
    html = response.content.decode()
    assert "<html" not in html and "data-lose-form" in html
    assert 'hx-target="#lead-lose"' in html


@pytest.mark.parametrize("htmx", [False, True])
def test_lose_requires_a_reason(personas, reasons, htmx):
    lead = make_lead(personas.salesperson)
    headers: dict[str, str] = hx("lead-lose") if htmx else {}
    response = en_client(personas.salesperson).post(
        url("lose", lead), {"reason": ""}, headers=headers
    )
    assert response.status_code == 200
    assert "Choose a lost reason." in text(response)
    assert ("<html" in response.content.decode()) is not htmx
    lead.refresh_from_db()
    assert not lead.is_lost


def test_lose_requires_the_comment_the_reason_asks_for(personas, reasons):
    lead = make_lead(personas.salesperson)
    response = en_client(personas.salesperson).post(
        url("lose", lead), {"reason": reasons["other"].pk, "comment": "  "}, headers=hx("lead-lose")
    )
    assert response.status_code == 200
    assert "This reason asks for a comment." in text(response)
    lead.refresh_from_db()
    assert not lead.is_lost


@pytest.mark.parametrize("value", ["abc", "9" * 30, "-1"])
def test_lose_with_a_malformed_or_foreign_reason_is_refused(personas, reasons, value):
    lead = make_lead(personas.salesperson)
    client = en_client(personas.salesperson)
    for reason in (value, reasons["foreign"].pk):
        response = client.post(url("lose", lead), {"reason": reason})
        assert response.status_code == 200
        assert "reason" in response.context["form"].errors
    lead.refresh_from_db()
    assert not lead.is_lost


def test_lose_marks_the_lead_lost_and_shows_why(personas, reasons):
    lead = make_lead(personas.salesperson)
    client = en_client(personas.salesperson)
    response = client.post(
        url("lose", lead), {"reason": reasons["other"].pk, "comment": "Chose a competitor"}
    )
    assert response.status_code == 302 and response["Location"] == url("detail", lead)
    lead.refresh_from_db()
    assert lead.is_lost and lead.lost_reason == reasons["other"]
    page = client.get(url("detail", lead))
    assert "Lost reason: Other Chose a competitor" in text(page)
    assert "Status: To be processed → Lost" in text(page)
    assert url("status", lead) not in page.content.decode()  # the bar is read-only now


def test_lose_with_htmx_answers_the_lead_region(personas, reasons):
    lead = make_lead(personas.salesperson)
    response = en_client(personas.salesperson).post(
        url("lose", lead), {"reason": reasons["price"].pk}, headers=hx("lead-lose")
    )
    assert response["HX-Retarget"] == "#lead"
    assert text(response).count("The lead “Martin” is lost.") == 1
    assert 'data-testid="reopen"' in response.content.decode()


def test_lose_a_lost_lead_says_so(personas, reasons):
    lead = make_lead(personas.salesperson)
    lose(personas.salesperson, lead, reasons["price"])
    client = en_client(personas.salesperson)
    assert "This lead is already lost." in text(client.get(url("lose", lead)))
    response = client.post(url("lose", lead), {"reason": reasons["price"].pk})
    assert response.status_code == 200
    assert "This lead is already lost." in text(response)
    assert len([a for a in timeline(lead) if a.verb == Activity.Verb.STATUS_CHANGED]) == 1


# Reopen -------------------------------------------------------------------------------------


def test_reopen_gives_the_default_status_back(personas, reasons):
    lead = make_lead(personas.salesperson)
    lose(personas.salesperson, lead, reasons["other"], "Budget frozen")
    client = en_client(personas.salesperson)
    response = client.post(url("reopen", lead))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status.role == LeadStatus.Role.DEFAULT
    assert lead.lost_reason is None and lead.lost_comment == ""
    response = client.get(url("detail", lead))
    # The lost panel is gone (the timeline still tells the loss).
    assert "The lead “Martin” was reopened." in text(response)
    assert 'data-testid="lost-info"' not in response.content.decode()


def test_reopen_with_htmx_answers_the_lead_region(personas, reasons):
    lead = make_lead(personas.salesperson)
    lose(personas.salesperson, lead, reasons["price"])
    response = en_client(personas.salesperson).post(url("reopen", lead), headers=hx("lead"))
    assert response["HX-Retarget"] == "#lead"
    assert 'data-testid="lose"' in response.content.decode()


def test_reopen_an_open_lead_is_refused_with_a_message(personas):
    lead = make_lead(personas.salesperson)
    client = en_client(personas.salesperson)
    response = client.post(url("reopen", lead))
    assert "Only a lost lead can be reopened." in text(client.get(response["Location"]))


# Delete -------------------------------------------------------------------------------------


def test_delete_removes_the_lead_and_goes_to_my_leads(personas):
    lead = make_lead(personas.salesperson)
    client = en_client(personas.manager)
    response = client.post(url("delete", lead))
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:mine")
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert timeline(lead)[-1].verb == Activity.Verb.DELETED
    assert "The lead “Martin” was deleted." in text(client.get(response["Location"]))


def test_delete_with_htmx_redirects_the_browser(personas):
    lead = make_lead(personas.salesperson)
    response = en_client(personas.administrator).post(url("delete", lead), headers=HX)
    assert response["HX-Redirect"] == reverse("leads:mine")
    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_delete_only_accepts_post(personas):
    lead = make_lead(personas.salesperson)
    assert en_client(personas.manager).get(url("delete", lead)).status_code == 405
    assert Lead.objects.filter(pk=lead.pk).exists()


@pytest.mark.parametrize("name", ["status", "take_charge", "lose", "reopen"])
@pytest.mark.parametrize("htmx", [False, True])
def test_reader_actions_are_403(personas, reasons, name, htmx):
    lead = make_lead(personas.salesperson)
    headers: dict[str, str] = hx("lead") if htmx else {}
    data = {"status": named(personas.company.pk, "Nurturing").pk, "reason": reasons["price"].pk}
    response = en_client(personas.reader).post(url(name, lead), data, headers=headers)
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.status.role == LeadStatus.Role.DEFAULT
    assert lead.assigned_to == personas.salesperson
