"""Reads of web forms: the configuration's (administrators of the company) and the public
endpoint's (by unguessable key, active forms only)."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from piste.core.access import get_or_404, in_company
from piste.webforms.models import WebForm, WebFormSubmission

_KEY = re.compile(r"[A-Za-z0-9_-]+")
# The latest submissions a form's page lists; the lead timelines keep the rest.
RECENT_SUBMISSIONS = 20


def webforms_for_config(user: Any) -> QuerySet[WebForm]:
    return in_company(user, WebForm.objects.select_related("source", "assigned_to", "team"))


def webform_get_for_config(user: Any, pk: Any) -> WebForm:
    return get_or_404(in_company(user, WebForm.objects.all()), pk)


def recent_submissions(webform: WebForm) -> list[WebFormSubmission]:
    return list(
        WebFormSubmission.objects.filter(form=webform)
        .select_related("lead")
        .order_by("-id")[:RECENT_SUBMISSIONS]
    )


def webform_get_public(key: str) -> WebForm:
    """The active form of this key, or 404 (unknown, inactive, or a malformed key alike)."""
    # Keys are token_urlsafe's alphabet: anything else is no form (and never reaches the database).
    if not key or len(key) > 64 or not _KEY.fullmatch(key):
        raise Http404
    webform = (
        WebForm.objects.filter(public_key=key, is_active=True)
        .select_related("company", "assigned_to", "source", "team")
        .first()
    )
    if webform is None:
        raise Http404
    return webform
