"""The SSRF guard: a webhook may only reach the public internet, never Piste's own network
(loopback, private ranges, link-local such as the cloud metadata address 169.254.169.254),
unless ``settings.WEBHOOKS_ALLOW_PRIVATE`` says so (tests, a closed intranet). Checked when
the URL is saved and again before each delivery, on the addresses the name resolves to then:
the delivery connects to the address checked, so a name that changes its answer in between
(DNS rebinding) cannot slip through."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# ValidationError codes of ``resolve``: a name that does not resolve may come back (a delivery
# retries); a refused address will not.
UNRESOLVED = "unresolved"
REFUSED = "refused"


def allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False))


def allow_http() -> bool:
    """Plain http is refused (payloads and signatures travel in the clear) unless the setting
    allows it; loopback URLs may use it whenever private addresses are allowed (tests)."""
    return bool(getattr(settings, "WEBHOOKS_ALLOW_HTTP", False))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> None:
    """ValidationError unless ``url`` is an https (or allowed http) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError(_("Enter an https:// URL."))
    if parts.username or parts.password:
        raise ValidationError(_("The URL must not hold a user name or password."))
    if parts.scheme == "http" and not allow_http():
        loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if not (loopback and allow_private()):
            raise ValidationError(_("Enter an https:// URL: plain http is not allowed."))


def resolve(url: str) -> str:
    """The address to connect to for ``url``'s host, checked; ValidationError if the name does
    not resolve or resolves to an address the guard refuses."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ValidationError(
            _("The host “%(host)s” cannot be found.") % {"host": host[:100]}, code=UNRESOLVED
        ) from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise ValidationError(
            _("The host “%(host)s” cannot be found.") % {"host": host[:100]}, code=UNRESOLVED
        )
    if not allow_private():
        # Every address the name gives must be public, not only the first one.
        refused = [a for a in addresses if not _is_public(a)]
        if refused:
            raise ValidationError(
                _("“%(host)s” points to a private or local address (%(address)s): refused.")
                % {"host": host[:100], "address": refused[0]},
                code=REFUSED,
            )
    return addresses[0]


def check_destination(url: str) -> str:
    """``check_url`` then ``resolve``: the address to connect to."""
    check_url(url)
    return resolve(url)
