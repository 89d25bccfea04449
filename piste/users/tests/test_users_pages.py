"""Users' pages: sign-in, passwords, profile, company and language switch, users, companies,
CRM settings; through the HTTP client, with a real SMTP server on loopback for the reset mail."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from piste.core.access import actor_for
from piste.core.models import Activity, Tag
from piste.core.rights import Role, Scope
from piste.core.testing import PASSWORD, en_client
from piste.users.forms import SignInForm
from piste.users.models import Company, CrmSettings, Membership, Team, User

NEW_PASSWORD = "Autre-secret-2026!"
LINK = re.compile(r"https?://testserver(/password/reset/[0-9A-Za-z_\-]+/[0-9A-Za-z\-]+/)")


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: str):
    return client.post("/login/", {"username": username, "password": password, **extra})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def form_errors(response, field: str) -> list[str]:
    assert response.status_code == 200, response.status_code
    errors = response.context["form"].errors.get(field, [])
    body = response.content.decode()
    for message in errors:
        assert escape(message) in body, message
    return list(errors)


def locked_message(language: str) -> str:
    with translation.override(language):
        return str(SignInForm.error_messages["locked"]) % {"minutes": 15}


# Sign in and out -----------------------------------------------------------------------------


def test_sign_in_opens_home(personas):
    client = en_client()
    response = sign_in(client, "salesperson")
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert b"Hello Salesperson" in home.content


def test_sign_in_with_a_wrong_password_is_refused(personas):
    client = en_client()
    response = sign_in(client, "salesperson", "wrong")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not signed_in(client)


def test_sign_in_follows_a_local_next_but_not_an_external_one(personas):
    client = en_client()
    response = sign_in(client, "administrator", next="/config/tags/")
    assert response["Location"] == "/config/tags/"
    client = en_client()
    response = sign_in(client, "administrator", next="https://evil.example/")
    assert response["Location"] == "/"


def test_sign_out_is_a_post(personas):
    client = en_client()
    sign_in(client, "salesperson")
    assert client.get("/logout/").status_code == 405
    assert signed_in(client)
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert not signed_in(client)
    assert client.get("/")["Location"] == "/login/?next=/"


def test_user_without_any_company_sees_403_not_500(personas):
    User.objects.create_user(username="solo", email="solo@example.test", password=PASSWORD)
    client = en_client()
    assert sign_in(client, "solo").status_code == 302
    response = client.get("/")
    assert response.status_code == 403
    assert b"You are not allowed to open this page" in response.content
    assert client.get("/profile/").status_code == 403
    assert client.get("/config/").status_code == 403


def test_signed_in_user_opening_login_goes_home(personas):
    client = en_client(personas.reader)
    assert client.get("/login/")["Location"] == "/"


# Sign-in throttling --------------------------------------------------------------------------


def test_five_failures_lock_even_the_right_password(personas):
    client = en_client()
    for _ in range(5):
        assert sign_in(client, "salesperson", "wrong").status_code == 200
    response = sign_in(client, "salesperson")
    assert response.status_code == 200
    assert not signed_in(client)
    assert "Too many failed sign-ins." in response.content.decode()
    assert escape(locked_message("en")) in response.content.decode()


def test_behind_a_proxy_one_visitors_failures_do_not_lock_the_others(personas, settings):
    """All sign-ins arrive from the proxy's address: the address limit counts the visitor's."""
    settings.TRUSTED_PROXY_HOPS = 1
    guesser = en_client()
    guesser.defaults.update(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    for index in range(20):  # four times the per-user limit, over many user names
        sign_in(guesser, f"nobody{index}", "wrong")
    assert "Too many failed sign-ins." in sign_in(guesser, "reader").content.decode()
    colleague = en_client()
    colleague.defaults.update(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert sign_in(colleague, "reader").status_code == 302 and signed_in(colleague)


def test_locked_message_in_french_the_default_language(personas):
    client = Client()  # no Accept-Language: the default language, French
    for _ in range(5):
        sign_in(client, "salesperson", "wrong")
    response = sign_in(client, "salesperson")
    assert response["Content-Language"] == "fr"
    body = response.content.decode()
    assert '<html lang="fr">' in body
    assert "Nom d\u2019utilisateur" in body  # Django's own French catalog is in use
    # The lock message as the French catalog gives it (Piste's own catalog may lag behind).
    assert escape(locked_message("fr")) in body
    assert not signed_in(client)


def test_lock_ignores_case_and_accents_of_the_user_name(personas):
    client = en_client()
    for name in ["SALESPERSON", "Salesperson", "sälesperson", "salesperson ", "salesperson"]:
        sign_in(client, name, "wrong")
    assert "Too many failed sign-ins." in sign_in(client, "salesperson").content.decode()


def test_other_user_names_are_unaffected_until_the_address_limit(personas, settings):
    assert settings.LOGIN_FAILURE_LIMIT == 5  # and the address limit is four times wider
    client = en_client()
    for _ in range(5):
        sign_in(client, "salesperson", "wrong")
    teammate = en_client()
    assert sign_in(teammate, "teammate").status_code == 302
    # 5 failures so far from this address; 14 more stay under the address limit of 20.
    for i in range(14):
        assert sign_in(en_client(), f"ghost{i}", "wrong").status_code == 200
    manager = en_client()
    assert sign_in(manager, "manager").status_code == 302
    # The 20th failure locks the whole address, whoever signs in.
    sign_in(en_client(), "ghost-last", "wrong")
    reader = en_client()
    response = sign_in(reader, "reader")
    assert "Too many failed sign-ins." in response.content.decode()
    assert not signed_in(reader)


def test_sign_in_works_again_after_the_window(personas):
    client = en_client()
    for _ in range(5):
        sign_in(client, "salesperson", "wrong")
    assert sign_in(client, "salesperson").status_code == 200
    cache.clear()  # the counters expire with the window
    assert sign_in(client, "salesperson").status_code == 302
    assert signed_in(client)


def test_a_success_resets_the_user_counter(personas):
    client = en_client()
    for _ in range(4):
        sign_in(client, "salesperson", "wrong")
    assert sign_in(client, "salesperson").status_code == 302
    client.post("/logout/")
    for _ in range(4):
        sign_in(client, "salesperson", "wrong")
    assert sign_in(client, "salesperson").status_code == 302


# Passwords -----------------------------------------------------------------------------------


def test_password_change(personas):
    client = en_client()
    sign_in(client, "reader")
    response = client.post(
        "/profile/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/profile/password/done/"
    assert client.get("/").status_code == 200  # still signed in
    assert sign_in(en_client(), "reader", PASSWORD).status_code == 200
    assert sign_in(en_client(), "reader", NEW_PASSWORD).status_code == 302


def test_password_change_needs_the_old_password(personas):
    client = en_client(personas.reader)
    response = client.post(
        "/profile/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert form_errors(response, "old_password")
    assert fresh(personas.reader).check_password(PASSWORD)


def test_password_change_needs_a_signed_in_user(db):
    assert Client().get("/profile/password/")["Location"].startswith("/login/")


# The ``smtp`` fixture (a real SMTP server on loopback) is in conftest.py.


def body_of(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content()


def test_password_reset_through_a_real_smtp_server(personas, smtp):
    client = en_client()
    response = client.post("/password/reset/", {"email": "Salesperson@Example.test"})
    assert response.status_code == 302
    assert response["Location"] == "/password/reset/sent/"
    assert b"Check your mailbox" in client.get(response["Location"]).content

    assert len(smtp.envelopes) == 1
    envelope = smtp.envelopes[0]
    assert envelope.rcpt_tos == ["salesperson@example.test"]
    text = body_of(envelope.content)
    found = LINK.search(text)
    assert found, text
    assert "salesperson" in text  # the user name is recalled

    confirm = client.get(found.group(1))
    assert confirm.status_code == 302
    set_password_url = confirm["Location"]
    assert set_password_url.endswith("/set-password/")
    page = client.get(set_password_url)
    assert page.context["validlink"]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == "/password/reset/done/"

    assert sign_in(en_client(), "salesperson", NEW_PASSWORD).status_code == 302
    assert sign_in(en_client(), "salesperson", PASSWORD).status_code == 200
    # The link works once.
    again = en_client().get(found.group(1), follow=True)
    assert not again.context["validlink"]


def test_password_reset_for_an_unknown_address_sends_nothing(personas, smtp):
    client = en_client()
    response = client.post("/password/reset/", {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert response["Location"] == "/password/reset/sent/"  # the same page: no address leaks
    assert smtp.envelopes == []


def test_password_reset_of_an_inactive_user_sends_nothing(personas, smtp):
    User.objects.filter(pk=personas.reader.pk).update(is_active=False)
    en_client().post("/password/reset/", {"email": "reader@example.test"})
    assert smtp.envelopes == []


# Profile -------------------------------------------------------------------------------------


def profile_data(user: User, **extra) -> dict:
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "language": user.language,
        "active_company": user.active_company_id or "",
        "active_team": user.active_team_id or "",
    }
    data.update(extra)
    return data


def test_profile_language_english_turns_the_pages_english(personas):
    client = personas.client(personas.administrator)  # no Accept-Language: French by default
    assert client.get("/")["Content-Language"] == "fr"
    response = client.post("/profile/", profile_data(personas.administrator, language="en"))
    assert response.status_code == 302
    assert fresh(personas.administrator).language == "en"
    page = client.get("/")
    assert page["Content-Language"] == "en"
    body = page.content.decode()
    assert '<html lang="en">' in body
    assert "Configuration" in body and "Sign out" in body


def test_profile_language_wins_over_the_browser(personas):
    User.objects.filter(pk=personas.reader.pk).update(language="fr")
    client = en_client(fresh(personas.reader))
    assert client.get("/")["Content-Language"] == "fr"


def test_profile_saves_names_and_email(personas):
    client = en_client(personas.reader)
    data = profile_data(personas.reader, first_name="Renée", email="renee@example.test")
    assert client.post("/profile/", data).status_code == 302
    user = fresh(personas.reader)
    assert (user.first_name, user.email) == ("Renée", "renee@example.test")


def test_profile_email_of_another_user_is_refused(personas):
    client = en_client(personas.reader)
    response = client.post(
        "/profile/", profile_data(personas.reader, email="ADMINISTRATOR@example.test")
    )
    assert form_errors(response, "email")
    assert fresh(personas.reader).email == "reader@example.test"


def test_profile_active_company_must_be_granted(personas):
    client = en_client(personas.reader)
    response = client.post(
        "/profile/", profile_data(personas.reader, active_company=personas.other_company.pk)
    )
    assert form_errors(response, "active_company")
    assert fresh(personas.reader).active_company == personas.company


def test_profile_active_team_is_a_team_of_the_active_company(personas):
    b_team = Team.objects.create(company=personas.other_company, name="Équipe B")
    client = en_client(personas.salesperson)
    response = client.post("/profile/", profile_data(personas.salesperson, active_team=b_team.pk))
    assert form_errors(response, "active_team")
    assert fresh(personas.salesperson).active_team is None
    response = client.post(
        "/profile/", profile_data(personas.salesperson, active_team=personas.north.pk)
    )
    assert response.status_code == 302
    assert fresh(personas.salesperson).active_team == personas.north


def test_profile_garbage_is_a_form_error(personas):
    client = en_client(personas.reader)
    response = client.post(
        "/profile/",
        profile_data(personas.reader, active_company="abc", language="xx", email="nope"),
    )
    assert form_errors(response, "active_company")
    assert form_errors(response, "language")
    assert form_errors(response, "email")


# Company switch ------------------------------------------------------------------------------


@pytest.fixture
def two_companies(personas) -> User:
    """The administrator of A also administers B."""
    Membership.objects.create(
        user=personas.administrator, company=personas.other_company, role=Role.ADMINISTRATOR
    )
    Tag.objects.create(company=personas.company, name="Étiquette de Durand")
    Tag.objects.create(company=personas.other_company, name="Étiquette de Lemoine")
    return personas.administrator


def test_switch_to_a_granted_company(personas, two_companies):
    client = en_client(two_companies)
    home = client.get("/").content.decode()
    assert 'data-testid="company-switcher"' in home and "Lemoine Industrie" in home
    assert "Étiquette de Durand" in client.get("/config/tags/").content.decode()
    response = client.post("/profile/company/", {"company": personas.other_company.pk})
    assert response.status_code == 302 and response["Location"] == "/"
    assert fresh(two_companies).active_company == personas.other_company
    assert "You now work in Lemoine Industrie." in messages_of(client.get("/"))
    tags = client.get("/config/tags/").content.decode()
    assert "Étiquette de Lemoine" in tags and "Étiquette de Durand" not in tags
    users = client.get("/config/users/").content.decode()
    assert "other@example.test" in users and "reader@example.test" not in users


def test_switch_to_a_company_not_granted_is_refused(personas):
    client = en_client(personas.salesperson)
    response = client.post("/profile/company/", {"company": personas.other_company.pk})
    assert response.status_code == 302
    assert "This company is not granted to you." in messages_of(client.get("/"))
    assert fresh(personas.salesperson).active_company == personas.company


def test_switch_to_an_inactive_membership_is_refused(personas, two_companies):
    Membership.objects.filter(user=two_companies, company=personas.other_company).update(
        is_active=False
    )
    client = en_client(two_companies)
    client.post("/profile/company/", {"company": personas.other_company.pk})
    assert fresh(two_companies).active_company == personas.company


@pytest.mark.parametrize("garbage", ["abc", "", "1.5", "-1", "99999999999999999999999", "1e3"])
def test_switch_with_a_garbage_id_is_not_a_500(personas, garbage):
    client = en_client(personas.salesperson)
    response = client.post("/profile/company/", {"company": garbage})
    assert response.status_code == 302
    assert fresh(personas.salesperson).active_company == personas.company


def test_switch_is_post_only(personas):
    assert en_client(personas.reader).get("/profile/company/").status_code == 405


def test_switch_drops_the_team_of_the_previous_company(personas, two_companies):
    User.objects.filter(pk=two_companies.pk).update(active_team=personas.north)
    client = en_client(fresh(two_companies))
    client.post("/profile/company/", {"company": personas.other_company.pk})
    assert fresh(two_companies).active_team is None


# Language switch -----------------------------------------------------------------------------


def test_language_switch_for_an_anonymous_visitor(db):
    client = Client()
    assert client.get("/login/")["Content-Language"] == "fr"
    response = client.post("/profile/language/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert response.cookies["django_language"].value == "en"
    page = client.get("/login/")
    assert page["Content-Language"] == "en"
    assert "Sign in" in page.content.decode()


def test_language_switch_for_a_signed_in_user_saves_the_profile(personas):
    client = personas.client(personas.salesperson)
    response = client.post("/profile/language/", {"language": "en", "next": "/profile/"})
    assert response["Location"] == "/profile/"
    assert fresh(personas.salesperson).language == "en"
    assert client.get("/")["Content-Language"] == "en"
    client.post("/profile/language/", {"language": "fr"})
    assert fresh(personas.salesperson).language == "fr"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "http://evil.example/profile/",
        "javascript:alert(1)",
        "https:///evil.example",
        "\\\\evil.example",
    ],
)
def test_language_switch_does_not_follow_an_external_next(db, target):
    response = Client().post("/profile/language/", {"language": "en", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_language_switch_does_not_follow_an_external_referer(db):
    response = Client().post(
        "/profile/language/", {"language": "en"}, HTTP_REFERER="https://evil.example/page"
    )
    assert response["Location"] == "/"
    response = Client().post(
        "/profile/language/", {"language": "en"}, HTTP_REFERER="http://testserver/login/"
    )
    assert response["Location"] == "http://testserver/login/"


def test_unknown_language_is_refused(personas):
    client = en_client(personas.reader)
    response = client.post("/profile/language/", {"language": "de", "next": "/"})
    assert "django_language" not in response.cookies
    assert fresh(personas.reader).language == ""
    assert "Unknown language." in messages_of(client.get("/"))


# Users of the company ------------------------------------------------------------------------


def invite(client: Client, **extra):
    data = {
        "username": "nouvelle",
        "email": "nouvelle@example.test",
        "first_name": "Noémie",
        "last_name": "Nouvelle",
        "role": Role.SALESPERSON,
        "scope": "",
    }
    data.update(extra)
    return client.post("/config/users/new/", data)


def test_invited_user_gets_a_membership_and_a_set_password_mail(personas):
    client = en_client(personas.administrator)
    response = invite(client, teams=[personas.north.pk])
    assert response.status_code == 302 and response["Location"] == "/config/users/"
    user = User.objects.get(username="nouvelle")
    membership = Membership.objects.get(user=user)
    assert (membership.company, membership.role, membership.is_active) == (
        personas.company,
        Role.SALESPERSON,
        True,
    )
    assert user.active_company == personas.company
    assert list(user.teams.all()) == [personas.north]
    assert not user.has_usable_password()
    assert Activity.objects.filter(object_id=membership.pk, verb=Activity.Verb.CREATED).exists()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nouvelle@example.test"]
    assert message.subject == "Your Piste account is ready"
    found = LINK.search(str(message.body))
    assert found, message.body

    # The link lets the new user choose a password and sign in.
    newcomer = en_client()
    set_password_url = newcomer.get(found.group(1))["Location"]
    done = newcomer.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert sign_in(en_client(), "nouvelle", NEW_PASSWORD).status_code == 302


def test_inviting_a_user_of_another_company_with_the_same_email_grants_access(personas):
    client = en_client(personas.administrator)
    response = invite(client, username="OTHER", email="Other@Example.test", role=Role.MARKETING)
    assert response.status_code == 302
    memberships = Membership.objects.filter(user=personas.other)
    assert {(m.company_id, m.role) for m in memberships} == {
        (personas.other_company.pk, Role.ADMINISTRATOR),
        (personas.company.pk, Role.MARKETING),
    }
    assert mail.outbox == []  # they keep their password
    other = fresh(personas.other)
    assert other.active_company == personas.other_company  # unchanged
    actor = actor_for(other)
    assert actor is not None
    assert len(actor.companies) == 2


def test_inviting_an_existing_user_name_with_another_email_is_refused(personas):
    client = en_client(personas.administrator)
    response = invite(client, username="other", email="someone-else@example.test")
    assert "This user name is already taken." in form_errors(response, "username")
    assert not Membership.objects.filter(user=personas.other, company=personas.company).exists()


def test_inviting_an_existing_email_under_a_new_name_is_refused(personas):
    response = invite(en_client(personas.administrator), email="OTHER@example.test")
    assert "Another user already has this email address." in form_errors(response, "email")
    assert not User.objects.filter(username="nouvelle").exists()


def test_inviting_a_user_already_in_the_company_is_refused(personas):
    response = invite(
        en_client(personas.administrator), username="reader", email="reader@example.test"
    )
    assert "This user already works in this company." in form_errors(response, "username")
    assert Membership.objects.filter(user=personas.reader).count() == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"role": "emperor"}, "role"),
        ({"scope": "galaxy"}, "scope"),
        ({"email": "not-an-email"}, "email"),
        ({"username": ""}, "username"),
        ({"username": "x" * 151}, "username"),
        ({"username": "bad name!"}, "username"),
    ],
    ids=["role", "scope", "email", "empty-username", "long-username", "invalid-username"],
)
def test_invite_with_bad_input_is_a_form_error(personas, extra, field):
    response = invite(en_client(personas.administrator), **extra)
    assert form_errors(response, field)
    assert not User.objects.filter(email="nouvelle@example.test").exists()
    assert mail.outbox == []


def test_invite_into_a_team_of_another_company_is_refused(personas):
    b_team = Team.objects.create(company=personas.other_company, name="Équipe B")
    response = invite(en_client(personas.administrator), teams=[b_team.pk])
    assert form_errors(response, "teams")
    assert not User.objects.filter(username="nouvelle").exists()


def test_users_list_shows_the_company_users(personas):
    body = en_client(personas.administrator).get("/config/users/").content.decode()
    for name in ["administrator", "manager", "salesperson", "reader"]:
        assert f"{name}@example.test" in body
    assert "other@example.test" not in body


def membership_of(user: User) -> Membership:
    return Membership.objects.get(user=user)


def test_membership_edit_writes_the_timeline(personas):
    membership = membership_of(personas.salesperson)
    client = en_client(personas.administrator)
    response = client.post(
        f"/config/users/{membership.pk}/",
        {
            "role": Role.SALES_MANAGER,
            "scope": Scope.OWN,
            "is_active": "on",
            "teams": [personas.south.pk],
        },
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.role, membership.scope) == (Role.SALES_MANAGER, Scope.OWN)
    assert set(personas.salesperson.teams.all()) == {personas.south}
    activity = Activity.objects.get(object_id=membership.pk, verb=Activity.Verb.CHANGED)
    changes = activity.data["changes"]
    assert {"field": "role", "from": "salesperson", "to": "sales_manager"} in changes
    assert {"field": "scope", "from": "", "to": "own"} in changes
    assert {"field": "teams", "added": ["Sud"], "removed": ["Nord"]} in changes
    page = client.get(f"/config/users/{membership.pk}/").content.decode()
    assert 'data-testid="activity"' in page
    # The user's next request works with the new role.
    actor = actor_for(fresh(personas.salesperson))
    assert actor is not None
    assert actor.role == Role.SALES_MANAGER


def test_demoting_the_last_administrator_is_refused(personas):
    membership = membership_of(personas.administrator)
    client = en_client(personas.administrator)
    for data in (
        {"role": Role.SALESPERSON, "is_active": "on"},
        {"role": Role.ADMINISTRATOR},  # deactivated
    ):
        response = client.post(f"/config/users/{membership.pk}/", data)
        assert response.status_code == 200
        assert "A company keeps at least one active administrator" in response.content.decode()
        membership.refresh_from_db()
        assert (membership.role, membership.is_active) == (Role.ADMINISTRATOR, True)
    assert not Activity.objects.filter(object_id=membership.pk).exists()


def test_an_administrator_can_be_demoted_when_another_remains(personas):
    Membership.objects.filter(user=personas.manager).update(role=Role.ADMINISTRATOR)
    membership = membership_of(personas.administrator)
    client = en_client(personas.administrator)
    response = client.post(
        f"/config/users/{membership.pk}/", {"role": Role.READ_ONLY, "is_active": "on"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.READ_ONLY
    # The demoted administrator has lost the configuration pages at once.
    assert client.get("/config/users/").status_code == 403


def test_deactivated_membership_shuts_the_user_out(personas):
    membership = membership_of(personas.salesperson)
    sales_client = personas.client(personas.salesperson)
    assert sales_client.get("/").status_code == 200
    response = en_client(personas.administrator).post(
        f"/config/users/{membership.pk}/", {"role": Role.SALESPERSON}
    )
    assert response.status_code == 302
    assert actor_for(fresh(personas.salesperson)) is None
    assert sales_client.get("/").status_code == 403


def test_deactivated_membership_falls_back_to_another_company(personas):
    Membership.objects.create(
        user=personas.salesperson, company=personas.other_company, role=Role.READ_ONLY
    )
    membership = membership_of_in(personas.salesperson, personas.company)
    en_client(personas.administrator).post(
        f"/config/users/{membership.pk}/", {"role": Role.SALESPERSON}
    )
    actor = actor_for(fresh(personas.salesperson))
    assert actor is not None
    assert actor.company == personas.other_company
    home = en_client(personas.salesperson).get("/")
    assert home.status_code == 200
    assert "You work in Lemoine Industrie" in home.content.decode()


def membership_of_in(user: User, company: Company) -> Membership:
    return Membership.objects.get(user=user, company=company)


def test_membership_edit_with_a_team_of_another_company_is_refused(personas):
    b_team = Team.objects.create(company=personas.other_company, name="Équipe B")
    membership = membership_of(personas.salesperson)
    response = en_client(personas.administrator).post(
        f"/config/users/{membership.pk}/",
        {"role": Role.SALESPERSON, "is_active": "on", "teams": [b_team.pk]},
    )
    assert form_errors(response, "teams")
    assert not b_team.members.exists()


@pytest.mark.parametrize("pk", ["abc", "0", "99999999999999999999999"])
def test_membership_edit_with_a_bad_id_is_404(personas, pk):
    assert en_client(personas.administrator).get(f"/config/users/{pk}/").status_code == 404


# Companies -----------------------------------------------------------------------------------


def create_company(client: Client, **extra):
    data = {
        "name": "Nouvelle Société",
        "legal_form": "SAS",
        "siren": "",
        "address-city_name": "Lyon",
        "address-country": "FR",
    }
    data.update(extra)
    return client.post("/config/companies/new/", data)


def test_administrator_creates_a_company_and_administers_it(personas):
    client = en_client(personas.administrator)
    response = create_company(client, siren="123 456 789")
    assert response.status_code == 302 and response["Location"] == "/config/companies/"
    company = Company.objects.get(name="Nouvelle Société")
    assert company.siren == "123456789"
    assert CrmSettings.objects.filter(company=company).exists()
    membership = Membership.objects.get(user=personas.administrator, company=company)
    assert membership.role == Role.ADMINISTRATOR and membership.is_active
    assert Activity.objects.filter(
        object_id=company.pk, verb=Activity.Verb.CREATED, company_id=company.pk
    ).exists()
    home = client.get("/").content.decode()
    assert 'data-testid="company-switcher"' in home
    assert "Nouvelle Société" in home
    assert "Nouvelle Société" in client.get("/config/companies/").content.decode()
    # They can switch to it and configure it.
    client.post("/profile/company/", {"company": company.pk})
    assert client.get("/config/settings/").status_code == 200


@pytest.mark.parametrize("name", ["durand conseil", "  DURAND   Conseil ", "Lémoine industrie"])
def test_duplicate_company_name_is_a_form_error(personas, name):
    response = create_company(en_client(personas.administrator), name=name)
    assert "A company with this name already exists." in form_errors(response, "name")
    assert Company.objects.count() == 2


@pytest.mark.parametrize("siren", ["12345678", "1234567890", "12345678A", "abcdefghi"])
def test_siren_must_have_nine_digits(personas, siren):
    response = create_company(en_client(personas.administrator), siren=siren)
    assert "A SIREN has 9 digits." in form_errors(response, "siren")
    assert not Company.objects.filter(name="Nouvelle Société").exists()


def test_company_name_is_required(personas):
    response = create_company(en_client(personas.administrator), name="")
    assert form_errors(response, "name")


def test_company_edit_writes_the_timeline(personas):
    client = en_client(personas.administrator)
    response = client.post(
        f"/config/companies/{personas.company.pk}/",
        {
            "name": "Durand Conseil",
            "legal_form": "SARL",
            "siren": "",
            "address-city_name": "Nantes",
            "address-country": "FR",
        },
    )
    assert response.status_code == 302
    activity = Activity.objects.get(object_id=personas.company.pk, verb=Activity.Verb.CHANGED)
    assert {"field": "address", "from": None, "to": "Nantes"} in activity.data["changes"]
    assert {"field": "legal_form", "from": "", "to": "SARL"} in activity.data["changes"]


def test_company_rename_onto_another_company_is_refused(personas):
    response = en_client(personas.administrator).post(
        f"/config/companies/{personas.company.pk}/",
        {"name": "LEMOINE INDUSTRIE", "legal_form": "", "siren": ""},
    )
    assert form_errors(response, "name")
    personas.company.refresh_from_db()
    assert personas.company.name == "Durand Conseil"


def test_company_of_which_one_is_not_administrator_is_404(personas):
    Membership.objects.create(
        user=personas.administrator, company=personas.other_company, role=Role.READ_ONLY
    )
    client = en_client(personas.administrator)
    assert client.get(f"/config/companies/{personas.other_company.pk}/").status_code == 404
    listed = client.get("/config/companies/").context["companies"]
    assert list(listed) == [personas.company]  # B is in the switcher, not in this list


# CRM settings --------------------------------------------------------------------------------


def settings_data(crm: CrmSettings, **extra) -> dict:
    data = {
        "ignored_email_domains": crm.ignored_email_domains,
        "document_max_mb": crm.document_max_mb,
        "document_extensions": crm.document_extensions,
        "version": crm.version,
    }
    if crm.agencies_enabled:
        data["agencies_enabled"] = "on"
    if crm.manage_prospect_statuses:
        data["manage_prospect_statuses"] = "on"
    data.update(extra)
    return data


def crm_of(company: Company) -> CrmSettings:
    return CrmSettings.objects.get(company=company)


def test_toggling_agencies_writes_the_timeline(personas):
    client = en_client(personas.administrator)
    crm = crm_of(personas.company)
    response = client.post("/config/settings/", settings_data(crm, agencies_enabled="on"))
    assert response.status_code == 302
    crm.refresh_from_db()
    assert crm.agencies_enabled is True
    assert crm.version == 2
    activity = Activity.objects.get(object_id=crm.pk, verb=Activity.Verb.CHANGED)
    assert activity.data["changes"] == [{"field": "agencies_enabled", "from": False, "to": True}]
    assert activity.company_id == personas.company.pk
    page = client.get("/config/settings/").content.decode()
    assert "<del>no</del> → <ins>yes</ins>" in page
    assert client.get("/config/agencies/").status_code == 200
    # And back: an unticked box is absent from the POST.
    data = settings_data(crm)
    del data["agencies_enabled"]
    response = client.post("/config/settings/", data)
    assert response.status_code == 302
    assert crm_of(personas.company).agencies_enabled is False
    assert client.get("/config/agencies/").status_code == 404


def test_stale_settings_from_another_tab_are_refused(personas):
    first_tab = en_client(personas.administrator)
    second_tab = en_client(personas.administrator)
    form_a = first_tab.get("/config/settings/").context["form"]
    form_b = second_tab.get("/config/settings/").context["form"]
    assert form_a["version"].value() == form_b["version"].value() == 1
    crm = crm_of(personas.company)
    assert (
        first_tab.post("/config/settings/", settings_data(crm, agencies_enabled="on")).status_code
        == 302
    )
    response = second_tab.post(
        "/config/settings/", settings_data(crm, manage_prospect_statuses="on")
    )
    assert response.status_code == 200
    assert "Someone else changed these settings meanwhile" in response.content.decode()
    crm = crm_of(personas.company)
    assert (crm.agencies_enabled, crm.manage_prospect_statuses, crm.version) == (True, False, 2)
    assert Activity.objects.filter(object_id=crm.pk).count() == 1


def test_ignored_domain_must_be_a_domain(personas):
    crm = crm_of(personas.company)
    response = en_client(personas.administrator).post(
        "/config/settings/",
        settings_data(crm, ignored_email_domains="gmail.com\nnot a domain", agencies_enabled="on"),
    )
    errors = form_errors(response, "ignored_email_domains")
    assert "“not a domain” is not a domain name such as gmail.com." in errors
    crm.refresh_from_db()
    assert crm.agencies_enabled is False and crm.version == 1


def test_ignored_domains_are_normalised(personas):
    crm = crm_of(personas.company)
    response = en_client(personas.administrator).post(
        "/config/settings/",
        settings_data(crm, ignored_email_domains="@Gmail.com, yahoo.fr\n\n gmail.com \n"),
    )
    assert response.status_code == 302
    assert crm_of(personas.company).ignored_email_domains == "gmail.com\nyahoo.fr"


def test_settings_are_per_company(personas):
    crm_b = crm_of(personas.other_company)
    client = en_client(personas.other)
    client.post("/config/settings/", settings_data(crm_b, agencies_enabled="on"))
    assert crm_of(personas.other_company).agencies_enabled is True
    assert crm_of(personas.company).agencies_enabled is False
