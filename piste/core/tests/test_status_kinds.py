"""The status configuration pages of prospect statuses and sales stages: the same page as lead
statuses (piste/leads/tests/test_status_config.py tests it in depth), each with its own roles,
texts and "in use" rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils.html import escape

from piste.core.statuses import StatusKind, statuses
from piste.core.testing import en_client
from piste.opportunities.models import Opportunity, OpportunityStage
from piste.opportunities.statuses import OPPORTUNITY_STAGES
from piste.partners.models import Partner, PartnerStatus
from piste.partners.statuses import PROSPECT_STATUSES
from piste.partners.tests.factories import make_partner

KINDS = {
    "/config/prospect-statuses/": PROSPECT_STATUSES,
    "/config/opportunity-stages/": OPPORTUNITY_STAGES,
}


@pytest.fixture(params=list(KINDS))
def page(request) -> str:
    return request.param


def kind_of(page: str) -> StatusKind:
    return KINDS[page]


def test_every_company_starts_with_six_steps_in_order(personas, page):
    kind = kind_of(page)
    steps = statuses(kind, personas.company)
    assert [s.sequence for s in steps] == [10, 20, 30, 40, 50, 60]
    assert [s.role for s in steps] == ["default", "", "", "", "won", "lost"]
    assert [s.is_open for s in steps] == [True, True, True, True, False, False]


def test_only_administrators_open_the_page(personas, page):
    assert en_client(personas.manager).get(page).status_code == 403
    response = en_client(personas.administrator).get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert escape(str(kind_of(page).title)) in html
    assert html.count('data-testid="status-row"') == 6
    assert 'data-testid="status-role"' in html


def test_create_rename_and_delete_an_unused_step(personas, page):
    kind = kind_of(page)
    admin = en_client(personas.administrator)
    assert admin.post(f"{page}new/", {"name": "Démo faite", "is_open": "on"}).status_code == 302
    step = kind.model.objects.get(company=personas.company, name="Démo faite")
    assert step.sequence == 70 and step.is_open
    response = admin.post(f"{page}{step.pk}/", {"name": "Démo réalisée", "is_open": "on"})
    assert response.status_code == 302
    assert kind.model.objects.get(pk=step.pk).name == "Démo réalisée"
    assert admin.post(f"{page}{step.pk}/delete/").status_code == 302
    assert not kind.model.objects.filter(pk=step.pk).exists()


def test_a_step_in_use_is_not_deleted(personas, page):
    kind = kind_of(page)
    admin = en_client(personas.administrator)
    step = kind.model.objects.get(company=personas.company, sequence=30)
    partner = make_partner(personas.salesperson)
    if kind is PROSPECT_STATUSES:
        Partner.objects.filter(pk=partner.pk).update(status=step)
    else:
        assert isinstance(step, OpportunityStage)
        Opportunity.objects.create(
            company=personas.company,
            number=1,
            name="Parc",
            partner=partner,
            stage=step,
            amount=Decimal(1),
        )
    response = admin.post(f"{page}{step.pk}/delete/", follow=True)
    assert escape(str(kind.in_use_message) % {"name": step.name}) in response.content.decode()
    assert kind.model.objects.filter(pk=step.pk).exists()


def test_won_and_lost_must_be_closed_and_distinct(personas, page):
    kind = kind_of(page)
    admin = en_client(personas.administrator)
    steps = statuses(kind, personas.company)
    roles = {s.role: s.pk for s in steps if s.role}
    open_step = steps[1]
    response = admin.post(f"{page}roles/", {**roles, "won": open_step.pk})
    assert response.status_code == 200
    assert "Choose a closed status." in response.context["roles_form"].errors["won"]
    response = admin.post(f"{page}roles/", {**roles, "won": roles["lost"]})
    assert response.status_code == 200 and response.context["roles_form"].non_field_errors()
    assert {s.role: s.pk for s in statuses(kind, personas.company) if s.role} == roles
    # A closed step without a role can take the lost role.
    spare = kind.model.objects.create(
        company=personas.company, name="Abandon", is_open=False, sequence=70
    )
    assert admin.post(f"{page}roles/", {**roles, "lost": spare.pk}).status_code == 302
    assert kind.model.objects.get(pk=spare.pk).role == "lost"
    assert kind.model.objects.get(pk=roles["lost"]).role == ""


def test_the_won_step_cannot_be_opened(personas, page):
    kind = kind_of(page)
    won = kind.model.objects.get(company=personas.company, role="won")
    response = en_client(personas.administrator).post(
        f"{page}{won.pk}/", {"name": won.name, "is_open": "on"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["is_open"]
    assert not kind.model.objects.get(pk=won.pk).is_open


def test_reorder_and_other_companies(personas, page):
    kind = kind_of(page)
    admin = en_client(personas.administrator)
    ids = [s.pk for s in statuses(kind, personas.company)]
    reversed_ids = ",".join(map(str, reversed(ids)))
    assert admin.post(f"{page}reorder/", {"order": reversed_ids}).status_code == 302
    assert [s.pk for s in statuses(kind, personas.company)] == list(reversed(ids))
    theirs = kind.model.objects.filter(company=personas.other_company).first()
    assert theirs is not None
    assert admin.get(f"{page}{theirs.pk}/").status_code == 404
    assert admin.post(f"{page}{theirs.pk}/delete/").status_code == 404
    assert admin.post(f"{page}reorder/", {"order": "1,abc"}).status_code == 302
    assert admin.get(f"{page}99999999999999999999999/").status_code == 404


def test_models_keep_the_role_rules(personas):
    """The database refuses an open won step, whatever writes it."""
    from django.db import IntegrityError, transaction

    for model in (PartnerStatus, OpportunityStage):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.filter(company=personas.company, role="won").update(is_open=True)
        assert not model.objects.get(company=personas.company, role="won").is_open


def test_only_lead_statuses_offer_a_folded_column(personas, page):
    """The lead kanban folds columns; the prospect and opportunity kanbans do not (yet), so
    their step forms do not offer it, and creating a step there leaves it unfolded."""
    client = en_client(personas.administrator)
    assert 'name="folded"' not in client.get(f"{page}new/").content.decode()
    assert 'name="folded"' in client.get("/config/lead-statuses/new/").content.decode()
    response = client.post(f"{page}new/", {"name": "Relance", "is_open": "on", "folded": "on"})
    assert response.status_code == 302
    step = kind_of(page).model.objects.get(company=personas.company, name="Relance")
    assert step.folded is False
