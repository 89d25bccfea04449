"""The Documents tab of a record (« Déposer un document »), a document's download and deletion.

Every URL reads the record through ``record_get_for_user`` first (404 for another company's
record or one out of the user's scope); missing rights are 403 after that. The tab answers an
HTMX request with its region (``documents/record_documents.html#region``) and a plain one with a
page of its own, so that the paperclip and the upload form work without JavaScript.

A download is always an attachment (``Content-Disposition: attachment``), never shown inline, and
carries ``nosniff`` and a sandboxing Content-Security-Policy: a stored HTML or SVG file cannot
run in Piste's origin.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.core.access import actor_for, company_required, require_right
from piste.core.http import AuthedHttpRequest
from piste.core.records import kind_of, record_get_for_user, record_url
from piste.core.rights import Right
from piste.documents import selectors, services

TEMPLATE = "documents/record_documents.html"
# Types a browser may be told as they are (the file is downloaded whatever its type); anything
# else goes as bytes.
_SAFE_TYPES = {
    "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain",
    "text/csv",
}  # fmt: skip


def _context(request: AuthedHttpRequest, kind: str, record: Any, **extra: Any) -> dict[str, Any]:
    actor = actor_for(request.user)
    documents = selectors.documents_of(record)
    for document in documents:
        document.can_delete = services.can_delete_document(actor, document)  # type: ignore[attr-defined]
    return {
        "kind": kind,
        "kind_label": kind_of(record).label,
        "record": record,
        "record_url": record_url(record),
        "documents": documents,
        "can_upload": actor is not None and actor.has(Right.CHANGE_RECORDS),
        "errors": [],
        **extra,
    }


def _answer(request: AuthedHttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    if request.htmx:
        # HTMX swaps 2xx answers only: the refused files show in the region, in place.
        return render(request, f"{TEMPLATE}#region", context)
    return render(request, TEMPLATE, context, status=status)


@login_required
@company_required
@require_http_methods(["GET", "POST"])
def record_documents(request: AuthedHttpRequest, kind: str, pk: int) -> HttpResponse:
    """The record's documents; POST adds the files of the upload form (or of a drop)."""
    record = record_get_for_user(request.user, kind, pk)
    if request.method == "GET":
        return _answer(request, _context(request, kind, record))
    require_right(request.user, Right.CHANGE_RECORDS)
    uploads = request.FILES.getlist("files")
    try:
        added = services.documents_add(user=request.user, record=record, uploads=uploads)
    except ValidationError as exc:
        return _answer(request, _context(request, kind, record, errors=exc.messages), 400)
    if request.htmx:
        return _answer(request, _context(request, kind, record, added=added))
    messages.success(
        request,
        _("Added: %(names)s.") % {"names": ", ".join(document.name for document in added)},
    )
    return redirect("documents:record_documents", kind, record.pk)


@login_required
@require_GET
def document_download(request: AuthedHttpRequest, pk: int) -> FileResponse:
    document = selectors.document_get_for_user(request.user, pk)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError) as exc:  # lost from the storage: nothing to send
        raise Http404 from exc
    content_type = (
        document.mime_type if document.mime_type in _SAFE_TYPES else "application/octet-stream"
    )
    response = FileResponse(
        handle, as_attachment=True, filename=document.name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@company_required
@require_POST
def document_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    document = selectors.document_get_for_user(request.user, pk)
    record = document.record  # type: ignore[attr-defined]
    kind = kind_of(record).slug
    services.document_delete(user=request.user, document=document)  # 403 without the right
    if request.htmx:
        return _answer(request, _context(request, kind, record))
    messages.success(request, _("Deleted: %(name)s.") % {"name": document.name})
    return redirect(reverse("documents:record_documents", args=[kind, record.pk]))
