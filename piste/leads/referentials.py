from django.utils.translation import gettext_lazy as _

from piste.core.referentials import Referential, register
from piste.leads.models import LeadSource, LostReason

register(
    Referential(
        slug="lead-sources",
        model=LeadSource,
        fields=("code",),
        columns=("code",),
        sortable=("code",),
        help_text=_("Where leads come from: website form, webinar, trade show…"),
        order=40,
    )
)
register(
    Referential(
        slug="lost-reasons",
        model=LostReason,
        fields=("comment_required",),
        columns=("comment_required",),
        sortable=("comment_required",),
        help_text=_("Why a lead, prospect or opportunity was lost."),
        order=60,
    )
)
