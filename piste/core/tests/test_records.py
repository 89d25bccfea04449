"""The record kinds registry and the record page's tool URLs."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from piste.core.records import KINDS, record_get_for_user
from piste.core.templatetags.records import _NAMES, record_urls
from piste.leads.tests.factories import make_lead


class _Record:
    def __init__(self, pk: int) -> None:
        self.pk = pk


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_tool_urls_are_the_reversed_urls(kind):
    for pk in (1, 42, 10**9):
        urls = record_urls(kind, _Record(pk))
        assert urls == {key: reverse(name, args=[kind, pk]) for key, name in _NAMES.items()}


def test_unknown_kinds_and_unseen_records_are_404(personas):
    lead = make_lead(personas.salesperson)
    assert record_get_for_user(personas.salesperson, "lead", lead.pk) == lead
    for user, kind, pk in (
        (personas.salesperson, "user", lead.pk),
        (personas.salesperson, "lead", "x"),
        (personas.outsider, "lead", lead.pk),
        (personas.other, "lead", lead.pk),
    ):
        with pytest.raises(Http404):
            record_get_for_user(user, kind, pk)
