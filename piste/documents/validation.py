"""What an uploaded file must be to be kept (documents and email attachments): no larger than
the company's limit, of an allowed type, with a safe name. Settings: Configuration → Settings
(``CrmSettings.document_max_mb``, ``document_extensions``)."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

MAX_NAME = 150


def allowed_extensions(crm_settings: Any) -> set[str]:
    return {e.lower().lstrip(".") for e in crm_settings.document_extensions.split() if e}


def safe_name(name: str) -> str:
    """The file's own name, without any folder, control characters or shell-unfriendly
    characters, at most MAX_NAME characters with its extension kept; "document" if nothing
    is left."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = "".join(
        c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C"
    )
    try:
        cleaned = get_valid_filename(base.strip(" ."))
    except Exception:  # Django refuses names that clean to nothing
        cleaned = ""
    if not cleaned or cleaned.startswith("."):
        cleaned = "document" + (cleaned if cleaned.startswith(".") else "")
    stem, dot, ext = cleaned.rpartition(".")
    if not dot:
        return cleaned[:MAX_NAME]
    return f"{stem[: MAX_NAME - len(ext) - 1]}.{ext[:10]}"


def extension_of(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def validate_upload(upload: UploadedFile, crm_settings: Any) -> str:
    """The safe name of an acceptable upload; ValidationError with a clear message otherwise."""
    name = safe_name(upload.name or "")
    limit = crm_settings.document_max_mb * 1024 * 1024
    if not upload.size:
        raise ValidationError(_("The file “%(name)s” is empty.") % {"name": name})
    if upload.size > limit:
        raise ValidationError(
            _("The file “%(name)s” is %(size)s: the limit is %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    allowed = allowed_extensions(crm_settings)
    ext = extension_of(name)
    if ext not in allowed:
        raise ValidationError(
            _("Files of type “%(ext)s” are not allowed. Allowed: %(allowed)s.")
            % {"ext": ext or _("no extension"), "allowed": ", ".join(sorted(allowed))}
        )
    return name
