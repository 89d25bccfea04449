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


@pytest.mark.parametrize("name", ["record_actions", "record_tabs", "record_tab_panes"])
def test_a_cached_fragment_is_the_template_rendered_for_the_record(name):
    from django.template.loader import render_to_string
    from django.utils import translation

    from piste.core.templatetags.records import record_fragment

    for language in ("fr", "en"):
        with translation.override(language):
            for pk in (7, 123456):
                record = _Record(pk)
                expected = render_to_string(
                    f"components/{name}.html", {"kind": "partner", "record": record, "first": False}
                )
                assert record_fragment(name, "partner", record) == expected
                assert f"/partner/{pk}/" in expected
    with translation.override("fr"):
        french = record_fragment("record_actions", "lead", _Record(1))
    with translation.override("en"):
        english = record_fragment("record_actions", "lead", _Record(1))
    assert "Envoyer un email" in french and "Send an email" in english
