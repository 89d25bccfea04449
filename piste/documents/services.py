"""Writes on documents and print templates.

Files go through Django's storage API (``default_storage``): local disk by default, an
S3-compatible bucket in production. A file and its row are written together or not at all: every
upload is checked before the first is stored, and the files already stored are deleted when the
rows cannot be written; a deleted document's file goes once the deletion is committed.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils.translation import gettext as _

from piste.core.access import Actor, require_actor, require_right
from piste.core.models import Activity
from piste.core.rights import Right
from piste.core.timeline import activity_record
from piste.documents.models import Document, PrintTemplate
from piste.documents.validation import validate_upload

# At most this many files in one upload.
MAX_FILES = 20


def guess_mime(name: str) -> str:
    """The type of a file from its (checked) extension; what the browser claimed is ignored."""
    return mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"


def can_delete_document(actor: Actor | None, document: Document) -> bool:
    """Whoever may delete records, or the one who added it while they may change records."""
    if actor is None or document.company_id != actor.company.pk:
        return False
    if actor.has(Right.DELETE_RECORDS):
        return True
    return document.uploaded_by_id == actor.user.pk and actor.has(Right.CHANGE_RECORDS)


def _store(
    *, actor: Actor, record: models.Model, files: Sequence[tuple[File[Any], str, int]]
) -> list[Document]:
    """Store each (file, safe name, size) and write its row and timeline line, all or nothing."""
    content_type = ContentType.objects.get_for_model(record)
    stored: list[str] = []
    documents: list[Document] = []
    try:
        with transaction.atomic():
            for content, name, size in files:
                document = Document(
                    company_id=actor.company.pk,
                    content_type=content_type,
                    object_id=record.pk,
                    name=name,
                    size=size,
                    mime_type=guess_mime(name),
                    uploaded_by=actor.user,
                )
                document.file.save(name, content, save=False)
                stored.append(document.file.name)
                document.save()
                activity_record(
                    obj=record,
                    verb=Activity.Verb.DOCUMENT_ADDED,
                    actor=actor.user,
                    data={"message": name},
                    company_id=actor.company.pk,
                )
                documents.append(document)
    except BaseException:
        # The rows are rolled back: their files must not stay behind in the storage.
        for path in stored:
            default_storage.delete(path)
        raise
    return documents


def documents_add(*, user: Any, record: models.Model, uploads: Sequence[Any]) -> list[Document]:
    """Attach uploaded files to a record the user sees (the caller got it through the checked
    getter). Every file is checked first (size limit, allowed types of the company's settings):
    ValidationError listing each refused file, and nothing written, if one is refused."""
    actor = require_right(user, Right.CHANGE_RECORDS)
    if not uploads:
        raise ValidationError(_("Choose a file to add."))
    errors: list[str] = []
    checked: list[tuple[File[Any], str, int]] = []
    if len(uploads) > MAX_FILES:
        raise ValidationError(_("At most %(count)s files at once.") % {"count": MAX_FILES})
    for upload in uploads:
        try:
            checked.append(
                (upload, validate_upload(upload, actor.company.crm_settings), upload.size)
            )
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return _store(actor=actor, record=record, files=checked)


def document_add(*, user: Any, record: models.Model, upload: Any) -> Document:
    """One uploaded file attached to a record (see ``documents_add``)."""
    return documents_add(user=user, record=record, uploads=[upload])[0]


def document_add_generated(
    *, user: Any, record: models.Model, name: str, content: bytes
) -> Document:
    """A file Piste made (a printed PDF) attached to a record: its name is Piste's own, and the
    upload limits, meant for what users send, do not apply."""
    actor = require_right(user, Right.CHANGE_RECORDS)
    return _store(actor=actor, record=record, files=[(ContentFile(content), name, len(content))])[0]


@transaction.atomic
def document_delete(*, user: Any, document: Document) -> None:
    """Delete a document the user sees; its file leaves the storage once the deletion is
    committed (a rolled-back deletion keeps it)."""
    actor = require_actor(user)
    if not can_delete_document(actor, document):
        raise PermissionDenied("delete_document")
    path = document.file.name
    storage = document.file.storage
    document.delete()
    transaction.on_commit(lambda: storage.delete(path))


def documents_delete_for_record(*, record: models.Model) -> int:
    """Delete every document of a record being deleted (call it from the record's delete
    service, inside its transaction): the generic link has no cascade. Files go on commit."""
    return documents_delete_for_records(model=type(record), ids=[record.pk])


def documents_delete_for_records(*, model: type[models.Model], ids: list[int]) -> int:
    """The same for many records of one model (bulk deletes): one query per thousand ids."""
    content_type = ContentType.objects.get_for_model(model)
    paths: list[str] = []
    count = 0
    for start in range(0, len(ids), 1000):
        rows = Document.objects.filter(
            content_type=content_type, object_id__in=ids[start : start + 1000]
        )
        paths += rows.values_list("file", flat=True)
        count += rows.delete()[0]

    def delete_files() -> None:
        for path in paths:
            default_storage.delete(path)

    transaction.on_commit(delete_files)
    return count


# Print templates ----------------------------------------------------------------------------


@transaction.atomic
def print_template_save(*, user: Any, template: PrintTemplate) -> PrintTemplate:
    """Create or update a print template of the user's company (checked by its form); the
    default of its record type is unique, so the previous one stops being it."""
    actor = require_right(user, Right.MANAGE_CONFIGURATION)
    template.company_id = actor.company.pk
    template.updated_by = actor.user
    if template.is_default:
        others = PrintTemplate.objects.filter(
            company_id=actor.company.pk, kind=template.kind, is_default=True
        )
        if template.pk:
            others = others.exclude(pk=template.pk)
        others.update(is_default=False)
    template.save()
    return template


@transaction.atomic
def print_template_delete(*, user: Any, template: PrintTemplate) -> None:
    actor = require_right(user, Right.MANAGE_CONFIGURATION)
    if template.company_id != actor.company.pk:
        raise PermissionDenied("print_template")
    template.delete()
