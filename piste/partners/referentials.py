from django.utils.translation import gettext_lazy as _

from piste.core.referentials import Referential, register
from piste.partners.models import Department, IndustrySector, JobTitle, PartnerCategory

register(
    Referential(
        slug="industry-sectors",
        model=IndustrySector,
        help_text=_("Industry, services, public sector… Import a one-column CSV file."),
        csv_import=True,
        order=10,
    )
)
register(
    Referential(
        slug="job-titles",
        model=JobTitle,
        help_text=_("Job titles of contacts; users may also create them from a record."),
        order=20,
    )
)
register(
    Referential(
        slug="departments",
        model=Department,
        fields=("code",),
        columns=("code",),
        sortable=("code",),
        help_text=_("Departments of a company (sales, purchasing…)."),
        order=30,
    )
)
register(
    Referential(
        slug="partner-categories",
        model=PartnerCategory,
        fields=("code",),
        columns=("code",),
        sortable=("code",),
        help_text=_("Association, SME, investor…"),
        order=50,
    )
)
