"""The lead form's layout spec (see ``piste.core.layouts``): its sections and default order as
``templates/leads/form.html`` draws them, and what an administrator may change."""

from django.utils.translation import gettext_lazy as _

from piste.core.layouts import FormSpec, Section, register
from piste.leads.models import Lead

LEAD_FORM = register(
    FormSpec(
        name="lead",
        label=_("Lead"),
        help_text=_("The form to create and edit a lead."),
        model=Lead,
        sections=(
            Section(
                "identity",
                _("Identity"),
                (
                    "civility",
                    "first_name",
                    "last_name",
                    "enterprise_name",
                    "siren",
                    "job_title",
                    "industry_sector",
                    "department",
                    "logo",
                ),
            ),
            Section(
                "contact",
                _("Contact details"),
                (
                    "fixed_phone",
                    "mobile_phone",
                    "email",
                    "website",
                    "do_not_call",
                    "do_not_email",
                ),
            ),
            Section("address", _("Address"), ("address",)),
            Section("description", _("Description"), ("description",)),
            Section(
                "tracking", _("Tracking"), ("assigned_to", "team", "agency"), "side", footer=True
            ),
            Section(
                "marketing",
                _("Marketing"),
                (
                    "scoring",
                    "size",
                    "is_key_account",
                    "is_nurturing",
                    "source",
                    "category",
                    "tags",
                ),
                "side",
            ),
        ),
        # The service refuses a lead without a last name.
        always_required=frozenset({"last_name"}),
        # Check boxes are always "given" (ticked or not); a file is never asked twice.
        never_required=frozenset(
            {"do_not_call", "do_not_email", "is_key_account", "is_nurturing", "logo"}
        ),
        # The address is its own form (AddressForm, prefix "address"): shown or hidden whole.
        blocks=frozenset({"address"}),
        # Drawn by the page (partials field_<name> of leads/form.html).
        custom=frozenset({"job_title", "logo", "description", "scoring"}),
        companions={"logo": ("remove_logo",)},
        widths={
            "civility": "col-sm-3",
            "first_name": "col-sm-4",
            "last_name": "col-sm-5",
            "enterprise_name": "col-sm-6",
            "siren": "col-sm-6",
            "job_title": "col-sm-6",
            "industry_sector": "col-sm-6",
            "department": "col-sm-6",
            "fixed_phone": "col-sm-6",
            "mobile_phone": "col-sm-6",
            "email": "col-sm-6",
            "website": "col-sm-6",
            "do_not_call": "col-auto",
            "do_not_email": "col-auto",
        },
    )
)
