"""Pictures put into rich text (Trix descriptions): upload, and serve to the uploader's company.

Uploaded files are customer data: they are never served by the web server from MEDIA_URL, only
here, to signed-in users of the company that owns them. ``serve_private_file`` serves any such
file (lead logos too) with headers that keep browsers from sniffing or sharing it.
"""

from __future__ import annotations

import mimetypes
import uuid
from pathlib import PurePosixPath

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from piste.core import services
from piste.core.access import actor_for, require_actor
from piste.core.images import MAX_UPLOAD_BYTES, image_clean
from piste.core.models import Upload
from piste.core.rights import Right
from piste.users import throttle

# Pictures in a description are shown in a page column: 1600 pixels is plenty on any screen.
UPLOAD_MAX_SIDE = 1600
# A request larger than this is refused before its body is read (the image itself is checked
# against MAX_UPLOAD_BYTES; the margin is the multipart envelope).
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 64 * 1024
# Per user (and 4x per address): enough for anyone writing, not for a script filling the disk.
UPLOAD_LIMIT = 60
UPLOAD_WINDOW_SECONDS = 10 * 60
# Each upload has its own unguessable, never reused key: browsers may keep it a while.
CACHE_SECONDS = 24 * 3600
_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def serve_private_file(file: FieldFile, *, max_age: int = CACHE_SECONDS) -> FileResponse:
    """A stored file as an inline download for the signed-in reader: its real content type, no
    sniffing, cached only by the reader's browser. 404 when the file is missing."""
    if not file or not file.name:
        raise Http404
    name = PurePosixPath(file.name).name
    extension = PurePosixPath(name).suffix.lower()
    content_type = (
        _IMAGE_TYPES.get(extension) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    )
    try:
        handle = file.storage.open(file.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type, as_attachment=False, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, max_age=max_age)
    return response


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_POST
def upload_create(request: HttpRequest) -> HttpResponse:
    """POST one image (field ``file``) from the rich-text editor; JSON ``{"url": ...}``."""
    if not getattr(request.user, "is_authenticated", False):
        return _error(_("Sign in again to add pictures."), 403)
    actor = require_actor(request.user)
    if not (actor.has(Right.CREATE_RECORDS) or actor.has(Right.CHANGE_RECORDS)):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_REQUEST_BYTES:
        return _error(_("The image is larger than 5 MB."), 413)
    if not throttle.allow(
        request,
        "rich-text-upload",
        str(actor.user.pk),
        limit=UPLOAD_LIMIT,
        window=UPLOAD_WINDOW_SECONDS,
    ):
        return _error(_("Too many pictures at once: wait a few minutes and try again."), 429)
    file = request.FILES.get("file")
    if file is None:
        return _error(_("Choose an image."), 400)
    try:
        image = image_clean(file, max_side=UPLOAD_MAX_SIDE)
    except ValidationError as exc:
        return _error(" ".join(exc.messages), 400)
    upload = services.upload_create(actor=actor, image=image)
    return JsonResponse({"url": reverse("uploads:file", args=[upload.key])}, status=201)


@require_GET
def upload_file(request: HttpRequest, key: uuid.UUID) -> FileResponse:
    """The picture, for signed-in users of its company; 404 for anyone else (an ``<img>`` does not
    follow a sign-in redirect, and a 404 tells nothing about other companies' files)."""
    actor = actor_for(request.user)
    if actor is None:
        raise Http404
    upload = Upload.objects.filter(company_id=actor.company.pk, key=key).first()
    if upload is None:
        raise Http404
    return serve_private_file(upload.file)
