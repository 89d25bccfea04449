"""Delivery through a real SMTP server on loopback: the message, its attachment, the account
it leaves by; retries through the job queue, then failure with the error kept."""

from __future__ import annotations

import datetime

import pytest

from piste.core.testing import en_client, free_port
from piste.emails import services
from piste.emails.models import Email, EmailAccount
from piste.emails.tasks import RETRIES
from piste.emails.tests.support import parsed, pdf, queue, text

State = Email.State


def account(company, port: int, **data) -> EmailAccount:
    values = {
        "name": "Commercial",
        "from_address": "ventes@durand.test",
        "from_name": "Durand Conseil",
        "host": "127.0.0.1",
        "port": port,
        "security": EmailAccount.Security.NONE,
        "timeout": 5,
        "is_default": True,
        **data,
    }
    return EmailAccount.objects.create(company=company, **values)


def run_scheduled(huey) -> int:
    """Run the retries waiting in the queue's schedule, as the consumer would when due."""
    ran = 0
    while ran < 10:
        # huey keeps naive UTC times; a day later: every retry is due.
        later = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(
            days=1
        )
        due = huey.read_schedule(later)
        if not due:
            break
        for task in due:
            task.eta = None  # due now: huey would otherwise schedule it again
            huey.execute(task)
            ran += 1
    return ran


def test_the_smtp_server_receives_the_email_with_its_attachment(
    personas, records, smtp, immediate_huey, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(
            personas.salesperson,
            records["lead"],
            to=["jeanne@lead.test"],
            cc=["copie@example.test"],
            subject="Votre devis",
            body_html="<div>Bonjour <strong>Jeanne</strong>,<br>voici le devis.</div>",
            attachments=[pdf("devis.pdf", b"%PDF-1.4 le devis")],
        )
    email.refresh_from_db()
    assert email.state == State.SENT and email.attempts == 1 and email.sent_at is not None
    assert len(smtp.envelopes) == 1
    envelope = smtp.envelopes[0]
    assert sorted(envelope.rcpt_tos) == ["copie@example.test", "jeanne@lead.test"]
    message = parsed(envelope)
    assert message["Subject"] == "Votre devis"
    assert message["From"] == "Piste <piste@example.test>"  # no account: Django's settings
    assert message["To"] == "jeanne@lead.test"
    assert message["Cc"] == "copie@example.test"
    assert message["Reply-To"] == personas.salesperson.email
    assert message["Message-ID"] == email.message_id
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and "Bonjour Jeanne," in plain.get_content()
    assert html is not None and "<strong>Jeanne</strong>" in html.get_content()
    files = list(message.iter_attachments())
    assert [f.get_filename() for f in files] == ["devis.pdf"]
    assert files[0].get_content() == b"%PDF-1.4 le devis"
    assert files[0].get_content_type() == "application/pdf"


def test_the_company_default_account_is_used(personas, records, smtp, settings):
    # Django's own settings point elsewhere: only the account reaches the server.
    settings.EMAIL_PORT = free_port()
    account(personas.company, smtp.port, from_name="Durand Conseil, Société")
    email = queue(personas.salesperson, records["partner"])
    services.email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.state == State.SENT
    sender = parsed(smtp.envelopes[0])["From"].addresses[0]
    assert sender.display_name == "Durand Conseil, Société"
    assert sender.addr_spec == "ventes@durand.test"


def test_a_personal_account_comes_before_the_company_one(personas, records, smtp, settings):
    settings.EMAIL_PORT = free_port()
    account(personas.company, free_port())  # the company's default: nobody listens there
    account(personas.company, smtp.port, name="Perso", from_address="s@durand.test",
            from_name="", is_default=False, user=personas.salesperson)  # fmt: skip
    email = queue(personas.salesperson, records["contact"])
    assert email.from_address == "s@durand.test"
    services.email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.state == State.SENT
    message = parsed(smtp.envelopes[0])
    assert message["From"] == "s@durand.test"
    assert message["Reply-To"] is None  # their own mailbox gets the answers


def test_an_inactive_account_is_not_used(personas, smtp):
    account(personas.company, smtp.port, is_active=False)
    assert services.sending_account(user=personas.salesperson,
                                    company_id=personas.company.pk) is None  # fmt: skip


def test_a_failing_server_is_retried_then_the_email_fails_with_its_error(
    personas, records, immediate_huey, django_capture_on_commit_callbacks
):
    account(personas.company, free_port())  # a closed port on loopback
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(personas.salesperson, records["lead"], attachments=[pdf()])
    email.refresh_from_db()
    # The first attempt failed: the email waits for the next one.
    assert email.state == State.SENDING and email.attempts == 1
    assert "refused" in email.last_error.lower()
    assert run_scheduled(immediate_huey) == RETRIES
    email.refresh_from_db()
    assert email.state == State.FAILED and email.attempts == RETRIES + 1
    assert "refused" in email.last_error.lower()
    page = text(en_client(personas.salesperson).get(f"/emails/{email.pk}/"))
    assert 'data-testid="last-error"' in page and "Failed" in page


def test_a_retry_after_a_failure_delivers(
    personas, records, smtp, immediate_huey, django_capture_on_commit_callbacks
):
    broken = account(personas.company, free_port())
    email = queue(personas.salesperson, records["lead"])
    services.email_send(email_id=email.pk, last_attempt=True)
    email.refresh_from_db()
    assert email.state == State.FAILED
    broken.port = smtp.port
    broken.save(update_fields=["port"])
    client = en_client(personas.salesperson)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/emails/{email.pk}/retry/", follow=True)
    assert "The email is queued again." in text(response)
    email.refresh_from_db()
    assert email.state == State.SENT and email.attempts == 1 and email.last_error == ""
    assert len(smtp.envelopes) == 1
    # A sent email is not sent again.
    response = client.post(f"/emails/{email.pk}/retry/", follow=True)
    assert "Only an email that failed can be sent again." in text(response)
    assert services.email_send(email_id=email.pk) is None
    assert len(smtp.envelopes) == 1


def test_retry_needs_the_right_and_the_email(personas, records):
    email = queue(personas.salesperson, records["lead"])
    Email.objects.filter(pk=email.pk).update(state=State.FAILED)
    assert en_client(personas.reader).post(f"/emails/{email.pk}/retry/").status_code == 403
    assert en_client(personas.outsider).post(f"/emails/{email.pk}/retry/").status_code == 404
    assert en_client(personas.other).post(f"/emails/{email.pk}/retry/").status_code == 404
    assert en_client(personas.salesperson).get(f"/emails/{email.pk}/retry/").status_code == 405
    email.refresh_from_db()
    assert email.state == State.FAILED


@pytest.mark.parametrize("body", ["<div>a</div>", "<p>Bonjour</p><ul><li>un</li></ul>"])
def test_the_plain_text_part_follows_the_html(personas, records, body):
    email = queue(personas.salesperson, records["lead"], body_html=body)
    assert "<" not in email.body_text and email.body_text.strip()
