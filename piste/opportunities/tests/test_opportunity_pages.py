"""The opportunity pages through the HTTP client (with and without HTMX): lists, create, the
opportunity page and its actions (stage, win, lose, reopen, delete), the partner's tab. Who may
see and do what, bad input refused with a clear message (never a 500, nothing written), and
query counts pinned."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from piste.core.testing import en_client
from piste.leads.models import Lead, LostReason
from piste.leads.tests.factories import make_lead
from piste.opportunities import selectors
from piste.opportunities.models import Opportunity, OpportunityStage, StageTotal
from piste.opportunities.selectors import ListKind, OpportunityFilters
from piste.opportunities.tests.test_opportunities import (
    actor,
    make_opportunity,
    open_stage,
    reload,
    stage,
    timeline,
)
from piste.partners.models import Partner
from piste.partners.tests.factories import make_contact, make_partner

Role = OpportunityStage.Role
HTMX = {"HX-Request": "true"}
HTMX_ROWS = {"HX-Request": "true", "HX-Target": "rows"}
HTMX_DIALOG = {"HX-Request": "true", "HX-Target": "opportunity-dialog"}
HUGE = "9" * 30


def page(response: Any) -> str:
    return response.content.decode()


def url(opportunity: Opportunity, action: str = "") -> str:
    return f"/opportunities/{opportunity.pk}/{action + '/' if action else ''}"


def form_data(opportunity: Opportunity, **values: Any) -> dict[str, Any]:
    """What the opportunity page's form posts, changed by ``values``."""
    fresh = reload(opportunity)
    data = {
        "version": fresh.version,
        "name": fresh.name,
        "partner": fresh.partner_id,
        "amount": str(fresh.amount),
        "currency": fresh.currency,
        "probability": fresh.probability,
        "expected_close_date": fresh.expected_close_date or "",
        "assigned_to": fresh.assigned_to_id or "",
        "team": fresh.team_id or "",
        "source": fresh.source_id or "",
        "description": fresh.description,
    }
    data.update(values)
    return data


@pytest.fixture
def world(personas) -> dict[str, Any]:
    """A few opportunities: the salesperson's, the teammate's, the outsider's, another
    company's."""
    partner = make_partner(personas.salesperson, name="Boulangeries Morel")
    return {
        "partner": partner,
        "mine": make_opportunity(
            personas.salesperson,
            partner,
            name="Refonte du site",
            amount=Decimal("12500"),
            probability=40,
        ),
        "teammate": make_opportunity(personas.teammate, partner, name="Maintenance annuelle"),
        "outsider": make_opportunity(
            personas.outsider, name="Affaire du Sud", partner_name="Transports Girard"
        ),
        "foreign": make_opportunity(personas.other, name="Ailleurs", partner_name="Lemoine"),
    }


@pytest.fixture
def reasons(personas) -> dict[str, LostReason]:
    return {
        "price": LostReason.objects.create(company=personas.company, name="Prix"),
        "other": LostReason.objects.create(
            company=personas.company, name="Autre", comment_required=True
        ),
        "foreign": LostReason.objects.create(company=personas.other_company, name="Budget"),
    }


# Lists ----------------------------------------------------------------------------------------


def test_lists_show_what_the_user_may_see(personas, world):
    client = en_client(personas.salesperson)
    html = page(client.get("/opportunities/"))
    assert "Refonte du site" in html and "Maintenance annuelle" in html
    assert "Affaire du Sud" not in html and "Ailleurs" not in html
    mine = page(client.get("/opportunities/mine/"))
    assert "Refonte du site" in mine and "Maintenance annuelle" not in mine
    assert "Refonte du site" in page(client.get("/opportunities/open/"))
    assert "Refonte du site" not in page(client.get("/opportunities/closed/"))


def test_closed_list_holds_won_and_lost(personas, world, reasons):
    services_actor = actor(personas.manager)
    from piste.opportunities import services

    services.opportunity_lose(
        actor=services_actor, opportunity=world["mine"], reason=reasons["price"]
    )
    client = en_client(personas.manager)
    assert "Refonte du site" in page(client.get("/opportunities/closed/"))
    assert "Refonte du site" not in page(client.get("/opportunities/open/"))


