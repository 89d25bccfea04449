"""The merge pages through the HTTP client: the comparison table, the merge, Undo from the
message and from the history, merged records' pages, and who may open what."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from piste.core.testing import en_client
from piste.duplicates.models import MergeLog
from piste.duplicates.services_merge import records_merge
from piste.duplicates.tests.merge_support import actor
from piste.duplicates.tests.test_merge import reload, tag
from piste.leads.tests.factories import make_lead
from piste.partners.tests.factories import make_contact, make_partner

pytestmark = pytest.mark.django_db


def merge_url(entity: str, *ids: int, **extra: int) -> str:
    query = "&".join([*(f"ids={i}" for i in ids), *(f"{k}={v}" for k, v in extra.items())])
    return f"{reverse('duplicates_merge:merge', args=[entity])}?{query}"


def body(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def leads(personas):
    t1, t2 = tag(personas, "Salon"), tag(personas, "VIP")
    a = make_lead(personas.salesperson, last_name="Durand", email="a@ex.fr", tags=[t1])
    b = make_lead(
        personas.salesperson,
        last_name="Durand",
        email="b@ex.fr",
        fixed_phone="0611223344",
        tags=[t2],
    )
    return a, b


def test_the_comparison_table_shows_each_record_and_the_united_tags(personas, leads):
    a, b = leads
    response = en_client(personas.manager).get(merge_url("lead", a.pk, b.pk))
    assert response.status_code == 200
    html = body(response)
    assert (
        f'data-testid="merge-record-{a.pk}"' in html
        and f'data-testid="merge-record-{b.pk}"' in html
    )
    assert f'name="survivor" value="{a.pk}" id="survivor-{a.pk}" checked' in html
    # Differing values get a radio per record, the survivor's checked (or the first non-empty).
    assert f'name="choice_email" value="{a.pk}" id="choice-email-{a.pk}" checked' in html
    assert (
        f'name="choice_fixed_phone" value="{b.pk}" id="choice-fixed_phone-{b.pk}" checked' in html
    )
    assert 'data-testid="merge-row-last_name"' not in html  # the same in both: no choice
    assert "Kept: Salon, VIP" in html


def test_the_page_can_suggest_values_for_another_survivor(personas, leads):
    a, b = leads
    html = body(en_client(personas.manager).get(merge_url("lead", a.pk, b.pk, survivor=b.pk)))
    assert f'name="survivor" value="{b.pk}" id="survivor-{b.pk}" checked' in html
    assert f'name="choice_email" value="{b.pk}" id="choice-email-{b.pk}" checked' in html


def test_the_comparison_table_query_count(personas, leads, django_assert_num_queries):
    a, b = leads
    client = en_client(personas.manager)
    client.get(merge_url("lead", a.pk, b.pk))  # warm the content type cache
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 the leads with every relation
    # the table shows, 6 their tags (united).
    with django_assert_num_queries(6):
        response = client.get(merge_url("lead", a.pk, b.pk))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("ids=1", "at least two"),
        ("ids=abc&ids=2", "is not a record number"),
        ("", "at least two"),
        ("&".join(f"ids={i}" for i in range(1, 23)), "At most 20"),
    ],
)
def test_bad_ids_get_a_clear_message(personas, query, message):
    response = en_client(personas.manager).get(
        reverse("duplicates_merge:merge", args=["lead"]) + "?" + query
    )
    assert response.status_code == 400
    assert message in body(response)


def test_unknown_and_other_companys_records_are_not_revealed(personas, leads):
    theirs = make_lead(personas.other)
    for ids in ((leads[0].pk, 999_999), (leads[0].pk, theirs.pk)):
        response = en_client(personas.manager).get(merge_url("lead", *ids))
        assert response.status_code == 400
        assert "do not exist or are not visible to you" in body(response)


def test_an_unknown_entity_is_a_404(personas, leads):
    response = en_client(personas.manager).get(merge_url("opportunity", *[r.pk for r in leads]))
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["salesperson", "marketing", "reader"])
def test_without_the_rights_the_pages_are_forbidden(personas, leads, persona):
    client = en_client(getattr(personas, persona))
    a, b = leads
    assert client.get(merge_url("lead", a.pk, b.pk)).status_code == 403
    response = client.post(
        reverse("duplicates_merge:merge", args=["lead"]), {"ids": [a.pk, b.pk], "survivor": a.pk}
    )
    assert response.status_code == 403
    assert client.get(reverse("duplicates_merge:history")).status_code == 403
    assert MergeLog.objects.count() == 0


def test_posting_merges_and_offers_undo(personas, leads):
    a, b = leads
    client = en_client(personas.manager)
    response = client.post(
        reverse("duplicates_merge:merge", args=["lead"]),
        {"ids": [a.pk, b.pk], "survivor": b.pk, "choice_email": a.pk},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("leads:detail", args=[b.pk])
    html = body(response)
    assert "1 record merged into this one" in html
    # The survivor's timeline says what was merged into it.
    assert "Merged with Durand: 2 related records moved here." in html  # its line, its tag
    log = MergeLog.objects.get()
    undo = reverse("duplicates_merge:undo", args=[log.pk])
    assert f'action="{undo}"' in html and 'data-testid="merge-undo"' in html
    assert reload(b).email == "a@ex.fr" and reload(a).merged_into_id == b.pk
    response = client.post(undo, {"next": reverse("leads:detail", args=[b.pk])}, follow=True)
    assert "Merge undone" in body(response)
    assert reload(a).merged_into_id is None and reload(b).email == "b@ex.fr"


def test_a_bad_post_shows_the_table_again_and_writes_nothing(personas, leads):
    a, b = leads
    response = en_client(personas.manager).post(
        reverse("duplicates_merge:merge", args=["lead"]),
        {"ids": [a.pk, b.pk], "survivor": 999, "choice_email": "x"},
    )
    assert response.status_code == 400
    html = body(response)
    assert "Choose the record to keep" in html and 'data-testid="merge-table"' in html
    assert MergeLog.objects.count() == 0


def test_the_history_lists_merges_with_undo_while_possible(personas, django_assert_num_queries):
    a, b, c = (make_lead(personas.salesperson, last_name=n) for n in "ABC")
    manager = actor(personas.manager)
    first = records_merge(actor=manager, entity="lead", survivor=a, others=[b], choices={})
    second = records_merge(actor=manager, entity="lead", survivor=c, others=[a], choices={})
    client = en_client(personas.manager)
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 a page of merges (with who merged
    # and who undid), 6 the later merges still standing (whether each can be undone).
    with django_assert_num_queries(6):
        response = client.get(reverse("duplicates_merge:history"))
    html = body(response)
    assert f'data-testid="merge-undo-{second.pk}"' in html
    assert f'data-testid="merge-undo-{first.pk}"' not in html
    assert "A later merge into C must be undone first" in html
    response = client.post(reverse("duplicates_merge:undo", args=[first.pk]), follow=True)
    assert "cannot be undone while a later merge" in body(response)
    client.post(reverse("duplicates_merge:undo", args=[second.pk]))
    html = body(client.get(reverse("duplicates_merge:history")))
    assert f'data-testid="merge-undo-{first.pk}"' in html and "Undone on" in html


def test_undo_of_another_companys_merge_is_a_404(personas, leads):
    log = records_merge(
        actor=actor(personas.manager),
        entity="lead",
        survivor=leads[0],
        others=[leads[1]],
        choices={},
    )
    response = en_client(personas.other).post(reverse("duplicates_merge:undo", args=[log.pk]))
    assert response.status_code == 404
    assert reload(leads[1]).merged_into_id == leads[0].pk


def test_undo_does_not_follow_a_foreign_next(personas, leads):
    log = records_merge(
        actor=actor(personas.manager),
        entity="lead",
        survivor=leads[0],
        others=[leads[1]],
        choices={},
    )
    response = en_client(personas.manager).post(
        reverse("duplicates_merge:undo", args=[log.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("duplicates_merge:history")


@pytest.mark.parametrize("entity", ["lead", "partner", "contact"])
def test_a_merged_records_page_redirects_to_the_survivor(personas, entity):
    user = personas.salesperson
    a: Any
    b: Any
    c: Any
    if entity == "lead":
        a, b, c = (make_lead(user, last_name=n) for n in "ABC")
        name = "leads:detail"
    elif entity == "partner":
        a, b, c = (make_partner(user, name=n) for n in "ABC")
        name = "partners:detail"
    else:
        holder = make_partner(user)
        a, b, c = (make_contact(user, holder, last_name=n) for n in "ABC")
        name = "partners:contact"
    manager = actor(personas.manager)
    records_merge(actor=manager, entity=entity, survivor=a, others=[b], choices={})
    # A chain: b into a, then a into c.
    records_merge(actor=manager, entity=entity, survivor=c, others=[a], choices={})
    client = en_client(personas.salesperson)
    response = client.get(reverse(name, args=[b.pk]), follow=True)
    assert response.redirect_chain == [(reverse(name, args=[c.pk]), 302)]
    assert "This record was merged into this one." in body(response)
    # Other companies and unknown numbers still get a 404.
    assert en_client(personas.other).get(reverse(name, args=[b.pk])).status_code == 404
    assert client.get(reverse(name, args=[999_999])).status_code == 404


def test_a_merged_page_is_a_404_when_the_survivor_is_not_visible(personas):
    mine = make_lead(personas.outsider, last_name="Mine")
    theirs = make_lead(personas.salesperson, last_name="Theirs")
    records_merge(
        actor=actor(personas.manager), entity="lead", survivor=theirs, others=[mine], choices={}
    )
    response = en_client(personas.outsider).get(reverse("leads:detail", args=[mine.pk]))
    assert response.status_code == 404


def test_the_merge_button_include(personas):
    html = render_to_string("duplicates/_merge_button.html", {"entity": "partner", "ids": [3, 5]})
    assert f'action="{reverse("duplicates_merge:merge", args=["partner"])}"' in html
    assert 'name="ids" value="3"' in html and 'name="ids" value="5"' in html


@pytest.mark.parametrize("entity", ["partner", "contact"])
def test_partners_and_contacts_compare_too(personas, entity):
    user = personas.salesperson
    holder = make_partner(user, name="Holder")
    if entity == "partner":
        ids = [make_partner(user, name=n, email=f"{n}@ex.fr").pk for n in ("a", "b", "c")]
    else:
        ids = [make_contact(user, holder, last_name=n, email=f"{n}@ex.fr").pk for n in "abc"]
    response = en_client(personas.manager).get(merge_url(entity, *ids))
    assert response.status_code == 200
    html = body(response)
    assert 'data-testid="merge-row-email"' in html and "b@ex.fr" in html
    assert 'data-testid="merge-united-tags"' in html
