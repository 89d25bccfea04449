from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from piste.core.models import NamedReferential


class LeadSource(NamedReferential):
    """Where a lead came from (« Provenance »): web form, webinar, trade show…"""

    code = models.CharField(_("code"), max_length=20, blank=True)

    class Meta(NamedReferential.Meta):
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")


class LostReason(NamedReferential):
    """Why a lead, prospect or opportunity was lost; shared by all three."""

    comment_required = models.BooleanField(
        _("comment required"),
        default=False,
        help_text=_("Losing with this reason asks for a free-text comment."),
    )

    class Meta(NamedReferential.Meta):
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
