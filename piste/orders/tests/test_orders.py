"""Sale orders: created from a partner, changed while draft, confirmed (the first confirmed order
of a prospect makes it a customer, for those with the right), cancelled; never across companies
or outside the user's record scope; bad input refused with a message, nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from piste.core.access import require_actor
from piste.core.models import Activity
from piste.core.testing import en_client
from piste.orders import services
from piste.orders.models import SaleOrder
from piste.partners.tests.factories import make_partner

DAY = dt.date(2026, 11, 24)


def new_order(user, partner, total="1200.50", **data):
    return services.order_create(
        actor=require_actor(user),
        partner=partner,
        data={"order_date": DAY, "total": Decimal(total), "description": "", **data},
    )


def timeline(obj) -> list[Activity]:
    return list(
        Activity.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        ).order_by("id")
    )


@pytest.fixture
def prospect(personas):
    return make_partner(personas.salesperson, name="Boulangerie Morel", team=personas.north)


def test_orders_are_numbered_per_company(personas, prospect):
    first, second = (
        new_order(personas.salesperson, prospect),
        new_order(personas.salesperson, prospect),
    )
    elsewhere = make_partner(personas.other, name="Ailleurs")
    theirs = new_order(personas.other, elsewhere)
    assert (first.number, second.number, theirs.number) == (1, 2, 1)
    assert str(second) == "CMD-00002"
    assert first.status == SaleOrder.Status.DRAFT
    assert [a.verb for a in timeline(first)] == ["created"]


def test_the_order_form_creates_a_draft_from_the_partner_page(personas, prospect):
    client = en_client(personas.salesperson)
    page = client.get(f"/partners/{prospect.pk}/").content.decode()
    # The Orders tab reads the partner's orders when first shown.
    assert f'hx-get="/orders/?partner={prospect.pk}"' in page
    tab = client.get(f"/orders/?partner={prospect.pk}", headers={"HX-Request": "true"})
    assert "No orders yet." in tab.content.decode() and "<html" not in tab.content.decode()
    assert f'href="/orders/new/?partner={prospect.pk}"' in tab.content.decode()
    response = client.post(
        f"/orders/new/?partner={prospect.pk}",
        {"order_date": "2026-11-20", "total": "980.00", "description": "Fours"},
    )
    order = SaleOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    assert (order.partner, order.total, order.order_date) == (
        prospect,
        Decimal("980.00"),
        dt.date(2026, 11, 20),
    )
    listed = client.get(f"/orders/?partner={prospect.pk}", headers={"HX-Request": "true"})
    assert "CMD-00001" in listed.content.decode()
    # Without HTMX, the same list on a page of its own.
    assert "<html" in client.get(f"/orders/?partner={prospect.pk}").content.decode()


def test_the_orders_tab_shows_the_newest_twenty(personas, prospect, django_assert_num_queries):
    for _ in range(21):
        new_order(personas.salesperson, prospect)
    client = en_client(personas.salesperson)
    client.get(f"/orders/?partner={prospect.pk}", headers={"HX-Request": "true"})
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 the partner, 6 its orders.
    with django_assert_num_queries(6):
        tab = client.get(f"/orders/?partner={prospect.pk}", headers={"HX-Request": "true"})
    html = tab.content.decode()
    assert html.count('data-testid="order-row"') == 20
    assert "CMD-00021" in html and "CMD-00001" not in html
    assert "The 20 newest orders are shown." in html


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"order_date": "", "total": "10"}, "order_date"),
        ({"order_date": "2026-13-45", "total": "10"}, "order_date"),
        ({"order_date": "2026-11-20", "total": ""}, "total"),
        ({"order_date": "2026-11-20", "total": "-1"}, "total"),
        ({"order_date": "2026-11-20", "total": "abc"}, "total"),
        ({"order_date": "2026-11-20", "total": "NaN"}, "total"),
        ({"order_date": "2026-11-20", "total": "1e400"}, "total"),
        ({"order_date": "2026-11-20", "total": "9" * 40}, "total"),
        ({"order_date": "2026-11-20", "total": "1.999"}, "total"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_written(
    personas, prospect, data, field
):
    response = en_client(personas.salesperson).post(f"/orders/new/?partner={prospect.pk}", data)
    assert response.status_code == 200
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert not SaleOrder.objects.exists()


def test_a_partner_out_of_reach_is_a_404(personas, prospect):
    theirs = make_partner(personas.other, name="Ailleurs")
    client = en_client(personas.salesperson)
    for partner in ("", "abc", "9" * 40, "\x00", str(theirs.pk)):
        response = client.post(
            "/orders/new/",
            {"order_date": "2026-11-20", "total": "1"},
            QUERY_STRING=f"partner={partner}",
        )
        assert response.status_code == 404, partner
    for partner in ("", "abc", "9" * 40, str(theirs.pk)):
        assert client.get("/orders/", {"partner": partner}).status_code == 404, partner
    # Outside the record scope (a salesperson of the other team).
    assert (
        en_client(personas.outsider).get(f"/orders/new/?partner={prospect.pk}").status_code == 404
    )
    order = new_order(personas.salesperson, prospect)
    assert en_client(personas.outsider).get(f"/orders/{order.pk}/").status_code == 404
    assert en_client(personas.other).get(f"/orders/{order.pk}/").status_code == 404
    assert en_client(personas.other).post(f"/orders/{order.pk}/confirm/").status_code == 404
    assert not SaleOrder.objects.exclude(pk=order.pk).exists()


def test_a_reader_sees_orders_but_creates_none(personas, prospect):
    order = new_order(personas.salesperson, prospect)
    client = en_client(personas.reader)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "CMD-00001" in page and 'data-testid="confirm-order"' not in page
    assert client.get(f"/orders/new/?partner={prospect.pk}").status_code == 403
    assert (
        client.post(f"/orders/{order.pk}/", {"order_date": "2026-11-20", "total": "1"}).status_code
        == 403
    )
    client.post(f"/orders/{order.pk}/confirm/")
    order.refresh_from_db()
    assert order.status == SaleOrder.Status.DRAFT


def test_confirming_the_first_order_of_a_prospect_makes_it_a_customer(personas, prospect):
    order = new_order(personas.salesperson, prospect)
    response = en_client(personas.manager).post(f"/orders/{order.pk}/confirm/")
    assert response.status_code == 302
    order.refresh_from_db()
    prospect.refresh_from_db()
    assert order.status == SaleOrder.Status.CONFIRMED and order.confirmed_at is not None
    assert (prospect.is_customer, prospect.is_prospect) == (True, False)
    last = timeline(prospect)[-1]
    assert last.verb == "status_changed" and "CMD-00001" in last.data["message"]
    assert {c["field"] for c in last.data["changes"]} == {"is_customer", "is_prospect"}
    # Confirmed once: a second confirmation is refused, the partner untouched.
    again = en_client(personas.manager).post(f"/orders/{order.pk}/confirm/", follow=True)
    assert "Only a draft order can be confirmed." in again.content.decode()
    assert len(timeline(prospect)) == 2  # created, then the customer change


def test_only_users_who_may_create_customers_confirm_a_prospects_first_order(personas, prospect):
    order = new_order(personas.salesperson, prospect)
    response = en_client(personas.salesperson).post(f"/orders/{order.pk}/confirm/", follow=True)
    assert "only users with the right « create customers »" in response.content.decode()
    order.refresh_from_db()
    prospect.refresh_from_db()
    assert order.status == SaleOrder.Status.DRAFT and not prospect.is_customer
    # A customer's next orders: any salesperson confirms them.
    new_order(personas.manager, prospect)
    services.order_confirm(
        actor=require_actor(personas.manager), order=SaleOrder.objects.get(number=2)
    )
    services.order_confirm(actor=require_actor(personas.salesperson), order=order)
    order.refresh_from_db()
    assert order.status == SaleOrder.Status.CONFIRMED


def test_a_draft_is_changed_with_its_version_and_a_stale_form_gets_a_conflict(personas, prospect):
    order = new_order(personas.salesperson, prospect)
    client = en_client(personas.salesperson)
    data = {
        "order_date": "2026-11-21",
        "total": "1500",
        "description": "",
        "version": order.version,
    }
    assert client.post(f"/orders/{order.pk}/", data).status_code == 302
    order.refresh_from_db()
    assert order.total == Decimal("1500.00") and order.version == 2
    assert timeline(order)[-1].data["changes"][0]["field"] == "order_date"
    stale = client.post(f"/orders/{order.pk}/", {**data, "total": "2000"})
    assert stale.status_code == 200
    assert "Someone else changed this order" in stale.content.decode()
    assert 'value="2000"' in stale.content.decode()
    order.refresh_from_db()
    assert order.total == Decimal("1500.00")


def test_a_confirmed_or_cancelled_order_is_history(personas, prospect):
    order = new_order(personas.manager, prospect)
    services.order_confirm(actor=require_actor(personas.manager), order=order)
    client = en_client(personas.manager)
    assert (
        client.post(f"/orders/{order.pk}/", {"order_date": "2026-11-21", "total": "1"}).status_code
        == 403
    )
    assert client.post(f"/orders/{order.pk}/cancel/").status_code == 302
    order.refresh_from_db()
    prospect.refresh_from_db()
    assert order.status == SaleOrder.Status.CANCELLED
    assert prospect.is_customer  # a customer stays a customer
    again = client.post(f"/orders/{order.pk}/cancel/", follow=True)
    assert "This order is already cancelled." in again.content.decode()


def test_a_partner_with_orders_cannot_be_deleted(personas, prospect):
    new_order(personas.salesperson, prospect)
    client = en_client(personas.administrator)
    response = client.post(f"/partners/{prospect.pk}/delete/")
    assert response.status_code == 409
    assert "This partner has orders" in response.content.decode()
    assert SaleOrder.objects.filter(partner=prospect).exists()


def test_the_order_page_query_count_is_pinned(personas, prospect):
    order = new_order(personas.salesperson, prospect)
    client = en_client(personas.salesperson)
    client.get(f"/orders/{order.pk}/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/orders/{order.pk}/")
    assert response.status_code == 200
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 the order with its partner and
    # creator (through the partner's access filter), 6 one page of its timeline.
    assert len(queries) == 6, "\n".join(q["sql"] for q in queries)
