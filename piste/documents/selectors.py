"""Reads on documents and print templates. A document is seen through its record: whoever sees
the record (through its entity's checked getter) sees its documents, nobody else."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from piste.core.access import get_or_404, in_company, require_actor
from piste.core.records import kind_of_content_type, record_get_for_user
from piste.documents.models import Document, PrintTemplate

# The Documents tab shows at most this many documents (newest first).
TAB_LIMIT = 200


def documents_of(record: models.Model) -> list[Document]:
    """A record's documents, newest first, with who added them. Queries: 1 (the content type is
    cached), over the (content type, object id, -id) index."""
    content_type = ContentType.objects.get_for_model(record)
    return list(
        Document.objects.filter(content_type=content_type, object_id=record.pk)
        .select_related("uploaded_by")
        .order_by("-id")[:TAB_LIMIT]
    )


def document_get_for_user(user: Any, pk: Any) -> Document:
    """One document of the user's company whose record the user may see (``.record`` set);
    404 otherwise (malformed id, another company, a record out of the user's scope)."""
    actor = require_actor(user)
    document = get_or_404(Document.objects.filter(company_id=actor.company.pk), pk)
    kind = kind_of_content_type(document.content_type_id)
    document.record = record_get_for_user(user, kind.slug, document.object_id)  # type: ignore[attr-defined]
    return document


def print_templates_for_user(user: Any) -> QuerySet[PrintTemplate]:
    """The print templates of the user's company (configuration)."""
    return in_company(user, PrintTemplate.objects.all()).select_related("updated_by")


def print_template_get_for_user(user: Any, pk: Any) -> PrintTemplate:
    return get_or_404(print_templates_for_user(user), pk)
