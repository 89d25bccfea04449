"""The event services: the reference's defaults, the checks (dates, company, rights), optimistic
versions, status, delete, guests and reminders, the record's timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from piste.activities import services
from piste.activities.models import (
    Event,
    EventAttendee,
    EventKind,
    EventReminder,
    EventStatus,
)
from piste.activities.tests.factories import actor, at, make_event, reload
from piste.core.models import Activity
from piste.core.services import ConflictError
from piste.leads.models import Lead
from piste.leads.tests.factories import make_lead
from piste.partners.tests.factories import make_contact, make_partner


@pytest.fixture
def lead(personas):
    return make_lead(personas.salesperson, team=personas.north)


def test_a_new_event_is_a_planned_meeting_of_an_hour(personas):
    event = make_event(personas.salesperson, start=at(2))
    assert event.kind == EventKind.MEETING
    assert event.status == EventStatus.PLANNED
    assert event.end - event.start == timedelta(hours=1)
    assert event.organizer == personas.salesperson
    assert event.assigned_to == personas.salesperson


def test_from_a_lead_the_event_takes_its_user_team_and_partner(personas, lead):
    partner = make_partner(personas.salesperson)
    Lead.objects.filter(pk=lead.pk).update(partner=partner, assigned_to=personas.teammate)
    lead.refresh_from_db()
    event = make_event(personas.salesperson, lead, kind="call")
    assert event.lead == lead
    assert event.partner == partner
    assert event.assigned_to == personas.teammate
    assert event.team == personas.north
    assert event.call_direction == "outbound"


def test_a_note_lasts_no_time_and_has_no_guests_nor_reminders(personas, lead):
    event = make_event(
        personas.salesperson,
        lead,
        kind="note",
        end=at(30),
        all_day=True,
        guests=services.Guests(users=(personas.teammate,)),
        reminders=services.Reminders(minutes=(15,)),
    )
    assert event.end == event.start
    assert not event.all_day
    assert not EventAttendee.objects.filter(event=event).exists()
    assert not EventReminder.objects.filter(event=event).exists()


def test_a_task_end_is_its_due_date(personas):
    event = make_event(personas.salesperson, kind="task", start=at(1), end=at(48))
    assert event.end == at(48)


def test_end_before_start_is_refused_and_nothing_written(personas):
    with pytest.raises(ValidationError) as exc:
        make_event(personas.salesperson, start=at(5), end=at(4))
    assert "end" in exc.value.message_dict
    assert not Event.objects.exists()


def test_missing_subject_and_absurd_year_are_refused_together(personas):
    far = at(0).replace(year=5000)
    with pytest.raises(ValidationError) as exc:
        make_event(personas.salesperson, subject="  ", start=far)
    assert set(exc.value.message_dict) == {"subject", "start"}


def test_description_is_sanitised(personas):
    event = make_event(
        personas.salesperson, description='<p onclick="x()">Hi<script>alert(1)</script></p>'
    )
    assert "script" not in event.description
    assert "onclick" not in event.description
    assert "Hi" in event.description


def test_all_day_covers_whole_local_days(personas):
    event = make_event(personas.salesperson, all_day=True, start=at(24), end=at(48))
    start = timezone.localtime(event.start)
    end = timezone.localtime(event.end)
    assert (start.hour, start.minute) == (0, 0)
    assert (end.hour, end.minute) == (23, 59)


def test_reader_cannot_create(personas):
    with pytest.raises(PermissionDenied):
        make_event(personas.reader)


def test_record_of_another_company_is_refused(personas):
    foreign = make_lead(personas.other)
    with pytest.raises(PermissionDenied):
        make_event(personas.salesperson, foreign)


def test_assignee_of_another_company_is_refused(personas):
    with pytest.raises(ValidationError) as exc:
        make_event(personas.salesperson, assigned_to=personas.other)
    assert "assigned_to" in exc.value.message_dict


def test_creation_writes_the_record_timeline(personas, lead):
    make_event(personas.salesperson, lead, subject="Appel découverte", kind="call")
    line = Activity.objects.get(
        content_type=ContentType.objects.get_for_model(Lead),
        object_id=lead.pk,
        verb=Activity.Verb.EVENT_PLANNED,
    )
    assert "Appel découverte" in line.data["message"]
    assert line.actor == personas.salesperson


def test_update_refuses_a_stale_version_and_writes_nothing(personas):
    event = make_event(personas.salesperson)
    services.event_update(
        actor=actor(personas.salesperson), event=event, data={"subject": "A"}, version=1
    )
    stale = reload(event)
    with pytest.raises(ConflictError):
        services.event_update(
            actor=actor(personas.teammate), event=stale, data={"subject": "B"}, version=1
        )
    assert reload(event).subject == "A"
    assert reload(event).version == 2


def test_moving_the_start_moves_the_reminders_and_resends_them(personas):
    event = make_event(personas.salesperson, start=at(3), reminders=services.Reminders((60,)))
    EventReminder.objects.update(sent_at=timezone.now())
    services.event_update(
        actor=actor(personas.salesperson), event=event, data={"start": at(5), "end": at(6)},
        version=event.version,
    )  # fmt: skip
    reminder = EventReminder.objects.get()
    assert reminder.remind_at == at(4)
    assert reminder.sent_at is None


def test_status_done_sets_done_at_and_planned_again_clears_it(personas):
    event = make_event(personas.salesperson)
    services.event_set_status(actor=actor(personas.salesperson), event=event, status="done")
    assert reload(event).done_at is not None
    services.event_set_status(actor=actor(personas.salesperson), event=event, status="planned")
    assert reload(event).done_at is None
    with pytest.raises(ValidationError):
        services.event_set_status(actor=actor(personas.salesperson), event=event, status="x")


def test_reader_cannot_change_status(personas):
    event = make_event(personas.salesperson)
    with pytest.raises(PermissionDenied):
        services.event_set_status(actor=actor(personas.reader), event=event, status="done")


def test_delete_takes_the_right_or_being_the_creator(personas):
    mine = make_event(personas.salesperson)
    theirs = make_event(personas.teammate, assigned_to=personas.teammate)
    services.event_delete(actor=actor(personas.salesperson), event=mine)
    with pytest.raises(PermissionDenied):
        services.event_delete(actor=actor(personas.salesperson), event=theirs)
    services.event_delete(actor=actor(personas.manager), event=theirs)
    assert not Event.objects.exists()


def test_guests_must_be_of_the_company(personas, lead):
    foreign_partner = make_partner(personas.other)
    foreign = make_contact(personas.other, foreign_partner)
    with pytest.raises(ValidationError):
        make_event(personas.salesperson, lead, guests=services.Guests(contacts=(foreign,)))
    with pytest.raises(ValidationError):
        make_event(personas.salesperson, lead, guests=services.Guests(users=(personas.other,)))
    assert not Event.objects.exists()


def test_guests_are_replaced_not_duplicated(personas, lead):
    partner = make_partner(personas.salesperson)
    contact = make_contact(personas.salesperson, partner)
    event = make_event(
        personas.salesperson, lead,
        guests=services.Guests(users=(personas.teammate,), contacts=(contact,), leads=(lead,)),
    )  # fmt: skip
    assert EventAttendee.objects.filter(event=event).count() == 3
    services.event_set_guests(
        actor=actor(personas.salesperson), event=event,
        guests=services.Guests(users=(personas.teammate, personas.manager)),
    )  # fmt: skip
    assert sorted(EventAttendee.objects.values_list("user__username", flat=True)) == [
        "manager", "teammate",
    ]  # fmt: skip


def test_reminders_for_all_reach_every_user_taking_part(personas):
    event = make_event(
        personas.salesperson,
        start=at(10),
        assigned_to=personas.teammate,
        guests=services.Guests(users=(personas.manager,)),
        reminders=services.Reminders(minutes=(30,), for_all=True),
    )
    users = set(EventReminder.objects.filter(event=event).values_list("user__username", flat=True))
    assert users == {"salesperson", "teammate", "manager"}
    assert {r.remind_at for r in EventReminder.objects.all()} == {at(9.5)}


def test_reminders_for_me_leave_the_others_alone(personas):
    event = make_event(
        personas.salesperson, assigned_to=personas.teammate,
        reminders=services.Reminders(minutes=(30,), for_all=True),
    )  # fmt: skip
    services.event_set_reminders(
        actor=actor(personas.salesperson), event=event, reminders=services.Reminders(minutes=())
    )
    assert set(EventReminder.objects.values_list("user__username", flat=True)) == {"teammate"}


def test_a_reminder_longer_than_a_year_is_refused(personas):
    with pytest.raises(ValidationError):
        make_event(personas.salesperson, reminders=services.Reminders(minutes=(10**9,)))
