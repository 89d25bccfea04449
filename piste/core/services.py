"""Writes on the generic configuration lists (tags and every registered referential)."""

from __future__ import annotations

import csv
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from piste.core.access import Actor
from piste.core.models import Activity, NamedReferential, Upload
from piste.core.text import fold
from piste.core.timeline import activity_record, diff_fields, snapshot

R = TypeVar("R", bound=NamedReferential)


class ConflictError(ValidationError):
    """Someone else saved the record after its form was opened (its version moved on): the
    second save is refused, never written over the first."""


def referential_check_unique_name(
    *, model: type[NamedReferential], company_id: int, name: str, exclude_pk: int | None = None
) -> None:
    key = fold(name)
    clash = model.objects.filter(company_id=company_id, name_key=key)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    existing = clash.first()
    if existing is not None:
        raise ValidationError(
            {
                "name": _(
                    "“%(name)s” already exists in this company as “%(existing)s” "
                    "(names ignore case and accents)."
                )
                % {"name": name, "existing": existing.name}
            }
        )


def _validate(obj: NamedReferential) -> None:
    """Field rules and the unique name together, so the user sees every error at once."""
    errors: dict[str, list] = {}
    try:
        obj.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        referential_check_unique_name(
            model=type(obj), company_id=obj.company_id, name=obj.name, exclude_pk=obj.pk
        )
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _split(model: type[models.Model], data: dict[str, Any]) -> tuple[dict, dict]:
    plain, many = {}, {}
    for name, value in data.items():
        if model._meta.get_field(name).many_to_many:
            many[name] = value
        else:
            plain[name] = value
    return plain, many


def _set_many(obj: models.Model, many: dict[str, Any], actor: Actor) -> list[dict]:
    changes = []
    for name, values in many.items():
        manager = getattr(obj, name)
        before = set(manager.values_list("pk", flat=True))
        after = {v.pk for v in values}
        if before != after:
            manager.set(values)
            added = sorted(str(v) for v in values if v.pk not in before)
            removed = sorted(str(v) for v in manager.model.objects.filter(pk__in=before - after))
            changes.append({"field": name, "added": added, "removed": removed})
    return changes


@transaction.atomic
def referential_create(*, actor: Actor, model: type[R], data: dict[str, Any]) -> R:
    plain, many = _split(model, data)
    obj = model(company=actor.company, **plain)
    _validate(obj)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:  # a concurrent save of the same name
        raise ValidationError({"name": _("This name already exists in this company.")}) from exc
    _set_many(obj, many, actor)
    activity_record(obj=obj, verb=Activity.Verb.CREATED, actor=actor.user)
    return obj


@transaction.atomic
def referential_update(*, actor: Actor, obj: R, data: dict[str, Any]) -> R:
    if obj.company_id != actor.company.pk:
        raise ValidationError(_("This record belongs to another company."))
    plain, many = _split(type(obj), data)
    before = snapshot(obj, list(plain))
    for name, value in plain.items():
        setattr(obj, name, value)
    _validate(obj)
    changes = diff_fields(before, obj, list(plain))
    if changes:
        try:
            with transaction.atomic():
                obj.save(update_fields=[c["field"] for c in changes] + ["updated_at"])
        except IntegrityError as exc:
            raise ValidationError({"name": _("This name already exists in this company.")}) from exc
    changes += _set_many(obj, many, actor)
    if changes:
        activity_record(
            obj=obj, verb=Activity.Verb.CHANGED, actor=actor.user, data={"changes": changes}
        )
    return obj


@transaction.atomic
def referential_delete(*, actor: Actor, obj: NamedReferential) -> None:
    if obj.company_id != actor.company.pk:
        raise ValidationError(_("This record belongs to another company."))
    # The row goes, its timeline stays: who deleted what, and when, remains readable in audits.
    activity_record(
        obj=obj, verb=Activity.Verb.DELETED, actor=actor.user, data={"message": obj.name}
    )
    try:
        with transaction.atomic():
            obj.delete()
    except models.ProtectedError as exc:
        raise ValidationError(
            _("“%(name)s” is still used by other records and cannot be deleted.")
            % {"name": obj.name}
        ) from exc


