"""The lead fields a web form may ask: a fixed, safe list (no status, owner, scoring or
relation a visitor could set), each with its default label and its size limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: StrOrPromise
    max_length: int
    kind: str = "text"  # text, email, tel, url, choice, textarea


FIELDS: list[FieldSpec] = [
    FieldSpec("civility", _("Civility"), 2, "choice"),
    FieldSpec("first_name", _("First name"), 100),
    FieldSpec("last_name", _("Last name"), 100),
    FieldSpec("enterprise_name", _("Company name"), 200),
    FieldSpec("email", _("Email"), 254, "email"),
    FieldSpec("fixed_phone", _("Phone"), 40, "tel"),
    FieldSpec("mobile_phone", _("Mobile phone"), 40, "tel"),
    FieldSpec("job_title", _("Job title"), 120),
    FieldSpec("postal_code", _("Postal code"), 20),
    FieldSpec("city", _("City"), 200),
    FieldSpec("website", _("Website"), 300, "url"),
    FieldSpec("message", _("Message"), 5000, "textarea"),
]
SPECS = {spec.key: spec for spec in FIELDS}

# A lead needs a last name: every form asks it, required.
ALWAYS_REQUIRED = "last_name"
# At most this many consent checkboxes on one form, each text at most this long.
MAX_CONSENTS = 3
MAX_CONSENT_TEXT = 500
MAX_LABEL = 100
MAX_ORIGINS = 20
# The honeypot: a field people never see (hidden and skipped by keyboard and screen readers)
# and that form-filling robots fill in.
HONEYPOT = "nickname"
