"""The configuration pages: who may open them, and the generic referential lists end to end."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from piste.core.access import actor_for
from piste.core.models import Activity, Tag
from piste.core.referentials import REGISTRY, Referential
from piste.core.services import MAX_NAMES_IMPORT_BYTES
from piste.core.testing import en_client
from piste.partners.models import IndustrySector
from piste.users.models import CrmSettings, Membership, Team, User

SLUGS = sorted(REGISTRY)
A_NAME = "Réservé Durand"
B_NAME = "Réservé Lemoine"
SAME_COMPANY = ["manager", "salesperson", "teammate", "outsider", "marketing", "reader"]


def form_data(referential: Referential, name: str, **extra: str) -> dict[str, str]:
    """A valid POST for the referential's form: the name and any required plain field."""
    data = {"name": name}
    for field_name in referential.fields:
        field = referential.model._meta.get_field(field_name)
        assert isinstance(field, models.Field)  # editable fields, never a reverse relation
        if field.is_relation or field.blank or field.get_internal_type() == "BooleanField":
            continue
        data[field_name] = field.get_default() or "x"
    data.update(extra)
    return data


def page_rows(response) -> list[str]:
    return [row.name for row in response.context["page"].rows]


def assert_form_error(response, field: str | None = None) -> None:
    """The page is shown again (200) with the form's error message in it."""
    assert response.status_code == 200, response.status_code
    form = response.context["form"]
    errors = form.errors.get(field or "__all__") if field else form.errors
    assert errors, form.errors
    body = response.content.decode()
    messages = errors if field else [m for e in form.errors.values() for m in e]
    for message in messages:
        assert escape(message) in body, message


@pytest.fixture
def enable_agencies(personas):
    CrmSettings.objects.update(agencies_enabled=True)


@pytest.fixture
def rows(personas, enable_agencies) -> dict[str, dict[str, object]]:
    """One row of every referential in company A and one in company B."""
    found: dict[str, dict[str, object]] = {}
    for slug, referential in REGISTRY.items():
        found[slug] = {
            "a": referential.model.objects.create(company=personas.company, name=A_NAME),
            "b": referential.model.objects.create(company=personas.other_company, name=B_NAME),
        }
    return found


def config_urls(personas, rows) -> list[str]:
    admin_membership = Membership.objects.get(user=personas.administrator)
    urls = [
        "/config/",
        "/config/settings/",
        "/config/users/",
        "/config/users/new/",
        f"/config/users/{admin_membership.pk}/",
        "/config/companies/",
        "/config/companies/new/",
        f"/config/companies/{personas.company.pk}/",
    ]
    for slug, referential in sorted(REGISTRY.items()):
        urls += [
            f"/config/{slug}/",
            f"/config/{slug}/new/",
            f"/config/{slug}/{rows[slug]['a'].pk}/",
        ]
        if referential.csv_import:
            urls.append(f"/config/{slug}/import/")
    return urls


# Who may open what ---------------------------------------------------------------------------


def test_every_configuration_page_follows_the_persona_matrix(personas, rows):
    urls = config_urls(personas, rows)
    assert "/config/industry-sectors/import/" in urls
    admin = personas.client(personas.administrator)
    others = {name: personas.client(getattr(personas, name)) for name in SAME_COMPANY}
    anonymous = Client()
    for url in urls:
        assert admin.get(url).status_code == 200, url
        for name, client in others.items():
            assert client.get(url).status_code == 403, (url, name)
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/login/?next={url}", url


def test_forbidden_page_is_the_friendly_403(personas):
    response = en_client(personas.reader).get("/config/")
    assert response.status_code == 403
    assert b"You are not allowed to open this page" in response.content


@pytest.mark.parametrize("slug", SLUGS)
def test_non_administrators_cannot_write_any_list(personas, rows, slug):
    referential = REGISTRY[slug]
    row = rows[slug]["a"]
    for name in SAME_COMPANY:
        client = personas.client(getattr(personas, name))
        url = f"/config/{slug}/new/"
        assert client.post(url, form_data(referential, f"Par {name}")).status_code == 403
        edit = client.post(f"/config/{slug}/{row.pk}/", form_data(referential, "Renamed"))
        assert edit.status_code == 403
        assert client.post(f"/config/{slug}/{row.pk}/delete/").status_code == 403
    names = referential.model.objects.filter(company=personas.company).values_list("name")
    assert not [n for (n,) in names if n.startswith(("Par ", "Renamed"))]
    row.refresh_from_db()
    assert row.name == A_NAME