def test_list_amounts_are_shown_in_french(personas, world):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(personas.salesperson)
    html = page(client.get("/opportunities/mine/"))
    # Grouped with the French (narrow) no-break space, a decimal comma, the euro after.
    assert "12\u202f500,00\xa0€" in html or "12\xa0500,00\xa0€" in html
    assert "5\u202f000,00\xa0€" in html or "5\xa0000,00\xa0€" in html


def test_list_figures_come_from_the_running_totals(personas, world):
    client = en_client(personas.salesperson)
    html = page(client.get("/opportunities/mine/"))
    assert "1 opportunity" in html
    assert "12,500.00" in html and "5,000.00" in html


def test_search_filters_and_sorts(personas, world):
    client = en_client(personas.manager)
    assert "Maintenance" not in page(client.get("/opportunities/", {"q": "refonte"}))
    by_partner = page(client.get("/opportunities/", {"q": "girard"}))
    assert "Affaire du Sud" in by_partner and "Refonte" not in by_partner
    by_reference = page(client.get("/opportunities/", {"q": world["mine"].reference}))
    assert "Refonte du site" in by_reference
    by_owner = page(client.get("/opportunities/", {"owner": personas.teammate.pk}))
    assert "Maintenance annuelle" in by_owner and "Refonte" not in by_owner
    by_team = page(client.get("/opportunities/", {"team": personas.south.pk}))
    assert "Refonte" not in by_team
    qualification = open_stage(personas.company.pk, 1)
    by_stage = page(client.get("/opportunities/", {"stage": qualification.pk}))
    assert "No opportunity matches these filters." in by_stage
    for sort in ("name", "-name", "amount", "-amount", "expected", "-expected", "created"):
        assert client.get("/opportunities/", {"sort": sort}).status_code == 200


def test_signing_date_range_filter(personas, world):
    from piste.opportunities import services

    services.opportunity_reschedule(
        actor=actor(personas.salesperson),
        opportunity=world["mine"],
        expected_close_date=date(2026, 11, 24),
    )
    client = en_client(personas.manager)
    html = page(
        client.get("/opportunities/", {"expected_from": "2026-11-01", "expected_to": "2026-11-30"})
    )
    assert "Refonte du site" in html and "Maintenance annuelle" not in html
    assert "1 opportunity" in html


@pytest.mark.parametrize(
    "params",
    [
        {"stage": "abc"},
        {"stage": HUGE},
        {"owner": HUGE},
        {"owner": "-3"},
        {"team": "x"},
        {"expected_from": "0001-01-01"},
        {"expected_to": "2026-13-45"},
        {"cursor": "not-a-cursor"},
        {"cursor": "WzEsMiwibiJd", "sort": "expected"},
        {"sort": "nonsense"},
        {"q": "\x00" + "z" * 5000},
    ],
)
def test_bad_filters_are_ignored_with_a_message(personas, world, params):
    response = en_client(personas.manager).get("/opportunities/", params)
    assert response.status_code == 200


def test_a_bad_filter_says_it_was_ignored(personas, world):
    html = page(en_client(personas.manager).get("/opportunities/", {"owner": HUGE}))
    assert "Some filters were ignored" in html
    assert "Refonte du site" in html


def test_unknown_list_is_404(personas):
    assert en_client(personas.manager).get("/opportunities/everything/").status_code == 404


def test_list_page_query_count_is_pinned(personas, world, django_assert_num_queries):
    client = en_client(personas.administrator)
    # 1. the session, 2. the user, 3. the memberships with their company and CRM settings,
    # 4. the user's team ids, 5. the company's stages, 6. the page of opportunities joined to
    # their partner, stage and owner, 7. the figures from the running totals, 8. the owners and
    # 9. the teams of the filter panel.
    with django_assert_num_queries(9):
        response = client.get("/opportunities/", {"sort": "name"})
    assert page(response).count('data-testid="opportunity-row"') == 4 - 1  # not the foreign one
    # The rows alone (HTMX): 1-7 only.
    with django_assert_num_queries(7):
        client.get("/opportunities/open/", {"sort": "-amount"}, headers=HTMX_ROWS)
    # A search has no running totals: 7. counts at most 1,001 matching opportunities.
    with django_assert_num_queries(7):
        client.get("/opportunities/", {"q": "refonte"}, headers=HTMX_ROWS)


