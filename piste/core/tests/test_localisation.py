"""Dates follow the reader's language."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test import Client
from django.utils import timezone

from piste.core.models import Activity, Tag
from piste.core.timeline import activity_record


def _timeline_page(personas, language: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(personas.administrator)
    tag = Tag.objects.get(name="Salon 2026")
    return client.get(f"/config/tags/{tag.pk}/").content.decode()


def test_timeline_dates_are_written_the_french_or_the_english_way(personas):
    tag = Tag.objects.create(company=personas.company, name="Salon 2026")
    activity = activity_record(obj=tag, verb=Activity.Verb.CREATED, actor=personas.administrator)
    when = timezone.make_aware(dt.datetime(2026, 3, 5, 14, 30))
    # The row is append-only through the ORM: back-date it in SQL.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Activity._meta.db_table} SET created_at = %s WHERE id = %s",
            [when, activity.pk],
        )
    assert "05/03/2026 14:30" in _timeline_page(personas, "fr")
    assert "03/05/2026 2:30 p.m." in _timeline_page(personas, "en")
