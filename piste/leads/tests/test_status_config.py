"""Configuration → Lead statuses: who may open it, reorder, add, rename, delete, the lifecycle."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.utils.html import escape

from piste.core.models import Activity
from piste.core.testing import PASSWORD, en_client
from piste.leads import selectors
from piste.leads.models import Lead, LeadStatus
from piste.leads.tests.factories import make_lead, status

LIST = "/config/lead-statuses/"
NEW = "/config/lead-statuses/new/"
REORDER = "/config/lead-statuses/reorder/"
ROLES = "/config/lead-statuses/roles/"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "statuses"}
NOT_ADMINISTRATORS = ["manager", "salesperson", "teammate", "outsider", "marketing", "reader"]


def edit_url(s: LeadStatus) -> str:
    return f"/config/lead-statuses/{s.pk}/"


def delete_url(s: LeadStatus) -> str:
    return f"/config/lead-statuses/{s.pk}/delete/"


def order(company_id: int) -> list[int]:
    return [s.pk for s in selectors.lead_statuses(company_id)]


def shown(response) -> list[int]:
    """The status ids the page (or the HTMX partial) lists, top to bottom."""
    return [
        int(pk)
        for pk in re.findall(
            r'href="/config/lead-statuses/(\d+)/" data-testid="status-name"',
            response.content.decode(),
        )
    ]


def roles(company_id: int) -> dict[str, int]:
    return {s.role: s.pk for s in LeadStatus.objects.filter(company_id=company_id) if s.role}


def by_name(company_id: int, name: str) -> LeadStatus:
    return LeadStatus.objects.get(company_id=company_id, name=name)


@pytest.fixture
def admin(personas) -> Client:
    return en_client(personas.administrator)


@pytest.fixture
def extra(personas) -> LeadStatus:
    """An open status without role and without leads, last in the list."""
    return LeadStatus.objects.create(
        company=personas.company, name="Rendez-vous pris", sequence=1000
    )


def assert_field_error(response, field: str, message: str) -> None:
    assert response.status_code == 200, response.status_code
    form = response.context.get("roles_form") or response.context["form"]
    errors = form.errors.get(field, [])
    assert message in errors, form.errors
    assert escape(message) in response.content.decode()


# Who may open what ---------------------------------------------------------------------------


def test_administrator_opens_every_status_page(personas, admin):
    first = selectors.lead_statuses(personas.company)[0]
    for url in (LIST, NEW, edit_url(first)):
        assert admin.get(url).status_code == 200, url


def test_configuration_home_links_to_the_lead_statuses(admin):
    assert 'href="/config/lead-statuses/"' in admin.get("/config/").content.decode()


@pytest.mark.parametrize("name", NOT_ADMINISTRATORS)
def test_users_without_the_configuration_right_get_403_and_change_nothing(personas, extra, name):
    client = personas.client(getattr(personas, name))
    company = personas.company.pk
    before_order, before_roles = order(company), roles(company)
    for url in (LIST, NEW, edit_url(extra)):
        assert client.get(url).status_code == 403, url
    posts = [
        (NEW, {"name": "Piratée", "is_open": "on"}),
        (edit_url(extra), {"name": "Renommée", "is_open": "on"}),
        (REORDER, {"ids": list(reversed(before_order))}),
        (ROLES, {"default": extra.pk, "converted": before_roles["lost"], "lost": 0}),
        (delete_url(extra), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert order(company) == before_order
    assert roles(company) == before_roles
    assert LeadStatus.objects.get(pk=extra.pk).name == "Rendez-vous pris"


def test_signed_out_visitor_is_sent_to_the_sign_in_page():
    response = Client().get(LIST)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={LIST}"


def test_a_status_of_another_company_is_a_404(personas, admin):
    theirs = selectors.lead_statuses(personas.other_company)[1]
    assert admin.get(edit_url(theirs)).status_code == 404
    assert admin.post(edit_url(theirs), {"name": "Volée", "is_open": "on"}).status_code == 404
    assert admin.post(delete_url(theirs)).status_code == 404
    assert admin.get("/config/lead-statuses/abc/").status_code == 404
    assert LeadStatus.objects.get(pk=theirs.pk).name == theirs.name


def test_the_list_shows_only_the_company_statuses_in_order(personas, admin, extra):
    response = admin.get(LIST)
    rows = shown(response)
    assert rows == order(personas.company.pk)
    assert rows[-1] == extra.pk
    body = response.content.decode()
    for theirs in selectors.lead_statuses(personas.other_company):
        assert edit_url(theirs) not in body


def test_status_list_query_count_is_pinned(personas, admin, django_assert_num_queries):
    make_lead(personas.salesperson)
    # 1. the session, 2. the user, 3. the memberships with their company and CRM settings,
    # 4. the user's team ids, 5. the company's statuses (the rows and the lifecycle choices).
    with django_assert_num_queries(5):
        response = admin.get(LIST)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 6


# Reorder -------------------------------------------------------------------------------------


def test_drag_and_drop_saves_the_new_order_and_returns_the_list(personas, admin):
    company = personas.company.pk
    wanted = list(reversed(order(company)))
    response = admin.post(REORDER, {"ids": wanted}, **HTMX)
    assert response.status_code == 200
    assert shown(response) == wanted
    assert "<html" not in response.content.decode()  # the partial only
    assert order(company) == wanted


def test_move_up_button_posts_the_new_order_without_javascript(personas, admin):
    company = personas.company.pk
    before = order(company)
    rows = admin.get(LIST).context["rows"]
    assert rows[0].up == ""  # the first row cannot go up
    assert rows[-1].down == ""
    response = admin.post(REORDER, {"ids": before, "order": rows[2].up})
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert order(company) == [before[0], before[2], before[1], *before[3:]]


def test_the_status_bar_follows_the_configured_order(personas, admin, extra):
    company = personas.company.pk
    first, *others = order(company)
    # The new status goes second: the status bar (selectors.lead_statuses) shows it there.
    wanted = [first, extra.pk, *[pk for pk in others if pk != extra.pk]]
    admin.post(REORDER, {"ids": wanted})
    assert [s.pk for s in selectors.lead_statuses(personas.company)] == wanted
    assert selectors.lead_statuses(personas.company)[1].name == "Rendez-vous pris"


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda ids, theirs: [*ids, theirs], id="another-company-status-added"),
        pytest.param(lambda ids, theirs: [*ids[1:], theirs], id="another-company-status-swapped"),
        pytest.param(lambda ids, theirs: ids[1:], id="missing-id"),
        pytest.param(lambda ids, theirs: [*ids, ids[0]], id="duplicate-id"),
        pytest.param(lambda ids, theirs: [*ids[:-1], "x"], id="not-a-number"),
        pytest.param(lambda ids, theirs: [], id="empty"),
    ],
)
def test_a_forged_order_is_refused_with_a_clear_message_and_changes_nothing(personas, admin, forge):
    company = personas.company.pk
    before = order(company)
    theirs_before = order(personas.other_company.pk)
    forged = forge(list(reversed(before)), theirs_before[0])
    message = "The list of statuses changed meanwhile: reload the page."

    response = admin.post(REORDER, {"ids": forged}, **HTMX)
    assert response.status_code == 200
    assert escape(message) in response.content.decode()
    # The rows come back in the saved order, so a refused drop is undone on screen.
    assert shown(response) == before

    response = admin.post(REORDER, {"order": ",".join(map(str, forged))}, follow=True)
    assert escape(message) in response.content.decode()

    assert order(company) == before
    assert order(personas.other_company.pk) == theirs_before


# Add, rename, delete -------------------------------------------------------------------------


def test_a_new_status_goes_last_and_is_on_its_timeline(personas, admin):
    response = admin.post(NEW, {"name": "  Rendez-vous   pris ", "is_open": ""})
    assert response.status_code == 302
    created = by_name(personas.company.pk, "Rendez-vous pris")
    assert not created.is_open
    assert order(personas.company.pk)[-1] == created.pk
    assert Activity.objects.filter(object_id=created.pk, verb=Activity.Verb.CREATED).exists()


def test_a_new_status_needs_a_name(personas, admin):
    count = LeadStatus.objects.count()
    response = admin.post(NEW, {"name": "   ", "is_open": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert LeadStatus.objects.count() == count


@pytest.mark.parametrize("variant", [str.upper, lambda n: n.replace("e", "é", 1)])
def test_a_name_clash_ignoring_case_and_accents_is_a_field_error(personas, admin, extra, variant):
    taken = status(personas.company.pk, LeadStatus.Role.DEFAULT).name
    clash = variant(taken)
    assert clash != taken
    message = "A status with this name already exists."

    assert_field_error(admin.post(NEW, {"name": clash, "is_open": "on"}), "name", message)
    response = admin.post(edit_url(extra), {"name": clash, "is_open": "on"})
    assert_field_error(response, "name", message)
    assert response.context["object"].name == "Rendez-vous pris"  # heading: the saved name
    assert LeadStatus.objects.get(pk=extra.pk).name == "Rendez-vous pris"
    assert LeadStatus.objects.filter(company=personas.company).count() == 7


def test_the_same_name_in_another_company_is_allowed(personas, admin):
    theirs = selectors.lead_statuses(personas.other_company)[0]
    ours = status(personas.company.pk, LeadStatus.Role.DEFAULT)
    LeadStatus.objects.filter(pk=ours.pk).update(name="Ancien nom", name_key="ancien nom")
    response = admin.post(edit_url(ours), {"name": theirs.name, "is_open": "on"})
    assert response.status_code == 302
    assert LeadStatus.objects.get(pk=ours.pk).name == theirs.name


def test_rename_and_close_appear_on_the_status_timeline(personas, admin, extra):
    response = admin.post(edit_url(extra), {"name": "RDV pris", "is_open": ""})
    assert response.status_code == 302
    extra.refresh_from_db()
    assert (extra.name, extra.is_open) == ("RDV pris", False)
    page = admin.get(edit_url(extra))
    body = page.content.decode()
    assert "Rendez-vous pris" in body  # from → to in the timeline
    assert [a.verb for a in page.context["activities"]] == [Activity.Verb.CHANGED]


def test_the_default_status_cannot_be_closed(personas, admin):
    default = status(personas.company.pk, LeadStatus.Role.DEFAULT)
    response = admin.post(edit_url(default), {"name": default.name, "is_open": ""})
    assert_field_error(response, "is_open", "The default status is an open status.")
    assert LeadStatus.objects.get(pk=default.pk).is_open


def test_the_lost_status_cannot_be_opened(personas, admin):
    lost = status(personas.company.pk, LeadStatus.Role.LOST)
    response = admin.post(edit_url(lost), {"name": lost.name, "is_open": "on"})
    assert_field_error(response, "is_open", "The lost status is a closed status.")
    assert not LeadStatus.objects.get(pk=lost.pk).is_open


def test_an_unused_status_is_deleted(personas, admin, extra):
    response = admin.post(delete_url(extra))
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert not LeadStatus.objects.filter(pk=extra.pk).exists()


def test_delete_is_refused_while_leads_have_the_status(personas, admin, extra):
    lead = make_lead(personas.salesperson)
    Lead.objects.filter(pk=lead.pk).update(status=extra)
    response = admin.post(delete_url(extra), follow=True)
    assert "“Rendez-vous pris” is the status of leads: it cannot be deleted." in (
        response.content.decode()
    )
    assert LeadStatus.objects.filter(pk=extra.pk).exists()


@pytest.mark.parametrize("role", ["default", "converted", "lost"])
def test_delete_is_refused_for_a_status_holding_a_role(personas, admin, role):
    held = status(personas.company.pk, role)
    response = admin.post(delete_url(held), follow=True)
    body = response.content.decode()
    assert escape(f"“{held.name}” is the") in body
    assert "choose another one first" in body
    assert LeadStatus.objects.filter(pk=held.pk).exists()


def test_delete_is_post_only(personas, admin, extra):
    assert admin.get(delete_url(extra)).status_code == 405
    assert LeadStatus.objects.filter(pk=extra.pk).exists()


# Lifecycle (roles) ---------------------------------------------------------------------------


def _roles_post(company_id: int, **changes: int) -> dict[str, int]:
    return {**roles(company_id), **changes}


def test_lifecycle_form_shows_the_current_roles(personas, admin):
    form = admin.get(LIST).context["roles_form"]
    current = roles(personas.company.pk)
    assert {name: form[name].value() for name in ("default", "converted", "lost")} == current


def test_lifecycle_moves_the_roles(personas, admin, extra):
    company = personas.company.pk
    closed = LeadStatus.objects.create(
        company=personas.company, name="Abandonnée", is_open=False, sequence=1100
    )
    old = roles(company)
    response = admin.post(ROLES, _roles_post(company, default=extra.pk, lost=closed.pk))
    assert response.status_code == 302
    assert roles(company) == {"default": extra.pk, "converted": old["converted"], "lost": closed.pk}
    # New leads take the new default status.
    assert make_lead(personas.salesperson).status_id == extra.pk


def test_lifecycle_swaps_the_converted_and_lost_statuses(personas, admin):
    company = personas.company.pk
    old = roles(company)
    response = admin.post(ROLES, _roles_post(company, converted=old["lost"], lost=old["converted"]))
    assert response.status_code == 302
    assert roles(company) == {**old, "converted": old["lost"], "lost": old["converted"]}


@pytest.mark.parametrize("field", ["converted", "lost"])
def test_converted_and_lost_must_be_closed_statuses(personas, admin, extra, field):
    company = personas.company.pk
    before = roles(company)
    response = admin.post(ROLES, _roles_post(company, **{field: extra.pk}))
    assert_field_error(response, field, "Choose a closed status.")
    assert roles(company) == before


def test_the_default_status_must_be_open(personas, admin):
    company = personas.company.pk
    closed = LeadStatus.objects.create(
        company=personas.company, name="Abandonnée", is_open=False, sequence=1100
    )
    before = roles(company)
    response = admin.post(ROLES, _roles_post(company, default=closed.pk))
    assert_field_error(response, "default", "The default status is an open status.")
    assert roles(company) == before


def test_the_three_roles_are_three_statuses(personas, admin):
    company = personas.company.pk
    before = roles(company)
    response = admin.post(ROLES, _roles_post(company, lost=before["converted"]))
    assert response.status_code == 200
    message = (
        "Choose a different status for each of: default status, converted status, lost status."
    )
    assert message in response.context["roles_form"].non_field_errors()
    assert escape(message) in response.content.decode()
    assert roles(company) == before


def test_lifecycle_refuses_a_status_of_another_company(personas, admin):
    company = personas.company.pk
    before = roles(company)
    theirs = status(personas.other_company.pk, LeadStatus.Role.LOST)
    for value in (theirs.pk, "abc", ""):
        response = admin.post(ROLES, {**before, "lost": value})
        assert response.status_code == 200
        assert response.context["roles_form"].errors["lost"]
    assert roles(company) == before
    assert roles(personas.other_company.pk)["lost"] == theirs.pk


# In a browser ----------------------------------------------------------------------------------


@pytest.mark.browser
def test_drag_and_drop_and_the_arrows_reorder_in_a_browser(live_server, transactional_db, personas):
    """SortableJS under the Content-Security-Policy: a status dragged by its handle is saved
    through HTMX, the arrows work too, and the page reports no error."""
    import os
    from pathlib import Path

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip(f"{chromium} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    company = personas.company.pk
    before = order(company)
    names = [s.name for s in selectors.lead_statuses(company)]
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(chromium),
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            page = browser.new_page(locale="en")
            page.set_default_timeout(10_000)
            errors: list[str] = []

            def on_console(message: Any) -> None:
                if message.type == "error":  # CSP violations included
                    errors.append(message.text)

            page.on("console", on_console)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", personas.administrator.username)
            page.fill("#id_password", PASSWORD)
            page.click("[data-testid=sign-in]")
            page.goto(f"{live_server.url}{LIST}")
            rows = page.locator("[data-testid=status-name]")
            expect(rows).to_have_text(names)

            # Drag the last status (Lost) above the first one, by its handle.
            handles = page.locator(".sortable-handle")
            handles.nth(5).drag_to(handles.nth(0))
            expected = [names[5], *names[:5]]
            expect(rows).to_have_text(expected)
            page.wait_for_load_state("networkidle")
            assert order(company) == [before[5], *before[:5]]

            # Without dragging: "move down" on the first row posts the whole new order.
            page.locator("[data-testid=move-down]").first.click()
            expect(rows).to_have_text([names[0], names[5], *names[1:5]])
            assert order(company) == [before[0], before[5], *before[1:5]]
            browser.close()
            # The database reads above ran beside Playwright's event loop, on a connection of
            # their own: closed here, or the test database could not be dropped at the end.
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
    assert errors == []
