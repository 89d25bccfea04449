"""A local copy of the SIRENE directory (INSEE), loaded by ``manage.py import_sirene`` from the
monthly stock files and read first by the SIRENE lookup (``piste.partners.sirene``).

Public data shared by every company: no company column, no access rule. Values are stored as the
lookup maps them (``piste.partners.sirene``): a legal unit's name already built from its parts,
an establishment's address already in lines. Masked values ("[ND]" in the files) are stored
empty; the diffusion status tells the lookup not to offer such a unit.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Diffusion(models.TextChoices):
    PUBLIC = "O", _("public")
    # "Diffusion partielle": the person opposed the publication of their details.
    PARTIAL = "P", _("partly hidden")


class SireneUnit(models.Model):
    """A legal unit (« unité légale »), identified by its SIREN."""

    siren = models.CharField(_("SIREN"), max_length=9, primary_key=True)
    # denominationUniteLegale, or first name + last name of a sole trader (legal category 1000).
    name = models.CharField(_("name"), max_length=255, blank=True)
    ape_code = models.CharField(_("APE code"), max_length=10, blank=True)
    # SIRET of the head office = siren + nic_siege.
    nic_siege = models.CharField(_("head office NIC"), max_length=5, blank=True)
    # INSEE headcount band: "NN" (unknown), "00", "01" … "53".
    size = models.CharField(_("headcount band"), max_length=2, blank=True)
    active = models.BooleanField(_("active"), default=True)
    diffusion = models.CharField(
        _("diffusion"), max_length=1, choices=Diffusion.choices, default=Diffusion.PUBLIC
    )

    class Meta:
        verbose_name = _("SIRENE legal unit")
        verbose_name_plural = _("SIRENE legal units")

    def __str__(self) -> str:
        return f"{self.siren} {self.name}".strip()


class SireneEstablishment(models.Model):
    """An establishment (« établissement »), identified by its SIRET."""

    siret = models.CharField(_("SIRET"), max_length=14, primary_key=True)
    siren = models.CharField(_("SIREN"), max_length=9)
    # denominationUsuelleEtablissement: the legal name lives on the unit.
    name = models.CharField(_("name"), max_length=255, blank=True)
    # enseigne1Etablissement (else enseigne 2, 3): the sign over the door.
    trade_name = models.CharField(_("trade name"), max_length=255, blank=True)
    ape_code = models.CharField(_("APE code"), max_length=10, blank=True)
    line1 = models.CharField(_("address"), max_length=200, blank=True)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city_name = models.CharField(_("city"), max_length=100, blank=True)
    # The commune's code in INSEE's Code officiel géographique (joins geo.City.insee_code).
    city_code = models.CharField(_("INSEE code"), max_length=5, blank=True)
    is_head_office = models.BooleanField(_("head office"), default=False)
    active = models.BooleanField(_("active"), default=True)
    size = models.CharField(_("headcount band"), max_length=2, blank=True)
    diffusion = models.CharField(
        _("diffusion"), max_length=1, choices=Diffusion.choices, default=Diffusion.PUBLIC
    )

    class Meta:
        verbose_name = _("SIRENE establishment")
        verbose_name_plural = _("SIRENE establishments")
        # No index beyond the SIRET: the lookup reads one establishment by SIRET and its unit by
        # SIREN (the unit's key), and the stock file has some 40 million rows to upsert.

    def __str__(self) -> str:
        return f"{self.siret} {self.name or self.trade_name}".strip()
