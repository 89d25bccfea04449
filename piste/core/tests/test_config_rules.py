"""Rules of the configuration lists that a user relies on beyond plain create/edit/delete."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from piste.core.models import Activity, Tag
from piste.core.testing import en_client
from piste.partners.models import IndustrySector


def test_an_empty_post_shows_the_missing_name_instead_of_a_blank_form(personas):
    response = en_client(personas.administrator).post("/config/tags/new/", {})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["This field is required."]
    assert not Tag.objects.exists()


def test_every_error_of_a_form_shows_at_once(personas):
    Tag.objects.create(company=personas.company, name="Salon 2026")
    response = en_client(personas.administrator).post(
        "/config/tags/new/", {"name": "salon 2026", "color": "red"}
    )
    errors = response.context["form"].errors
    assert "color" in errors or any("colour" in m for m in errors.get("__all__", []))
    assert any("already exists" in m for ms in errors.values() for m in ms)
    assert Tag.objects.count() == 1


def test_a_rejected_rename_keeps_showing_the_saved_name(personas):
    Tag.objects.create(company=personas.company, name="Salon 2026")
    tag = Tag.objects.create(company=personas.company, name="VIP")
    response = en_client(personas.administrator).post(
        f"/config/tags/{tag.pk}/", {"name": "Salon 2026", "color": "#112233"}
    )
    assert response.status_code == 200
    assert response.context["object"].name == "VIP"
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("VIP", "#6c757d")


def test_deleting_an_entry_leaves_who_and_when_on_its_timeline(personas):
    tag = Tag.objects.create(company=personas.company, name="Éphémère")
    response = en_client(personas.administrator).post(f"/config/tags/{tag.pk}/delete/")
    assert response.status_code == 302
    assert not Tag.objects.filter(pk=tag.pk).exists()
    trace = Activity.objects.get(object_id=tag.pk, verb=Activity.Verb.DELETED)
    assert trace.actor == personas.administrator
    assert trace.data["message"] == "Éphémère"


def test_the_timeline_refuses_bulk_updates_and_deletes(personas):
    tag = Tag.objects.create(company=personas.company, name="VIP")
    from piste.core.timeline import activity_record

    activity_record(obj=tag, verb=Activity.Verb.CREATED, actor=personas.administrator)
    with pytest.raises(ValueError, match="append-only"):
        Activity.objects.filter(object_id=tag.pk).update(verb=Activity.Verb.NOTE)
    with pytest.raises(ValueError, match="append-only"):
        Activity.objects.filter(object_id=tag.pk).delete()
    assert Activity.objects.filter(object_id=tag.pk, verb=Activity.Verb.CREATED).count() == 1


def test_a_comma_inside_a_one_column_import_stays_in_the_name(personas):
    content = "Secteur d'activité\nConseil, audit\nIndustrie, énergie\n".encode()
    upload = SimpleUploadedFile("secteurs.csv", content, content_type="text/csv")
    response = en_client(personas.administrator).post(
        "/config/industry-sectors/import/", {"file": upload}
    )
    assert response.status_code == 302
    names = set(IndustrySector.objects.values_list("name", flat=True))
    assert names == {"Conseil, audit", "Industrie, énergie"}


def test_choosing_the_browser_language_forgets_the_language_cookie(personas, settings):
    user = personas.administrator
    client = en_client(user)
    client.post("/profile/language/", {"language": "en", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    response = client.post(
        "/profile/",
        {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "language": "",
            "active_company": personas.company.pk,
        },
    )
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""
    user.refresh_from_db()
    assert user.language == ""
    french = client.get("/", HTTP_ACCEPT_LANGUAGE="fr")
    assert french["Content-Language"] == "fr"
