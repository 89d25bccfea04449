from django.utils.translation import gettext_lazy as _

from piste.core.models import Tag
from piste.core.referentials import Referential, register

register(
    Referential(
        slug="tags",
        model=Tag,
        fields=("color",),
        columns=("color",),
        sortable=("color",),
        help_text=_("Coloured labels usable on any record."),
        order=90,
    )
)
