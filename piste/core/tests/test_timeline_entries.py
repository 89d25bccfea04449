"""The timeline drawn in Python says what the template used to say, escaped the same way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from piste.core.models import Activity, Tag
from piste.users.models import User

# components/timeline.html's entries as the template engine drew them (the reference).
REFERENCE = Template(
    """{% load i18n piste %}{% for activity in activities %}
<li class="list-group-item small" data-testid="activity">
  <div class="d-flex justify-content-between gap-2">
    <span><strong>{{ activity.actor|default:_("System") }}</strong> · {{ activity.get_verb_display }}</span>
    <time datetime="{{ activity.created_at|date:'c' }}" class="text-body-secondary text-nowrap">{{ activity.created_at|date:"SHORT_DATETIME_FORMAT" }}</time>
  </div>
  {% for change in activity.data.changes %}
  <div class="text-body-secondary">
    {% field_label object change.field as label %}{{ label|capfirst }}:
    {% if "added" in change or "removed" in change %}
      {% if change.added %}+ {{ change.added|join:", " }}{% endif %} {% if change.removed %}\u2212 {{ change.removed|join:", " }}{% endif %}
    {% elif change.from is None and change.to is None %}
      {% translate "changed" %}
    {% else %}
      <del>{{ change.from|default_if_none:"—"|yesno_display }}</del> → <ins>{{ change.to|default_if_none:"—"|yesno_display }}</ins>
    {% endif %}
  </div>
  {% endfor %}
  {% if activity.data.message %}<div class="text-body-secondary">{{ activity.data.message }}</div>{% endif %}
</li>
{% empty %}
<li class="list-group-item text-body-secondary small">{% translate "Nothing yet." %}</li>
{% endfor %}"""  # noqa: E501
)
NEW = Template("{% load piste %}{% timeline_entries activities object %}")


def _words(html: str) -> str:
    return " ".join(html.split())


def _activities() -> list[Activity]:
    when = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    actor = User(username="mdupont", first_name="Marie", last_name="Dupont <b>")
    data = [
        {"changes": [{"field": "name", "from": "A & B", "to": "<script>x</script>"}]},
        {"changes": [{"field": "color", "from": None, "to": "#fff"}]},
        {
            "changes": [
                {"field": "name", "from": True, "to": False},
                {"field": "nope", "from": None, "to": 4.5},
            ]
        },
        {"changes": [{"field": "name", "added": ["Salon", "<i>VIP</i>"], "removed": ["Old"]}]},
        {"changes": [{"field": "name", "added": [], "removed": ["Only removed"]}]},
        {"changes": [{"field": "name"}], "message": "Lost: <too expensive> & more"},
        {},
    ]
    return [
        Activity(verb=verb, actor=actor if n % 2 else None, data=d, created_at=when)
        for n, (verb, d) in enumerate(
            zip(list(Activity.Verb.values)[: len(data)], data, strict=True)
        )
    ]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("empty", [False, True])
def test_entries_say_what_the_template_said(language, empty, settings):
    settings.TIME_ZONE = "Europe/Paris"
    context = {"activities": [] if empty else _activities(), "object": Tag(name="t")}
    with translation.override(language):
        expected = REFERENCE.render(Context(context))
        drawn = NEW.render(Context(context))
    assert _words(drawn) == _words(expected)
    if not empty:
        assert "&lt;script&gt;" in drawn and "<script>" not in drawn
        assert "Dupont &lt;b&gt;" in drawn
        # Paris time, a day later than UTC's 23:30.
        assert 'datetime="2026-03-02T00:30:00+01:00"' in drawn
