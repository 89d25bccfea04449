"""Helpers of the email tests."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from piste.core.access import actor_for
from piste.emails import services
from piste.emails.models import EmailTemplate

HTMX = {"HX-Request": "true"}


def actor(user: Any) -> Any:
    found = actor_for(user)
    assert found is not None
    return found


def parsed(envelope: Any) -> EmailMessage:
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def pdf(name: str = "devis.pdf", content: bytes = b"%PDF-1.4 devis") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def make_template(company: Any, **data: Any) -> EmailTemplate:
    values = {
        "name": "Relance",
        "kind": "lead",
        "language": "fr",
        "subject": "Bonjour {{ lead.first_name }}",
        "body": "<div>Bonjour {{ lead.first_name }} {{ lead.last_name }}</div>",
        "is_default": True,
        **data,
    }
    return EmailTemplate.objects.create(company=company, **values)


def queue(user: Any, record: Any, **data: Any) -> Any:
    values: dict[str, Any] = {
        "to": ["client@example.test"],
        "subject": "Votre devis",
        "body_html": "<div>Bonjour</div>",
        **data,
    }
    return services.email_queue(actor=actor(user), record=record, **values)


def text(response: Any) -> str:
    return str(response.content.decode())