def test_salesperson_list_query_count_is_pinned(personas, world, django_assert_num_queries):
    client = en_client(personas.salesperson)
    # As above: the team scope is subqueries of the page's and the figures' queries.
    with django_assert_num_queries(7):
        client.get("/opportunities/", headers=HTMX_ROWS)


def test_keyset_pages_by_signing_date_put_undated_last(personas):
    partner = make_partner(personas.manager)
    start = date(2026, 11, 1)
    made = []
    for n in range(23):
        day = None if n % 4 == 0 else start + timedelta(days=n % 5)
        made.append(
            make_opportunity(personas.manager, partner, name=f"O{n}", expected_close_date=day)
        )
    stages = selectors.opportunity_stages(personas.company)

    def walk(sort: str) -> tuple[list[int], list[int]]:
        seen: list[int] = []
        pages: list[Any] = []
        cursor = None
        while True:
            found = selectors.opportunities_page(
                user=personas.manager,
                kind=ListKind.ALL,
                filters=OpportunityFilters(),
                sort=sort,
                cursor=cursor,
                stages=stages,
                per_page=5,
            )
            pages.append(found)
            seen += [o.pk for o in found.rows]
            if not found.next_cursor:
                break
            cursor = found.next_cursor
        # And back from the last page.
        back: list[int] = []
        cursor = pages[-1].prev_cursor
        while cursor:
            found = selectors.opportunities_page(
                user=personas.manager,
                kind=ListKind.ALL,
                filters=OpportunityFilters(),
                sort=sort,
                cursor=cursor,
                stages=stages,
                per_page=5,
            )
            back = [o.pk for o in found.rows] + back
            cursor = found.prev_cursor
        return seen, back + [o.pk for o in pages[-1].rows]

    dated = [o for o in made if o.expected_close_date]
    undated = [o.pk for o in made if not o.expected_close_date]
    ascending = [o.pk for o in sorted(dated, key=lambda o: (o.expected_close_date, o.pk))]
    descending = [
        o.pk for o in sorted(dated, key=lambda o: (o.expected_close_date, o.pk), reverse=True)
    ]
    forward, backward = walk("expected")
    assert forward == ascending + sorted(undated) == backward
    forward, backward = walk("-expected")
    assert forward == descending + sorted(undated, reverse=True) == backward


# The partner's tab ----------------------------------------------------------------------------


def test_partner_tab_lists_its_opportunities(personas, world, django_assert_num_queries):
    client = en_client(personas.salesperson)
    partner = world["partner"]
    # 1-4. session, user, memberships, team ids; 5. the partner; 6. its opportunities.
    with django_assert_num_queries(6):
        response = client.get("/opportunities/", {"partner": partner.pk}, headers=HTMX)
    html = page(response)
    assert "Refonte du site" in html and "Maintenance annuelle" in html
    assert "<html" not in html
    assert f"/opportunities/new/?partner={partner.pk}" in html
    assert "<html" in page(client.get("/opportunities/", {"partner": partner.pk}))
    # The partner page's Opportunities tab asks for this fragment when first shown.
    partner_page = page(client.get(f"/partners/{partner.pk}/"))
    assert f'hx-get="/opportunities/?partner={partner.pk}"' in partner_page
    assert 'data-testid="tab-opportunities"' in partner_page


@pytest.mark.parametrize("value", ["", "abc", HUGE, "-1"])
def test_partner_tab_of_nothing_is_404(personas, world, value):
    response = en_client(personas.salesperson).get("/opportunities/", {"partner": value})
    assert response.status_code == 404


def test_partner_tab_of_another_company_is_404(personas, world):
    other = world["foreign"].partner_id
    response = en_client(personas.salesperson).get("/opportunities/", {"partner": other})
    assert response.status_code == 404


# Create ---------------------------------------------------------------------------------------


