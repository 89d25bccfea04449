"""The activity timeline (piste/core/timeline.py): append-only, newest first, paged by id."""

from __future__ import annotations

import pytest
from django.urls import reverse

from piste.core.models import Activity, Tag
from piste.core.timeline import TIMELINE_PAGE_SIZE, activity_record, timeline_for
from piste.partners.models import IndustrySector


@pytest.fixture
def tag(personas):
    return Tag.objects.create(company=personas.company, name="Client")


def note(obj, n: int | str, actor=None) -> Activity:
    return activity_record(obj=obj, verb=Activity.Verb.NOTE, actor=actor, data={"message": n})


def test_activity_record_writes_one_line(personas, tag):
    activity = activity_record(
        obj=tag,
        verb=Activity.Verb.CHANGED,
        actor=personas.administrator,
        data={"changes": [{"field": "name", "from": "A", "to": "B"}]},
    )
    activity.refresh_from_db()
    assert activity.company_id == personas.company.pk
    assert activity.object_id == tag.pk
    assert activity.content_type.model_class() is Tag
    assert activity.actor == personas.administrator
    assert activity.data["changes"][0] == {"field": "name", "from": "A", "to": "B"}


def test_anonymous_actor_is_recorded_as_system(personas, tag):
    from django.contrib.auth.models import AnonymousUser

    assert activity_record(obj=tag, verb=Activity.Verb.NOTE, actor=AnonymousUser()).actor is None
    assert activity_record(obj=tag, verb=Activity.Verb.NOTE).actor is None


def test_timeline_is_newest_first(personas, tag):
    for n in range(5):
        note(tag, n)
    rows, more = timeline_for(tag)
    assert [a.data["message"] for a in rows] == [4, 3, 2, 1, 0]
    assert more is None


def test_timeline_pages_of_twenty_with_before(personas, tag):
    for n in range(45):
        note(tag, n)
    seen: list[int] = []
    before = None
    sizes = []
    while True:
        rows, before = timeline_for(tag, before_id=before)
        sizes.append(len(rows))
        seen += [a.data["message"] for a in rows]
        if before is None:
            break
    assert TIMELINE_PAGE_SIZE == 20
    assert sizes == [20, 20, 5]
    assert seen == list(range(44, -1, -1))  # every line once, newest first


def test_last_full_page_has_no_more(personas, tag):
    for n in range(40):
        note(tag, n)
    rows, before = timeline_for(tag)
    assert len(rows) == 20 and before is not None
    rows, before = timeline_for(tag, before_id=before)
    assert len(rows) == 20
    assert before is None  # exactly 40: no empty third page is offered


def test_empty_timeline(personas, tag):
    assert timeline_for(tag) == ([], None)


def test_activity_cannot_be_changed(personas, tag):
    activity = note(tag, 1)
    activity.data = {"message": "rewritten"}
    with pytest.raises(ValueError):
        activity.save()
    activity.refresh_from_db()
    assert activity.data == {"message": 1}


def test_activity_cannot_be_deleted(personas, tag):
    activity = note(tag, 1)
    with pytest.raises(ValueError):
        activity.delete()
    assert Activity.objects.filter(pk=activity.pk).exists()


def test_timeline_never_shows_another_records_activities(personas, tag):
    other_tag = Tag.objects.create(company=personas.company, name="Fournisseur")
    # Same id in another table: the content type keeps the timelines apart.
    sector = IndustrySector.objects.create(company=personas.company, name="Banque")
    IndustrySector.objects.filter(pk=sector.pk).update(id=tag.pk)
    sector = IndustrySector.objects.get(pk=tag.pk)
    note(tag, "mine")
    note(other_tag, "other tag")
    note(sector, "sector with the same id")
    rows, _ = timeline_for(tag)
    assert [a.data["message"] for a in rows] == ["mine"]
    assert [a.data["message"] for a in timeline_for(sector)[0]] == ["sector with the same id"]


def test_timeline_partial_over_htmx_returns_only_list_items(personas, tag):
    for n in range(25):
        note(tag, f"note {n}", actor=personas.administrator)
    client = personas.client(personas.administrator)
    url = reverse("config:referential_edit", args=["tags", tag.pk])
    page = client.get(url)
    assert page.status_code == 200
    next_before = page.context["next_before"]
    assert next_before is not None
    assert page.content.decode().count('data-testid="activity"') == 20

    response = client.get(
        url, {"before": next_before}, headers={"HX-Request": "true", "HX-Target": "timeline-more"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "<form" not in body
    assert body.lstrip().startswith("<li")
    assert body.count('data-testid="activity"') == 5
    for n in range(5):
        assert f"note {n}<" in body
    assert "note 5<" not in body
    assert 'id="timeline-more"' not in body  # the last page offers no "Show older"


def test_timeline_partial_with_garbage_before_is_the_first_page(personas, tag):
    note(tag, "only one")
    client = personas.client(personas.administrator)
    url = reverse("config:referential_edit", args=["tags", tag.pk])
    response = client.get(url, {"before": "abc"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert "only one" in response.content.decode()


def test_timeline_partial_of_another_company_is_404(personas, tag):
    note(tag, "secret")
    client = personas.client(personas.other)
    url = reverse("config:referential_edit", args=["tags", tag.pk])
    response = client.get(url, {"before": "999999"}, headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert b"secret" not in response.content


def test_edit_page_timeline_shows_only_this_record(personas, tag):
    other_tag = Tag.objects.create(company=personas.company, name="Fournisseur")
    note(tag, "about client")
    note(other_tag, "about supplier")
    client = personas.client(personas.administrator)
    body = client.get(reverse("config:referential_edit", args=["tags", tag.pk])).content
    assert b"about client" in body
    assert b"about supplier" not in body
