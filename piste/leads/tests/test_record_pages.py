"""One lead's pages through the HTTP client: the lead page, create, edit (with concurrent edits),
the logo, the job title "+", and who may open what."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from piste.core.access import actor_for, require_actor
from piste.core.models import Activity, Tag
from piste.core.testing import en_client
from piste.geo.models import Country
from piste.leads import services
from piste.leads.models import Civility, CompanySize, Lead, LeadSource, LeadStatus, LostReason
from piste.leads.tests.factories import address_data, make_lead, status
from piste.partners.models import Department, IndustrySector, JobTitle, PartnerCategory
from piste.users.models import CrmSettings

HX = {"HX-Request": "true"}


def png(size: tuple[int, int] = (400, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "navy").save(out, format="PNG")
    return out.getvalue()


def body(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, spaces squeezed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body(response))).split())


def form_data(**values: Any) -> dict[str, Any]:
    """A complete POST of the lead form (check boxes only when given)."""
    data: dict[str, Any] = {
        "civility": "",
        "first_name": "",
        "last_name": "Martin",
        "enterprise_name": "",
        "job_title": "",
        "industry_sector": "",
        "department": "",
        "fixed_phone": "",
        "mobile_phone": "",
        "email": "",
        "website": "",
        "description": "",
        "assigned_to": "",
        "team": "",
        "scoring": "0",
        "size": "",
        "source": "",
        "category": "",
        "address-line1": "",
        "address-line2": "",
        "address-line3": "",
        "address-postal_code": "",
        "address-city_name": "",
        "address-city": "",
        "address-country": "FR",
    }
    data.update(values)
    return data


def edit_data(lead: Lead, **values: Any) -> dict[str, Any]:
    """The lead form as the edit page fills it, with ``values`` typed over it."""
    lead.refresh_from_db()
    data = form_data(
        civility=lead.civility,
        first_name=lead.first_name,
        last_name=lead.last_name,
        enterprise_name=lead.enterprise_name,
        job_title=lead.job_title_id or "",
        fixed_phone=lead.fixed_phone,
        mobile_phone=lead.mobile_phone,
        email=lead.email,
        website=lead.website,
        description=lead.description,
        assigned_to=lead.assigned_to_id or "",
        team=lead.team_id or "",
        scoring=str(lead.scoring),
        version=str(lead.version),
    )
    data.update(values)
    return data


@pytest.fixture
def company_values(personas) -> dict[str, Any]:
    a = personas.company
    return {
        "job_title": JobTitle.objects.create(company=a, name="Purchasing manager"),
        "industry_sector": IndustrySector.objects.create(company=a, name="Aeronautics"),
        "department": Department.objects.create(company=a, name="Purchasing"),
        "source": LeadSource.objects.create(company=a, name="Trade show"),
        "category": PartnerCategory.objects.create(company=a, name="SME"),
        "tag": Tag.objects.create(company=a, name="Hot", color="#dc3545"),
    }


@pytest.fixture
def full_lead(personas, company_values) -> Lead:
    return make_lead(
        personas.salesperson,
        civility=Civility.MS,
        first_name="Anne",
        last_name="Martin",
        enterprise_name="Aéro & Fils",
        job_title=company_values["job_title"],
        industry_sector=company_values["industry_sector"],
        department=company_values["department"],
        fixed_phone="01 23 45 67 89",
        mobile_phone="06 12 34 56 78",
        email="anne@aero.example",
        website="www.aero.example",
        description="<p><strong>Needs</strong> a demo</p>",
        team=personas.north,
        scoring=4,
        size=CompanySize.S12,
        is_key_account=True,
        is_nurturing=True,
        source=company_values["source"],
        category=company_values["category"],
        tags=[company_values["tag"]],
        address=address_data(line1="12 rue des Ailes", postal_code="31000", city_name="Toulouse"),
    )


def url(name: str, lead: Lead | int) -> str:
    return reverse(f"leads:{name}", args=[lead if isinstance(lead, int) else lead.pk])


# The lead page ------------------------------------------------------------------------------


def test_lead_page_shows_every_field(personas, full_lead):
    response = en_client(personas.salesperson).get(url("detail", full_lead))
    assert response.status_code == 200
    page = text(response)
    for shown in [
        "Ms Anne Martin",
        "Aéro & Fils",
        "Purchasing manager",
        "Aeronautics",
        "Purchasing",
        "01 23 45 67 89",
        "06 12 34 56 78",
        "anne@aero.example",
        "https://www.aero.example",
        "12 rue des Ailes",
        "31000 Toulouse",
        "Needs a demo",
        "Salesperson Test",
        "Nord",
        "Durand Conseil",
        "4 stars out of 5",
        "20–49",  # noqa: RUF001
        "Key account",
        "Trade show",
        "SME",
        "Hot",
        "To be processed",
    ]:
        assert shown in page, shown
    html = body(response)
    assert 'href="tel:+33123456789"' in html and 'href="tel:+33612345678"' in html
    assert 'href="mailto:anne@aero.example"' in html
    assert "<strong>Needs</strong>" in html  # the stored (sanitised) rich text, as HTML
    assert html.count("bi-star-fill is-lit") == 4
    assert 'data-color="#dc3545"' in html


def test_search_shortcuts_are_built_from_name_and_company(personas, full_lead):
    html = body(en_client(personas.salesperson).get(url("detail", full_lead)))
    google = 'href="https://www.google.com/search?q=Anne+Martin+A%C3%A9ro+%26+Fils"'
    linkedin = 'href="https://www.linkedin.com/search/results/all/?keywords=Anne+Martin+A%C3%A9ro+%26+Fils"'
    for link in (google, linkedin):
        tag = re.search(rf"<a [^>]*{re.escape(link)}[^>]*>", html.replace("&amp;", "&"))
        assert tag, link
        assert 'rel="noopener noreferrer"' in tag.group() and 'target="_blank"' in tag.group()


def test_do_not_call_and_do_not_email_hide_the_links(personas):
    lead = make_lead(
        personas.salesperson,
        fixed_phone="01 23 45 67 89",
        email="anne@aero.example",
        do_not_call=True,
        do_not_email=True,
    )
    response = en_client(personas.salesperson).get(url("detail", lead))
    html = body(response)
    assert "tel:" not in html and "mailto:" not in html
    assert 'data-testid="badge-do-not-call"' in html
    assert 'data-testid="badge-do-not-email"' in html
    assert "01 23 45 67 89" in text(response)


def test_header_shows_initials_without_a_logo(personas):
    lead = make_lead(personas.salesperson, first_name="anne", last_name="martin")
    html = body(en_client(personas.salesperson).get(url("detail", lead)))
    assert re.search(r"lead-initials[^>]*>\s*AM\s*<", html)
    assert 'data-testid="lead-logo"' not in html


def test_status_bar_lists_every_status_in_order_with_the_current_one_marked(personas):
    lead = make_lead(personas.salesperson)
    response = en_client(personas.salesperson).get(url("detail", lead))
    html = body(response)
    bar = html[
        html.index('id="lead-status"') : html.index("</nav>", html.index('id="lead-status"'))
    ]
    names = [
        "To be processed",
        "Marketing qualification",
        "Sales qualification",
        "Nurturing",
        "Converted",
        "Lost",
    ]
    positions = [bar.index(name) for name in names]
    assert positions == sorted(positions)
    assert re.search(r'aria-current="step"[^>]*>To be processed', bar)
    # Open statuses other than the current one are buttons posting to the status URL.
    assert bar.count(f'action="{url("status", lead)}"') == 3
    assert "To convert a lead, use the Convert button." in bar
    assert "To lose a lead, use the Lose button." in bar
    assert not re.search(r"<button[^>]*>(Converted|Lost|To be processed)<", bar)


def test_status_bar_is_read_only_on_a_lost_lead(personas):
    lead = make_lead(personas.salesperson)
    Lead.objects.filter(pk=lead.pk).update(status=status(personas.company.pk, "lost"))
    html = body(en_client(personas.salesperson).get(url("detail", lead)))
    assert url("status", lead) not in html
    assert 'data-testid="reopen"' in html
    assert 'data-testid="lose"' not in html and 'data-testid="take-charge"' not in html
    assert 'data-testid="convert"' not in html


def test_reader_sees_the_page_without_edit_or_actions(personas, full_lead):
    response = en_client(personas.reader).get(url("detail", full_lead))
    assert response.status_code == 200
    html = body(response)
    assert "Anne Martin" in html
    for hidden in ("edit", "take-charge", "lose", "reopen", "delete", "convert"):
        assert f'data-testid="{hidden}"' not in html, hidden
    assert url("status", full_lead) not in html


def test_actions_follow_the_lead_and_the_users_rights(personas):
    lead = make_lead(personas.salesperson)
    mine = body(en_client(personas.salesperson).get(url("detail", lead)))
    assert 'data-testid="take-charge"' not in mine  # already mine
    assert 'data-testid="lose"' in mine and 'data-testid="edit"' in mine
    assert 'data-testid="delete"' not in mine  # a salesperson deletes nothing
    assert 'data-testid="reopen"' not in mine
    managers = body(en_client(personas.manager).get(url("detail", lead)))
    assert 'data-testid="take-charge"' in managers
    delete_form = rf'<form[^>]*action="{url("delete", lead)}"[^>]*data-confirm='
    assert re.search(delete_form, managers)
    assert f'href="{url("convert", lead)}" data-testid="convert"' in managers


def test_lost_reason_and_comment_show_on_a_lost_lead(personas):
    reason = LostReason.objects.create(company=personas.company, name="Too expensive")
    lead = make_lead(personas.salesperson)
    actor = actor_for(personas.salesperson)
    assert actor is not None
    services.lead_lose(actor=actor, lead=lead, reason=reason, comment="Chose <b>X</b>")
    response = en_client(personas.salesperson).get(url("detail", lead))
    assert "Lost reason: Too expensive Chose <b>X</b>" in text(response)
    assert "Chose &lt;b&gt;X&lt;/b&gt;" in body(response)


def test_lead_page_query_count(personas, full_lead, django_assert_num_queries):
    client = en_client(personas.manager)
    client.get(url("detail", full_lead))  # warm the content type cache
    # 1 session, 2 user, 3 memberships (with company and CRM settings), 4 the actor's teams,
    # 5 the lead with its status, reason, users, team, source and address, then one query for
    # each referential it has (prefetched; an agency or an address would add theirs):
    # 6 job title, 7 industry sector, 8 department, 9 category;
    # 10 one page of timeline (with actors), 11 the company's statuses (status bar),
    # 12 the lead's tags, 13 its last and next event dates (one query, two subqueries).
    with django_assert_num_queries(13):
        response = client.get(url("detail", full_lead))
    assert response.status_code == 200


def test_timeline_shows_older_entries_with_and_without_htmx(personas):
    lead = make_lead(personas.salesperson)
    actor = actor_for(personas.salesperson)
    assert actor is not None
    for i in range(25):
        lead = services.lead_update(
            actor=actor, lead=lead, data={"first_name": f"N{i}"}, version=lead.version
        )
    client = en_client(personas.salesperson)
    html = body(client.get(url("detail", lead)))
    assert html.count('data-testid="activity"') == 20
    before = re.search(r'href="\?before=(\d+)"', html)
    assert before
    older = client.get(url("detail", lead), {"before": before.group(1)}, headers=HX)
    assert older.status_code == 200
    assert "<html" not in body(older)
    assert body(older).count('data-testid="activity"') == 6
    assert "created" in body(older)
    plain = client.get(url("detail", lead), {"before": before.group(1)})
    assert "<html" in body(plain) and body(plain).count('data-testid="activity"') == 6
    for bad in ("abc", "-1", "9" * 40, "\x00"):
        assert client.get(url("detail", lead), {"before": bad}).status_code == 200


# Create -------------------------------------------------------------------------------------


def test_create_page_shows_the_creators_defaults(personas):
    personas.salesperson.active_team = personas.north
    personas.salesperson.save(update_fields=["active_team"])
    html = body(en_client(personas.salesperson).get(reverse("leads:create")))
    assert re.search(rf'<option value="{personas.salesperson.pk}" selected>', html)
    assert re.search(rf'<option value="{personas.north.pk}" selected>', html)
    assert 'name="version"' not in html
    assert 'name="agency"' not in html  # agencies are off
    for section in ("Identity", "Contact details", "Address", "Description", "Tracking"):
        assert section in html
    assert "Marketing" in html and 'name="scoring"' in html
    assert "Durand Conseil" in html


def test_create_page_shows_the_agency_when_agencies_are_on(personas):
    CrmSettings.objects.update(agencies_enabled=True)
    html = body(en_client(personas.salesperson).get(reverse("leads:create")))
    assert 'name="agency"' in html


def test_create_saves_every_field_and_opens_the_lead(personas, company_values):
    client = en_client(personas.salesperson)
    france = Country.objects.get(code="FR")
    response = client.post(
        reverse("leads:create"),
        form_data(
            civility="ms",
            first_name=" Anne ",
            last_name="Martin",
            enterprise_name="Aéro",
            job_title=company_values["job_title"].pk,
            industry_sector=company_values["industry_sector"].pk,
            department=company_values["department"].pk,
            fixed_phone="01 23 45 67 89",
            mobile_phone="+33 (0)6 12 34 56 78",
            email="Anne@AERO.example",
            website="aero.example",
            do_not_call="on",
            description='<p>Hi<script>alert(1)</script><img src="https://x.example/p.gif"></p>',
            assigned_to=personas.teammate.pk,
            team=personas.north.pk,
            scoring="3",
            size=str(CompanySize.S21),
            is_key_account="on",
            source=company_values["source"].pk,
            category=company_values["category"].pk,
            tags=[company_values["tag"].pk],
            **{"address-line1": "1 place du Capitole", "address-city_name": "Toulouse"},
        ),
    )
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", lead)
    assert (lead.civility, lead.first_name, lead.enterprise_name) == ("ms", "Anne", "Aéro")
    assert lead.fixed_phone == "+33123456789" and lead.mobile_phone == "+33612345678"
    assert lead.email == "Anne@aero.example" and lead.website == "https://aero.example"
    assert lead.do_not_call and not lead.do_not_email
    assert "script" not in lead.description and "x.example" not in lead.description
    assert lead.description.startswith("<p>Hi")
    assert lead.assigned_to == personas.teammate and lead.team == personas.north
    assert (lead.scoring, lead.size, lead.is_key_account) == (3, 21, True)
    assert list(lead.tags.all()) == [company_values["tag"]]
    assert lead.address is not None and lead.address.city_name == "Toulouse"
    assert lead.address.country == france
    assert lead.created_by == personas.salesperson
    assert lead.status.role == LeadStatus.Role.DEFAULT
    page = text(client.get(response["Location"]))
    assert "The lead “Aéro, Anne Martin” was created." in page
    assert "Salesperson Test · created" in page


def test_create_keeps_an_assignee_cleared_on_purpose(personas):
    response = en_client(personas.salesperson).post(
        reverse("leads:create"), form_data(assigned_to="")
    )
    assert response.status_code == 302
    assert Lead.objects.get().assigned_to is None


def test_create_with_htmx_redirects_the_browser(personas):
    response = en_client(personas.salesperson).post(
        reverse("leads:create"), form_data(), headers=HX
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == url("detail", Lead.objects.get())


def test_create_without_default_status_shows_the_configuration_message(personas):
    LeadStatus.objects.filter(company=personas.company, role="default").update(role="")
    client = en_client(personas.administrator)
    message = "Choose the default status of leads in the configuration (lead statuses)."
    page = client.get(reverse("leads:create"))
    assert page.status_code == 200 and message in text(page)
    response = client.post(reverse("leads:create"), form_data())
    assert response.status_code == 200
    assert message in text(response)
    assert not Lead.objects.exists()


def _foreign_ids(personas) -> dict[str, int]:
    b = personas.other_company
    return {
        "job_title": JobTitle.objects.create(company=b, name="CEO").pk,
        "industry_sector": IndustrySector.objects.create(company=b, name="Steel").pk,
        "department": Department.objects.create(company=b, name="Sales").pk,
        "source": LeadSource.objects.create(company=b, name="Web").pk,
        "category": PartnerCategory.objects.create(company=b, name="SME").pk,
        "assigned_to": personas.other.pk,
        "tags": Tag.objects.create(company=b, name="VIP").pk,
    }


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"last_name": ""}, "last_name"),
        ({"last_name": "   "}, "last_name"),
        ({"first_name": "A" * 101}, "first_name"),
        ({"enterprise_name": "E" * 201}, "enterprise_name"),
        ({"fixed_phone": "12"}, "fixed_phone"),
        ({"mobile_phone": "06 12 34 56 78 99 99 99 99 99 99 99 99 99 99"}, "mobile_phone"),
        ({"email": "anne@"}, "email"),
        ({"email": "a" * 250 + "@x.fr"}, "email"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"scoring": "6"}, "scoring"),
        ({"scoring": "x"}, "scoring"),
        ({"size": "7"}, "size"),
        ({"civility": "king"}, "civility"),
        ({"job_title": "abc"}, "job_title"),
        ({"job_title": "9" * 30}, "job_title"),
        ({"team": "-1"}, "team"),
        ({"tags": ["x"]}, "tags"),
        ({"description": "x" * 200_001}, "description"),
    ],
)
def test_bad_input_is_shown_next_to_its_field(personas, values, field):
    response = en_client(personas.salesperson).post(reverse("leads:create"), form_data(**values))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    for message in errors[field]:
        assert escape(message) in body(response)
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    "field",
    ["job_title", "industry_sector", "department", "source", "category", "assigned_to", "tags"],
)
def test_ids_of_another_company_are_refused(personas, field):
    value = _foreign_ids(personas)[field]
    data = form_data(**{field: [value] if field == "tags" else value})
    response = en_client(personas.salesperson).post(reverse("leads:create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Lead.objects.exists()


def test_invalid_phone_keeps_what_was_typed(personas):
    response = en_client(personas.salesperson).post(
        reverse("leads:create"), form_data(first_name="Anne", fixed_phone="01 23")
    )
    html = body(response)
    assert 'value="01 23"' in html and 'value="Anne"' in html
    assert 'data-testid="error-fixed_phone"' in html


def test_logo_that_is_not_an_image_is_refused_next_to_the_field(personas):
    upload = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = en_client(personas.salesperson).post(
        reverse("leads:create"), {**form_data(), "logo": upload}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["logo"] == ["This file is not an image Piste can read."]
    assert 'data-testid="error-logo"' in body(response)
    assert not Lead.objects.exists()


def test_huge_logo_is_refused_before_it_is_read(personas):
    upload = SimpleUploadedFile("logo.png", b"\x89PNG" + b"\0" * (6 * 1024 * 1024))
    response = en_client(personas.salesperson).post(
        reverse("leads:create"), {**form_data(), "logo": upload}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["logo"] == ["The image is larger than 5 MB."]
    assert not Lead.objects.exists()


def test_create_needs_the_create_right(personas):
    client = en_client(personas.reader)
    assert client.get(reverse("leads:create")).status_code == 403
    assert client.post(reverse("leads:create"), form_data()).status_code == 403
    assert not Lead.objects.exists()


# Edit ---------------------------------------------------------------------------------------


def test_edit_page_shows_phones_nationally_and_the_current_version(personas, full_lead):
    response = en_client(personas.salesperson).get(url("edit", full_lead))
    html = body(response)
    assert 'value="01 23 45 67 89"' in html and 'value="06 12 34 56 78"' in html
    assert re.search(r'name="version" value="1"', html)
    assert "Created by" in html and "Salesperson Test" in html
    assert 'name="remove_logo"' not in html  # no logo yet


def test_edit_saves_and_the_timeline_reads_well(personas, full_lead, company_values):
    client = en_client(personas.salesperson)
    response = client.post(
        url("edit", full_lead),
        edit_data(
            full_lead,
            fixed_phone="04 72 00 00 00",
            enterprise_name="Aéro SA",
            scoring="5",
            do_not_email="on",
            is_key_account="on",
            is_nurturing="on",
            industry_sector=company_values["industry_sector"].pk,
            department=company_values["department"].pk,
            source=company_values["source"].pk,
            category=company_values["category"].pk,
            size=str(CompanySize.S12),
            tags=[],
            **{"address-line1": "12 rue des Ailes", "address-postal_code": "31000"},
            **{"address-city_name": "Toulouse"},
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    full_lead.refresh_from_db()
    assert full_lead.fixed_phone == "+33472000000" and full_lead.version == 2
    page = text(client.get(url("detail", full_lead)))
    assert "The lead “Aéro SA, Anne Martin” was saved." in page
    # Field labels as the model names them, values as the page shows them.
    page = page.lower()
    assert "fixed phone: 01 23 45 67 89 → 04 72 00 00 00" in page
    assert "company name: aéro & fils → aéro sa" in page
    assert "lead scoring: 4 → 5" in page
    assert "do not email: no → yes" in page
    assert "tags: \u2212 hot" in page  # the timeline's minus sign


def test_edit_moves_the_assignment_into_its_own_timeline_entry(personas, full_lead):
    client = en_client(personas.manager)
    response = client.post(
        url("edit", full_lead), edit_data(full_lead, assigned_to=personas.teammate.pk)
    )
    assert response.status_code == 302
    last = Activity.objects.filter(
        content_type=ContentType.objects.get_for_model(Lead), object_id=full_lead.pk
    ).latest("id")
    assert last.verb == Activity.Verb.ASSIGNED
    assert "Manager Test · assigned" in text(client.get(url("detail", full_lead)))


def test_concurrent_edits_never_overwrite_each_other(personas, full_lead):
    first, second = en_client(personas.salesperson), en_client(personas.manager)
    form_first = edit_data(full_lead, first_name="Annabelle")
    form_second = edit_data(full_lead, first_name="Annie", email="annie@aero.example")
    assert first.post(url("edit", full_lead), form_first).status_code == 302

    response = second.post(url("edit", full_lead), form_second)
    assert response.status_code == 200
    page = text(response)
    assert "Someone else saved this lead while you were editing it." in page
    html = body(response)
    assert 'value="Annie"' in html and 'value="annie@aero.example"' in html
    assert re.search(r'name="version" value="2"', html)
    full_lead.refresh_from_db()
    assert full_lead.first_name == "Annabelle" and full_lead.email == "anne@aero.example"

    # Saving again from the conflict page knowingly replaces the other user's values.
    again = second.post(url("edit", full_lead), {**form_second, "version": "2"})
    assert again.status_code == 302
    full_lead.refresh_from_db()
    assert (full_lead.first_name, full_lead.version) == ("Annie", 3)


def test_edit_without_a_version_is_refused_not_a_crash(personas, full_lead):
    data = edit_data(full_lead, first_name="X")
    for bad in (None, "abc", "-3"):
        if bad is None:
            data.pop("version")
        else:
            data["version"] = bad
        response = en_client(personas.salesperson).post(url("edit", full_lead), data)
        assert response.status_code == 200
        assert "version" in response.context["form"].errors
    full_lead.refresh_from_db()
    assert full_lead.first_name == "Anne"


def test_edit_refusal_by_the_service_shows_next_to_the_field(personas, full_lead):
    # The form accepts an inactive member still assigned elsewhere; choosing them is refused.
    personas.teammate.memberships.update(is_active=False)
    response = en_client(personas.salesperson).post(
        url("edit", full_lead), edit_data(full_lead, assigned_to=personas.teammate.pk)
    )
    assert response.status_code == 200
    assert "assigned_to" in response.context["form"].errors
    full_lead.refresh_from_db()
    assert full_lead.version == 1


def test_lead_of_a_former_member_keeps_its_assignee_when_edited(personas, full_lead):
    personas.salesperson.memberships.update(is_active=False)
    client = en_client(personas.manager)
    html = body(client.get(url("edit", full_lead)))
    assert re.search(rf'<option value="{personas.salesperson.pk}" selected>', html)
    response = client.post(url("edit", full_lead), edit_data(full_lead, first_name="Ann"))
    assert response.status_code == 302
    full_lead.refresh_from_db()
    assert full_lead.assigned_to == personas.salesperson and full_lead.first_name == "Ann"


def test_logo_is_uploaded_served_and_removed(personas, full_lead):
    client = en_client(personas.salesperson)
    upload = SimpleUploadedFile("logo.png", png((900, 300)), content_type="image/png")
    response = client.post(url("edit", full_lead), {**edit_data(full_lead), "logo": upload})
    assert response.status_code == 302
    full_lead.refresh_from_db()
    assert full_lead.logo
    html = body(client.get(url("detail", full_lead)))
    assert f'src="{url("logo", full_lead)}?v=2"' in html
    served = client.get(url("logo", full_lead))
    assert served.status_code == 200
    assert served["Content-Type"] in ("image/png", "image/jpeg")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "private" in served["Cache-Control"]
    image = Image.open(io.BytesIO(served.getvalue()))
    assert max(image.size) == services.LOGO_MAX_SIDE
    assert en_client(personas.other).get(url("logo", full_lead)).status_code == 404
    assert en_client(personas.outsider).get(url("logo", full_lead)).status_code == 404
    assert 'name="remove_logo"' in body(client.get(url("edit", full_lead)))

    response = client.post(url("edit", full_lead), edit_data(full_lead, remove_logo="on"))
    assert response.status_code == 302
    full_lead.refresh_from_db()
    assert not full_lead.logo
    assert client.get(url("logo", full_lead)).status_code == 404


def test_edit_with_htmx_redirects_the_browser(personas, full_lead):
    response = en_client(personas.salesperson).post(
        url("edit", full_lead), edit_data(full_lead, first_name="Ann"), headers=HX
    )
    assert response["HX-Redirect"] == url("detail", full_lead)


def test_edit_page_query_count(personas, full_lead, django_assert_num_queries):
    client = en_client(personas.salesperson)
    client.get(url("edit", full_lead))
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 the lead and its joined
    # relations, 6-9 its job title, industry sector, department and category (prefetched),
    # 10 the lead's tags (the form's initial value), 11 the company's form layout, then the
    # choices of the selects in page order: 12 job titles, industry sectors, departments, teams,
    # sources and categories (one query), 13 countries (address block), 14 users, 15 tags.
    with django_assert_num_queries(15):
        response = client.get(url("edit", full_lead))
    assert response.status_code == 200


# Job title "+" ------------------------------------------------------------------------------


def test_job_title_plus_creates_one_in_my_company(personas):
    client = en_client(personas.salesperson)
    response = client.post(reverse("leads:job_title_create"), {"name": "  Chief  Pilot "})
    assert response.status_code == 201
    job = JobTitle.objects.get()
    assert response.json() == {"id": job.pk, "name": "Chief Pilot", "created": True}
    assert job.company == personas.company


def test_job_title_plus_reuses_the_same_folded_name(personas):
    existing = JobTitle.objects.create(company=personas.company, name="Chef de projet")
    JobTitle.objects.create(company=personas.other_company, name="Pilote")
    client = en_client(personas.salesperson)
    response = client.post(reverse("leads:job_title_create"), {"name": "CHEF DE PROJÉT"})
    assert response.status_code == 200
    assert response.json()["id"] == existing.pk
    other = client.post(reverse("leads:job_title_create"), {"name": "pilote"})
    assert other.status_code == 201  # company B's "Pilote" is not ours
    assert JobTitle.objects.filter(company=personas.company).count() == 2


def test_job_title_plus_answers_an_option_to_htmx(personas):
    response = en_client(personas.salesperson).post(
        reverse("leads:job_title_create"), {"name": "<b>Boss</b>"}, headers=HX
    )
    job = JobTitle.objects.get()
    assert body(response) == f'<option value="{job.pk}" selected>&lt;b&gt;Boss&lt;/b&gt;</option>'


def test_job_title_plus_refuses_bad_names_and_readers(personas):
    client = en_client(personas.salesperson)
    for name in ("", "   ", "x" * 121):
        response = client.post(reverse("leads:job_title_create"), {"name": name})
        assert response.status_code == 400
        assert response.json()["errors"]["name"]
    assert (
        en_client(personas.reader)
        .post(reverse("leads:job_title_create"), {"name": "Boss"})
        .status_code
        == 403
    )
    assert en_client(personas.salesperson).get(reverse("leads:job_title_create")).status_code == 405
    assert not JobTitle.objects.exists()


# Access -------------------------------------------------------------------------------------

GET_PAGES = ["detail", "edit", "lose", "logo"]
POSTS = ["edit", "delete", "status", "take_charge", "lose", "reopen"]


@pytest.mark.parametrize("htmx", [False, True])
def test_another_companys_lead_is_a_404_on_every_url(personas, htmx):
    lead = make_lead(personas.other, last_name="Lemoine")
    headers: dict[str, str] = HX if htmx else {}
    for user in (personas.administrator, personas.reader):
        client = en_client(user)
        for name in GET_PAGES:
            assert client.get(url(name, lead), headers=headers).status_code == 404, (user, name)
        for name in POSTS:
            response = client.post(url(name, lead), {"status": lead.status_id}, headers=headers)
            assert response.status_code == 404, (user, name)
    assert Lead.objects.filter(pk=lead.pk, version=1).exists()


def test_salesperson_does_not_see_another_teams_lead(personas):
    lead = make_lead(personas.outsider, last_name="Sud")
    client = en_client(personas.salesperson)
    for name in GET_PAGES:
        assert client.get(url(name, lead)).status_code == 404
    for name in POSTS:
        assert client.post(url(name, lead)).status_code == 404
    # A teammate's lead is visible to the team.
    teammate_lead = make_lead(personas.teammate, last_name="Nord")
    assert client.get(url("detail", teammate_lead)).status_code == 200


def test_reader_gets_403_on_every_change(personas):
    lead = make_lead(personas.salesperson)
    client = en_client(personas.reader)
    assert client.get(url("detail", lead)).status_code == 200
    assert client.get(url("edit", lead)).status_code == 403
    assert client.get(url("lose", lead)).status_code == 403
    for name in POSTS:
        response = client.post(url(name, lead), edit_data(lead, status=lead.status_id))
        assert response.status_code == 403, name
    lead.refresh_from_db()
    assert lead.version == 1 and Lead.objects.filter(pk=lead.pk).exists()


@pytest.mark.parametrize("user", ["salesperson", "marketing"])
def test_delete_without_the_delete_right_is_403(personas, user):
    lead = make_lead(personas.salesperson)
    response = en_client(getattr(personas, user)).post(url("delete", lead))
    assert response.status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/leads/abc/",
        "/leads/0/",
        "/leads/99999999999999999999999999/",
        "/leads/99999999999999999999999999/edit/",
        "/leads/-1/",
        "/leads/1.5/logo/",
        "/leads/%00/",
    ],
)
def test_malformed_ids_are_404(personas, path):
    assert en_client(personas.administrator).get(path).status_code == 404
    assert en_client(personas.administrator).post(path).status_code in (404, 405)


def test_anonymous_users_are_sent_to_sign_in(personas):
    lead = make_lead(personas.salesperson)
    for name in GET_PAGES:
        response = Client().get(url(name, lead))
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert Client().post(url("take_charge", lead)).status_code == 302
    assert Lead.objects.get().assigned_to == personas.salesperson


def test_create_page_query_count(personas, company_values, django_assert_num_queries):
    client = en_client(personas.salesperson)
    client.get(reverse("leads:create"))
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 the company's form layout, 6 the
    # default status (a company without one gets a message instead of the form), then the
    # choices of the selects in page order: 7 job titles, industry sectors, departments, teams,
    # sources and categories (one query), 8 countries (address block), 9 users, 10 tags.
    with django_assert_num_queries(10):
        response = client.get(reverse("leads:create"))
    assert response.status_code == 200


def test_lose_form_query_count(personas, django_assert_num_queries):
    lead = make_lead(personas.salesperson)
    client = en_client(personas.salesperson)
    client.get(url("lose", lead), headers=HX)
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 the lead (its access filter's
    # team subqueries inside), 6 the company's lost reasons.
    with django_assert_num_queries(6):
        response = client.get(url("lose", lead), headers=HX)
    assert response.status_code == 200


def test_edit_form_offers_a_bounded_tag_list_with_the_leads_own_tags(personas, monkeypatch):
    from piste.core import selectors as core_selectors
    from piste.leads import forms as lead_forms

    monkeypatch.setattr(core_selectors, "CHOICES", 3)
    tags = [Tag.objects.create(company=personas.company, name=f"t{i}") for i in range(6)]
    lead = make_lead(personas.salesperson, tags=[tags[5]])
    client = en_client(personas.salesperson)
    page = body(client.get(url("edit", lead)))
    offered = re.findall(r'<option value="(\d+)"[^>]*>t\d</option>', page)
    assert sorted(offered) == sorted(str(t.pk) for t in (*tags[:3], tags[5]))
    # The others are a search away.
    assert 'data-choices-url="/choices/tags/"' in page
    # A tag the list does not show is still accepted when posted (and then offered).
    form = lead_forms.LeadForm(
        {"last_name": "Martin", "tags": [tags[4].pk], "version": lead.version, "scoring": 0},
        instance=lead,
        actor=require_actor(personas.salesperson),
    )
    assert "tags" not in form.errors
    assert (tags[4].pk, "t4") in [(int(v), n) for v, n in form.fields["tags"].widget.choices]