def test_create_page_prefills_the_partner(personas, world):
    html = page(
        en_client(personas.salesperson).get("/opportunities/new/", {"partner": world["partner"].pk})
    )
    assert f'<option value="{world["partner"].pk}" selected>' in html


def test_create_from_a_converted_lead(personas):
    partner = make_partner(personas.salesperson, name="Morel SA")
    contact = make_contact(personas.salesperson, partner, last_name="Morel")
    lead = make_lead(
        personas.salesperson,
        last_name="Morel",
        first_name="Claire",
        enterprise_name="Boulangeries Morel",
        description="<p>Besoin d'un <strong>site</strong></p>",
    )
    Lead.objects.filter(pk=lead.pk).update(partner=partner, contact=contact)
    client = en_client(personas.salesperson)
    html = page(client.get("/opportunities/new/", {"lead": lead.pk}))
    assert 'value="Boulangeries Morel"' in html
    assert f'<option value="{partner.pk}" selected>' in html
    assert f'<option value="{contact.pk}" selected>' in html
    assert "Besoin d&#x27;un site" in html
    response = client.post(
        f"/opportunities/new/?lead={lead.pk}",
        {
            "name": "Boulangeries Morel",
            "partner": partner.pk,
            "contacts": [contact.pk],
            "currency": "EUR",
            "amount": "8000",
            "probability": "20",
            "assigned_to": personas.salesperson.pk,
        },
    )
    assert response.status_code == 302
    opportunity = Opportunity.objects.get()
    assert opportunity.lead == lead
    assert list(opportunity.contacts.all()) == [contact]


def test_create_from_a_lead_out_of_reach_is_404(personas):
    lead = make_lead(personas.outsider, last_name="Sud")
    response = en_client(personas.salesperson).get("/opportunities/new/", {"lead": lead.pk})
    assert response.status_code == 404


def test_create_posts_and_redirects(personas, world):
    # A French user types a decimal comma.
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(personas.salesperson)
    response = client.post(
        "/opportunities/new/",
        {
            "name": "Nouvelle affaire",
            "partner": world["partner"].pk,
            "amount": "2500,50",
            "currency": "EUR",
            "probability": "50",
            "expected_close_date": "2026-12-15",
            "assigned_to": personas.salesperson.pk,
        },
    )
    created = Opportunity.objects.get(name="Nouvelle affaire")
    assert response.status_code == 302 and response["Location"] == url(created)
    assert created.stage.role == Role.DEFAULT
    assert created.amount == Decimal("2500.50")
    assert created.weighted_amount == Decimal("1250.25")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": ""}, "name"),
        ({"partner": ""}, "partner"),
        ({"partner": "abc"}, "partner"),
        ({"partner": HUGE}, "partner"),
        ({"amount": "-5"}, "amount"),
        ({"amount": HUGE}, "amount"),
        ({"amount": "1e400"}, "amount"),
        ({"probability": "101"}, "probability"),
        ({"probability": HUGE}, "probability"),
        ({"currency": "XYZ"}, "currency"),
        ({"expected_close_date": "0001-01-01"}, "expected_close_date"),
        ({"expected_close_date": "2026-02-30"}, "expected_close_date"),
        ({"assigned_to": HUGE}, "assigned_to"),
        ({"team": "abc"}, "team"),
        ({"source": HUGE}, "source"),
        ({"stage": HUGE}, "stage"),
        ({"contacts": [HUGE]}, "contacts"),
        ({"name": "x" * 300}, "name"),
    ],
)
def test_create_refuses_bad_input_clearly(personas, world, values, field):
    before = Opportunity.objects.count()
    data = {
        "name": "Affaire",
        "partner": world["partner"].pk,
        "currency": "EUR",
        "assigned_to": personas.salesperson.pk,
        **values,
    }
    response = en_client(personas.salesperson).post("/opportunities/new/", data)
    assert response.status_code == 200
    assert f'data-testid="error-{field}"' in page(response)
    assert Opportunity.objects.count() == before


