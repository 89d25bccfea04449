"""Configuration → Emails: accounts (password never shown back, test send through a real
SMTP server) and templates (placeholders checked on save, the error naming its line)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from piste.core.access import require_actor
from piste.core.secrets import SecretUnreadable, secret_decrypt
from piste.core.testing import en_client, free_port
from piste.emails import services
from piste.emails.models import EmailAccount, EmailTemplate
from piste.emails.services import _connection, email_account_test
from piste.emails.tests.support import make_template, parsed, text


def account_data(**data):
    return {"name": "Ventes", "from_address": "ventes@durand.test", "from_name": "Durand",
            "host": "smtp.durand.test", "port": "587", "security": "starttls",
            "username": "ventes", "password": "s3cret-pass", "timeout": "20", "user": "",
            "is_default": "on", "is_active": "on", **data}  # fmt: skip


def template_data(**data):
    return {"name": "Relance", "kind": "lead", "language": "fr",
            "subject": "Bonjour {{ lead.first_name }}",
            "body": "<div>Bonjour {{ lead.last_name }}</div>", "is_default": "on",
            **data}  # fmt: skip


@pytest.fixture
def saved_account(personas) -> EmailAccount:
    return EmailAccount.objects.create(
        company=personas.company, name="Ventes", from_address="ventes@durand.test",
        host="127.0.0.1", port=free_port(), security="none", password="old-secret",
        is_default=True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "status"),
    [("administrator", 200), ("manager", 403), ("salesperson", 403), ("reader", 403),
     ("other", 200)],
)  # fmt: skip
def test_config_pages_follow_the_persona_matrix(personas, saved_account, persona, status):
    template = make_template(personas.company)
    client = en_client(getattr(personas, persona))
    for url in ("/config/emails/", "/config/emails/accounts/", "/config/emails/accounts/new/",
                "/config/emails/templates/", "/config/emails/templates/new/"):  # fmt: skip
        assert client.get(url).status_code == status, url
    # Another company's rows: 404 for its administrator, 403 for those without the right.
    own = 404 if persona == "other" else status
    assert client.get(f"/config/emails/accounts/{saved_account.pk}/").status_code == own
    assert client.get(f"/config/emails/templates/{template.pk}/").status_code == own
    for url in (f"/config/emails/accounts/{saved_account.pk}/delete/",
                f"/config/emails/templates/{template.pk}/delete/"):  # fmt: skip
        assert client.post(url).status_code == (302 if own == 200 else own)
    assert EmailAccount.objects.filter(pk=saved_account.pk).exists() == (own != 200)


def test_an_account_is_created_and_its_password_never_shown(personas):
    client = en_client(personas.administrator)
    response = client.post("/config/emails/accounts/new/", account_data(), follow=True)
    assert "The email account is saved." in text(response)
    account = EmailAccount.objects.get()
    # Stored encrypted, given back to the SMTP connection only.
    assert account.password.startswith("fernet:") and "s3cret" not in account.password
    assert secret_decrypt(account.password) == "s3cret-pass" and account.is_default
    assert "s3cret-pass" not in text(response)
    assert "s3cret-pass" not in text(client.get("/config/emails/accounts/"))
    # Saving without typing it keeps it.
    client.post(f"/config/emails/accounts/{account.pk}/", account_data(password="", name="V2"))
    account.refresh_from_db()
    assert account.name == "V2" and secret_decrypt(account.password) == "s3cret-pass"


def test_a_password_unreadable_after_a_secret_key_change_says_so(personas, settings):
    client = en_client(personas.administrator)
    client.post("/config/emails/accounts/new/", account_data())
    account = EmailAccount.objects.get()
    assert getattr(_connection(account), "password", None) == "s3cret-pass"
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    with pytest.raises(SecretUnreadable, match="enter it again"):
        _connection(account)
    # The test send says so instead of failing (through the service: the new key also ends
    # the administrator's session).
    with pytest.raises(ValidationError, match="enter it again"):
        email_account_test(
            actor=require_actor(personas.administrator), account=account, to="a@b.test"
        )


def test_a_new_default_account_replaces_the_previous_one(personas, saved_account):
    client = en_client(personas.administrator)
    client.post("/config/emails/accounts/new/", account_data(name="Autre"))
    saved_account.refresh_from_db()
    assert not saved_account.is_default
    assert EmailAccount.objects.get(name="Autre").is_default


def test_a_personal_account_is_never_the_company_default(personas):
    client = en_client(personas.administrator)
    client.post("/config/emails/accounts/new/",
                account_data(user=str(personas.salesperson.pk)))  # fmt: skip
    account = EmailAccount.objects.get()
    assert account.user == personas.salesperson and not account.is_default


@pytest.mark.parametrize(
    "data",
    [{"port": "0"}, {"port": "70000"}, {"port": "abc"}, {"host": "bad host;rm"},
     {"from_address": "nope"}, {"security": "quantum"}, {"timeout": "0"},
     {"user": "99999999999999999999"}, {"name": ""}, {"user": "abc"}],
)  # fmt: skip
def test_bad_account_posts_show_errors(personas, data):
    response = en_client(personas.administrator).post(
        "/config/emails/accounts/new/", account_data(**data)
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert EmailAccount.objects.count() == 0


def test_a_user_of_another_company_cannot_own_an_account(personas):
    response = en_client(personas.administrator).post(
        "/config/emails/accounts/new/", account_data(user=str(personas.other.pk))
    )
    assert "user" in response.context["form"].errors
    assert EmailAccount.objects.count() == 0


def test_the_test_button_sends_through_the_account(personas, saved_account, smtp):
    saved_account.port = smtp.port
    saved_account.save(update_fields=["port"])
    client = en_client(personas.administrator)
    response = client.post(f"/config/emails/accounts/{saved_account.pk}/test/",
                           {"to": "admin@example.test"}, follow=True)  # fmt: skip
    assert "A test email was sent to admin@example.test." in text(response)
    message = parsed(smtp.envelopes[0])
    assert message["To"] == "admin@example.test" and message["From"] == "ventes@durand.test"


def test_the_test_button_says_why_it_failed(personas, saved_account):
    client = en_client(personas.administrator)
    response = client.post(f"/config/emails/accounts/{saved_account.pk}/test/",
                           {"to": "admin@example.test"}, follow=True)  # fmt: skip
    assert "The test email could not be sent:" in text(response)
    assert "refused" in text(response).lower()
    response = client.post(f"/config/emails/accounts/{saved_account.pk}/test/", {"to": "x"},
                           follow=True)  # fmt: skip
    assert "Enter a valid email address." in text(response)
    assert client.get(f"/config/emails/accounts/{saved_account.pk}/test/").status_code == 405


# Templates ---------------------------------------------------------------------------------------


def test_a_template_is_saved_with_the_placeholders_documented(personas):
    client = en_client(personas.administrator)
    page = text(client.get("/config/emails/templates/new/"))
    for kind in ("lead", "partner", "contact", "opportunity"):
        assert f'data-testid="placeholders-{kind}"' in page
    assert "{{ record.first_name }}" in page and "{{ user.full_name }}" in page
    response = client.post("/config/emails/templates/new/", template_data(
        body='<div onclick="x()">Bonjour {{ lead.last_name }}<script>x</script></div>'),
        follow=True)  # fmt: skip
    assert "The email template is saved." in text(response)
    template = EmailTemplate.objects.get()
    assert template.body == "<div>Bonjour {{ lead.last_name }}</div>"


@pytest.mark.parametrize(
    ("field", "source", "message"),
    [
        ("body", "<div>Bonjour</div>\n<div>{% if %}</div>", "Line 2:"),
        ("body", "<div>{{ lead.name|nofilter }}</div>", "Line 1:"),
        ("body", "<div>{% include 'x.html' %}</div>", "Line 1:"),
        ("subject", "Bonjour {% endif %}", "Line 1:"),
        ("subject", "{% load static %}", "Line 1:"),
    ],
)
def test_template_syntax_errors_name_their_line(personas, field, source, message):
    response = en_client(personas.administrator).post(
        "/config/emails/templates/new/", template_data(**{field: source})
    )
    errors = response.context["form"].errors[field]
    assert errors and errors[0].startswith(message), errors
    assert EmailTemplate.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [{"kind": "event"}, {"kind": "nothing"}, {"language": "de"}, {"name": "  "},
     {"subject": ""}, {"body": ""}, {"body": "<script>x</script>"}, {"subject": "x" * 300}],
)  # fmt: skip
def test_bad_template_posts_show_errors(personas, data):
    response = en_client(personas.administrator).post(
        "/config/emails/templates/new/", template_data(**data)
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert EmailTemplate.objects.count() == 0


def test_a_new_default_template_replaces_the_previous_one_of_its_language(personas):
    first = make_template(personas.company)
    english = make_template(personas.company, name="EN", language="en")
    en_client(personas.administrator).post("/config/emails/templates/new/", template_data())
    first.refresh_from_db()
    english.refresh_from_db()
    assert not first.is_default and english.is_default
    assert EmailTemplate.objects.filter(is_default=True, language="fr").count() == 1


def test_default_templates_install_once_in_both_languages(personas, records):
    assert services.email_templates_install_defaults(personas.company) == 2
    assert services.email_templates_install_defaults(personas.company) == 0
    names = set(EmailTemplate.objects.filter(company=personas.company, is_default=True)
                .values_list("name", "language"))  # fmt: skip
    assert names == {("Premier contact", "fr"), ("First contact", "en")}
    client = en_client(personas.salesperson)
    form = client.get(f"/emails/for/lead/{records['lead'].pk}/new/",
                      {"language": "fr"}).context["form"]  # fmt: skip
    assert form["subject"].value() == "Durand Conseil : suite à votre demande"
    assert "Bonjour Jeanne Martin," in form["body"].value()
    assert "Salesperson Test" in form["body"].value()


def test_config_lists_query_counts(personas, saved_account, django_assert_num_queries):
    make_template(personas.company)
    make_template(personas.company, name="EN", language="en")
    client = en_client(personas.administrator)
    client.get("/config/emails/accounts/")
    # 1-4. session, user, memberships, team ids; 5. the accounts with their users.
    with django_assert_num_queries(5):
        assert client.get("/config/emails/accounts/").status_code == 200
    # 1-4. the same; 5. the templates.
    with django_assert_num_queries(5):
        response = client.get("/config/emails/templates/")
    assert text(response).count('data-testid="template"') == 2
