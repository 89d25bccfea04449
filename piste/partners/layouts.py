"""The partner and contact forms' layout specs (see ``piste.core.layouts``): their sections and
default order as ``templates/partners/partner.html`` and ``contact.html`` draw them, and what an
administrator may change."""

from django.utils.translation import gettext_lazy as _

from piste.core.layouts import FormSpec, Section, register
from piste.partners.models import Contact, Partner

_HALF = "col-sm-6"
_FLAG = "col-auto"

PARTNER_FORM = register(
    FormSpec(
        name="partner",
        label=_("Partner"),
        help_text=_("The left column of a prospect's, customer's or other partner's page."),
        model=Partner,
        sections=(
            Section(
                "identity",
                _("Identity"),
                (
                    "partner_type",
                    "civility",
                    "first_name",
                    "name",
                    "category",
                    "industry_sector",
                    "parent",
                    "logo",
                ),
            ),
            Section(
                "types",
                _("Types"),
                (
                    "is_prospect",
                    "is_customer",
                    "is_supplier",
                    "is_partner",
                    "is_internal",
                    "is_factor",
                ),
            ),
            Section(
                "identification",
                _("Identification"),
                ("siret", "siren", "vat_number", "ape_code", "size"),
                footer=True,
            ),
            Section(
                "contact",
                _("Contact details"),
                ("fixed_phone", "mobile_phone", "email", "website", "do_not_call", "do_not_email"),
            ),
            Section("main_address", _("Main address"), ("main_address",)),
            Section(
                "other_addresses",
                _("Invoicing and delivery"),
                ("invoicing_address", "delivery_address"),
            ),
            Section("description", _("Description"), ("description",)),
            Section("tracking", _("Tracking"), ("assigned_to", "team", "agency")),
            Section(
                "marketing",
                _("Marketing"),
                ("scoring", "is_key_account", "is_nurturing", "source", "tags"),
            ),
            Section("closing", _("Closing"), ("is_closed", "closed_on", "closed_reason")),
        ),
        # The service refuses a partner without a name.
        always_required=frozenset({"name"}),
        # Check boxes are always "given" (ticked or not); a file is never asked twice; the
        # type always has a value.
        never_required=frozenset(
            {
                "is_prospect",
                "is_customer",
                "is_supplier",
                "is_partner",
                "is_internal",
                "is_factor",
                "do_not_call",
                "do_not_email",
                "is_key_account",
                "is_nurturing",
                "is_closed",
                "logo",
            }
        ),
        blocks=frozenset({"main_address", "invoicing_address", "delivery_address"}),
        custom=frozenset({"logo", "description", "scoring", "siret"}),
        companions={"logo": ("remove_logo",)},
        widths={
            "partner_type": _HALF,
            "civility": _HALF,
            "first_name": _HALF,
            "is_prospect": _FLAG,
            "is_customer": _FLAG,
            "is_supplier": _FLAG,
            "is_partner": _FLAG,
            "is_internal": _FLAG,
            "is_factor": _FLAG,
            "category": _HALF,
            "industry_sector": _HALF,
            "siret": "col-12",
            "siren": _HALF,
            "vat_number": _HALF,
            "ape_code": _HALF,
            "fixed_phone": _HALF,
            "mobile_phone": _HALF,
            "email": _HALF,
            "website": _HALF,
            "do_not_call": _FLAG,
            "do_not_email": _FLAG,
            "assigned_to": _HALF,
            "team": _HALF,
            "is_key_account": _FLAG,
            "is_nurturing": _FLAG,
            "is_closed": _FLAG,
            "closed_on": _HALF,
        },
    )
)

CONTACT_FORM = register(
    FormSpec(
        name="contact",
        label=_("Contact"),
        help_text=_("The left column of a contact's page."),
        model=Contact,
        sections=(
            Section(
                "identity",
                _("Identity"),
                ("civility", "first_name", "last_name", "job_title", "department"),
            ),
            Section(
                "contact",
                _("Contact details"),
                ("fixed_phone", "mobile_phone", "email", "do_not_call", "do_not_email"),
            ),
            Section("address", _("Address"), ("address",)),
            Section("description", _("Description"), ("description",)),
            Section("tracking", _("Tracking"), ("assigned_to", "team", "agency", "tags")),
        ),
        always_required=frozenset({"last_name"}),
        never_required=frozenset({"do_not_call", "do_not_email"}),
        blocks=frozenset({"address"}),
        custom=frozenset({"description"}),
        widths={
            "civility": "col-sm-3",
            "first_name": "col-sm-4",
            "last_name": "col-sm-5",
            "job_title": _HALF,
            "department": _HALF,
            "fixed_phone": _HALF,
            "mobile_phone": _HALF,
            "do_not_call": _FLAG,
            "do_not_email": _FLAG,
            "assigned_to": _HALF,
            "team": _HALF,
        },
    )
)
