"""Forms of the lead lists: the filters read from the URL and the bulk action form.

The filters never query the database to validate: an id of another company (or of nothing)
simply matches no lead, since the lists filter the access-checked queryset. The choices the
filter panel offers are the company's, read by the view only when it renders the panel.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from piste.core.forms import company_users
from piste.core.models import Tag
from piste.core.text import search_text
from piste.leads.models import LeadStatus
from piste.leads.selectors import LeadFilters, ListKind
from piste.users.models import User

# Ids are BIGINT: a larger number would overflow the database driver (a 500, not "no match").
MAX_ID = 2**63 - 1
# Dates outside these years are typing mistakes; the bounds also keep day arithmetic and time
# zone conversions away from the ends of the calendar.
MIN_YEAR, MAX_YEAR = 1900, 9000
MAX_FILTER_IDS = 100
# A page holds 25 rows; "all matching" is sent as all=1, never as ids.
MAX_BULK_IDS = 1000


class SearchField(forms.CharField):
    """The search box: control characters (a NUL included) are dropped, not refused."""

    def to_python(self, value: Any) -> str:
        return search_text(super().to_python(value))


class IdsField(forms.Field):
    """Several ids from repeated parameters (``?status=3&status=4``)."""

    widget = forms.SelectMultiple
    default_error_messages = {"invalid": _("Choose valid values.")}

    def __init__(self, *, max_ids: int, **kwargs: Any) -> None:
        self.max_ids = max_ids
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[int]:
        if value in self.empty_values:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        ids: list[int] = []
        for item in values:
            try:
                number = int(str(item).strip())
            except ValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from None
            if not 0 < number <= MAX_ID:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            if number not in ids:
                ids.append(number)
        if len(ids) > self.max_ids:
            raise forms.ValidationError(
                _("At most %(max)d values at once.") % {"max": self.max_ids}, code="too_many"
            )
        return ids


def _check_year(value: date | None) -> date | None:
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise forms.ValidationError(
            _("Enter a date between %(min)d and %(max)d.") % {"min": MIN_YEAR, "max": MAX_YEAR}
        )
    return value


class LeadFilterForm(forms.Form):
    """The filters of a lead list, bound to the query string. Fields with errors are ignored
    (and their errors shown); the others still apply."""

    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control",
                "autocomplete": "off",
                "maxlength": 100,
                "placeholder": _("Search by name, company, email or phone"),
            }
        ),
    )
    unassigned = forms.BooleanField(label=_("Unassigned"), required=False)
    my_team = forms.BooleanField(label=_("My team"), required=False)
    status = IdsField(label=_("Status"), required=False, max_ids=MAX_FILTER_IDS)
    source = forms.IntegerField(label=_("Source"), required=False, min_value=1, max_value=MAX_ID)
    tag = IdsField(label=_("Tags"), required=False, max_ids=MAX_FILTER_IDS)
    scoring = forms.TypedChoiceField(
        label=_("Lead scoring"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any scoring")), *((n, str(n)) for n in range(1, 6))],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    key_account = forms.BooleanField(label=_("Key account"), required=False)
    nurturing = forms.BooleanField(label=_("Nurturing"), required=False)
    assigned = forms.IntegerField(
        label=_("Assigned to"), required=False, min_value=1, max_value=MAX_ID
    )
    created_from = forms.DateField(
        label=_("Created from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    created_to = forms.DateField(
        label=_("Created until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("unassigned", "my_team", "key_account", "nurturing"):
            self.fields[name].widget.attrs["class"] = "form-check-input"
        # Labels in the request's language (a lazy string formatted at import would not be).
        scoring: Any = self.fields["scoring"]
        scoring.choices = [
            ("", _("Any scoring")),
            *(
                (
                    n,
                    ngettext("At least %(count)d star", "At least %(count)d stars", n)
                    % {"count": n},
                )
                for n in range(1, 6)
            ),
        ]

    def clean_created_from(self) -> date | None:
        return _check_year(self.cleaned_data.get("created_from"))

    def clean_created_to(self) -> date | None:
        return _check_year(self.cleaned_data.get("created_to"))

    def filters(self) -> LeadFilters:
        """The valid filters (validating the form first)."""
        self.is_valid()
        data = self.cleaned_data
        return LeadFilters(
            q=data.get("q") or "",
            unassigned=bool(data.get("unassigned")),
            my_team=bool(data.get("my_team")),
            statuses=data.get("status") or [],
            source=data.get("source"),
            tags=data.get("tag") or [],
            scoring_min=data.get("scoring"),
            key_account=bool(data.get("key_account")),
            nurturing=bool(data.get("nurturing")),
            assigned=data.get("assigned"),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
        )


class BulkAction:
    ASSIGN_ME = "assign_me"
    ASSIGN = "assign"
    STATUS = "status"
    TAG_ADD = "tag_add"
    TAG_REMOVE = "tag_remove"
    DELETE = "delete"
    CHOICES = [
        (ASSIGN_ME, _("Assign to me")),
        (ASSIGN, _("Assign to…")),
        (STATUS, _("Change status")),
        (TAG_ADD, _("Add a tag")),
        (TAG_REMOVE, _("Remove a tag")),
        (DELETE, _("Delete")),
    ]


class BulkForm(forms.Form):
    """One bulk action on the selected leads: ``ids``, or ``all`` the leads matching ``query``
    (the list's query string) in list ``kind``. The view recomputes the leads from the
    access-filtered list, so ids the user may not see change nothing."""

    action = forms.ChoiceField(choices=BulkAction.CHOICES)
    kind = forms.ChoiceField(choices=[(k, k) for k in ListKind.ALL])
    ids = IdsField(required=False, max_ids=MAX_BULK_IDS)
    all = forms.BooleanField(required=False)
    query = forms.CharField(required=False, strip=False, max_length=4000)
    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    status = forms.ModelChoiceField(queryset=LeadStatus.objects.none(), required=False)
    tag = forms.ModelChoiceField(queryset=Tag.objects.none(), required=False)

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Choices of the user's company only: another company's user, status or tag is refused.
        fields: dict[str, Any] = self.fields
        fields["user"].queryset = company_users(company_id)
        fields["status"].queryset = LeadStatus.objects.filter(company_id=company_id)
        fields["tag"].queryset = Tag.objects.filter(company_id=company_id)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        action = data.get("action")
        needed = {
            BulkAction.ASSIGN: ("user", _("Choose the user to assign the leads to.")),
            BulkAction.STATUS: ("status", _("Choose the new status.")),
            BulkAction.TAG_ADD: ("tag", _("Choose the tag.")),
            BulkAction.TAG_REMOVE: ("tag", _("Choose the tag.")),
        }
        if action in needed:
            name, message = needed[action]
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        if not data.get("all") and not data.get("ids") and "ids" not in self.errors:
            raise forms.ValidationError(_("Select at least one lead."), code="empty")
        return data
