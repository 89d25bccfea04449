"""The lead services' rules, whoever calls them (pages, API, imports): what is stored, what is
refused, and that a refused call writes nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from piste.core.access import Actor, actor_for
from piste.core.models import Activity, Tag
from piste.leads import services
from piste.leads.models import Lead, LeadSource, LeadStatus, LostReason
from piste.leads.tests.factories import make_lead, status
from piste.partners.models import Department, IndustrySector, JobTitle, PartnerCategory
from piste.users.models import Agency, CrmSettings, Team


def actor(user) -> Actor:
    found = actor_for(user)
    assert found is not None
    return found


def png(size: tuple[int, int] = (600, 300), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "white" if mode != "1" else 1).save(out, format="PNG")
    return out.getvalue()


def activities(lead: Lead) -> list[Activity]:
    return list(
        Activity.objects.filter(
            content_type=ContentType.objects.get_for_model(Lead), object_id=lead.pk
        ).order_by("id")
    )


def update(user, lead: Lead, **data: Any) -> Lead:
    lead = Lead.objects.select_related("status").get(pk=lead.pk)
    return services.lead_update(actor=actor(user), lead=lead, data=data, version=lead.version)


# Contact details ------------------------------------------------------------------------------


def test_phones_are_stored_in_e164_and_the_timeline_shows_them_nationally(personas):
    lead = make_lead(personas.salesperson, fixed_phone="01 23 45 67 89", mobile_phone="")
    assert lead.fixed_phone == "+33123456789"
    assert lead.main_phone == "+33123456789"
    update(personas.salesperson, lead, mobile_phone="+33 (0)6 12 34 56 78")
    lead.refresh_from_db()
    assert lead.mobile_phone == "+33612345678"
    change = activities(lead)[-1].data["changes"][0]
    assert change == {"field": "mobile_phone", "from": None, "to": "06 12 34 56 78"}


def test_invalid_phone_is_refused_next_to_its_field(personas):
    with pytest.raises(ValidationError) as caught:
        make_lead(personas.salesperson, fixed_phone="12")
    assert "fixed_phone" in caught.value.error_dict
    assert not Lead.objects.exists()


def test_emails_are_validated_and_their_domain_lower_cased(personas):
    lead = make_lead(personas.salesperson, email=" Anne.Martin@ACME.FR ")
    assert lead.email == "Anne.Martin@acme.fr"
    with pytest.raises(ValidationError) as caught:
        make_lead(personas.salesperson, email="anne@")
    assert "email" in caught.value.error_dict


def test_websites_are_normalised_to_a_full_address(personas):
    lead = make_lead(personas.salesperson, website="www.ACME.fr")
    assert lead.website == "https://www.acme.fr"
    with pytest.raises(ValidationError) as caught:
        make_lead(personas.salesperson, website="javascript:alert(1)")
    assert "website" in caught.value.error_dict


def test_last_name_is_required(personas):
    with pytest.raises(ValidationError) as caught:
        make_lead(personas.salesperson, last_name="   ")
    assert "last_name" in caught.value.error_dict


# Rich text ------------------------------------------------------------------------------------


def test_description_is_sanitised_before_it_is_stored(personas, settings):
    own_image = f"{settings.UPLOADS_URL_PREFIX}0b3c2f5e-0000-4000-8000-000000000000/"
    lead = make_lead(
        personas.salesperson,
        description=(
            "<p><strong>Needs</strong> a demo<script>alert(1)</script></p>"
            '<img src="x" onerror="alert(2)">'
            '<a href="javascript:alert(3)">click</a>'
            '<img src="https://tracker.example/pixel.gif">'
            f'<figure><img src="{own_image}" alt="plan"></figure>'
        ),
    )
    stored = lead.description
    assert "<strong>Needs</strong>" in stored
    for gone in ("script", "alert", "onerror", "javascript:", "tracker.example"):
        assert gone not in stored
    assert f'src="{own_image}"' in stored


def test_description_timeline_shows_plain_text(personas):
    lead = make_lead(personas.salesperson)
    update(personas.salesperson, lead, description="<p>Call <em>back</em> in June</p>")
    change = activities(lead)[-1].data["changes"][0]
    assert change == {"field": "description", "from": None, "to": "Call back in June"}


# Logo -----------------------------------------------------------------------------------------


def test_logo_is_re_encoded_and_shrunk(personas):
    logo = SimpleUploadedFile("logo.png", png((1200, 600)), content_type="image/png")
    lead = services.lead_create(
        actor=actor(personas.salesperson), data={"last_name": "Martin"}, logo=logo
    )
    with lead.logo.open("rb") as handle, Image.open(handle) as image:
        assert max(image.size) == services.LOGO_MAX_SIDE


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.png", b"<script>alert(1)</script>"),
        ("logo.png", b"%PDF-1.4 not an image"),
        ("logo.png", b""),
    ],
)
def test_logo_that_is_not_an_image_is_refused(personas, name, content):
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    with pytest.raises(ValidationError) as caught:
        services.lead_create(
            actor=actor(personas.salesperson), data={"last_name": "Martin"}, logo=upload
        )
    assert "logo" in caught.value.error_dict
    assert not Lead.objects.exists()


def test_oversized_logo_is_refused(personas):
    upload = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError) as caught:
        services.lead_create(
            actor=actor(personas.salesperson), data={"last_name": "Martin"}, logo=upload
        )
    assert "logo" in caught.value.error_dict


def test_decompression_bomb_logo_is_refused(personas):
    # A small file of 50 million pixels: refused before it is decoded.
    upload = SimpleUploadedFile("bomb.png", png((10_000, 5_000), mode="1"))
    assert upload.size is not None and upload.size < 1024 * 1024
    lead = make_lead(personas.salesperson)
    with pytest.raises(ValidationError) as caught:
        services.lead_update(
            actor=actor(personas.salesperson), lead=lead, data={}, version=lead.version, logo=upload
        )
    assert "logo" in caught.value.error_dict
    lead.refresh_from_db()
    assert not lead.logo
    assert lead.version == 1  # the refused save did not move the version either


# Concurrent edits -----------------------------------------------------------------------------


def test_second_save_from_the_same_version_is_a_conflict_and_writes_nothing(personas):
    lead = make_lead(personas.salesperson, first_name="Anne")
    first = Lead.objects.select_related("status").get(pk=lead.pk)
    second = Lead.objects.select_related("status").get(pk=lead.pk)
    services.lead_update(
        actor=actor(personas.salesperson), lead=first, data={"first_name": "Anna"}, version=1
    )
    with pytest.raises(services.ConflictError):
        services.lead_update(
            actor=actor(personas.manager), lead=second, data={"first_name": "Annie"}, version=1
        )
    lead.refresh_from_db()
    assert lead.first_name == "Anna"
    assert lead.version == 2
    assert len(activities(lead)) == 2  # created, and the first change only


def test_save_with_the_current_version_passes_after_a_conflict(personas):
    lead = make_lead(personas.salesperson, first_name="Anne")
    update(personas.salesperson, lead, first_name="Anna")
    services.lead_update(
        actor=actor(personas.manager),
        lead=Lead.objects.select_related("status").get(pk=lead.pk),
        data={"first_name": "Annie"},
        version=2,
    )
    lead.refresh_from_db()
    assert (lead.first_name, lead.version) == ("Annie", 3)


# Status, lose, reopen, take charge --------------------------------------------------------------


def test_new_leads_take_the_default_status_and_the_creators_tracking(personas):
    team = personas.north
    personas.salesperson.active_team = team
    personas.salesperson.save(update_fields=["active_team"])
    lead = make_lead(personas.salesperson)
    assert lead.status.role == LeadStatus.Role.DEFAULT
    assert lead.assigned_to == personas.salesperson
    assert lead.team == team
    assert lead.created_by == personas.salesperson


def test_explicit_empty_tracking_is_kept(personas):
    lead = make_lead(personas.salesperson, assigned_to=None, team=None)
    assert lead.assigned_to is None and lead.team is None


def test_no_default_status_refuses_creation_with_a_configuration_message(personas):
    LeadStatus.objects.filter(company=personas.company, role=LeadStatus.Role.DEFAULT).update(
        role=""
    )
    with pytest.raises(ValidationError) as caught:
        make_lead(personas.salesperson)
    assert "configuration" in caught.value.messages[0]


@pytest.mark.parametrize("role", [LeadStatus.Role.CONVERTED, LeadStatus.Role.LOST])
def test_status_bar_never_reaches_converted_or_lost(personas, role):
    lead = make_lead(personas.salesperson)
    with pytest.raises(ValidationError):
        services.lead_change_status(
            actor=actor(personas.salesperson), lead=lead, status=status(personas.company.pk, role)
        )
    lead.refresh_from_db()
    assert lead.status.role == LeadStatus.Role.DEFAULT


def test_status_bar_refuses_a_closed_status_without_role(personas):
    closed = LeadStatus.objects.create(
        company=personas.company, name="Archived", sequence=99, is_open=False
    )
    lead = make_lead(personas.salesperson)
    with pytest.raises(ValidationError):
        services.lead_change_status(actor=actor(personas.salesperson), lead=lead, status=closed)


def test_status_bar_refuses_another_companys_status(personas):
    lead = make_lead(personas.salesperson)
    foreign = LeadStatus.objects.filter(company=personas.other_company, is_open=True).first()
    assert foreign is not None
    with pytest.raises(ValidationError):
        services.lead_change_status(actor=actor(personas.salesperson), lead=lead, status=foreign)


def test_status_change_is_written_in_the_timeline(personas):
    lead = make_lead(personas.salesperson)
    target = LeadStatus.objects.get(company=personas.company, name="Sales qualification")
    services.lead_change_status(actor=actor(personas.salesperson), lead=lead, status=target)
    last = activities(lead)[-1]
    assert last.verb == Activity.Verb.STATUS_CHANGED
    assert last.data["changes"][0] == {
        "field": "status",
        "from": "To be processed",
        "to": "Sales qualification",
    }


@pytest.fixture
def reasons(personas) -> dict[str, LostReason]:
    return {
        "price": LostReason.objects.create(company=personas.company, name="Price"),
        "other": LostReason.objects.create(
            company=personas.company, name="Other", comment_required=True
        ),
        "foreign": LostReason.objects.create(company=personas.other_company, name="Price"),
    }


def test_lose_requires_a_reason(personas, reasons):
    lead = make_lead(personas.salesperson)
    with pytest.raises(ValidationError) as caught:
        services.lead_lose(actor=actor(personas.salesperson), lead=lead, reason=None)
    assert "reason" in caught.value.error_dict


def test_lose_requires_a_comment_when_the_reason_asks_for_one(personas, reasons):
    lead = make_lead(personas.salesperson)
    with pytest.raises(ValidationError) as caught:
        services.lead_lose(
            actor=actor(personas.salesperson), lead=lead, reason=reasons["other"], comment="  "
        )
    assert "comment" in caught.value.error_dict
    services.lead_lose(
        actor=actor(personas.salesperson),
        lead=lead,
        reason=reasons["other"],
        comment="Chose a competitor",
    )
    lead.refresh_from_db()
    assert lead.is_lost
    assert (lead.lost_reason, lead.lost_comment) == (reasons["other"], "Chose a competitor")
    assert activities(lead)[-1].data["message"] == "Chose a competitor"


def test_lose_refuses_another_companys_reason(personas, reasons):
    lead = make_lead(personas.salesperson)
    with pytest.raises(ValidationError) as caught:
        services.lead_lose(actor=actor(personas.salesperson), lead=lead, reason=reasons["foreign"])
    assert "reason" in caught.value.error_dict
    lead.refresh_from_db()
    assert not lead.is_lost


def test_lost_or_converted_lead_cannot_be_lost_again(personas, reasons):
    lead = make_lead(personas.salesperson)
    services.lead_lose(actor=actor(personas.salesperson), lead=lead, reason=reasons["price"])
    with pytest.raises(ValidationError):
        services.lead_lose(actor=actor(personas.salesperson), lead=lead, reason=reasons["price"])
    converted = make_lead(personas.salesperson)
    Lead.objects.filter(pk=converted.pk).update(
        status=status(personas.company.pk, LeadStatus.Role.CONVERTED)
    )
    converted.refresh_from_db()
    with pytest.raises(ValidationError):
        services.lead_lose(
            actor=actor(personas.salesperson), lead=converted, reason=reasons["price"]
        )


def test_reopen_gives_the_default_status_and_forgets_the_loss(personas, reasons):
    lead = make_lead(personas.salesperson)
    with pytest.raises(ValidationError):
        services.lead_reopen(actor=actor(personas.salesperson), lead=lead)
    services.lead_lose(
        actor=actor(personas.salesperson), lead=lead, reason=reasons["other"], comment="Budget"
    )
    services.lead_reopen(actor=actor(personas.salesperson), lead=lead)
    lead.refresh_from_db()
    assert lead.status.role == LeadStatus.Role.DEFAULT
    assert lead.lost_reason is None and lead.lost_comment == ""


def test_take_charge_assigns_to_me_but_is_refused_on_a_lost_lead(personas, reasons):
    lead = make_lead(personas.salesperson, assigned_to=None)
    services.lead_take_charge(actor=actor(personas.teammate), lead=lead)
    lead.refresh_from_db()
    assert lead.assigned_to == personas.teammate
    assert activities(lead)[-1].verb == Activity.Verb.ASSIGNED
    services.lead_lose(actor=actor(personas.teammate), lead=lead, reason=reasons["price"])
    with pytest.raises(ValidationError, match="lost lead"):
        services.lead_take_charge(actor=actor(personas.salesperson), lead=lead)
    lead.refresh_from_db()
    assert lead.assigned_to == personas.teammate


# Rights and companies ---------------------------------------------------------------------------


def test_reader_changes_nothing(personas):
    lead = make_lead(personas.salesperson)
    with pytest.raises(PermissionDenied):
        update(personas.reader, lead, first_name="X")
    with pytest.raises(PermissionDenied):
        services.lead_take_charge(actor=actor(personas.reader), lead=lead)
    with pytest.raises(PermissionDenied):
        make_lead(personas.reader)


def test_delete_needs_the_delete_right(personas):
    lead = make_lead(personas.salesperson)
    with pytest.raises(PermissionDenied):
        services.lead_delete(actor=actor(personas.salesperson), lead=lead)
    services.lead_delete(actor=actor(personas.manager), lead=lead)
    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_another_companys_lead_is_never_changed(personas):
    lead = make_lead(personas.other, last_name="Lemoine")
    with pytest.raises(PermissionDenied):
        update(personas.administrator, lead, first_name="X")
    with pytest.raises(PermissionDenied):
        services.lead_delete(actor=actor(personas.administrator), lead=lead)


def _foreign_values(personas) -> dict[str, Any]:
    b = personas.other_company
    return {
        "job_title": JobTitle.objects.create(company=b, name="CEO"),
        "industry_sector": IndustrySector.objects.create(company=b, name="Industry"),
        "department": Department.objects.create(company=b, name="Sales"),
        "assigned_to": personas.other,
        "team": Team.objects.create(company=b, name="East"),
        "agency": Agency.objects.create(company=b, name="Lyon"),
        "source": LeadSource.objects.create(company=b, name="Webinar"),
        "category": PartnerCategory.objects.create(company=b, name="SME"),
    }


@pytest.mark.parametrize(
    "field",
    [
        "job_title",
        "industry_sector",
        "department",
        "assigned_to",
        "team",
        "agency",
        "source",
        "category",
    ],
)
def test_every_related_field_refuses_another_companys_value(personas, field):
    CrmSettings.objects.update(agencies_enabled=True)
    value = _foreign_values(personas)[field]
    with pytest.raises(ValidationError) as caught:
        make_lead(personas.salesperson, **{field: value})
    assert field in caught.value.error_dict
    lead = make_lead(personas.salesperson)
    with pytest.raises(ValidationError) as caught:
        update(personas.salesperson, lead, **{field: value})
    assert field in caught.value.error_dict
    lead.refresh_from_db()
    assert lead.version == 1
    assert getattr(lead, f"{field}_id") in (None, personas.salesperson.pk)


def test_tags_of_another_company_are_refused(personas):
    foreign = Tag.objects.create(company=personas.other_company, name="VIP")
    with pytest.raises(ValidationError) as caught:
        make_lead(personas.salesperson, tags=[foreign])
    assert "tags" in caught.value.error_dict
    lead = make_lead(personas.salesperson)
    with pytest.raises(ValidationError):
        services.lead_update(
            actor=actor(personas.salesperson),
            lead=lead,
            data={},
            version=lead.version,
            tags=[foreign],
        )
    assert not lead.tags.exists()
