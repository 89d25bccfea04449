"""Writing an email from a record: who may, the record's address and the default template
filled in the chosen language, the do-not-email refusal, attachments checked before anything
is written, and no 500 on any input."""

from __future__ import annotations

import os

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from piste.core.models import Activity
from piste.core.testing import en_client
from piste.emails.models import Email, EmailAttachment
from piste.emails.tests.support import make_template, parsed, pdf, text
from piste.partners.models import Partner

KINDS = ["lead", "partner", "contact", "opportunity"]


def compose_url(kind: str, record) -> str:
    return f"/emails/for/{kind}/{record.pk}/new/"


def post_data(**data):
    return {"language": "fr", "to": "client@example.test", "cc": "", "subject": "Devis",
            "body": "<div>Bonjour</div>", **data}  # fmt: skip


def media_files(settings) -> list[str]:
    found = []
    for _root, _dirs, files in os.walk(settings.MEDIA_ROOT):
        found.extend(files)
    return found


# Who may -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("salesperson", 200),
        ("teammate", 200),
        ("manager", 200),
        ("administrator", 200),
        ("marketing", 200),
        ("outsider", 404),
        ("other", 404),
        ("reader", 403),
    ],
)
def test_compose_follows_the_persona_matrix(personas, records, persona, status):
    client = en_client(getattr(personas, persona))
    for kind in KINDS:
        assert client.get(compose_url(kind, records[kind])).status_code == status, kind
        response = client.post(compose_url(kind, records[kind]), post_data())
        assert response.status_code == (302 if status == 200 else status), kind
    assert Email.objects.count() == (4 if status == 200 else 0)