def test_other_company_gets_404_on_company_a_rows(personas, rows):
    client = personas.client(personas.other)
    admin_membership = Membership.objects.get(user=personas.administrator)
    urls = [f"/config/users/{admin_membership.pk}/", f"/config/companies/{personas.company.pk}/"]
    urls += [f"/config/{slug}/{rows[slug]['a'].pk}/" for slug in SLUGS]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "Volé"}).status_code == 404, url
    for slug in SLUGS:
        row = rows[slug]["a"]
        assert client.post(f"/config/{slug}/{row.pk}/delete/").status_code == 404
        assert REGISTRY[slug].model.objects.filter(pk=row.pk, name=A_NAME).exists()


def test_other_company_lists_never_show_company_a(personas, rows):
    client = personas.client(personas.other)
    for slug in SLUGS:
        response = client.get(f"/config/{slug}/")
        assert response.status_code == 200
        body = response.content.decode()
        assert escape(B_NAME) in body, slug
        assert escape(A_NAME) not in body, slug
        searched = client.get(f"/config/{slug}/", {"q": "reserve"}).content.decode()
        assert escape(A_NAME) not in searched, slug
    users = client.get("/config/users/").content.decode()
    assert "administrator@example.test" not in users and "other@example.test" in users
    companies = client.get("/config/companies/").content.decode()
    assert "Durand Conseil" not in companies and "Lemoine Industrie" in companies


def test_unknown_list_is_404(personas):
    client = personas.client(personas.administrator)
    assert client.get("/config/no-such-list/").status_code == 404
    assert client.get("/config/no-such-list/new/").status_code == 404
    # Only lists that declare a CSV import offer one.
    assert client.get("/config/tags/import/").status_code == 404


def test_agencies_page_follows_the_crm_setting(personas):
    client = personas.client(personas.administrator)
    assert client.get("/config/agencies/").status_code == 404
    assert client.get("/config/agencies/new/").status_code == 404
    assert b"/config/agencies/" not in client.get("/config/").content
    CrmSettings.objects.filter(company=personas.company).update(agencies_enabled=True)
    assert client.get("/config/agencies/").status_code == 200
    assert client.get("/config/agencies/new/").status_code == 200
    assert b"/config/agencies/" in client.get("/config/").content
    # The setting is per company: B still has no agencies.
    assert personas.client(personas.other).get("/config/agencies/").status_code == 404


# Create, edit, delete --------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_created_entry_appears_in_the_list(personas, enable_agencies, slug):
    referential = REGISTRY[slug]
    client = en_client(personas.administrator)
    response = client.post(f"/config/{slug}/new/", form_data(referential, "  Électricité  "))
    assert response.status_code == 302
    assert response["Location"] == f"/config/{slug}/"
    obj = referential.model.objects.get(company=personas.company, name_key="electricite")
    assert obj.name == "Électricité"
    listed = client.get(f"/config/{slug}/")
    assert "Électricité" in page_rows(listed)
    assert Activity.objects.filter(object_id=obj.pk, verb=Activity.Verb.CREATED).count() == 1


@pytest.mark.parametrize("slug", SLUGS)
def test_name_clash_ignoring_case_and_accents_is_a_form_error(personas, enable_agencies, slug):
    referential = REGISTRY[slug]
    client = en_client(personas.administrator)
    assert client.post(f"/config/{slug}/new/", form_data(referential, "Électricité")).status_code
    response = client.post(f"/config/{slug}/new/", form_data(referential, "electricite "))
    assert_form_error(response, "name")
    assert "already exists in this company" in response.content.decode()
    same = referential.model.objects.filter(company=personas.company, name_key="electricite")
    assert same.count() == 1