def test_create_refuses_other_company_ids(personas, world):
    foreign = world["foreign"]
    client = en_client(personas.salesperson)
    for values in (
        {"partner": foreign.partner_id},
        {"stage": foreign.stage_id},
        {"assigned_to": personas.other.pk},
        {"partner": world["outsider"].partner_id},  # same company, out of the user's reach
        {"stage": stage(personas.company.pk, Role.WON).pk},
    ):
        data = {"name": "Affaire", "partner": world["partner"].pk, "currency": "EUR", **values}
        response = client.post("/opportunities/new/", data)
        assert response.status_code == 200
        assert "invalid-feedback" in page(response)
    assert not Opportunity.objects.filter(name="Affaire").exists()


def test_reader_may_not_create(personas, world):
    client = en_client(personas.reader)
    assert client.get("/opportunities/new/").status_code == 403
    response = client.post("/opportunities/new/", {"name": "x", "partner": world["partner"].pk})
    assert response.status_code == 403


def test_contact_choices_are_the_partners(personas, world):
    contact = make_contact(personas.salesperson, world["partner"], last_name="Lambert")
    client = en_client(personas.salesperson)
    html = page(client.get("/opportunities/contacts/", {"partner": world["partner"].pk}))
    assert f'<option value="{contact.pk}">' in html
    hidden = make_contact(personas.other, Partner.objects.get(pk=world["foreign"].partner_id))
    html = page(client.get("/opportunities/contacts/", {"partner": world["foreign"].partner_id}))
    assert str(hidden.pk) not in html
    assert client.get("/opportunities/contacts/", {"partner": HUGE}).status_code == 200


# The opportunity page -------------------------------------------------------------------------


def test_page_shows_the_opportunity_and_its_status_bar(personas, world, django_assert_num_queries):
    client = en_client(personas.salesperson)
    opportunity = world["mine"]
    # 1-4. session, user, memberships, team ids; 5. the opportunity with its stage, partner,
    # owner, team, source, lost reason, creator and lead; 6. the stages; 7. the form's contacts
    # (ModelForm initial); 8. the offered partners; 9. the partner's contacts; 10. one page of
    # timeline; 11. the teams and sources; 12. the owners; 13. its last and next event dates.
    with django_assert_num_queries(13):
        response = client.get(url(opportunity))
    html = page(response)
    assert "Refonte du site" in html and "OPP-00001" in html
    assert html.count('data-testid="stage-step"') == 6
    won, lost = stage(personas.company.pk, Role.WON), stage(personas.company.pk, Role.LOST)
    assert f'href="/opportunities/{opportunity.pk}/win/"' in html
    assert f'href="/opportunities/{opportunity.pk}/lose/"' in html
    assert f'data-testid="stage-{won.pk}"' in html and f'data-testid="stage-{lost.pk}"' in html
    assert 'data-testid="save"' in html


def test_reader_sees_the_page_without_edit_buttons(personas, world):
    html = page(en_client(personas.reader).get(url(world["mine"])))
    assert "Refonte du site" in html
    for testid in ("save", "win", "lose", "delete", "reopen"):
        assert f'data-testid="{testid}"' not in html
    assert "<fieldset disabled>" in html
    assert 'name="stage"' not in html


@pytest.mark.parametrize("action", ["", "win", "lose"])
def test_other_company_and_out_of_scope_are_404(personas, world, action):
    assert en_client(personas.salesperson).get(url(world["foreign"], action)).status_code == 404
    assert en_client(personas.salesperson).get(url(world["outsider"], action)).status_code == 404
    assert en_client(personas.other).get(url(world["mine"], action)).status_code == 404


@pytest.mark.parametrize("action", ["", "stage", "win", "lose", "reopen", "delete"])
def test_posts_on_another_companys_opportunity_are_404(personas, world, action):
    response = en_client(personas.other).post(url(world["mine"], action), {"stage": 1})
    assert response.status_code == 404


def test_edit_saves(personas, world):
    opportunity = world["mine"]
    client = en_client(personas.salesperson)
    response = client.post(url(opportunity), form_data(opportunity, amount="20000", probability=25))
    assert response.status_code == 302
    saved = reload(opportunity)
    assert saved.amount == Decimal("20000.00") and saved.weighted_amount == Decimal("5000.00")
    assert saved.version == 2


