"""The address a request came from, for rate limits and throttling.

Behind a reverse proxy every request arrives from the proxy's address: limits kept per address
would then be one limit for everybody (five web-form submissions per ten minutes for the whole
internet, a sign-in lock for every user at once). ``TRUSTED_PROXY_HOPS`` tells how many proxies
of ours stand in front: each appends the address it was reached from to ``X-Forwarded-For``, so
the client is the entry that many places from the right. Entries further left are whatever the
client wrote and are never trusted.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = str(request.META.get("REMOTE_ADDR", ""))[:45]
    hops = settings.TRUSTED_PROXY_HOPS
    if hops <= 0:
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
    if len(entries) < hops:
        return remote  # not through our proxies (a direct request, a health check)
    candidate = entries[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