@pytest.mark.parametrize("slug", SLUGS)
def test_same_name_in_another_company_is_allowed(personas, enable_agencies, slug):
    referential = REGISTRY[slug]
    a = en_client(personas.administrator)
    b = en_client(personas.other)
    assert a.post(f"/config/{slug}/new/", form_data(referential, "Électricité")).status_code == 302
    assert b.post(f"/config/{slug}/new/", form_data(referential, "Électricité")).status_code == 302
    assert referential.model.objects.filter(name_key="electricite").count() == 2


@pytest.mark.parametrize("slug", SLUGS)
def test_rename_onto_an_existing_name_is_a_form_error(personas, enable_agencies, slug):
    referential = REGISTRY[slug]
    model = referential.model
    model.objects.create(company=personas.company, name="Électricité")
    other = model.objects.create(company=personas.company, name="Banque")
    client = en_client(personas.administrator)
    response = client.post(f"/config/{slug}/{other.pk}/", form_data(referential, "ÉLECTRICITÉ"))
    assert_form_error(response, "name")
    other.refresh_from_db()
    assert other.name == "Banque"


@pytest.mark.parametrize("slug", SLUGS)
def test_edit_writes_the_change_on_the_timeline(personas, enable_agencies, slug):
    referential = REGISTRY[slug]
    obj = referential.model.objects.create(company=personas.company, name="Électricité")
    client = en_client(personas.administrator)
    response = client.post(
        f"/config/{slug}/{obj.pk}/", form_data(referential, "Électricité industrielle")
    )
    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.name == "Électricité industrielle"
    assert obj.name_key == "electricite industrielle"
    activity = Activity.objects.get(object_id=obj.pk, verb=Activity.Verb.CHANGED)
    assert activity.actor == personas.administrator
    assert activity.company_id == personas.company.pk
    assert {"field": "name", "from": "Électricité", "to": "Électricité industrielle"} in (
        activity.data["changes"]
    )
    page = client.get(f"/config/{slug}/{obj.pk}/").content.decode()
    assert "<del>Électricité</del> → <ins>Électricité industrielle</ins>" in page


@pytest.mark.parametrize("slug", SLUGS)
def test_saving_without_change_writes_nothing(personas, enable_agencies, slug):
    referential = REGISTRY[slug]
    obj = referential.model.objects.create(company=personas.company, name="Électricité")
    client = en_client(personas.administrator)
    response = client.post(f"/config/{slug}/{obj.pk}/", form_data(referential, "Électricité"))
    assert response.status_code == 302
    assert not Activity.objects.filter(object_id=obj.pk, verb=Activity.Verb.CHANGED).exists()


