"""Uploaded images (logos, pictures in descriptions): checked, shrunk and re-encoded.

Pillow decodes the file whatever its name or declared type says; what is stored is a new PNG or
JPEG written from the decoded pixels, so no script, metadata (EXIF location) or polyglot payload
of the upload survives.
"""

from __future__ import annotations

import io
import uuid
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A decompression bomb (a small file of huge dimensions) is refused before it is decoded.
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def image_clean(upload: UploadedFile, *, max_side: int) -> ContentFile:
    """The upload as a safe image at most ``max_side`` pixels wide and high; ValidationError with
    a message for the user otherwise."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("The image is larger than 5 MB."), code="image_size")
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise ValidationError(
                    _("Choose a PNG, JPEG, GIF or WebP image."), code="image_format"
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("The image is too large."), code="image_pixels")
            probe.load()
            image = ImageOps.exif_transpose(probe) or probe
            image.thumbnail((max_side, max_side))
            has_alpha = image.mode in ("RGBA", "LA", "P") and (
                image.mode != "P" or "transparency" in image.info
            )
            out = io.BytesIO()
            if has_alpha:
                image.convert("RGBA").save(out, format="PNG", optimize=True)
                extension = "png"
            else:
                image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
                extension = "jpg"
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("This file is not an image Piste can read."), code="image_invalid"
        ) from exc
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


def image_field_save(
    obj: Model, field: str, upload: UploadedFile | Literal[False] | None, *, max_side: int
) -> dict[str, Any] | None:
    """Set ``obj``'s image ``field`` from a new upload (checked and resized), or clear it (False),
    or keep it (None); the old file goes once the transaction commits. Returns the timeline change,
    or None when nothing changed. Raises ValidationError keyed by ``field``."""
    if upload is None:
        return None
    image = getattr(obj, field)
    old = image.name if image else ""
    if upload is False:
        if not old:
            return None
        setattr(obj, field, None)
    else:
        try:
            cleaned = image_clean(upload, max_side=max_side)
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from exc
        image.save(cleaned.name or f"{field}.png", cleaned, save=False)
    if old:
        storage = image.storage
        transaction.on_commit(lambda: storage.delete(old))
    return {"field": field, "from": None, "to": None}