def test_edit_with_a_stale_version_keeps_the_typed_values(personas, world):
    opportunity = world["mine"]
    stale = form_data(opportunity, name="Le mien")
    en_client(personas.teammate).post(url(opportunity), form_data(opportunity, name="Le sien"))
    response = en_client(personas.salesperson).post(url(opportunity), stale)
    html = page(response)
    assert response.status_code == 200
    assert "Someone else saved this opportunity" in html
    assert 'value="Le mien"' in html and 'name="version" value="2"' in html
    assert reload(opportunity).name == "Le sien"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"probability": "101"}, "probability"),
        ({"name": ""}, "name"),
        ({"partner": HUGE}, "partner"),
        ({"contacts": ["abc"]}, "contacts"),
    ],
)
def test_edit_refuses_bad_input(personas, world, values, field):
    opportunity = world["mine"]
    response = en_client(personas.salesperson).post(
        url(opportunity), form_data(opportunity, **values)
    )
    assert response.status_code == 200
    assert f'data-testid="error-{field}"' in page(response)
    assert reload(opportunity).version == 1


@pytest.mark.parametrize("version", ["", "abc", HUGE])
def test_edit_with_a_bad_version_is_refused(personas, world, version):
    opportunity = world["mine"]
    response = en_client(personas.salesperson).post(
        url(opportunity), form_data(opportunity, version=version)
    )
    assert response.status_code == 200
    assert reload(opportunity).version == 1


def test_reader_may_not_edit(personas, world):
    opportunity = world["mine"]
    response = en_client(personas.reader).post(url(opportunity), form_data(opportunity, name="x"))
    assert response.status_code == 403
    assert reload(opportunity).name == "Refonte du site"


def test_a_won_opportunity_page_is_read_only(personas, world):
    from piste.opportunities import services

    services.opportunity_win(
        actor=actor(personas.manager), opportunity=world["mine"], partner_types={}
    )
    client = en_client(personas.manager)
    html = page(client.get(url(world["mine"])))
    assert "<fieldset disabled>" in html and 'data-testid="reopen"' in html
    assert 'data-testid="win"' not in html
    response = client.post(url(world["mine"]), form_data(world["mine"], name="Changé"))
    assert response.status_code == 200
    assert "won: it no longer changes" in page(response)
    assert reload(world["mine"]).name == "Refonte du site"


# Stage (status bar) ---------------------------------------------------------------------------


def test_status_bar_moves_with_htmx(personas, world):
    opportunity = world["mine"]
    proposal = open_stage(personas.company.pk, 2)
    response = en_client(personas.salesperson).post(
        url(opportunity, "stage"), {"stage": proposal.pk}, headers=HTMX
    )
    html = page(response)
    assert response.status_code == 200
    assert 'id="opportunity-status"' in html and 'hx-swap-oob="true"' in html
    assert 'name="version" value="2"' in html
    assert reload(opportunity).stage == proposal


def test_status_bar_without_htmx_redirects(personas, world):
    opportunity = world["mine"]
    response = en_client(personas.salesperson).post(
        url(opportunity, "stage"), {"stage": open_stage(personas.company.pk, 1).pk}
    )
    assert response.status_code == 302 and response["Location"] == url(opportunity)


@pytest.mark.parametrize("value", ["", "abc", HUGE, "-1", "0"])
def test_status_bar_refuses_what_is_no_stage(personas, world, value):
    opportunity = world["mine"]
    response = en_client(personas.salesperson).post(
        url(opportunity, "stage"), {"stage": value}, headers=HTMX
    )
    assert response.status_code == 200
    assert "Choose one of the sales stages." in page(response)
    assert reload(opportunity).version == 1


def test_status_bar_refuses_another_companys_stage(personas, world):
    response = en_client(personas.salesperson).post(
        url(world["mine"], "stage"), {"stage": world["foreign"].stage_id}, headers=HTMX
    )
    assert "Choose one of the sales stages." in page(response)


@pytest.mark.parametrize(("role", "word"), [(Role.WON, "use Win"), (Role.LOST, "use Lose")])
def test_status_bar_sends_won_and_lost_to_their_dialogs(personas, world, role, word):
    opportunity = world["mine"]
    response = en_client(personas.salesperson).post(
        url(opportunity, "stage"), {"stage": stage(personas.company.pk, role).pk}, headers=HTMX
    )
    assert word in page(response)
    assert reload(opportunity).stage.role == Role.DEFAULT