def test_anonymous_is_sent_to_sign_in(records):
    response = en_client().get(compose_url("lead", records["lead"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_sent_email_lands_on_the_record_and_its_timeline(personas, records):
    lead = records["lead"]
    client = en_client(personas.salesperson)
    response = client.post(compose_url("lead", lead), post_data(subject="Votre devis"),
                           follow=True)  # fmt: skip
    assert "The email is on its way." in text(response)
    email = Email.objects.get()
    assert email.record == lead and email.sender == personas.salesperson
    assert email.to == ["client@example.test"] and email.state == Email.State.QUEUED
    activity = Activity.objects.get(
        content_type=ContentType.objects.get_for_model(lead), object_id=lead.pk,
        verb=Activity.Verb.EMAIL_SENT,
    )  # fmt: skip
    assert activity.data["message"] == "Votre devis" and activity.actor == personas.salesperson


def test_sending_from_the_page_reaches_the_smtp_server(
    personas, records, smtp, immediate_huey, django_capture_on_commit_callbacks
):
    client = en_client(personas.salesperson)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            compose_url("contact", records["contact"]),
            post_data(to="paul@morel.test", cc="a@example.test; b@example.test",
                      attachments=[pdf("offre.pdf", b"%PDF offre"),
                                   SimpleUploadedFile("notes.txt", b"des notes")]),
        )  # fmt: skip
    assert response.status_code == 302
    email = Email.objects.get()
    assert email.state == Email.State.SENT
    message = parsed(smtp.envelopes[0])
    assert message["To"] == "paul@morel.test" and message["Cc"] == "a@example.test, b@example.test"
    files = {f.get_filename(): f.get_content() for f in message.iter_attachments()}
    assert files == {"offre.pdf": b"%PDF offre", "notes.txt": "des notes"}


# The record's address and the templates ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "address"),
    [("lead", "jeanne@lead.test"), ("partner", "contact@morel.test"),
     ("contact", "paul@morel.test"), ("opportunity", "contact@morel.test")],
)  # fmt: skip
def test_the_recipient_is_the_records_address(personas, records, kind, address):
    response = en_client(personas.salesperson).get(compose_url(kind, records[kind]))
    assert response.context["form"]["to"].value() == address


def test_the_default_template_of_the_language_is_filled_in(personas, records):
    company = personas.company
    make_template(company)
    make_template(company, name="Hello", language="en", subject="Hello {{ lead.first_name }}",
                  body="<div>Dear {{ lead.last_name }}, from {{ company.name }}</div>")  # fmt: skip
    client = en_client(personas.salesperson)
    url = compose_url("lead", records["lead"])
    french = client.get(url, {"language": "fr"}).context["form"]
    assert french["subject"].value() == "Bonjour Jeanne"
    assert french["body"].value() == "<div>Bonjour Jeanne Martin</div>"
    english = client.get(url, {"language": "en"}).context["form"]
    assert english["subject"].value() == "Hello Jeanne"
    assert english["body"].value() == "<div>Dear Martin, from Durand Conseil</div>"
    # The page's own language (English here) is the default one.
    assert client.get(url).context["form"]["language"].value() == "en"


def test_placeholders_are_escaped_in_the_body(personas, records):
    lead = records["lead"]
    lead.first_name = "<script>x</script>"
    lead.save(update_fields=["first_name"])
    make_template(personas.company)
    form = (
        en_client(personas.salesperson)
        .get(compose_url("lead", lead), {"language": "fr"})
        .context["form"]
    )
    assert "<script>" not in form["body"].value()
    assert form["subject"].value() == "Bonjour <script>x</script>"  # plain text: not escaped


def test_choosing_a_template_keeps_what_was_typed(personas, records):
    chosen = make_template(personas.company, name="Relance", is_default=False,
                           subject="Relance {{ lead.last_name }}")  # fmt: skip
    client = en_client(personas.salesperson)
    response = client.post(
        compose_url("lead", records["lead"]),
        post_data(to="x@example.test", cc="y@example.test", template=chosen.pk, apply="template"),
    )
    form = response.context["form"]
    assert response.status_code == 200 and not form.is_bound
    assert form["to"].value() == "x@example.test" and form["cc"].value() == "y@example.test"
    assert form["subject"].value() == "Relance Martin"
    assert Email.objects.count() == 0
    # Another language with no template chosen: that language's default one.
    make_template(personas.company, name="Hello", language="en", subject="Hello")
    response = client.post(compose_url("lead", records["lead"]),
                           post_data(language="en", apply="language"))  # fmt: skip
    assert response.context["form"]["subject"].value() == "Hello"


def test_a_template_that_cannot_render_says_why(personas, records):
    make_template(personas.company, body="<div>\n{% for x in today %}{{ x }}{% endfor %}</div>")
    response = en_client(personas.salesperson).get(compose_url("lead", records["lead"]),
                                                   {"language": "fr"})  # fmt: skip
    assert response.status_code == 200
    assert 'data-testid="template-error"' in text(response)
    assert "The template “Relance” cannot be used: Line 2:" in text(response)


def test_templates_of_another_company_or_kind_are_not_offered(personas, records):
    mine = make_template(personas.company)
    other_kind = make_template(personas.company, name="Compte", kind="partner")
    theirs = make_template(personas.other_company, name="Autre")
    client = en_client(personas.salesperson)
    page = text(client.get(compose_url("lead", records["lead"])))
    assert mine.name in page and other_kind.name not in page and theirs.name not in page
    response = client.post(compose_url("lead", records["lead"]), post_data(template=theirs.pk))
    assert response.status_code == 200 and "template" in response.context["form"].errors
    form = client.get(compose_url("lead", records["lead"]), {"template": theirs.pk}).context["form"]
    assert form["subject"].value() is None


# Do not email ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_do_not_email_refuses_with_a_clear_message(personas, records, kind, settings):
    flagged = records["partner"] if kind == "opportunity" else records[kind]
    type(flagged).objects.filter(pk=flagged.pk).update(do_not_email=True)
    client = en_client(personas.salesperson)
    page = text(client.get(compose_url(kind, records[kind])))
    assert 'data-testid="do-not-email"' in page and "asked not to receive emails" in page
    response = client.post(compose_url(kind, records[kind]), post_data(attachments=[pdf()]))
    assert response.status_code == 200
    assert "asked not to receive emails: this email cannot be sent." in text(response)
    assert Email.objects.count() == 0 and EmailAttachment.objects.count() == 0
    assert media_files(settings) == []
    assert not Activity.objects.filter(verb=Activity.Verb.EMAIL_SENT).exists()
    # The record's tab says so instead of offering to write.
    tab = text(client.get(f"/emails/for/{kind}/{records[kind].pk}/"))
    assert "asked not to receive emails" in tab and 'data-testid="write-email"' not in tab


def test_the_service_refuses_too(personas, records):
    from django.core.exceptions import ValidationError

    from piste.emails.tests.support import queue

    Partner.objects.filter(pk=records["partner"].pk).update(do_not_email=True)
    records["opportunity"].partner.refresh_from_db()
    with pytest.raises(ValidationError, match="asked not to receive emails"):
        queue(personas.salesperson, records["opportunity"])
    assert Email.objects.count() == 0


# Attachments -------------------------------------------------------------------------------------


def test_attachments_of_a_wrong_type_are_refused_and_nothing_is_written(
    personas, records, settings
):
    response = en_client(personas.salesperson).post(
        compose_url("lead", records["lead"]),
        post_data(attachments=[pdf(), SimpleUploadedFile("virus.exe", b"MZ")]),
    )
    errors = response.context["form"].errors["attachments"]
    assert errors == [
        "Files of type “exe” are not allowed. Allowed: "
        + ", ".join(sorted(personas.company.crm_settings.document_extensions.split()))
        + "."
    ]
    assert Email.objects.count() == 0 and media_files(settings) == []


def test_attachments_over_the_size_limit_are_refused(personas, records, settings):
    crm = personas.company.crm_settings
    crm.document_max_mb = 1
    crm.save(update_fields=["document_max_mb"])
    big = SimpleUploadedFile("gros.pdf", b"x" * (1024 * 1024 + 1))
    response = en_client(personas.salesperson).post(
        compose_url("lead", records["lead"]), post_data(attachments=[big])
    )
    assert "the limit is 1.0\xa0MB" in response.context["form"].errors["attachments"][0]
    assert Email.objects.count() == 0 and media_files(settings) == []


def test_too_many_attachments_or_empty_ones_are_refused(personas, records, settings):
    client = en_client(personas.salesperson)
    files = [pdf(f"f{n}.pdf") for n in range(11)]
    response = client.post(compose_url("lead", records["lead"]), post_data(attachments=files))
    assert response.context["form"].errors["attachments"] == ["Attach at most 10 files."]
    empty = SimpleUploadedFile("vide.pdf", b"")
    response = client.post(compose_url("lead", records["lead"]), post_data(attachments=[empty]))
    assert response.context["form"].errors["attachments"]
    assert Email.objects.count() == 0 and media_files(settings) == []


def test_attachment_names_are_made_safe(personas, records):
    en_client(personas.salesperson).post(
        compose_url("lead", records["lead"]),
        post_data(attachments=[pdf("../../etc/pass wd.pdf")]),
    )
    attachment = EmailAttachment.objects.get()
    assert attachment.name == "pass_wd.pdf" and ".." not in attachment.file.name


# No 500 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"to": ""},
        {"to": "pas-une-adresse"},
        {"to": "a@example.test", "cc": "nope"},
        {"to": ",".join(f"p{n}@example.test" for n in range(21))},
        {"subject": ""},
        {"subject": "x" * 300},
        {"subject": "   "},
        {"body": ""},
        {"body": "<script>alert(1)</script>"},
        {"language": "de"},
        {"template": "abc"},
        {"template": "9" * 40},
        {"template": "-1"},
        {"to": "a\x00b@example.test"},
    ],
)
def test_bad_posts_show_errors_and_store_nothing(personas, records, data):
    values = post_data(**data) if data else {}
    response = en_client(personas.salesperson).post(compose_url("lead", records["lead"]), values)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Email.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "/emails/for/lead/999999/new/",
        "/emails/for/event/1/new/",
        "/emails/for/nothing/1/new/",
        "/emails/for/lead/99999999999999999999999/new/",
        "/emails/for/lead/abc/new/",
        "/emails/for/lead/999999/",
        "/emails/for/event/1/",
        "/emails/for/lead/99999999999999999999999/",
        "/emails/999999/",
        "/emails/99999999999999999999999/",
        "/emails/1/attachments/99999999999999999999999/",
    ],
)
def test_bad_ids_are_404(personas, records, url):
    assert en_client(personas.salesperson).get(url).status_code == 404


@pytest.mark.parametrize("query", [{"template": "x"}, {"template": "9" * 40},
                                   {"language": "zz"}, {"template": "0"}])  # fmt: skip
def test_bad_query_strings_show_the_form(personas, records, query):
    response = en_client(personas.salesperson).get(compose_url("lead", records["lead"]), query)
    assert response.status_code == 200


def test_wrong_methods(personas, records):
    client = en_client(personas.salesperson)
    assert client.put(compose_url("lead", records["lead"])).status_code == 405
    assert client.post(f"/emails/for/lead/{records['lead'].pk}/").status_code == 405
    assert client.post("/emails/sent/").status_code == 405
