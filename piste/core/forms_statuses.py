"""Forms of the status configuration pages (lead statuses, prospect statuses, sales stages).
They check the input's shape; ``piste.core.statuses`` checks the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from piste.core.models import WorkflowStatus
from piste.core.statuses import StatusKind


class StatusForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=120)
    is_open = forms.BooleanField(label=pgettext_lazy("lead status", "open"), required=False)
    folded = forms.BooleanField(
        label=_("folded on the kanban"),
        required=False,
        help_text=_(
            "The kanban shows this column folded: its name and count only, its cards once clicked."
        ),
    )

    def __init__(self, *args: Any, kind: StatusKind, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update({"class": "form-control", "autofocus": True})
        self.fields["is_open"].widget.attrs["class"] = "form-check-input"
        self.fields["folded"].widget.attrs["class"] = "form-check-input"
        if not kind.foldable:
            del self.fields["folded"]
        self.fields["is_open"].help_text = kind.open_help

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name


class StatusRolesForm(forms.Form):
    """Which step holds each role of the kind ("Lifecycle"): one select per role.

    The choices come from the steps the page already read, so the selects cost no query.
    """

    def __init__(
        self, *args: Any, kind: StatusKind, statuses: list[WorkflowStatus], **kwargs: Any
    ) -> None:
        self.statuses = {s.pk: s for s in statuses}
        kwargs.setdefault("initial", {s.role: s.pk for s in statuses if s.role})
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(s.pk, s.name) for s in statuses]
        for rule in kind.roles:
            field = forms.TypedChoiceField(
                label=rule.label, coerce=int, choices=choices, help_text=rule.help
            )
            field.error_messages["invalid_choice"] = _("Choose a status of the list.")
            field.widget.attrs["class"] = "form-select"
            self.fields[rule.role] = field

    def chosen(self) -> dict[str, WorkflowStatus]:
        """The chosen step of each role, of a valid form."""
        return {role: self.statuses[pk] for role, pk in self.cleaned_data.items()}


def status_ids(values: list[str]) -> list[int] | None:
    """Status ids posted by the reorder form, or None when one of them is not a number."""
    try:
        ids = [int(v) for v in values]
    except (TypeError, ValueError):
        return None
    # Beyond a bigint, PostgreSQL would refuse the comparison (a 500 instead of an error).
    return ids if all(0 < i < 2**63 for i in ids) else None
