"""The event form (create and edit) and the filter of "My actions".

Dates are typed in ``datetime-local`` inputs, read in the current time zone. The form checks
what a browser can get wrong (formats, end before start); the service checks the rest again
(company, rights) and fills the reference's defaults.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from piste.activities.models import (
    CallDirection,
    Event,
    EventAttendee,
    EventKind,
    EventPriority,
    EventReminder,
)
from piste.activities.services import MAX_DESCRIPTION, Guests, Reminders, reminder_minutes
from piste.core.access import Actor
from piste.core.forms import IdsChoiceField, VersionedForm, company_users, style_form
from piste.leads.models import Lead
from piste.partners.models import Contact

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
UNITS = [
    ("minutes", _("minutes")),
    ("hours", _("hours")),
    ("days", _("days")),
    ("weeks", _("weeks")),
]
FOR_CHOICES = [("me", _("For me")), ("all", _("For all users taking part"))]
# The largest number in a reminder's amount (the service caps the delay at a year anyway).
MAX_AMOUNT = 999


def _datetime_field(label: Any, required: bool) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("Enter a date and time, such as 2026-03-14 09:30.")},
    )


def _split_minutes(minutes: int) -> tuple[int, str]:
    """A delay in the largest unit that divides it (90 → 90 minutes, 2880 → 2 days)."""
    for unit, size in (("weeks", 7 * 24 * 60), ("days", 24 * 60), ("hours", 60)):
        if minutes and minutes % size == 0:
            return minutes // size, unit
    return minutes, "minutes"


class EventForm(VersionedForm, forms.Form):
    """Creates and edits one event. Its guests are offered among the company's users, the
    contacts of the linked partner and the linked lead (and any already invited)."""

    kind = forms.ChoiceField(label=_("Type"), choices=EventKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    start = _datetime_field(_("Start"), required=True)
    end = _datetime_field(_("End"), required=False)
    all_day = forms.BooleanField(label=_("All day"), required=False)
    location = forms.CharField(label=_("Location"), max_length=255, required=False)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=EventPriority.choices, coerce=int,
        initial=EventPriority.NORMAL,
    )  # fmt: skip
    call_direction = forms.ChoiceField(
        label=_("Call"), choices=CallDirection.choices, required=False,
        initial=CallDirection.OUTBOUND,
    )  # fmt: skip
    assigned_to: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Assigned to"), queryset=None, required=False
    )
    users = IdsChoiceField(label=_("Users invited"), queryset=None, required=False)
    contacts = IdsChoiceField(label=_("Contacts invited"), queryset=None, required=False)
    leads = IdsChoiceField(label=_("Leads invited"), queryset=None, required=False)
    reminder_amount = forms.IntegerField(
        label=_("Reminder by email"), required=False, min_value=1, max_value=MAX_AMOUNT,
        help_text=_("Leave empty for no reminder."),
    )  # fmt: skip
    reminder_unit = forms.ChoiceField(
        label=_("Unit"), choices=UNITS, initial="minutes", required=False
    )
    reminder_for = forms.ChoiceField(
        label=_("For"), choices=FOR_CHOICES, initial="me", required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(
        self,
        *args: Any,
        actor: Actor,
        event: Event | None = None,
        record: Any = None,
        kind: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.actor = actor
        self.event = event
        initial = kwargs.setdefault("initial", {})
        if event is not None:
            initial.update(self._initial_of(event, actor))
        elif kind in EventKind.values:
            initial["kind"] = kind
        super().__init__(*args, **kwargs)
        company = actor.company.pk
        users = company_users(company).only("id", "username", "first_name", "last_name")
        self.fields["assigned_to"].queryset = users  # type: ignore[attr-defined]
        self.fields["users"].queryset = users  # type: ignore[attr-defined]
        partner_id = getattr(event, "partner_id", None) or _partner_id_of(record)
        lead_id = getattr(event, "lead_id", None) or (
            record.pk if isinstance(record, Lead) else None
        )
        invited = EventAttendee.objects.filter(event=event) if event is not None else None
        contacts = Contact.objects.filter(company_id=company, merged_into__isnull=True)
        offered = contacts.filter(main_partner_id=partner_id) if partner_id else contacts.none()
        if invited is not None:
            offered = offered | contacts.filter(pk__in=invited.values("contact_id"))
        self.fields["contacts"].queryset = offered.order_by("last_name", "id")  # type: ignore[attr-defined]
        leads = Lead.objects.filter(company_id=company, merged_into__isnull=True)
        offered_leads = leads.filter(pk=lead_id) if lead_id else leads.none()
        if invited is not None:
            offered_leads = offered_leads | leads.filter(pk__in=invited.values("lead_id"))
        self.fields["leads"].queryset = offered_leads  # type: ignore[attr-defined]
        self.fields["reminder_amount"].widget.attrs["placeholder"] = "15"
        style_form(self)

    @staticmethod
    def _initial_of(event: Event, actor: Actor) -> dict[str, Any]:
        from django.utils import timezone

        initial: dict[str, Any] = {
            "kind": event.kind,
            "subject": event.subject,
            "start": timezone.localtime(event.start),
            "end": timezone.localtime(event.end),
            "all_day": event.all_day,
            "location": event.location,
            "description": event.description,
            "priority": event.priority,
            "call_direction": event.call_direction or CallDirection.OUTBOUND,
            "assigned_to": event.assigned_to_id,
            "version": event.version,
        }
        attendees = list(EventAttendee.objects.filter(event=event))
        initial["users"] = [a.user_id for a in attendees if a.user_id]
        initial["contacts"] = [a.contact_id for a in attendees if a.contact_id]
        initial["leads"] = [a.lead_id for a in attendees if a.lead_id]
        mine = (
            EventReminder.objects.filter(event=event, user_id=actor.user.pk)
            .order_by("minutes_before")
            .first()
        )
        if mine is not None:
            amount, unit = _split_minutes(mine.minutes_before)
            initial.update(reminder_amount=amount, reminder_unit=unit)
            others = EventReminder.objects.filter(event=event).exclude(user_id=actor.user.pk)
            initial["reminder_for"] = "all" if others.exists() else "me"
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and data.get("kind") != EventKind.NOTE and end < start:
            self.add_error("end", _("The end is before the start."))
        if data.get("reminder_amount") and data.get("reminder_unit") not in dict(UNITS):
            self.add_error("reminder_unit", _("Choose minutes, hours, days or weeks."))
        return data

    def event_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in (
            "kind", "subject", "start", "end", "all_day", "location", "description", "priority",
            "call_direction", "assigned_to",
        )}  # fmt: skip
        if data["end"] is None:
            data.pop("end")
        return data

    def guests(self) -> Guests:
        return Guests(
            users=tuple(self.cleaned_data.get("users") or ()),
            contacts=tuple(self.cleaned_data.get("contacts") or ()),
            leads=tuple(self.cleaned_data.get("leads") or ()),
        )

    def reminders(self) -> Reminders:
        amount = self.cleaned_data.get("reminder_amount")
        for_all = self.cleaned_data.get("reminder_for") == "all"
        if not amount:
            return Reminders(minutes=(), for_all=for_all)
        unit = self.cleaned_data.get("reminder_unit") or "minutes"
        return Reminders(minutes=(reminder_minutes(amount, unit),), for_all=for_all)


def _partner_id_of(record: Any) -> int | None:
    if record is None:
        return None
    label = record._meta.label
    if label == "partners.Partner":
        return int(record.pk)
    if label == "partners.Contact":
        return record.main_partner_id  # type: ignore[no-any-return,unused-ignore]
    return getattr(record, "partner_id", None)


class ActionsFilterForm(forms.Form):
    """The filter of "My actions": every open task, or the late ones only."""

    show = forms.ChoiceField(
        label=_("Show"),
        choices=[("all", _("All my open tasks")), ("late", _("Late only"))],
        required=False,
    )

    def late_only(self) -> bool:
        return self.is_valid() and self.cleaned_data.get("show") == "late"