def test_reader_may_not_move(personas, world):
    response = en_client(personas.reader).post(
        url(world["mine"], "stage"), {"stage": open_stage(personas.company.pk, 1).pk}
    )
    assert response.status_code == 403


def test_moving_a_lost_opportunity_back_reloads_the_page(personas, world, reasons):
    from piste.opportunities import services

    services.opportunity_lose(
        actor=actor(personas.salesperson), opportunity=world["mine"], reason=reasons["price"]
    )
    response = en_client(personas.salesperson).post(
        url(world["mine"], "stage"),
        {"stage": open_stage(personas.company.pk, 1).pk},
        headers=HTMX,
    )
    assert response.headers.get("HX-Refresh") == "true"
    assert reload(world["mine"]).lost_reason is None


# Win ------------------------------------------------------------------------------------------


def test_win_dialog_ticks_customer_and_shows_the_current_types(personas, world):
    html = page(en_client(personas.manager).get(url(world["mine"], "win"), headers=HTMX_DIALOG))
    assert 'data-testid="win-dialog"' in html and "<html" not in html
    assert 'name="is_customer" class="form-check-input" id="id_is_customer" checked' in html
    assert 'name="is_prospect" class="form-check-input" id="id_is_prospect">' in html
    assert "Currently: Prospect" in html


def test_win_sets_the_partner_types_as_ticked(personas, world):
    opportunity = world["mine"]
    response = en_client(personas.manager).post(
        url(opportunity, "win"), {"is_customer": "on", "is_supplier": "on"}
    )
    assert response.status_code == 302 and response["Location"] == url(opportunity)
    partner = Partner.objects.get(pk=opportunity.partner_id)
    assert (partner.is_customer, partner.is_prospect, partner.is_supplier) == (True, False, True)
    assert reload(opportunity).stage.role == Role.WON


def test_win_from_the_kanban_goes_back_there(personas, world):
    response = en_client(personas.manager).post(
        url(world["mine"], "win"),
        {"is_customer": "on", "next": "/opportunities/kanban/?mine=1"},
        headers=HTMX_DIALOG,
    )
    assert response.headers["HX-Redirect"] == "/opportunities/kanban/?mine=1"


def test_win_never_goes_back_elsewhere(personas, world):
    response = en_client(personas.manager).post(
        url(world["mine"], "win"), {"is_customer": "on", "next": "https://evil.example/"}
    )
    assert response["Location"] == url(world["mine"])


def test_win_as_customer_without_the_right_is_refused_clearly(personas, world):
    opportunity = world["mine"]
    client = en_client(personas.salesperson)
    html = page(client.get(url(opportunity, "win")))
    assert "Only users with the right « create customers »" in html
    response = client.post(url(opportunity, "win"), {"is_customer": "on"})
    assert response.status_code == 200
    assert "create customers" in page(response)
    assert reload(opportunity).stage.role == Role.DEFAULT
    assert Partner.objects.get(pk=opportunity.partner_id).is_prospect


def test_win_twice_shows_a_refusal(personas, world):
    client = en_client(personas.manager)
    client.post(url(world["mine"], "win"), {"is_customer": "on"})
    html = page(client.get(url(world["mine"], "win")))
    assert "already won" in html
    response = client.post(url(world["mine"], "win"), {"is_customer": "on"})
    assert response.status_code == 200 and "already won" in page(response)


def test_reader_may_not_win(personas, world):
    assert en_client(personas.reader).get(url(world["mine"], "win")).status_code == 403
    assert en_client(personas.reader).post(url(world["mine"], "win")).status_code == 403


# Lose, reopen, delete -------------------------------------------------------------------------


