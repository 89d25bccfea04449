"""Configuration → Web forms: only administrators build them, within their company; the form
saved asks the chosen fields, keeps the consents and the allowed sites, and gives a snippet."""

from __future__ import annotations

import pytest

from piste.core.testing import en_client
from piste.leads.models import LeadSource
from piste.users.models import Team
from piste.webforms.models import WebForm, WebFormSubmission
from piste.webforms.services import webform_submit
from piste.webforms.tests.factories import make_webform

LIST = "/config/web-forms/"
NEW = "/config/web-forms/new/"


def form_data(**data):
    return {"name": "Contact page", "is_active": "on",
            "ask_first_name": "on", "ask_email": "on", "required_email": "on",
            "label_email": "Your work email", "ask_message": "on",
            "consent_text_1": "I agree to be contacted", "consent_required_1": "on",
            "consent_text_2": "I want the newsletter",
            "allowed_origins": "https://www.durand.test\nhttps://Shop.Durand.test/",
            "thank_you_message": "Thanks!", **data}  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "status"),
    [("administrator", 200), ("manager", 403), ("salesperson", 403), ("marketing", 403),
     ("reader", 403), ("other", 200)],
)  # fmt: skip
def test_config_pages_follow_the_persona_matrix(personas, persona, status):
    webform = make_webform(personas.administrator)
    client = en_client(getattr(personas, persona))
    for url in (LIST, NEW):
        assert client.get(url).status_code == status, url
    # Another company's form: 404 for its administrator, 403 for those without the right.
    own = 404 if persona == "other" else status
    assert client.get(f"{LIST}{webform.pk}/").status_code == own
    response = client.post(f"{LIST}{webform.pk}/", form_data(name="Changed"))
    assert response.status_code == (302 if own == 200 else own)
    assert client.post(f"{LIST}{webform.pk}/delete/").status_code == (302 if own == 200 else own)
    assert WebForm.objects.filter(pk=webform.pk).exists() == (own != 200)
    if own != 200:
        webform.refresh_from_db()
        assert webform.name == "Contact"


def test_anonymous_is_sent_to_sign_in(db):
    response = en_client().get(LIST)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_an_administrator_builds_a_form(personas):
    source = LeadSource.objects.create(company=personas.company, name="Site web")
    client = en_client(personas.administrator)
    response = client.post(
        NEW,
        form_data(source=source.pk, assigned_to=personas.salesperson.pk, team=personas.north.pk),
        follow=True,
    )
    assert "The web form is saved." in response.content.decode()
    webform = WebForm.objects.get()
    assert webform.company == personas.company and webform.created_by == personas.administrator
    # The safe list's order; the last name always asked and required.
    assert webform.fields == [
        {"key": "first_name", "label": "", "required": False},
        {"key": "last_name", "label": "", "required": True},
        {"key": "email", "label": "Your work email", "required": True},
        {"key": "message", "label": "", "required": False},
    ]
    assert webform.consents == [
        {"key": "c1", "text": "I agree to be contacted", "required": True},
        {"key": "c2", "text": "I want the newsletter", "required": False},
    ]
    assert webform.allowed_origins == ["https://www.durand.test", "https://shop.durand.test"]
    assert (webform.source, webform.assigned_to, webform.team) == (
        source, personas.salesperson, personas.north)  # fmt: skip
    assert len(webform.public_key) >= 32
    # The edit page gives the public address and both snippets.
    body = response.content.decode()
    assert f"/forms/{webform.public_key}/" in body
    assert "&lt;iframe src=&quot;http://testserver/forms/" in body
    assert "name=&quot;email&quot;" in body and "name=&quot;consent_c1&quot;" in body


