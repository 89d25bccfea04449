"""The record's Email tab, an email's page and its attachments, "Sent emails": who sees what,
paging, and pinned query counts."""

from __future__ import annotations

import re

import pytest

from piste.core.testing import en_client
from piste.emails.models import Email
from piste.emails.tests.support import HTMX, pdf, queue, text


def rows(response, testid: str) -> int:
    return text(response).count(f'data-testid="{testid}"')


# The record's tab --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("salesperson", 200), ("teammate", 200), ("manager", 200), ("reader", 200),
     ("outsider", 404), ("other", 404)],
)  # fmt: skip
def test_the_tab_follows_the_persona_matrix(personas, records, persona, status):
    queue(personas.salesperson, records["lead"], subject="Premier devis")
    response = en_client(getattr(personas, persona)).get(f"/emails/for/lead/{records['lead'].pk}/")
    assert response.status_code == status
    if status == 200:
        assert "Premier devis" in text(response)
        # Only those who create records get the button.
        assert ('data-testid="write-email"' in text(response)) == (persona != "reader")


def test_the_tab_is_a_fragment_for_htmx_and_a_page_otherwise(personas, records):
    email = queue(personas.salesperson, records["contact"], subject="Offre",
                  attachments=[pdf("offre.pdf")])  # fmt: skip
    client = en_client(personas.salesperson)
    url = f"/emails/for/contact/{records['contact'].pk}/"
    fragment = text(client.get(url, headers=HTMX))
    page = text(client.get(url))
    assert "<html" not in fragment and "<html" in page
    for body in (fragment, page):
        assert "Offre" in body and "offre.pdf" in body and "Queued" in body
        assert f"/emails/{email.pk}/attachments/" in body


def test_the_tab_pages_by_keyset_and_costs_the_same(personas, records, django_assert_num_queries):
    lead = records["lead"]
    for n in range(25):
        queue(personas.salesperson, lead, subject=f"Message {n:02d}", attachments=[pdf()])
    client = en_client(personas.salesperson)
    url = f"/emails/for/lead/{lead.pk}/"
    client.get(url, headers=HTMX)
    # 1. the session, 2. the user, 3. the memberships, 4. the team ids, 5. the lead (its
    # access getter), 6. the page of emails with their senders, 7. their attachments.
    with django_assert_num_queries(7):
        first = client.get(url, headers=HTMX)
    assert rows(first, "record-email") == 20
    subjects = re.findall(r"Message (\d\d)", text(first))
    assert subjects[0] == "24"
    cursor = re.search(r"cursor=([\w-]+)", text(first)).group(1)  # type: ignore[union-attr]
    with django_assert_num_queries(7):
        second = client.get(url, {"cursor": cursor}, headers=HTMX)
    assert rows(second, "record-email") == 5 and "Message 00" in text(second)
    assert client.get(url, {"cursor": "nonsense'"}).status_code == 200


# An email and its attachments --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("salesperson", 200), ("teammate", 200), ("manager", 200), ("reader", 200),
     ("outsider", 404), ("other", 404)],
)  # fmt: skip
def test_an_email_page_follows_the_persona_matrix(personas, records, persona, status):
    email = queue(personas.salesperson, records["opportunity"], subject="Proposition",
                  body_html='<div>Voir <a href="https://x.test" onclick="x()">ici</a></div>',
                  attachments=[pdf()])  # fmt: skip
    client = en_client(getattr(personas, persona))
    response = client.get(f"/emails/{email.pk}/")
    assert response.status_code == status
    attachment = email.attachments.get()
    download = client.get(f"/emails/{email.pk}/attachments/{attachment.pk}/")
    assert download.status_code == status
    if status == 200:
        assert "Proposition" in text(response) and "onclick" not in text(response)
        assert 'href="https://x.test"' in text(response)
        assert download["Content-Disposition"].startswith("attachment;")
        assert 'filename="devis.pdf"' in download["Content-Disposition"]
        assert download["X-Content-Type-Options"] == "nosniff"
        content = b"".join(download.streaming_content)  # type: ignore[attr-defined]
        assert content == b"%PDF-1.4 devis"


def test_an_attachment_of_another_email_is_404(personas, records):
    first = queue(personas.salesperson, records["lead"], attachments=[pdf()])
    second = queue(personas.salesperson, records["lead"])
    client = en_client(personas.salesperson)
    attachment = first.attachments.get()
    assert client.get(f"/emails/{second.pk}/attachments/{attachment.pk}/").status_code == 404
    attachment.file.delete(save=False)
    assert client.get(f"/emails/{first.pk}/attachments/{attachment.pk}/").status_code == 404


# Sent emails -------------------------------------------------------------------------------------


def test_sent_emails_shows_what_each_persona_may_see(personas, records):
    from piste.leads.tests.factories import make_lead

    queue(personas.salesperson, records["lead"], subject="Du commercial")
    outsider_lead = make_lead(personas.outsider, last_name="Sud", email="sud@example.test")
    queue(personas.outsider, outsider_lead, subject="Autre équipe")
    seen = {name: text(en_client(user).get("/emails/sent/")) for name, user in personas.all.items()}
    assert "Du commercial" in seen["salesperson"] and "Autre équipe" not in seen["salesperson"]
    assert "Autre équipe" in seen["outsider"] and "Du commercial" not in seen["outsider"]
    for name in ("manager", "administrator", "marketing", "reader"):
        assert "Du commercial" in seen[name] and "Autre équipe" in seen[name], name
    assert "Du commercial" not in seen["other"] and "Autre équipe" not in seen["other"]
    assert "No emails." in seen["teammate"]


def test_sent_emails_filters_by_state_and_pages(personas, records, django_assert_num_queries):
    for n in range(26):
        kind = ("lead", "partner", "contact", "opportunity")[n % 4]
        queue(personas.salesperson, records[kind], subject=f"Mail {n:02d}")
    Email.objects.filter(subject="Mail 03").update(state=Email.State.FAILED)
    client = en_client(personas.manager)
    client.get("/emails/sent/")
    # 1-4. session, user, memberships, team ids; 5. the page of emails with their senders,
    # 6. their attachments, 7-10. the records on the page, one query per kind (lead, partner,
    # contact, opportunity; content types are cached).
    with django_assert_num_queries(10):
        response = client.get("/emails/sent/", headers={**HTMX, "HX-Target": "email-rows"})
    assert rows(response, "sent-email") == 25 and "<html" not in text(response)
    cursor = re.search(r"cursor=([\w-]+)", text(response)).group(1)  # type: ignore[union-attr]
    last = client.get("/emails/sent/", {"cursor": cursor})
    assert rows(last, "sent-email") == 1 and "Mail 00" in text(last)
    failed = client.get("/emails/sent/", {"state": "failed"})
    assert rows(failed, "sent-email") == 1 and "Mail 03" in text(failed)
    assert rows(client.get("/emails/sent/", {"state": "nonsense"}), "sent-email") == 25
    assert client.get("/emails/sent/", {"cursor": "\x00bad"}).status_code == 200