@pytest.mark.parametrize("slug", SLUGS)
def test_unused_entry_can_be_deleted(personas, enable_agencies, slug):
    referential = REGISTRY[slug]
    obj = referential.model.objects.create(company=personas.company, name="Éphémère")
    client = en_client(personas.administrator)
    assert client.get(f"/config/{slug}/{obj.pk}/delete/").status_code == 405  # POST only
    response = client.post(f"/config/{slug}/{obj.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == f"/config/{slug}/"
    assert not referential.model.objects.filter(pk=obj.pk).exists()
    assert "“Éphémère” was deleted." in response.content.decode()


def test_tag_colour_is_edited(personas):
    tag = Tag.objects.create(company=personas.company, name="Client")
    client = en_client(personas.administrator)
    response = client.post(f"/config/tags/{tag.pk}/", {"name": "Client", "color": "#FF0000"})
    assert response.status_code == 302
    tag.refresh_from_db()
    assert tag.color == "#FF0000"
    activity = Activity.objects.get(object_id=tag.pk, verb=Activity.Verb.CHANGED)
    assert activity.data["changes"] == [{"field": "color", "from": "#6c757d", "to": "#FF0000"}]


def test_team_leader_and_members_are_saved_and_logged(personas):
    client = en_client(personas.administrator)
    data = {
        "name": "Est",
        "leader": personas.outsider.pk,
        "members": [personas.outsider.pk, personas.reader.pk],
    }
    assert client.post("/config/teams/new/", data).status_code == 302
    team = Team.objects.get(company=personas.company, name="Est")
    assert team.leader == personas.outsider
    assert set(team.members.all()) == {personas.outsider, personas.reader}
    data["members"] = [personas.outsider.pk, personas.marketing.pk]
    assert client.post(f"/config/teams/{team.pk}/", data).status_code == 302
    assert set(team.members.all()) == {personas.outsider, personas.marketing}
    activity = Activity.objects.get(object_id=team.pk, verb=Activity.Verb.CHANGED)
    assert activity.data["changes"] == [
        {"field": "members", "added": [str(personas.marketing)], "removed": [str(personas.reader)]}
    ]


def test_deleting_a_users_active_team_clears_it(personas):
    salesperson = personas.salesperson
    salesperson.active_team = personas.north
    salesperson.save(update_fields=["active_team"])
    client = en_client(personas.administrator)
    assert client.post(f"/config/teams/{personas.north.pk}/delete/").status_code == 302
    assert not Team.objects.filter(pk=personas.north.pk).exists()
    salesperson.refresh_from_db()
    assert salesperson.active_team is None  # SET_NULL: the user simply has no active team
    sales_client = personas.client(salesperson)
    assert sales_client.get("/").status_code == 200
    assert sales_client.get("/profile/").status_code == 200
    actor = actor_for(User.objects.get(pk=salesperson.pk))
    assert actor is not None
    assert actor.team_ids == frozenset()


# Search, sort, pagination -------------------------------------------------------------------


def test_search_ignores_case_and_accents(personas):
    for name in ["Électricité", "Électronique", "Bâtiment"]:
        Tag.objects.create(company=personas.company, name=name)
    client = en_client(personas.administrator)
    assert page_rows(client.get("/config/tags/", {"q": "elec"})) == ["Électricité", "Électronique"]
    assert page_rows(client.get("/config/tags/", {"q": "ÉLEC"})) == ["Électricité", "Électronique"]
    assert page_rows(client.get("/config/tags/", {"q": "  bâti "})) == ["Bâtiment"]
    response = client.get("/config/tags/", {"q": "zzz"})
    assert page_rows(response) == []
    assert b"Nothing matches this search." in response.content
    assert page_rows(client.get("/config/tags/", {"q": "%"})) == []
    assert page_rows(client.get("/config/tags/", {"q": "x" * 5000})) == []


def test_sort_by_name_date_and_unknown(personas):
    for name in ["Charlie", "alpha", "Bravo"]:
        Tag.objects.create(company=personas.company, name=name)
    client = en_client(personas.administrator)
    assert page_rows(client.get("/config/tags/")) == ["alpha", "Bravo", "Charlie"]
    assert page_rows(client.get("/config/tags/", {"sort": "name"})) == ["alpha", "Bravo", "Charlie"]
    assert page_rows(client.get("/config/tags/", {"sort": "-name"})) == [
        "Charlie",
        "Bravo",
        "alpha",
    ]
    assert page_rows(client.get("/config/tags/", {"sort": "created_at"})) == [
        "Charlie",
        "alpha",
        "Bravo",
    ]
    assert page_rows(client.get("/config/tags/", {"sort": "-created_at"})) == [
        "Bravo",
        "alpha",
        "Charlie",
    ]
    for unknown in ["password", "company__name", "-id", "name_key; DROP TABLE", ""]:
        response = client.get("/config/tags/", {"sort": unknown})
        assert response.status_code == 200, unknown
        assert page_rows(response) == ["alpha", "Bravo", "Charlie"], unknown


def test_sort_on_a_declared_column(personas):
    Tag.objects.create(company=personas.company, name="Un", color="#000002")
    Tag.objects.create(company=personas.company, name="Deux", color="#000001")
    client = en_client(personas.administrator)
    assert page_rows(client.get("/config/tags/", {"sort": "color"})) == ["Deux", "Un"]
    assert page_rows(client.get("/config/tags/", {"sort": "-color"})) == ["Un", "Deux"]


def test_pagination_walks_every_row_exactly_once(personas):
    Tag.objects.bulk_create(
        Tag(company=personas.company, name=f"Étiquette {i:02}", name_key=f"etiquette {i:02}")
        for i in range(60)
    )
    client = en_client(personas.administrator)
    seen: list[list[str]] = []
    response = client.get("/config/tags/")
    assert response.context["page"].prev_cursor is None
    while True:
        seen.append(page_rows(response))
        cursor = response.context["page"].next_cursor
        if cursor is None:
            break
        assert 'rel="next"' in response.content.decode()
        response = client.get("/config/tags/", {"cursor": cursor})
        assert len(seen) < 10
    assert [len(p) for p in seen] == [25, 25, 10]
    flat = [name for p in seen for name in p]
    assert flat == [f"Étiquette {i:02}" for i in range(60)]
    back: list[list[str]] = [page_rows(response)]
    while (cursor := response.context["page"].prev_cursor) is not None:
        response = client.get("/config/tags/", {"cursor": cursor})
        back.append(page_rows(response))
        assert len(back) < 10
    assert list(reversed(back)) == seen


def test_pagination_keeps_search_and_sort(personas):
    Tag.objects.bulk_create(
        Tag(company=personas.company, name=f"Rouge {i:02}", name_key=f"rouge {i:02}")
        for i in range(30)
    )
    Tag.objects.create(company=personas.company, name="Bleu")
    client = en_client(personas.administrator)
    first = client.get("/config/tags/", {"q": "rouge", "sort": "-name"})
    assert page_rows(first)[0] == "Rouge 29"
    cursor = first.context["page"].next_cursor
    second = client.get("/config/tags/", {"q": "rouge", "sort": "-name", "cursor": cursor})
    assert page_rows(second) == ["Rouge 04", "Rouge 03", "Rouge 02", "Rouge 01", "Rouge 00"]


@pytest.mark.parametrize("cursor", ["%%%", "abc", "eyJ4Ijo", "W251bGwsMSwibiJd", "=" * 10])
def test_tampered_cursor_shows_page_one(personas, cursor):
    for i in range(30):
        Tag.objects.create(company=personas.company, name=f"T{i:02}")
    client = en_client(personas.administrator)
    response = client.get("/config/tags/", {"cursor": cursor})
    assert response.status_code == 200
    assert page_rows(response) == [f"T{i:02}" for i in range(25)]


def test_htmx_rows_request_returns_only_the_rows(personas):
    Tag.objects.create(company=personas.company, name="Client")
    client = en_client(personas.administrator)
    response = client.get("/config/tags/", headers={"HX-Request": "true", "HX-Target": "rows"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and '<nav class="navbar' not in body
    assert "<table" in body and "Client" in body
    # Another target (or no htmx) gets the whole page.
    full = client.get("/config/tags/", headers={"HX-Request": "true", "HX-Target": "main"})
    assert "<html" in full.content.decode()
    assert "<html" in client.get("/config/tags/").content.decode()


def test_tags_list_query_count_is_pinned(personas, django_assert_num_queries):
    client = personas.client(personas.administrator)
    # 1. the session, 2. the user, 3. the memberships with their company and CRM settings,
    # 4. the user's team ids in the active company, 5. the page of tags.
    with django_assert_num_queries(5):
        assert client.get("/config/tags/").status_code == 200
    Tag.objects.bulk_create(
        Tag(company=personas.company, name=f"Tag {i:02}", name_key=f"tag {i:02}") for i in range(60)
    )
    with django_assert_num_queries(5):
        response = client.get("/config/tags/")
    assert len(response.context["page"].rows) == 25
    with django_assert_num_queries(5):
        client.get("/config/tags/", {"cursor": response.context["page"].next_cursor})


def test_teams_list_query_count_does_not_grow_with_leaders(personas):
    client = personas.client(personas.administrator)
    client.get("/config/teams/")
    with CaptureQueriesContext(connection) as few:
        client.get("/config/teams/")
    for i in range(30):
        Team.objects.create(company=personas.company, name=f"Équipe {i}", leader=personas.manager)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/config/teams/")
    assert len(many) == len(few)  # the leaders come with the page (select_related)
    assert str(personas.manager) in response.content.decode()


# Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "data", "field"),
    [
        ("tags", {"name": "", "color": "#123456"}, "name"),
        ("tags", {"name": "    ", "color": "#123456"}, "name"),
        ("tags", {"name": "x" * 500, "color": "#123456"}, "name"),
        ("tags", {"name": "Rouge", "color": "red"}, "color"),
        ("tags", {"name": "Rouge", "color": "#12345g"}, "color"),
        ("tags", {"name": "Rouge", "color": ""}, "color"),
        ("teams", {"name": "Est", "leader": "999999"}, "leader"),
        ("teams", {"name": "Est", "leader": "abc"}, "leader"),
        ("industry-sectors", {"csrfmiddlewaretoken": "x"}, "name"),
        ("departments", {"name": "Achats", "code": "C" * 21}, "code"),
    ],
    ids=[
        "empty-name",
        "blank-name",
        "500-char-name",
        "colour-red",
        "colour-not-hex",
        "colour-empty",
        "unknown-leader",
        "garbage-leader",
        "no-name",
        "long-code",
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(personas, slug, data, field):
    model = REGISTRY[slug].model
    before = model.objects.count()
    response = en_client(personas.administrator).post(f"/config/{slug}/new/", data)
    assert_form_error(response, field)
    assert model.objects.count() == before
    assert not Activity.objects.exists()


def test_leader_or_member_from_another_company_is_rejected(personas):
    client = en_client(personas.administrator)
    response = client.post("/config/teams/new/", {"name": "Est", "leader": personas.other.pk})
    assert_form_error(response, "leader")
    response = client.post(
        "/config/teams/new/",
        {"name": "Est", "members": [personas.salesperson.pk, personas.other.pk]},
    )
    assert_form_error(response, "members")
    assert not Team.objects.filter(name="Est").exists()
    # Nor by editing an existing team.
    response = client.post(
        f"/config/teams/{personas.north.pk}/", {"name": "Nord", "members": [personas.other.pk]}
    )
    assert_form_error(response, "members")
    assert personas.other not in personas.north.members.all()


def test_form_offers_only_users_of_the_company(personas):
    response = en_client(personas.administrator).get("/config/teams/new/")
    leaders = response.context["form"].fields["leader"].queryset
    assert personas.other not in leaders and personas.salesperson in leaders


def test_edit_with_bad_input_keeps_the_row(personas):
    tag = Tag.objects.create(company=personas.company, name="Client", color="#123456")
    client = en_client(personas.administrator)
    # The form checks the name; the service then checks the whole row (colour included).
    assert_form_error(client.post(f"/config/tags/{tag.pk}/", {"name": "", "color": "red"}), "name")
    response = client.post(f"/config/tags/{tag.pk}/", {"name": "Client", "color": "red"})
    assert_form_error(response, "color")
    assert "Enter a colour such as #1f77b4." in response.content.decode()
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("Client", "#123456")
    assert not Activity.objects.exists()


# CSV import of industry sectors -------------------------------------------------------------

IMPORT_URL = "/config/industry-sectors/import/"


def upload(client: Client, content: bytes, name: str = "secteurs.csv"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content, "text/csv")})


def sector_names(personas) -> list[str]:
    qs = IndustrySector.objects.filter(company=personas.company).order_by("name_key")
    return list(qs.values_list("name", flat=True))


def success_message(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_import_utf8_with_bom_and_header(personas):
    content = (
        "\ufeffSecteur d'activité\r\nAgriculture\r\nÉlectricité\r\n"
        "Bâtiment et travaux publics\r\nConseil d'entreprise\r\n"
    ).encode()
    client = en_client(personas.administrator)
    response = upload(client, content)
    assert response.status_code == 302
    assert sector_names(personas) == [
        "Agriculture",
        "Bâtiment et travaux publics",
        "Conseil d'entreprise",
        "Électricité",
    ]
    listed = client.get(response["Location"])
    assert "4 created, 0 already present." in success_message(listed)


def test_import_windows_1252(personas):
    dash = "\u2013"  # an en dash: 0x96 in Windows-1252, absent from Latin-1
    content = f"Secteur\r\nÉnergie\r\nMétallurgie\r\nAgroalimentaire {dash} bio\r\n"
    raw = content.encode("cp1252")
    assert b"\xc9nergie" in raw  # É as the single byte 0xC9, é as 0xE9
    assert b"M\xe9tallurgie" in raw and b"\x96" in raw
    response = upload(en_client(personas.administrator), raw)
    assert response.status_code == 302
    assert sector_names(personas) == [f"Agroalimentaire {dash} bio", "Énergie", "Métallurgie"]


def test_import_semicolon_separated_takes_the_first_column(personas):
    content = (
        "Nom;Code;Commentaire\nAgriculture;A01;culture, élevage\nIndustrie;B02;x\nCommerce;C03;y\n"
    ).encode()
    response = upload(en_client(personas.administrator), content)
    assert response.status_code == 302
    assert sector_names(personas) == ["Agriculture", "Commerce", "Industrie"]


def test_import_skips_and_counts_duplicates(personas):
    IndustrySector.objects.create(company=personas.company, name="Agriculture")
    # Company B's sectors do not count as duplicates for company A.
    IndustrySector.objects.create(company=personas.other_company, name="Services")
    content = b"agriculture\nIndustrie\nINDUSTRIE\n  industrie  \nServices\nAGRICULTURE\n"
    client = en_client(personas.administrator)
    response = upload(client, content)
    assert response.status_code == 302
    assert sector_names(personas) == ["Agriculture", "Industrie", "Services"]
    listed = client.get(response["Location"])
    assert "2 created, 4 already present." in success_message(listed)


def test_import_writes_an_import_activity_per_created_row(personas):
    IndustrySector.objects.create(company=personas.company, name="Agriculture")
    response = upload(en_client(personas.administrator), b"Agriculture\nIndustrie\nCommerce\n")
    assert response.status_code == 302
    imported = Activity.objects.filter(verb=Activity.Verb.IMPORTED)
    created = IndustrySector.objects.filter(name__in=["Industrie", "Commerce"])
    assert sorted(imported.values_list("object_id", flat=True)) == sorted(
        created.values_list("pk", flat=True)
    )
    assert all(a.actor == personas.administrator for a in imported)
    assert all(a.company_id == personas.company.pk for a in imported)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"   \r\n\r\n  ", "The file is empty."),
        (b"Secteur\n", "The file holds no names."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "This file is not a text (CSV)"),
    ],
    ids=["empty", "blank-lines", "header-only", "png"],
)
def test_import_of_a_bad_file_is_a_clear_error(personas, content, message):
    response = upload(en_client(personas.administrator), content)
    assert_form_error(response, "file")
    assert message in response.content.decode()
    assert sector_names(personas) == []


