"""The address rate limits count by: the connection's, or behind our proxies the one they saw."""

from __future__ import annotations

import pytest
from django.http import HttpRequest
from django.test import RequestFactory

from piste.core.client import client_ip


def request(remote: str = "10.0.0.5", forwarded: str | None = None) -> HttpRequest:
    made = RequestFactory().get("/")
    made.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        made.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return made


def test_without_a_proxy_the_header_is_the_clients_own_and_ignored(settings):
    settings.TRUSTED_PROXY_HOPS = 0
    assert client_ip(request(forwarded="203.0.113.9")) == "10.0.0.5"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),
        # The client wrote the first entry itself; our proxy appended what it saw.
        (1, "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        (2, "1.2.3.4, 198.51.100.7, 10.1.1.1", "198.51.100.7"),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "", "10.0.0.5"),  # straight to the server (a health check)
        (2, "198.51.100.7", "10.0.0.5"),  # fewer entries than proxies: not through them
        (1, "not-an-address", "10.0.0.5"),
        (1, "1.2.3.4, <script>", "10.0.0.5"),
    ],
)
def test_behind_proxies_the_entry_they_appended_is_the_client(settings, hops, forwarded, expected):
    settings.TRUSTED_PROXY_HOPS = hops
    assert client_ip(request(forwarded=forwarded)) == expected
