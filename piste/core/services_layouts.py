"""Writes on form layouts: save a company's layout of a form, or put the default back."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from piste.core.access import Actor
from piste.core.layouts import Layout, LayoutField, default_layout, layout_check, spec_get
from piste.core.models_layouts import FormLayout
from piste.core.rights import Right


class LayoutConflictError(ValidationError):
    """Someone else saved (or reset) the layout after the page was opened."""


def _conflict() -> LayoutConflictError:
    return LayoutConflictError(
        _(
            "Someone else changed this layout while you were editing it. Your choices are kept "
            "below: check them and save again to replace the other changes."
        ),
        code="conflict",
    )


def _reset_conflict() -> LayoutConflictError:
    return LayoutConflictError(
        _(
            "Someone else changed this layout meanwhile: check it below, then reset it again "
            "if you still want the default layout."
        ),
        code="conflict",
    )


def _checked(actor: Actor, form_name: str) -> None:
    if not actor.has(Right.MANAGE_CONFIGURATION):
        raise PermissionDenied(Right.MANAGE_CONFIGURATION.label)
    if spec_get(form_name) is None:
        raise ValidationError(_("There is no such form."), code="unknown_form")


def _write(actor: Actor, form_name: str, payload: list[dict], version: int) -> int:
    """Store ``payload`` if the layout is still at ``version`` (0: never saved); the new
    version, or LayoutConflictError and nothing written."""
    if version == 0:
        try:
            # A savepoint: a concurrent first save makes this insert fail, not the transaction.
            with transaction.atomic():
                FormLayout.objects.create(
                    company=actor.company,
                    form_name=form_name,
                    fields=payload,
                    version=1,
                    updated_by=actor.user,
                )
        except IntegrityError as exc:
            raise _conflict() from exc
        return 1
    updated = FormLayout.objects.filter(
        company_id=actor.company.pk, form_name=form_name, version=version
    ).update(
        fields=payload,
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by=actor.user,
    )
    if not updated:
        raise _conflict()
    return version + 1


@transaction.atomic
def form_layout_save(
    *, actor: Actor, form_name: str, fields: Sequence[LayoutField], version: int
) -> Layout:
    """Save the company's layout of ``form_name`` if nobody changed it since ``version`` was read.

    ``fields``: every entry of the form, in order. Refused (ValidationError, nothing written) when
    an entry is unknown, twice or missing, or asks what the form does not allow (hiding or
    making optional an always-mandatory field, requiring a check box or a hidden field)."""
    _checked(actor, form_name)
    spec = spec_get(form_name)
    assert spec is not None
    checked = layout_check(spec, fields)
    new_version = _write(actor, form_name, [f.as_json() for f in checked], version)
    return Layout(spec=spec, fields=checked, version=new_version, is_default=False)


@transaction.atomic
def form_layout_reset(*, actor: Actor, form_name: str, version: int) -> Layout:
    """Put the default layout back (the spec's, following its future changes), under the same
    version check as a save."""
    _checked(actor, form_name)
    spec = spec_get(form_name)
    assert spec is not None
    try:
        new_version = _write(actor, form_name, [], version)
    except LayoutConflictError as exc:
        raise _reset_conflict() from exc
    return Layout(spec=spec, fields=default_layout(spec).fields, version=new_version)
