"""The prospect workflow (« Gérer les statuts sur les prospects »): the default status of new
prospects, moves, win, lose, reopen, the won status other ways of becoming a customer give,
and the partner page's status bar and Lose dialog."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from piste.core.access import forget_actor, require_actor
from piste.core.models import Activity
from piste.core.testing import en_client
from piste.leads.models import LostReason
from piste.orders import services as order_services
from piste.partners import services
from piste.partners import services_prospects as prospects
from piste.partners.models import Partner, PartnerStatus
from piste.partners.tests.factories import make_partner
from piste.users.models import CrmSettings

Role = PartnerStatus.Role


def turn_on(*companies):
    CrmSettings.objects.filter(company__in=companies).update(manage_prospect_statuses=True)


@pytest.fixture
def on(personas):
    """Both companies manage statuses on prospects."""
    turn_on(personas.company, personas.other_company)
    for user in personas.all.values():
        forget_actor(user)  # the cached actor holds the settings read before
    return personas


def status(company, role="", name=None) -> PartnerStatus:
    qs = PartnerStatus.objects.filter(company=company)
    return qs.get(name=name) if name else qs.get(role=role)


def reason(company, name="Too expensive", comment_required=False) -> LostReason:
    return LostReason.objects.get_or_create(
        company=company, name=name, defaults={"comment_required": comment_required}
    )[0]


def fresh(partner) -> Any:
    """The partner as saved (Any: its status and lost reason are read without None checks)."""
    return Partner.objects.select_related("status", "lost_reason").get(pk=partner.pk)


def last_activity(partner) -> Any:
    return Activity.objects.filter(object_id=partner.pk).order_by("-id").first()


def snapshot(partner):
    p = fresh(partner)
    return (p.status_id, p.lost_reason_id, p.lost_comment, p.is_prospect, p.is_customer, p.version)


# The default status ----------------------------------------------------------------------------


def test_new_prospect_takes_the_default_status(on):
    partner = make_partner(on.salesperson)
    assert fresh(partner).status == status(on.company, Role.DEFAULT)
    assert fresh(partner).status.name == "To be processed"


def test_no_status_when_the_company_does_not_manage_them(personas):
    assert make_partner(personas.salesperson).status_id is None


def test_turning_the_option_on_gives_existing_prospects_the_default_status(personas):
    before = make_partner(personas.salesperson, name="Ancien prospect")
    customer = make_partner(personas.manager, name="Client", is_customer=True)
    theirs = make_partner(personas.other, name="Ailleurs")
    assert before.status_id is None
    crm = CrmSettings.objects.get(company=personas.company)
    response = en_client(personas.administrator).post(
        "/config/settings/",
        {
            "ignored_email_domains": crm.ignored_email_domains,
            "document_max_mb": crm.document_max_mb,
            "document_extensions": crm.document_extensions,
            "version": crm.version,
            "manage_prospect_statuses": "on",
        },
    )
    assert response.status_code == 302
    assert fresh(before).status == status(personas.company, "default")
    assert fresh(customer).status_id is None
    assert fresh(theirs).status_id is None
    note = Activity.objects.filter(object_id=crm.pk, content_type__model="crmsettings").last()
    assert note is not None and note.data["message"] == "1 prospect took the default status."


def test_a_customer_created_as_such_has_no_prospect_status(on):
    partner = make_partner(on.manager, is_customer=True)
    assert partner.status_id is None


def test_partner_becoming_a_prospect_takes_the_default_status(on):
    partner = make_partner(on.salesperson, is_supplier=True)
    assert partner.status_id is None
    services.partner_update(
        actor=require_actor(on.salesperson),
        partner=partner,
        data={"is_prospect": True},
        version=partner.version,
    )
    assert fresh(partner).status == status(on.company, Role.DEFAULT)
    change = last_activity(partner).data["changes"]
    assert {"field": "status", "from": None, "to": "To be processed"} in change


def test_prospect_at_an_open_status_keeps_it_when_saved(on):
    partner = make_partner(on.salesperson)
    nurturing = status(on.company, name="Nurturing")
    prospects.prospect_change_status(
        actor=require_actor(on.salesperson), partner=partner, status=nurturing
    )
    partner = fresh(partner)
    services.partner_update(
        actor=require_actor(on.salesperson), partner=partner, data={"name": "B"}, version=2
    )
    assert fresh(partner).status == nurturing


# Moves -----------------------------------------------------------------------------------------


def test_change_status_moves_bumps_the_version_and_says_so(on):
    partner = make_partner(on.salesperson)
    nurturing = status(on.company, name="Nurturing")
    prospects.prospect_change_status(
        actor=require_actor(on.salesperson), partner=partner, status=nurturing
    )
    saved = fresh(partner)
    assert saved.status == nurturing and saved.version == 2 and partner.version == 2
    activity = last_activity(partner)
    assert activity.verb == Activity.Verb.STATUS_CHANGED
    assert activity.data["changes"] == [
        {"field": "status", "from": "To be processed", "to": "Nurturing"}
    ]


def test_moving_to_the_current_status_changes_nothing(on):
    partner = make_partner(on.salesperson)
    before = snapshot(partner)
    prospects.prospect_change_status(
        actor=require_actor(on.salesperson), partner=partner, status=status(on.company, "default")
    )
    assert snapshot(partner) == before


def test_another_companys_status_is_refused(on):
    partner = make_partner(on.salesperson)
    before = snapshot(partner)
    with pytest.raises(ValidationError, match="Choose a status of this company"):
        prospects.prospect_change_status(
            actor=require_actor(on.salesperson),
            partner=partner,
            status=status(on.other_company, name="Nurturing"),
        )
    assert snapshot(partner) == before


def test_another_companys_partner_is_refused(on):
    partner = make_partner(on.other)
    with pytest.raises(PermissionDenied):
        prospects.prospect_change_status(
            actor=require_actor(on.salesperson),
            partner=partner,
            status=status(on.company, name="Nurturing"),
        )


def test_reader_may_not_move(on):
    partner = make_partner(on.salesperson)
    with pytest.raises(PermissionDenied):
        prospects.prospect_change_status(
            actor=require_actor(on.reader), partner=partner, status=status(on.company, "lost")
        )


def test_lost_status_is_refused_by_a_move(on):
    partner = make_partner(on.salesperson)
    before = snapshot(partner)
    with pytest.raises(ValidationError, match=r"Lose a prospect from its page, with a reason\."):
        prospects.prospect_change_status(
            actor=require_actor(on.salesperson), partner=partner, status=status(on.company, "lost")
        )
    assert snapshot(partner) == before


def test_a_closed_status_of_no_role_is_refused_by_a_move(on):
    closed = PartnerStatus.objects.create(
        company=on.company, name="Abandoned", sequence=70, is_open=False
    )
    partner = make_partner(on.salesperson)
    with pytest.raises(ValidationError, match="only by being won or lost"):
        prospects.prospect_change_status(
            actor=require_actor(on.salesperson), partner=partner, status=closed
        )


def test_services_refuse_when_the_company_does_not_manage_statuses(personas):
    partner = make_partner(personas.manager)
    actor = require_actor(personas.manager)
    nurturing = status(personas.company, name="Nurturing")
    for call in (
        lambda: prospects.prospect_change_status(actor=actor, partner=partner, status=nurturing),
        lambda: prospects.prospect_win(actor=actor, partner=partner),
        lambda: prospects.prospect_lose(
            actor=actor, partner=partner, reason=reason(personas.company)
        ),
        lambda: prospects.prospect_reopen(actor=actor, partner=partner),
    ):
        with pytest.raises(ValidationError, match="does not manage statuses on prospects"):
            call()
    assert fresh(partner).status_id is None


def test_a_partner_that_is_no_prospect_has_no_status_to_change(on):
    supplier = make_partner(on.manager, is_supplier=True)
    with pytest.raises(ValidationError, match="Only a prospect has a prospect status"):
        prospects.prospect_change_status(
            actor=require_actor(on.manager),
            partner=supplier,
            status=status(on.company, name="Nurturing"),
        )


# Win -------------------------------------------------------------------------------------------


def test_win_makes_the_prospect_a_customer(on):
    partner = make_partner(on.manager)
    prospects.prospect_win(actor=require_actor(on.manager), partner=partner)
    saved = fresh(partner)
    assert saved.is_customer and not saved.is_prospect
    assert saved.status == status(on.company, Role.WON) and saved.version == 2
    activity = last_activity(partner)
    assert activity.verb == Activity.Verb.STATUS_CHANGED
    assert activity.data["message"] == "Prospect won and became a customer."
    assert {"field": "status", "from": "To be processed", "to": "Won"} in activity.data["changes"]
    assert {"field": "is_customer", "from": False, "to": True} in activity.data["changes"]
    # Once in the timeline: the types and the status change together.
    assert Activity.objects.filter(object_id=partner.pk, verb="status_changed").count() == 1


def test_win_through_a_move_to_the_won_status(on):
    partner = make_partner(on.manager)
    prospects.prospect_change_status(
        actor=require_actor(on.manager), partner=partner, status=status(on.company, "won")
    )
    assert fresh(partner).is_customer and fresh(partner).status.role == Role.WON


def test_win_needs_the_right_to_create_customers(on):
    partner = make_partner(on.salesperson)
    before = snapshot(partner)
    with pytest.raises(ValidationError, match="create customers"):
        prospects.prospect_win(actor=require_actor(on.salesperson), partner=partner)
    assert snapshot(partner) == before


def test_win_of_a_prospect_already_customer_moves_its_status(on):
    partner = make_partner(on.manager, is_prospect=True, is_customer=True)
    prospects.prospect_win(actor=require_actor(on.manager), partner=partner)
    saved = fresh(partner)
    assert saved.status.role == Role.WON and saved.is_customer and not saved.is_prospect


def test_won_prospect_is_not_won_again_nor_moved_nor_lost(on):
    partner = make_partner(on.manager)
    actor = require_actor(on.manager)
    prospects.prospect_win(actor=actor, partner=partner)
    before = snapshot(partner)
    with pytest.raises(ValidationError, match="already won"):
        prospects.prospect_win(actor=actor, partner=partner)
    with pytest.raises(ValidationError, match="won"):
        prospects.prospect_change_status(
            actor=actor, partner=partner, status=status(on.company, name="Nurturing")
        )
    with pytest.raises(ValidationError, match="cannot be lost"):
        prospects.prospect_lose(actor=actor, partner=partner, reason=reason(on.company))
    assert snapshot(partner) == before


# Lose and reopen -------------------------------------------------------------------------------


def test_lose_sets_the_lost_status_reason_and_comment(on):
    partner = make_partner(on.salesperson)
    why = reason(on.company, comment_required=True)
    prospects.prospect_lose(
        actor=require_actor(on.salesperson), partner=partner, reason=why, comment=" Budget cut "
    )
    saved = fresh(partner)
    assert saved.status.role == Role.LOST and saved.lost_reason == why
    assert saved.lost_comment == "Budget cut" and saved.is_prospect and saved.version == 2
    activity = last_activity(partner)
    assert activity.data["message"] == "Budget cut"
    assert {"field": "lost_reason", "from": None, "to": why.name} in activity.data["changes"]


def test_lose_without_a_reason_is_refused(on):
    partner = make_partner(on.salesperson)
    before = snapshot(partner)
    with pytest.raises(ValidationError) as exc:
        prospects.prospect_lose(actor=require_actor(on.salesperson), partner=partner, reason=None)
    assert exc.value.message_dict == {"reason": ["Choose a lost reason."]}
    assert snapshot(partner) == before


def test_a_reason_asking_for_a_comment_needs_one(on):
    partner = make_partner(on.salesperson)
    before = snapshot(partner)
    with pytest.raises(ValidationError) as exc:
        prospects.prospect_lose(
            actor=require_actor(on.salesperson),
            partner=partner,
            reason=reason(on.company, comment_required=True),
            comment="   ",
        )
    assert exc.value.message_dict == {"comment": ["This reason asks for a comment."]}
    assert snapshot(partner) == before


def test_another_companys_reason_is_refused(on):
    partner = make_partner(on.salesperson)
    with pytest.raises(ValidationError) as exc:
        prospects.prospect_lose(
            actor=require_actor(on.salesperson), partner=partner, reason=reason(on.other_company)
        )
    assert "reason" in exc.value.message_dict


def test_an_already_lost_prospect_is_not_lost_again_nor_moved(on):
    partner = make_partner(on.salesperson)
    actor = require_actor(on.salesperson)
    prospects.prospect_lose(actor=actor, partner=partner, reason=reason(on.company))
    before = snapshot(partner)
    with pytest.raises(ValidationError, match="already lost"):
        prospects.prospect_lose(actor=actor, partner=partner, reason=reason(on.company, "Other"))
    with pytest.raises(ValidationError, match="reopen it first"):
        prospects.prospect_change_status(
            actor=actor, partner=partner, status=status(on.company, name="Nurturing")
        )
    with pytest.raises(ValidationError, match="reopen it first"):
        prospects.prospect_win(actor=require_actor(on.manager), partner=partner)
    assert snapshot(partner) == before


def test_reopen_gives_the_default_status_and_forgets_the_reason(on):
    partner = make_partner(on.salesperson)
    actor = require_actor(on.salesperson)
    prospects.prospect_lose(actor=actor, partner=partner, reason=reason(on.company), comment="x")
    prospects.prospect_reopen(actor=actor, partner=partner)
    saved = fresh(partner)
    assert saved.status.role == Role.DEFAULT and saved.lost_reason is None
    assert saved.lost_comment == "" and saved.version == 3
    changes = last_activity(partner).data["changes"]
    assert {"field": "lost_reason", "from": "Too expensive", "to": None} in changes


def test_only_a_lost_prospect_is_reopened(on):
    partner = make_partner(on.salesperson)
    before = snapshot(partner)
    with pytest.raises(ValidationError, match="Only a lost prospect"):
        prospects.prospect_reopen(actor=require_actor(on.salesperson), partner=partner)
    assert snapshot(partner) == before


# Won by another way ----------------------------------------------------------------------------


def test_confirmed_first_order_gives_the_won_status(on):
    partner = make_partner(on.manager)
    actor = require_actor(on.manager)
    order = order_services.order_create(
        actor=actor,
        partner=partner,
        data={"order_date": datetime.date(2026, 3, 2), "total": Decimal("100"), "description": ""},
    )
    order_services.order_confirm(actor=actor, order=order)
    saved = fresh(partner)
    assert saved.is_customer and not saved.is_prospect and saved.status.role == Role.WON
    activity = last_activity(partner)
    assert activity.data["message"].startswith("Order ")
    assert {"field": "status", "from": "To be processed", "to": "Won"} in activity.data["changes"]


def test_opportunity_win_gives_the_won_status(on):
    """What winning an opportunity does to its partner (piste.opportunities calls it so)."""
    partner = make_partner(on.manager)
    nurturing = status(on.company, name="Nurturing")
    prospects.prospect_change_status(
        actor=require_actor(on.manager), partner=partner, status=nurturing
    )
    services.partner_set_types(
        actor=require_actor(on.manager),
        partner=partner,
        types={"is_customer": True, "is_prospect": False},
        message="Opportunity OPP-00001 won.",
    )
    assert partner.status == status(on.company, Role.WON)  # the caller's object follows
    assert fresh(partner).status.role == Role.WON and fresh(partner).version == 3


def test_another_way_leaves_a_lost_prospects_status(on):
    partner = make_partner(on.manager)
    actor = require_actor(on.manager)
    prospects.prospect_lose(actor=actor, partner=partner, reason=reason(on.company))
    services.partner_set_types(
        actor=actor, partner=partner, types={"is_customer": True, "is_prospect": False}
    )
    assert fresh(partner).status.role == Role.LOST and fresh(partner).is_customer


def test_another_way_without_the_option_sets_no_status(personas):
    partner = make_partner(personas.manager)
    services.partner_set_types(
        actor=require_actor(personas.manager),
        partner=partner,
        types={"is_customer": True, "is_prospect": False},
    )
    assert fresh(partner).status_id is None and fresh(partner).is_customer


def test_ticking_customer_on_the_form_wins_the_prospect(on):
    partner = make_partner(on.manager)
    services.partner_update(
        actor=require_actor(on.manager),
        partner=partner,
        data={"is_customer": True, "is_prospect": False},
        version=1,
    )
    assert fresh(partner).status.role == Role.WON


# The partner page ------------------------------------------------------------------------------


def test_status_bar_shows_the_statuses_in_order_with_the_current_one(on):
    partner = make_partner(on.salesperson)
    page = en_client(on.salesperson).get(f"/partners/{partner.pk}/").content.decode()
    assert 'data-testid="prospect-status-bar"' in page
    names = ["To be processed", "Marketing qualification", "Sales qualification", "Nurturing"]
    positions = [page.index(f">{name}<") for name in [*names, "Won", "Lost"]]
    assert positions == sorted(positions)
    default = status(on.company, Role.DEFAULT)
    assert f'aria-current="step" data-testid="prospect-status-{default.pk}"' in page
    # Open statuses are buttons, Lost opens the dialog; Won needs the right « create customers ».
    nurturing = status(on.company, name="Nurturing")
    assert f'name="status" value="{nurturing.pk}"' in page
    assert f'href="/prospects/{partner.pk}/lose/"' in page
    won = status(on.company, Role.WON)
    assert f'name="status" value="{won.pk}"' not in page
    manager_page = en_client(on.manager).get(f"/partners/{partner.pk}/").content.decode()
    assert f'name="status" value="{won.pk}"' in manager_page


def test_no_status_bar_when_the_option_is_off(personas):
    partner = make_partner(personas.salesperson)
    page = en_client(personas.salesperson).get(f"/partners/{partner.pk}/").content.decode()
    assert "prospect-status-bar" not in page and "/prospects/" not in page


def test_no_status_bar_on_a_partner_that_never_was_a_prospect(on):
    partner = make_partner(on.manager, is_supplier=True)
    page = en_client(on.manager).get(f"/partners/{partner.pk}/").content.decode()
    assert "prospect-status-bar" not in page


def test_reader_sees_the_bar_without_buttons(on):
    partner = make_partner(on.salesperson)
    page = en_client(on.reader).get(f"/partners/{partner.pk}/").content.decode()
    assert 'data-testid="prospect-status-bar"' in page
    assert f"/prospects/{partner.pk}/status/" not in page
    assert f"/prospects/{partner.pk}/lose/" not in page


def test_a_click_swaps_the_bar_with_the_new_version_and_timeline(on):
    partner = make_partner(on.salesperson)
    nurturing = status(on.company, name="Nurturing")
    response = en_client(on.salesperson).post(
        f"/prospects/{partner.pk}/status/", {"status": nurturing.pk}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'aria-current="step" data-testid="prospect-status-{nurturing.pk}"' in html
    assert 'name="version" value="2" id="id_version" hx-swap-oob="true"' in html
    assert 'id="timeline" hx-swap-oob="true"' in html and "Nurturing" in html
    assert fresh(partner).status == nurturing


def test_a_click_without_htmx_goes_back_to_the_page(on):
    partner = make_partner(on.salesperson)
    nurturing = status(on.company, name="Nurturing")
    client = en_client(on.salesperson)
    response = client.post(f"/prospects/{partner.pk}/status/", {"status": nurturing.pk})
    assert response.status_code == 302 and response["Location"] == f"/partners/{partner.pk}/"
    assert fresh(partner).status == nurturing


def test_a_refused_click_says_why_in_the_bar(on):
    partner = make_partner(on.salesperson)
    before = snapshot(partner)
    response = en_client(on.salesperson).post(
        f"/prospects/{partner.pk}/status/",
        {"status": status(on.company, Role.WON).pk},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "create customers" in response.content.decode()
    assert snapshot(partner) == before


def test_clicking_won_makes_a_customer_and_redraws_the_page(on):
    partner = make_partner(on.manager)
    client = en_client(on.manager)
    response = client.post(
        f"/prospects/{partner.pk}/status/",
        {"status": status(on.company, Role.WON).pk},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and response["HX-Redirect"] == f"/partners/{partner.pk}/"
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    assert "Prospect won and became a customer." in page and "Customer" in page
    assert fresh(partner).is_customer


@pytest.mark.parametrize("value", [None, "", "abc", "-1", "1.5", "99999999999999999999999", "0"])
def test_bad_status_input_is_a_message_never_an_error(on, value):
    partner = make_partner(on.salesperson)
    before = snapshot(partner)
    data = {} if value is None else {"status": value}
    response = en_client(on.salesperson).post(
        f"/prospects/{partner.pk}/status/", data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()
    assert snapshot(partner) == before


def test_another_companys_status_id_is_refused_over_http(on):
    partner = make_partner(on.salesperson)
    before = snapshot(partner)
    response = en_client(on.salesperson).post(
        f"/prospects/{partner.pk}/status/",
        {"status": status(on.other_company, name="Nurturing").pk},
        headers={"HX-Request": "true"},
    )
    assert "Choose a status of this company." in response.content.decode()
    assert snapshot(partner) == before


def test_lose_dialog_opens_in_the_bar_and_needs_a_reason(on):
    partner = make_partner(on.salesperson)
    why = reason(on.company, "No budget", comment_required=True)
    client = en_client(on.salesperson)
    dialog = client.get(
        f"/prospects/{partner.pk}/lose/",
        headers={"HX-Request": "true", "HX-Target": "prospect-lose"},
    ).content.decode()
    assert 'data-testid="prospect-lose-dialog"' in dialog and "<html" not in dialog
    assert 'data-comment-required="true"' in dialog
    missing = client.post(f"/prospects/{partner.pk}/lose/", {})
    assert "Choose a lost reason." in missing.content.decode()
    no_comment = client.post(f"/prospects/{partner.pk}/lose/", {"reason": why.pk})
    assert "This reason asks for a comment." in no_comment.content.decode()
    for bad in ("abc", "99999999999999999999999", reason(on.other_company).pk):
        refused = client.post(f"/prospects/{partner.pk}/lose/", {"reason": bad})
        assert refused.status_code == 200 and 'data-testid="error-reason"' in (
            refused.content.decode()
        )
    assert fresh(partner).status.role == Role.DEFAULT
    done = client.post(
        f"/prospects/{partner.pk}/lose/",
        {"reason": why.pk, "comment": "Frozen until 2027"},
        headers={"HX-Request": "true", "HX-Target": "prospect-lose"},
    )
    assert done["HX-Redirect"] == f"/partners/{partner.pk}/"
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    assert 'data-testid="prospect-lost-info"' in page and "No budget" in page
    assert "Frozen until 2027" in page and 'data-testid="prospect-reopen"' in page
    # The bar is read-only while lost.
    assert f"/prospects/{partner.pk}/status/" not in page
    again = client.get(f"/prospects/{partner.pk}/lose/").content.decode()
    assert "This prospect is already lost." in again


def test_reopen_over_http(on):
    partner = make_partner(on.salesperson)
    client = en_client(on.salesperson)
    client.post(f"/prospects/{partner.pk}/lose/", {"reason": reason(on.company).pk})
    response = client.post(f"/prospects/{partner.pk}/reopen/")
    assert response.status_code == 302
    assert fresh(partner).status.role == Role.DEFAULT and fresh(partner).lost_reason is None
    refused = client.post(f"/prospects/{partner.pk}/reopen/", follow=True).content.decode()
    assert "Only a lost prospect can be reopened." in refused


def test_partner_page_query_count_with_the_status_bar(on):
    partner = make_partner(on.salesperson, team=on.north)
    client = en_client(on.salesperson)
    client.get(f"/partners/{partner.pk}/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/partners/{partner.pk}/")
    assert response.status_code == 200
    # The 15 queries of test_pages.test_partner_page_query_count_is_pinned (its contacts, tags,
    # choices, event dates…), plus 16 the company's prospect statuses.
    assert len(queries) == 16, "\n".join(q["sql"] for q in queries)


def test_lost_prospect_page_reads_its_reason_once_more(on):
    partner = make_partner(on.salesperson, team=on.north)
    client = en_client(on.salesperson)
    client.post(f"/prospects/{partner.pk}/lose/", {"reason": reason(on.company).pk})
    client.get(f"/partners/{partner.pk}/")
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/partners/{partner.pk}/")
    # 16 as above, plus 17 its lost reason.
    assert len(queries) == 17, "\n".join(q["sql"] for q in queries)