def test_lose_dialog_needs_a_reason(personas, world, reasons):
    opportunity = world["mine"]
    client = en_client(personas.salesperson)
    html = page(client.get(url(opportunity, "lose"), headers=HTMX_DIALOG))
    assert 'data-testid="lose-dialog"' in html and "Prix" in html and "Budget" not in html
    for data in ({}, {"reason": "abc"}, {"reason": HUGE}, {"reason": reasons["foreign"].pk}):
        response = client.post(url(opportunity, "lose"), data, headers=HTMX_DIALOG)
        assert response.status_code == 200
        assert 'data-testid="error-reason"' in page(response)
    response = client.post(url(opportunity, "lose"), {"reason": reasons["other"].pk})
    assert 'data-testid="error-comment"' in page(response)
    assert reload(opportunity).stage.role == Role.DEFAULT


def test_lose_with_a_reason_and_comment(personas, world, reasons):
    opportunity = world["mine"]
    response = en_client(personas.salesperson).post(
        url(opportunity, "lose"),
        {"reason": reasons["other"].pk, "comment": "Parti chez un concurrent"},
        headers=HTMX_DIALOG,
    )
    assert response.headers["HX-Redirect"] == url(opportunity)
    found = reload(opportunity)
    assert found.stage.role == Role.LOST and found.lost_comment == "Parti chez un concurrent"
    html = page(en_client(personas.salesperson).get(url(opportunity)))
    assert 'data-testid="lost-info"' in html and "Parti chez un concurrent" in html


def test_reopen(personas, world, reasons):
    opportunity = world["mine"]
    client = en_client(personas.salesperson)
    client.post(url(opportunity, "lose"), {"reason": reasons["price"].pk})
    response = client.post(url(opportunity, "reopen"))
    assert response.status_code == 302
    assert reload(opportunity).stage.role == Role.DEFAULT
    response = client.post(url(opportunity, "reopen"), follow=True)
    assert "Only a closed opportunity can be reopened." in page(response)


def test_delete_needs_the_right(personas, world):
    opportunity = world["mine"]
    assert en_client(personas.salesperson).post(url(opportunity, "delete")).status_code == 403
    response = en_client(personas.manager).post(url(opportunity, "delete"))
    assert response.status_code == 302 and response["Location"] == "/opportunities/"
    assert not Opportunity.objects.filter(pk=opportunity.pk).exists()
    assert timeline(opportunity)[-1].verb == "deleted"
    assert not StageTotal.objects.filter(owner_id=personas.salesperson.pk, count__gt=1).exists()


def test_actions_only_take_post(personas, world):
    client = en_client(personas.manager)
    for action in ("stage", "reopen", "delete"):
        assert client.get(url(world["mine"], action)).status_code == 405


def test_partner_tab_lists_only_the_opportunities_the_user_may_see(personas, world):
    make_opportunity(personas.outsider, world["partner"], name="Affaire cachée")
    html = page(
        en_client(personas.salesperson).get(
            "/opportunities/", {"partner": world["partner"].pk}, headers=HTMX
        )
    )
    assert "Refonte du site" in html and "Affaire cachée" not in html
    html = page(
        en_client(personas.manager).get(
            "/opportunities/", {"partner": world["partner"].pk}, headers=HTMX
        )
    )
    assert "Affaire cachée" in html


def test_dialog_pages_hold_the_region_their_form_answers_into(personas, world):
    client = en_client(personas.manager)
    for action in ("win", "lose"):
        html = page(client.get(url(world["mine"], action), {"next": "/opportunities/kanban/"}))
        assert 'id="opportunity-dialog"' in html
        assert 'name="next" value="/opportunities/kanban/"' in html


def test_moving_to_a_closed_stage_reloads_the_page(personas, world):
    shelved = OpportunityStage.objects.create(
        company=personas.company, name="En sommeil", sequence=99, is_open=False
    )
    html = page(en_client(personas.salesperson).get(url(world["mine"])))
    assert f'name="stage" value="{shelved.pk}"' in html
    response = en_client(personas.salesperson).post(
        url(world["mine"], "stage"), {"stage": shelved.pk}, headers=HTMX
    )
    assert response.headers.get("HX-Refresh") == "true"
    assert reload(world["mine"]).closed_at is not None
    html = page(en_client(personas.salesperson).get(url(world["mine"])))
    assert 'data-testid="reopen"' in html and 'data-testid="closed-info"' in html