def test_import_with_a_too_long_line_imports_nothing(personas):
    content = ("Agriculture\nIndustrie\n" + "x" * 121 + "\nCommerce\n").encode()
    response = upload(en_client(personas.administrator), content)
    assert_form_error(response, "file")
    assert "Line 3: the name is longer than 120 characters." in response.content.decode()
    assert sector_names(personas) == []
    assert not Activity.objects.exists()


def test_import_of_a_file_over_2_mb_is_refused(personas):
    line = ("Secteur numéro quelconque\n").encode()
    content = line * (MAX_NAMES_IMPORT_BYTES // len(line) + 2)
    assert len(content) > 2 * 1024 * 1024
    response = upload(en_client(personas.administrator), content)
    assert_form_error(response, "file")
    assert "The file is larger than 2 MB." in response.content.decode()
    assert sector_names(personas) == []


def test_import_without_a_file_is_a_form_error(personas):
    # A browser always sends the CSRF token, so the form is bound even without a file.
    response = en_client(personas.administrator).post(IMPORT_URL, {"csrfmiddlewaretoken": "x"})
    assert_form_error(response, "file")


def test_import_page_is_for_administrators_only(personas):
    content = b"Agriculture\n"
    for name in SAME_COMPANY:
        response = upload(personas.client(getattr(personas, name)), content)
        assert response.status_code == 403, name
    assert sector_names(personas) == []
