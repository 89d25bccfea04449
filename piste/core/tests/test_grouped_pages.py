"""Grouped keyset pages: rows in the order of a list of values, then by id, page after page."""

from __future__ import annotations

import pytest

from piste.core.models import Tag
from piste.core.pagination import grouped_page
from piste.core.testing import make_company

pytestmark = pytest.mark.django_db

COLORS = ["#000002", "#000000", "#000001"]


@pytest.fixture
def tags() -> list[Tag]:
    company = make_company("Grouped SA")
    made = []
    for i in range(11):
        made.append(Tag.objects.create(company=company, name=f"t{i}", color=COLORS[i % 3]))
    return made


def _walk(qs, groups, descending):
    seen, cursor, pages = [], None, []
    while True:
        page = grouped_page(
            qs, field="color", groups=groups, cursor=cursor, descending=descending, per_page=4
        )
        pages.append(page)
        seen.extend(page.rows)
        if not page.next_cursor:
            return seen, pages
        cursor = page.next_cursor


@pytest.mark.parametrize("descending", [False, True])
def test_pages_follow_the_group_order_then_id_and_list_each_row_once(tags, descending):
    qs = Tag.objects.filter(company=tags[0].company)
    seen, pages = _walk(qs, COLORS, descending)
    expected = sorted(tags, key=lambda t: (COLORS.index(t.color), t.pk), reverse=descending)
    assert [t.pk for t in seen] == [t.pk for t in expected]
    assert len(pages) == 3  # 11 rows, 4 per page


def test_previous_goes_back_to_the_same_rows(tags):
    qs = Tag.objects.filter(company=tags[0].company)
    first = grouped_page(qs, field="color", groups=COLORS, cursor=None, per_page=4)
    second = grouped_page(qs, field="color", groups=COLORS, cursor=first.next_cursor, per_page=4)
    back = grouped_page(qs, field="color", groups=COLORS, cursor=second.prev_cursor, per_page=4)
    assert [t.pk for t in back.rows] == [t.pk for t in first.rows]
    assert back.prev_cursor is None


def test_rows_outside_the_groups_are_not_listed(tags):
    qs = Tag.objects.filter(company=tags[0].company)
    seen, _pages = _walk(qs, COLORS[:2], False)
    assert {t.color for t in seen} == set(COLORS[:2])


def test_a_forged_cursor_shows_the_first_page(tags):
    qs = Tag.objects.filter(company=tags[0].company)
    first = grouped_page(qs, field="color", groups=COLORS, cursor=None, per_page=4)
    for cursor in ["garbage", "Wzk5LDEsIm4iXQ", "WyJ4IiwxLCJuIl0"]:  # [99,1,"n"], ["x",1,"n"]
        page = grouped_page(qs, field="color", groups=COLORS, cursor=cursor, per_page=4)
        assert [t.pk for t in page.rows] == [t.pk for t in first.rows]


def test_one_query_per_group_read(tags, django_assert_num_queries):
    qs = Tag.objects.filter(company=tags[0].company)
    # 4 rows of the first group (there are 4) plus one more to know a next page exists: the
    # first group, then the second.
    with django_assert_num_queries(2):
        grouped_page(qs, field="color", groups=COLORS, cursor=None, per_page=4)
