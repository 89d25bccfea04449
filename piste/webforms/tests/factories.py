"""Web forms for tests, saved through the service as the administrator would."""

from __future__ import annotations

from typing import Any

from piste.core.access import actor_for
from piste.users.models import User
from piste.webforms import services
from piste.webforms.models import WebForm

FIELDS = [
    {"key": "civility", "label": "", "required": False},
    {"key": "first_name", "label": "", "required": False},
    {"key": "last_name", "label": "", "required": True},
    {"key": "enterprise_name", "label": "", "required": False},
    {"key": "email", "label": "Your email", "required": True},
    {"key": "mobile_phone", "label": "", "required": False},
    {"key": "job_title", "label": "", "required": False},
    {"key": "postal_code", "label": "", "required": False},
    {"key": "city", "label": "", "required": False},
    {"key": "message", "label": "", "required": False},
]
CONSENTS = [
    {"text": "I agree to be contacted", "required": True},
    {"text": "I want the newsletter", "required": False},
]


def make_webform(admin: User, **data: Any) -> WebForm:
    actor = actor_for(admin)
    assert actor is not None
    values: dict[str, Any] = {
        "name": "Contact",
        "fields": FIELDS,
        "consents": CONSENTS,
        "allowed_origins": ["https://www.durand.test"],
        "is_active": True,
        **data,
    }
    return services.webform_save(actor=actor, data=values)
