from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from piste.core.testing import Personas, SmtpCollector, free_port, make_personas


@pytest.fixture
def personas(db) -> Personas:
    return make_personas()


@pytest.fixture
def smtp(settings) -> Iterator[SmtpCollector]:
    """A real SMTP server on loopback, and Django's SMTP backend pointed at it."""
    handler = SmtpCollector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield handler
    controller.stop()


@pytest.fixture(autouse=True)
def _isolated_settings(request, settings, tmp_path):
    """Each test gets its own cache and in-process mail outbox unless it asks otherwise.

    Passwords hash with MD5 for speed, except in tests marked ``real_password_hashing``. Outside
    requests the tests run in English.
    """
    if request.node.get_closest_marker("real_password_hashing") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    # Code run outside a request (services, fixtures naming the default statuses) speaks English
    # whatever the previous test's request activated: results never depend on the test order.
    with translation.override("en"):
        yield
