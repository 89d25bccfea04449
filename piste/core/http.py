"""Request types for views: what the middleware adds to Django's HttpRequest.

Annotations only (django-stubs and django-htmx document this pattern): Django still passes its
own request objects, these classes are never instantiated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from piste.users.models import User


class HtmxHttpRequest(HttpRequest):
    """Any request, signed in or not, with django-htmx's ``request.htmx``."""

    htmx: HtmxDetails


class AuthedHttpRequest(HtmxHttpRequest):
    """A request to a ``@login_required`` view: ``request.user`` is a signed-in user."""

    user: User