MAX_NAMES_IMPORT_BYTES = 2 * 1024 * 1024
# Header cells of a one-column file, compared folded like the names.
_HEADER_WORDS = {
    fold(word)
    for word in (
        "name",
        "names",
        "nom",
        "noms",
        "libelle",
        "label",
        "secteur",
        "secteurs",
        "secteur d'activite",
        "secteurs d'activite",
        "industry sector",
        "industry sectors",
        "industry",
    )
}


class _OneColumn(csv.excel):
    delimiter = ";"


def _decode_text(content: bytes) -> str:
    if b"\x00" in content:
        raise ValidationError(_("This file is not a text (CSV) file."))
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheets saved on Windows write CP1252, the superset of Latin-1 used in France.
        return content.decode("cp1252", errors="strict")


@transaction.atomic
def referential_import_names(
    *, actor: Actor, model: type[NamedReferential], content: bytes
) -> dict[str, int]:
    """Create one entry per line of a one-column CSV; all or nothing.

    Names already present (ignoring case and accents) and repeats inside the file are skipped
    and counted. Any bad line rejects the whole file with a message naming the line.
    """
    import io

    if not content.strip():
        raise ValidationError(_("The file is empty."))
    if len(content) > MAX_NAMES_IMPORT_BYTES:
        raise ValidationError(_("The file is larger than 2 MB."))
    try:
        text = _decode_text(content)
    except UnicodeDecodeError as exc:
        raise ValidationError(_("The file encoding is neither UTF-8 nor Windows-1252.")) from exc
    sample = text[:4096]
    try:
        # A comma stays part of a name ("Conseil, audit"): a one-column file needs no delimiter,
        # and French spreadsheets separate columns with ";" (tab for text exports).
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=";\t")
    except csv.Error:
        dialect = _OneColumn
    max_length = model._meta.get_field("name").max_length or 120
    existing = set(
        model.objects.filter(company_id=actor.company.pk).values_list("name_key", flat=True)
    )
    to_create: list[NamedReferential] = []
    skipped = 0
    errors: list[str] = []
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise ValidationError(_("The file is not valid CSV: %(error)s") % {"error": exc}) from exc
    for number, row in enumerate(rows, start=1):
        name = " ".join(row[0].split()) if row else ""
        if not name:
            continue
        key = fold(name)
        if number == 1 and key in _HEADER_WORDS:
            continue
        if len(name) > max_length:
            errors.append(
                _("Line %(line)d: the name is longer than %(max)d characters.")
                % {"line": number, "max": max_length}
            )
            continue
        if key in existing:
            skipped += 1
            continue
        existing.add(key)
        to_create.append(model(company=actor.company, name=name, name_key=key))
    if errors:
        raise ValidationError(errors[:20])
    if not to_create and not skipped:
        raise ValidationError(_("The file holds no names."))
    created = model.objects.bulk_create(to_create, batch_size=500)
    # bulk_create returns ids on PostgreSQL and SQLite 3.35+; reload to be safe on both.
    keys = [obj.name_key for obj in created]
    for obj in model.objects.filter(company_id=actor.company.pk, name_key__in=keys):
        activity_record(
            obj=obj, verb=Activity.Verb.IMPORTED, actor=actor.user, data={"source": "csv"}
        )
    return {"created": len(created), "skipped": skipped}


@transaction.atomic
def upload_create(*, actor: Actor, image: ContentFile) -> Upload:
    """Store a cleaned image (``piste.core.images.image_clean``) for the actor's company: the row
    records where the file is and who may read it."""
    upload = Upload(company=actor.company, uploaded_by=actor.user)
    upload.file.save(image.name or "image.png", image, save=False)
    upload.save()
    return upload


def referential_get_or_create(*, actor: Actor, model: type[R], name: str) -> tuple[R, bool]:
    """The company's entry named ``name`` (ignoring case and accents), created when missing:
    the "+" next to a field (a job title on the lead form). Returns (entry, created)."""
    same_name = model.objects.filter(company_id=actor.company.pk, name_key=fold(name))
    existing = same_name.first()
    if existing is not None:
        return existing, False
    try:
        return referential_create(actor=actor, model=model, data={"name": name}), True
    except ValidationError:
        # Created by someone else meanwhile: theirs is the one to choose.
        existing = same_name.first()
        if existing is None:
            raise
        return existing, False
