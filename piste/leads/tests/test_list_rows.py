"""The lead lists' rows drawn in Python say what the template said, escaped the same way."""

from __future__ import annotations

from django.template import Context, Template
from django.test import Client

from piste.core.models import Tag
from piste.leads.models import LostReason
from piste.leads.templatetags.leads import lead_row
from piste.leads.tests.factories import make_lead
from piste.leads.tests.test_lists import world  # noqa: F401 (a fixture)
from piste.users.models import User

# templates/leads/list.html#row as the template engine drew it (the reference).
REFERENCE = Template(
    """{% load piste %}
<tr data-row="{{ row.pk }}">
  {% if can_change %}<td class="select-cell"><input class="form-check-input" type="checkbox" name="ids" value="{{ row.pk }}" form="bulk-form" data-select-row aria-labelledby="lead-name-{{ row.pk }}"></td>{% endif %}
  <td>
    <a href="{{ detail_url }}{{ row.pk }}/" id="lead-name-{{ row.pk }}">{{ row.simple_full_name|default:row }}</a>
    {% for tag in row.tag_list %}<a class="badge tag-badge ms-1 text-decoration-none" data-color="{{ tag.color }}" href="?tag={{ tag.pk }}" title="{{ tag_title }}">{{ tag.name }}</a>{% endfor %}
    {% if row_error %}<div class="text-danger small" role="alert" data-testid="row-error">{{ row_error }}</div>{% endif %}
  </td>
  <td>{{ row.enterprise_name }}</td>
  <td class="text-nowrap">{% if row.main_phone %}<a href="tel:{{ row.main_phone }}">{{ row.main_phone|phone }}</a>{% endif %}</td>
  <td>{{ row.city_name }}</td>
  <td class="text-nowrap">{{ row.created_at|date:"SHORT_DATE_FORMAT" }}</td>
  <td>{% if row.assigned_to_id %}{{ row.assigned_to }}{% else %}<span class="text-body-secondary">{{ unassigned }}</span>{% endif %}</td>
  <td><span class="badge {% if row.status.is_open %}text-bg-primary{% else %}text-bg-secondary{% endif %}">{{ row.status.name }}</span></td>
  <td>{{ scores|get_item:row.scoring }}</td>
  {% if can_change %}<td class="text-end text-nowrap">
    <a class="btn btn-sm btn-outline-secondary" href="{{ event_url }}{{ row.pk }}{{ event_path }}?type=meeting&amp;next={{ list_url|urlencode:'' }}" title="{{ event_title }}" aria-labelledby="event-{{ row.pk }} lead-name-{{ row.pk }}" data-testid="row-plan-event"><i class="bi bi-people" aria-hidden="true"></i><span class="visually-hidden" id="event-{{ row.pk }}">{{ event_title }}</span></a>
    {% if row.email and not row.do_not_email %}<a class="btn btn-sm btn-outline-secondary" href="{{ email_url }}{{ row.pk }}{{ email_path }}" title="{{ email_title }}" aria-labelledby="email-{{ row.pk }} lead-name-{{ row.pk }}" data-testid="row-send-email"><i class="bi bi-envelope" aria-hidden="true"></i><span class="visually-hidden" id="email-{{ row.pk }}">{{ email_title }}</span></a>
    {% else %}<span class="btn btn-sm btn-outline-secondary disabled" aria-disabled="true" title="{{ no_email_title }}"><i class="bi bi-envelope-x" aria-hidden="true"></i></span>{% endif %}
    {% if row.assigned_to_id != request.user.pk and not row.is_lost %}{# one shared form (#row-actions) for every row: no token and hidden field per row #}
    <button class="btn btn-sm btn-outline-primary" type="submit" form="row-actions" formaction="{{ take_url }}{{ row.pk }}{{ take_path }}" hx-post="{{ take_url }}{{ row.pk }}{{ take_path }}" hx-target="closest tr" hx-swap="outerHTML" title="{{ take_title }}" aria-labelledby="take-{{ row.pk }} lead-name-{{ row.pk }}" data-testid="take-charge"><i class="bi bi-briefcase" aria-hidden="true"></i><span class="visually-hidden" id="take-{{ row.pk }}">{{ take_title }}</span></button>
    {% endif %}
  </td>{% endif %}
</tr>
"""  # noqa: E501
)


def _words(html: str) -> str:
    return "".join(html.split())


def _page_rows(user: User, url: str = "/leads/open/"):
    client = Client()
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    return response


def test_rows_say_what_the_template_said(personas, world):  # noqa: F811
    p = personas
    vip = Tag.objects.create(company=p.company, name="<VIP> & co", color="#ff0000")
    make_lead(
        p.salesperson,
        first_name="Zoé",
        last_name="O'Brien <b>",
        enterprise_name="Dupont & fils",
        main_phone="+33612345678",
        city_name="Saint-Étienne",
        email="zoe@dupont.example",
        scoring=4,
        tags=[vip],
    )
    make_lead(p.manager, last_name="Sans Nom", assigned_to=None)
    for user in (p.salesperson, p.reader):
        response = _page_rows(user)
        rows = response.context["page"].rows
        assert len(rows) >= 3
        # A ContextList iterates its contexts, not their keys.
        flat = {key: response.context[key] for key in response.context.keys()}  # noqa: SIM118
        for row in rows:
            context = Context({**flat, "row": row, "request": response.wsgi_request})
            expected = REFERENCE.render(context)
            drawn = lead_row(Context({**flat, "row": row, "request": response.wsgi_request}), row)
            assert f'data-row="{row.pk}"' in expected
            assert _words(drawn) == _words(expected), row
        page = response.content.decode()
        assert "O&#x27;Brien &lt;b&gt;" in page and "&lt;VIP&gt; &amp; co" in page
        # The filter panel's check box and, for those who may change leads, the bulk option.
        assert f'id="filter-tag-{vip.pk}">' in page
        assert 'data-color="#ff0000">&lt;VIP&gt; &amp; co</span>' in page
        option = f'<option value="{vip.pk}">&lt;VIP&gt; &amp; co</option>'
        assert (option in page) == (user == p.salesperson)


def test_a_refused_row_action_says_why_in_the_row(personas, world):  # noqa: F811
    lead = make_lead(personas.manager, last_name="Lost one")
    reason = LostReason.objects.create(company=personas.company, name="Budget")
    from piste.core.access import require_actor
    from piste.leads import services

    services.lead_lose(actor=require_actor(personas.manager), lead=lead, reason=reason)
    client = Client()
    client.force_login(personas.salesperson)
    response = client.post(f"/leads/row/{lead.pk}/take-charge/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'data-testid="row-error"' in html and f'data-row="{lead.pk}"' in html