def test_the_edit_page_shows_the_saved_form_and_saves_changes(personas):
    webform = make_webform(personas.administrator)
    client = en_client(personas.administrator)
    page = client.get(f"{LIST}{webform.pk}/").content.decode()
    assert 'value="Contact"' in page and "I agree to be contacted" in page
    assert "https://www.durand.test" in page
    client.post(f"{LIST}{webform.pk}/", form_data(name="Renamed", is_active=""))
    webform.refresh_from_db()
    assert webform.name == "Renamed" and not webform.is_active
    assert [f["key"] for f in webform.fields] == ["first_name", "last_name", "email", "message"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("name", "x" * 101, "Ensure this value has at most 100 characters"),
        ("allowed_origins", "http://www.durand.test", "use https://"),
        ("allowed_origins", "https://www.durand.test/contact", "is not a site address"),
        ("allowed_origins", "javascript:alert(1)", "is not a site address"),
        ("allowed_origins", "https://a;script-src", "is not a site address"),
        ("allowed_origins", "https://a'b.test", "is not a site address"),
        ("redirect_url", "ftp://x.test/", "Enter a valid URL."),
        ("consent_text_1", "y" * 501, "Ensure this value has at most 500 characters"),
        ("label_email", "z" * 101, "Ensure this value has at most 100 characters"),
    ],
)
def test_bad_configuration_is_refused_and_nothing_saved(personas, field, value, message):
    client = en_client(personas.administrator)
    response = client.post(NEW, form_data(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WebForm.objects.exists()


def test_choices_of_another_company_are_refused(personas):
    theirs = LeadSource.objects.create(company=personas.other_company, name="Leur source")
    their_team = Team.objects.create(company=personas.other_company, name="Leur équipe")
    client = en_client(personas.administrator)
    for data in ({"source": theirs.pk}, {"team": their_team.pk},
                 {"assigned_to": personas.other.pk}):  # fmt: skip
        response = client.post(NEW, form_data(**data))
        assert "Select a valid choice" in response.content.decode()
    assert not WebForm.objects.exists()


def test_localhost_may_use_plain_http(personas):
    client = en_client(personas.administrator)
    client.post(NEW, form_data(allowed_origins="http://localhost:8080"))
    assert WebForm.objects.get().allowed_origins == ["http://localhost:8080"]


def test_deleting_a_form_keeps_its_submissions(personas):
    webform = make_webform(personas.administrator)
    submission = webform_submit(
        webform=webform,
        values={"last_name": "Dupont", "email": "jean@client.test"},
        consents={"c1": {"text": "I agree to be contacted", "given": True}},
    )
    response = en_client(personas.administrator).post(f"{LIST}{webform.pk}/delete/")
    assert response.status_code == 302
    assert not WebForm.objects.exists()
    submission = WebFormSubmission.objects.get(pk=submission.pk)
    assert submission.form is None and submission.form_name == "Contact"
    assert submission.consents["c1"]["given"] is True


def test_the_list_shows_the_company_forms_only_in_pinned_queries(
    personas, django_assert_num_queries
):
    make_webform(personas.administrator, name="Contact")
    make_webform(personas.administrator, name="Salon")
    make_webform(personas.other, name="Theirs")
    client = en_client(personas.administrator)
    client.get(LIST)
    # 1. the session, 2. the user, 3. the memberships with their company and CRM settings,
    # 4. the user's team ids, 5. the forms with their source, user and team.
    with django_assert_num_queries(5):
        response = client.get(LIST)
    body = response.content.decode()
    assert body.count('data-testid="webform"') == 2 and "Theirs" not in body


def test_the_edit_page_lists_the_latest_submissions_in_pinned_queries(
    personas, django_assert_num_queries
):
    webform = make_webform(personas.administrator)
    for index in range(3):
        webform_submit(
            webform=webform,
            values={"last_name": f"Dupont {index}", "email": f"p{index}@client.test"},
            consents={},
        )
    client = en_client(personas.administrator)
    client.get(f"{LIST}{webform.pk}/")
    # 1-4. session, user, memberships, team ids; 5. the form; 6-8. the choices of source,
    # user and team; 9. the latest submissions with their leads.
    with django_assert_num_queries(9):
        response = client.get(f"{LIST}{webform.pk}/")
    body = response.content.decode()
    assert body.count('data-testid="submission"') == 3 and "Dupont 2" in body
