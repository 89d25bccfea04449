"""Secrets Piste must give back to a server (SMTP passwords), encrypted at rest.

Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from ``SECRET_KEY``: a copy of the
database alone does not reveal them. Changing ``SECRET_KEY`` makes them unreadable: the
administrator types them again (SecretUnreadable says so where they are used).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils.translation import gettext as _

PREFIX = "fernet:"


class SecretUnreadable(ValueError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "The stored password can no longer be read (the server's secret key "
                "changed): enter it again."
            )
        )


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"piste-secrets:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def secret_encrypt(plain: str) -> str:
    """What to store for ``plain`` ("" stays "")."""
    if not plain:
        return ""
    return PREFIX + _fernet().encrypt(plain.encode()).decode("ascii")


def secret_decrypt(stored: str) -> str:
    """The plain secret; a value stored before encryption existed is returned as it is."""
    if not stored or not stored.startswith(PREFIX):
        return stored
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable from exc
