"""No query parameter reaches a 500, whatever it holds (PostgreSQL refuses NUL in text)."""

from __future__ import annotations

import base64
import json

import pytest

from piste.core.testing import en_client


def _cursor(value: object) -> str:
    raw = json.dumps([value, 1, "n"]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


NUL_CURSOR = _cursor("a\x00b")

URLS = [
    "/config/tags/?q=a%00b",
    "/config/industry-sectors/?q=%00",
    f"/config/tags/?cursor={NUL_CURSOR}",
    "/config/users/?q=a%00b",
    f"/config/users/?cursor={NUL_CURSOR}",
    "/config/territory/countries/?q=a%00b",
    "/config/territory/regions/?q=a%00b&country=F%00",
    "/config/territory/departments/?q=%00&country=FR&region=%00",
    "/config/territory/cities/?q=a%00b",
    "/config/territory/cities/?q=75%000",
    f"/config/territory/cities/?cursor={NUL_CURSOR}",
    "/config/territory/cities/new/?country=F%00",
    "/geo/cities/suggest/?q=a%00b",
    "/geo/cities/suggest/?q=75&country=F%00",
]


@pytest.mark.parametrize("url", URLS)
def test_a_nul_in_a_query_parameter_is_ignored_not_a_500(personas, url):
    response = en_client(personas.administrator).get(url)
    assert response.status_code == 200, (url, response.status_code)
