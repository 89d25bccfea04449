from __future__ import annotations

import contextlib
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


@pytest.fixture(autouse=True)
def _browser_pages_settled_before_flush(request):
    """A browser test's pages finish their requests and close before its database is flushed.

    A page left open goes on loading (a record's tabs load after the page): a request still in
    the live server then holds SQLite's tables while the flush runs, the flush fails, and its
    rows break the next test. Requesting the live server here tears this down before it."""
    if "live_server" not in request.fixturenames or "browser" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("live_server")
    browser = request.getfixturevalue("browser")
    yield
    from playwright.sync_api import Error as PlaywrightError

    for context in list(browser.contexts):
        for page in context.pages:
            # A page that never settles is closed all the same.
            with contextlib.suppress(PlaywrightError):
                page.wait_for_load_state("networkidle", timeout=5_000)
        context.close()
