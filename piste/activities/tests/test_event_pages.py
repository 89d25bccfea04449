"""The event pages through the HTTP client (with and without HTMX): a record's Events tab, the
event form (dialog and page), the event page, status, delete and "My actions". Who may see and
do what, bad input refused with a clear message (never a 500, nothing written), query counts."""

from __future__ import annotations

from typing import Any

import pytest

from piste.activities import services
from piste.activities.models import Event, EventAttendee, EventReminder
from piste.activities.tests.factories import actor, at, make_event, reload
from piste.core.testing import en_client
from piste.leads.tests.factories import make_lead

HTMX = {"HX-Request": "true"}
DIALOG = {"HX-Request": "true", "HX-Target": "record-dialog"}
HUGE = "9" * 30


def page(response: Any) -> str:
    return response.content.decode()


def local(value) -> str:
    from django.utils import timezone

    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def lead(personas):
    return make_lead(personas.salesperson, team=personas.north, last_name="Garnier")


def new_url(lead, kind: str = "meeting") -> str:
    return f"/events/for/lead/{lead.pk}/new/?type={kind}"


def form(**values: Any) -> dict[str, Any]:
    data = {
        "kind": "meeting",
        "subject": "Présentation",
        "start": local(at(24)),
        "end": local(at(25)),
        "priority": "2",
        "call_direction": "outbound",
        "assigned_to": "",
        "reminder_unit": "minutes",
        "reminder_for": "me",
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


# The Events tab ------------------------------------------------------------------------------


def test_pane_lists_tasks_upcoming_and_past_with_late_ones_in_red(personas, lead):
    make_event(personas.salesperson, lead, kind="task", subject="Relancer", start=at(-50),
               end=at(-48))  # fmt: skip
    make_event(personas.salesperson, lead, subject="Démo", start=at(5))
    make_event(personas.salesperson, lead, subject="Ancien appel", kind="call", start=at(-5))
    response = en_client(personas.salesperson).get(f"/events/for/lead/{lead.pk}/", headers=HTMX)
    html = page(response)
    assert response.status_code == 200
    assert "<html" not in html
    tasks = html.split('data-testid="pane-tasks"')[1].split('data-testid="pane-upcoming"')[0]
    assert "Relancer" in tasks and "text-danger" in tasks and 'data-testid="late"' in tasks
    upcoming = html.split('data-testid="pane-upcoming"')[1].split('data-testid="pane-past"')[0]
    assert "Démo" in upcoming and "late" not in upcoming
    assert "Ancien appel" in html.split('data-testid="pane-past"')[1]
    assert 'hx-trigger="events-changed from:body"' in html


def test_pane_is_a_page_of_its_own_without_htmx(personas, lead):
    make_event(personas.salesperson, lead, subject="Démo")
    response = en_client(personas.salesperson).get(f"/events/for/lead/{lead.pk}/")
    assert "<html" in page(response) and "Démo" in page(response)
    assert 'id="record-dialog"' in page(response)


@pytest.mark.parametrize("who", ["outsider", "other"])
def test_pane_of_a_record_out_of_reach_is_404(personas, lead, who):
    client = en_client(getattr(personas, who))
    assert client.get(f"/events/for/lead/{lead.pk}/", headers=HTMX).status_code == 404


@pytest.mark.parametrize("path", ["for/event/1/", "for/nothing/1/", f"for/lead/{HUGE}/"])
def test_pane_with_a_bad_kind_or_id_is_404(personas, path):
    assert en_client(personas.salesperson).get(f"/events/{path}").status_code == 404


def test_reader_sees_the_pane_without_buttons(personas, lead):
    make_event(personas.salesperson, lead, subject="Démo")
    html = page(en_client(personas.reader).get(f"/events/for/lead/{lead.pk}/", headers=HTMX))
    assert "Démo" in html
    assert 'data-testid="pane-new-buttons"' not in html
    assert 'data-testid="mark-done"' not in html


def test_pane_query_count(personas, lead, django_assert_num_queries):
    for n in range(3):
        make_event(personas.salesperson, lead, subject=f"E{n}", start=at(n - 1))
        make_event(personas.salesperson, lead, kind="task", subject=f"T{n}", start=at(n))
    client = en_client(personas.salesperson)
    client.get(f"/events/for/lead/{lead.pk}/", headers=HTMX)
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 the lead (its referentials are
    # read only when set), then 6 the planned tasks, 7 the upcoming events, 8 the past ones.
    with django_assert_num_queries(8):
        response = client.get(f"/events/for/lead/{lead.pk}/", headers=HTMX)
    assert response.status_code == 200


# Creating ------------------------------------------------------------------------------------


def test_one_click_button_opens_the_form_in_the_dialog(personas, lead):
    response = en_client(personas.salesperson).get(new_url(lead, "call"), headers=DIALOG)
    html = page(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert 'data-testid="event-dialog"' in html
    assert 'value="call" selected' in html
    assert "Log or plan a call" in html


def test_note_form_shows_a_date_and_no_end(personas, lead):
    html = page(en_client(personas.salesperson).get(new_url(lead, "note"), headers=DIALOG))
    assert ">Date" in html
    assert 'name="end"' not in html
    assert 'name="reminder_amount"' not in html


def test_saving_in_the_dialog_reloads_the_pane(personas, lead):
    response = en_client(personas.salesperson).post(
        new_url(lead), form(reminder_amount="2", reminder_unit="hours"), headers=DIALOG
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "events-changed"
    assert 'data-testid="event-saved"' in page(response)
    event = Event.objects.get()
    assert event.lead == lead and event.subject == "Présentation"
    assert EventReminder.objects.get().minutes_before == 120


def test_plain_post_goes_back_to_the_record(personas, lead):
    response = en_client(personas.salesperson).post(new_url(lead, "task"), form(kind="task"))
    assert response.status_code == 302
    assert response["Location"] == f"/leads/{lead.pk}/"
    assert Event.objects.get().kind == "task"


def test_the_page_of_its_own_posts_plainly_and_goes_back_to_next(personas, lead):
    # The lead list's row icon opens this page: its form must not aim at a dialog, and the
    # save comes back to the list.
    client = en_client(personas.salesperson)
    html = page(client.get(new_url(lead) + "&next=/leads/open/"))
    assert (
        'data-testid="event-form"' in html
        and "hx-post" not in html.split('data-testid="event-form"')[0].rsplit("<form", 1)[1]
    )
    assert 'name="next" value="/leads/open/"' in html
    response = client.post(new_url(lead), {**form(), "next": "/leads/open/"})
    assert response.status_code == 302 and response["Location"] == "/leads/open/"
    assert client.post(new_url(lead), {**form(), "next": "https://evil.test/"})["Location"] == (
        f"/leads/{lead.pk}/"
    )


def test_guests_offered_include_the_lead_and_company_users(personas, lead):
    response = en_client(personas.salesperson).post(
        new_url(lead), form(users=[personas.teammate.pk], leads=[lead.pk]), headers=DIALOG
    )
    assert response.status_code == 200, page(response)
    assert EventAttendee.objects.count() == 2


def test_reader_may_not_create(personas, lead):
    client = en_client(personas.reader)
    assert client.get(new_url(lead), headers=DIALOG).status_code == 403
    assert client.post(new_url(lead), form()).status_code == 403
    assert not Event.objects.exists()


def test_outsider_and_other_company_get_404(personas, lead):
    for user in (personas.outsider, personas.other):
        assert en_client(user).post(new_url(lead), form()).status_code == 404
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "values, field",
    [
        ({"subject": ""}, "subject"),
        ({"start": ""}, "start"),
        ({"start": "not a date"}, "start"),
        ({"start": "99999-01-01T10:00"}, "start"),
        ({"start": "3500-01-01T10:00", "end": "3500-01-01T11:00"}, "start"),
        ({"end": local(at(1))}, "end"),  # before the start (tomorrow)
        ({"kind": "party"}, "kind"),
        ({"priority": HUGE}, "priority"),
        ({"reminder_amount": HUGE}, "reminder_amount"),
        ({"reminder_amount": "-3"}, "reminder_amount"),
        ({"users": [HUGE]}, "users"),
        ({"users": ["abc"]}, "users"),
        ({"leads": ["1\x00"]}, "leads"),
        ({"assigned_to": "999999"}, "assigned_to"),
        ({"subject": "x" * 500}, "subject"),
    ],
)
def test_bad_input_shows_errors_and_writes_nothing(personas, lead, values, field):
    response = en_client(personas.salesperson).post(new_url(lead), form(**values), headers=DIALOG)
    assert response.status_code == 200
    assert f'data-testid="error-{field}"' in page(response)
    assert not Event.objects.exists()


def test_contact_of_another_company_cannot_be_invited(personas, lead):
    from piste.partners.tests.factories import make_contact, make_partner

    foreign = make_contact(personas.other, make_partner(personas.other))
    response = en_client(personas.salesperson).post(
        new_url(lead), form(contacts=[foreign.pk]), headers=DIALOG
    )
    assert 'data-testid="error-contacts"' in page(response)
    assert not Event.objects.exists()


def test_generic_new_event_page(personas, lead):
    client = en_client(personas.salesperson)
    assert client.get("/events/new/?type=task").status_code == 200
    response = client.post("/events/new/", form(subject="Sans fiche"))
    event = Event.objects.get()
    assert response["Location"] == f"/events/{event.pk}/"
    redirect = client.get(f"/events/new/?record=lead-{lead.pk}&type=call")
    assert redirect["Location"] == f"/events/for/lead/{lead.pk}/new/?type=call"
    assert client.get("/events/new/?record=junk").status_code == 404
    assert client.get(f"/events/new/?record=lead-{HUGE}").status_code == 404


def test_wrong_methods_are_refused(personas, lead):
    event = make_event(personas.salesperson, lead)
    client = en_client(personas.salesperson)
    assert client.get(f"/events/{event.pk}/done/").status_code == 405
    assert client.get(f"/events/{event.pk}/delete/").status_code == 405
    assert client.put(new_url(lead)).status_code == 405
    assert client.post(f"/events/for/lead/{lead.pk}/").status_code == 405


# One event -----------------------------------------------------------------------------------


def test_event_page_shows_the_event_and_its_ics_link(personas, lead):
    event = make_event(
        personas.salesperson, lead, subject="Démo", location="Lyon",
        reminders=services.Reminders(minutes=(15,)),
    )  # fmt: skip
    response = en_client(personas.salesperson).get(f"/events/{event.pk}/")
    html = page(response)
    assert response.status_code == 200
    assert "Démo" in html and "Lyon" in html and "Garnier" in html
    assert f"/events/{event.pk}/ics/" in html
    assert "15 minutes before" in html
    assert 'data-testid="event-form"' in html


@pytest.mark.parametrize("who", ["outsider", "other"])
def test_event_page_out_of_reach_is_404(personas, lead, who):
    event = make_event(personas.salesperson, lead)
    assert en_client(getattr(personas, who)).get(f"/events/{event.pk}/").status_code == 404
    assert en_client(personas.salesperson).get(f"/events/{HUGE}/").status_code == 404


def test_guest_sees_the_event_but_cannot_change_it_without_its_record(personas, lead):
    event = make_event(
        personas.salesperson, lead, guests=services.Guests(users=(personas.outsider,))
    )
    client = en_client(personas.outsider)
    assert client.get(f"/events/{event.pk}/").status_code == 200
    assert client.post(f"/events/{event.pk}/done/").status_code == 403
    assert reload(event).status == "planned"


def test_edit_saves_and_refuses_a_stale_version(personas, lead):
    event = make_event(personas.salesperson, lead)
    client = en_client(personas.salesperson)
    data = form(subject="Nouveau sujet", version=event.version)
    assert client.post(f"/events/{event.pk}/edit/", data).status_code == 302
    assert reload(event).subject == "Nouveau sujet"
    stale = client.post(f"/events/{event.pk}/edit/", form(subject="Perdu", version=event.version))
    assert stale.status_code == 400
    assert "Someone else saved this event" in page(stale)
    assert reload(event).subject == "Nouveau sujet"


def test_edit_in_the_dialog_answers_the_trigger(personas, lead):
    event = make_event(personas.salesperson, lead)
    client = en_client(personas.salesperson)
    assert 'data-testid="event-form"' in page(
        client.get(f"/events/{event.pk}/edit/", headers=DIALOG)
    )
    response = client.post(
        f"/events/{event.pk}/edit/", form(start=local(at(30)), end=local(at(31)),
                                          version=event.version), headers=DIALOG,
    )  # fmt: skip
    assert response["HX-Trigger"] == "events-changed"
    assert reload(event).start == at(30)


def test_edit_with_bad_dates_is_400_and_writes_nothing(personas, lead):
    event = make_event(personas.salesperson, lead)
    response = en_client(personas.salesperson).post(
        f"/events/{event.pk}/edit/", form(start="32/13/2026", version=event.version)
    )
    assert response.status_code == 400
    assert reload(event).start == event.start


def test_reader_cannot_edit(personas, lead):
    event = make_event(personas.salesperson, lead)
    client = en_client(personas.reader)
    assert client.post(f"/events/{event.pk}/edit/", form(version=1)).status_code == 403
    assert 'data-testid="event-form"' not in page(client.get(f"/events/{event.pk}/"))


def test_done_and_cancel_with_and_without_htmx(personas, lead):
    event = make_event(personas.salesperson, lead)
    client = en_client(personas.salesperson)
    response = client.post(f"/events/{event.pk}/done/", headers=HTMX)
    assert response.status_code == 204 and response["HX-Trigger"] == "events-changed"
    assert reload(event).status == "done" and reload(event).done_at is not None
    response = client.post(f"/events/{event.pk}/cancel/", {"next": f"/leads/{lead.pk}/"})
    assert response["Location"] == f"/leads/{lead.pk}/"
    assert reload(event).status == "cancelled"
    response = client.post(f"/events/{event.pk}/plan/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/events/{event.pk}/"
    assert reload(event).status == "planned"


def test_delete_takes_the_right_or_being_the_creator(personas, lead):
    event = make_event(personas.salesperson, lead)
    assert en_client(personas.teammate).post(f"/events/{event.pk}/delete/").status_code == 403
    response = en_client(personas.salesperson).post(f"/events/{event.pk}/delete/")
    assert response["Location"] == f"/leads/{lead.pk}/"
    assert not Event.objects.exists()


# My actions ----------------------------------------------------------------------------------


def test_my_actions_lists_my_open_tasks_late_ones_in_red(personas, lead):
    make_event(personas.salesperson, lead, kind="task", subject="En retard", start=at(-30),
               end=at(-26))  # fmt: skip
    make_event(personas.salesperson, kind="task", subject="Demain", start=at(20), end=at(24))
    done = make_event(personas.salesperson, kind="task", subject="Faite", start=at(1))
    services.event_set_status(actor=actor(personas.salesperson), event=done, status="done")
    make_event(personas.teammate, kind="task", subject="Pas à moi", assigned_to=personas.teammate)
    make_event(personas.salesperson, subject="Réunion")
    client = en_client(personas.salesperson)
    html = page(client.get("/events/actions/"))
    assert html.index("En retard") < html.index("Demain")
    assert "Faite" not in html and "Pas à moi" not in html and "Réunion" not in html
    late_row = html.split("En retard")[0].rsplit("<li", 1)[1]
    assert "text-danger" in late_row
    late = page(
        client.get("/events/actions/?show=late", headers={**HTMX, "HX-Target": "actions-rows"})
    )
    assert "En retard" in late and "Demain" not in late and "<html" not in late


def test_my_actions_ignores_bad_filters_and_cursors(personas):
    client = en_client(personas.salesperson)
    for query in ("?show=everything", f"?cursor={HUGE}", "?cursor=%00", "?show=late&cursor=eyJ"):
        assert client.get(f"/events/actions/{query}").status_code == 200


def test_my_actions_query_count(personas, lead, django_assert_num_queries):
    for n in range(5):
        make_event(personas.salesperson, lead, kind="task", subject=f"T{n}", start=at(n - 3))
    client = en_client(personas.salesperson)
    client.get("/events/actions/")
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 one page of tasks with their
    # records joined.
    with django_assert_num_queries(5):
        response = client.get("/events/actions/")
    assert page(response).count('data-testid="action-row"') == 5


@pytest.mark.parametrize("kind", ["partner", "contact", "opportunity"])
def test_events_hang_on_partners_contacts_and_opportunities(personas, kind):
    from piste.opportunities.tests.test_opportunities import make_opportunity
    from piste.partners.tests.factories import make_contact, make_partner

    partner = make_partner(personas.salesperson)
    record = {
        "partner": lambda: partner,
        "contact": lambda: make_contact(personas.salesperson, partner),
        "opportunity": lambda: make_opportunity(personas.salesperson, partner),
    }[kind]()
    client = en_client(personas.salesperson)
    response = client.post(f"/events/for/{kind}/{record.pk}/new/?type=call", form(kind="call"))
    assert response.status_code == 302
    assert getattr(Event.objects.get(), f"{kind}_id") == record.pk
    pane = page(client.get(f"/events/for/{kind}/{record.pk}/", headers=HTMX))
    assert "Présentation" in pane
