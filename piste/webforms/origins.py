"""Which sites may show and post a web form: origins as browsers send them
(``scheme://host[:port]``), checked on the Origin header, else on the Referer."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from piste.webforms.fields import MAX_ORIGINS

# Plain http is refused except for a developer's own machine (a site under construction).
_HOST = re.compile(r"[a-z0-9.\-]+|[0-9a-f:.]+")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def origin_of(url: str) -> str:
    """``https://www.example.fr/contact?x`` -> ``https://www.example.fr``; "" when not a URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    # Host names and addresses only: an origin goes into a Content-Security-Policy header,
    # where ";" or a quote would start another directive.
    if not _HOST.fullmatch(host):
        return ""
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def origins_clean(text: str) -> list[str]:
    """The administrator's list (one a line, or separated by spaces or commas), normalised."""
    origins: list[str] = []
    for raw in text.replace(",", " ").split():
        origin = origin_of(raw)
        parts = urlsplit(raw)
        if not origin or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValidationError(
                _("“%(value)s” is not a site address such as https://www.example.fr.")
                % {"value": raw[:100]}
            )
        host = urlsplit(origin).hostname or ""
        if origin.startswith("http://") and host not in _LOCAL_HOSTS:
            raise ValidationError(
                _("“%(value)s”: use https:// (plain http only for localhost).")
                % {"value": raw[:100]}
            )
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise ValidationError(_("At most %(max)d sites.") % {"max": MAX_ORIGINS})
    return origins


def request_origin(request: HttpRequest) -> str:
    """The site the request comes from: its Origin header, else its Referer's origin; "" when
    the browser sent neither (or the privacy value "null"), which cannot be checked."""
    origin = request.headers.get("Origin", "").strip()
    if origin and origin != "null":
        return origin_of(origin) or origin[:200]
    referer = request.headers.get("Referer", "").strip()
    return origin_of(referer) if referer else ""


def own_origin(request: HttpRequest) -> str:
    try:
        return origin_of(request.build_absolute_uri("/"))
    except Exception:  # a bad Host header (DisallowedHost): then only listed sites pass
        return ""


def origin_allowed(request: HttpRequest, allowed: list[str]) -> tuple[bool, str]:
    """(allowed?, the origin seen). Piste's own page (the hosted form) is always allowed."""
    origin = request_origin(request)
    if not origin:
        return True, ""
    return origin in allowed or origin == own_origin(request), origin
