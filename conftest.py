from __future__ import annotations

import pytest

from piste.core.testing import Personas, make_personas


@pytest.fixture
def personas(db) -> Personas:
    return make_personas()


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
