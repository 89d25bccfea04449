"""Geographic referentials shared by every company: countries, regions, departments, cities,
postal codes, and the one address model every record with an address uses."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from piste.core.text import fold


class Country(models.Model):
    """An ISO 3166-1 country; loaded from pycountry by the migrations, editable afterwards."""

    code = models.CharField(_("ISO code"), max_length=2, unique=True)
    code3 = models.CharField(_("ISO alpha-3 code"), max_length=3, blank=True)
    numeric = models.CharField(_("ISO numeric code"), max_length=3, blank=True)
    name_fr = models.CharField(_("French name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120)
    # fold(name_fr + " " + name_en + " " + code): one column to search both languages.
    search_key = models.CharField(max_length=300, editable=False, db_index=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive countries are not offered in forms.")
    )

    class Meta:
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.code = self.code.upper()
        self.search_key = fold(f"{self.name_fr} {self.name_en} {self.code}")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name_fr", "name_en", "code"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_key"}
        super().save(*args, **kwargs)

    @property
    def name(self) -> str:
        """The name in the language of the current request."""
        return self.name_fr if (get_language() or "fr").startswith("fr") else self.name_en


class NamedPlace(models.Model):
    """A place with a name searched ignoring case and accents."""

    name = models.CharField(_("name"), max_length=200)
    # fold(name): prefix searches ("montreui" finds Montreuil) use the index on this column.
    name_key = models.CharField(max_length=200, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_key = fold(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    def clean_fields(self, exclude: Any = None) -> None:
        self.name_key = fold(self.name)
        super().clean_fields(exclude=exclude)


class Region(NamedPlace):
    """A first-level division: an INSEE region (11 Île-de-France) or a GeoNames admin1 code."""

    country = models.ForeignKey(
        Country, verbose_name=_("country"), on_delete=models.PROTECT, related_name="regions"
    )
    code = models.CharField(_("code"), max_length=20)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name_key"]
        constraints = [
            models.UniqueConstraint("country", "code", name="geo_region_country_code_unique")
        ]


class Department(NamedPlace):
    """A second-level division: a French département (75 Paris, 2A) or a GeoNames admin2 code."""

    country = models.ForeignKey(
        Country, verbose_name=_("country"), on_delete=models.PROTECT, related_name="departments"
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="departments",
    )
    code = models.CharField(_("code"), max_length=20)

    class Meta:
        verbose_name = _("department (territory)")
        verbose_name_plural = _("departments (territory)")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint("country", "code", name="geo_department_country_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class City(NamedPlace):
    """A city (commune). Found again on re-import by INSEE code, then GeoNames id, then by
    (country, department, name)."""

    country = models.ForeignKey(
        Country, verbose_name=_("country"), on_delete=models.PROTECT, related_name="cities"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cities",
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cities",
    )
    insee_code = models.CharField(_("INSEE code"), max_length=10, blank=True)
    geonames_id = models.BigIntegerField(_("GeoNames id"), null=True, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    population = models.PositiveIntegerField(_("population"), default=0)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["name_key", "id"]
        constraints = [
            models.UniqueConstraint(
                "country",
                "insee_code",
                name="geo_city_insee_unique",
                condition=~models.Q(insee_code=""),
            ),
            models.UniqueConstraint(
                "geonames_id",
                name="geo_city_geonames_unique",
                condition=models.Q(geonames_id__isnull=False),
            ),
        ]
        indexes = [
            # Autocomplete: name_key LIKE 'montreui%' (pattern ops so PostgreSQL uses it for LIKE
            # whatever the database collation; SQLite ignores opclasses).
            models.Index(
                fields=["name_key"], name="geo_city_name_prefix", opclasses=["varchar_pattern_ops"]
            ),
            # Re-import without codes finds a city by its department and name.
            models.Index(fields=["country", "department", "name_key"], name="geo_city_natural"),
            # The cities list pages by keyset on (name_key, id) or (insee_code, id): one index range
            # scan per page at a million cities (the prefix index above uses pattern operators,
            # which cannot serve ORDER BY). The INSEE one also finds a city by its code.
            models.Index(fields=["name_key", "id"], name="geo_city_name_order"),
            models.Index(fields=["insee_code", "id"], name="geo_city_insee_order"),
        ]


class PostalCode(models.Model):
    """One postal code of one city: a code may serve several cities, a city have several codes."""

    country = models.ForeignKey(
        Country, verbose_name=_("country"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("postal code"), max_length=20)
    city = models.ForeignKey(
        City, verbose_name=_("city"), on_delete=models.CASCADE, related_name="postal_codes"
    )
    # La Poste's "libellé d'acheminement" (the upper-case city line of a mail address).
    label = models.CharField(_("delivery label"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("postal code")
        verbose_name_plural = _("postal codes")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint("city", "code", name="geo_postalcode_city_code_unique")
        ]
        indexes = [
            # Autocomplete: code LIKE '7501%'.
            models.Index(
                fields=["code"], name="geo_postalcode_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.city.name}"


class Address(models.Model):
    """The address of any record: lines, postal code, city (from the referential, or typed when
    unknown), country. A record holds it through a one-to-one field of its own."""

    line1 = models.CharField(_("address"), max_length=200, blank=True)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    line3 = models.CharField(_("address line 3"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.ForeignKey(
        City,
        verbose_name=_("city"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The city as shown: the referential's name when linked, free text otherwise.
    city_name = models.CharField(_("city"), max_length=200, blank=True)
    country = models.ForeignKey(
        Country,
        verbose_name=_("country"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return ", ".join(self.lines)

    @property
    def lines(self) -> list[str]:
        city_line = " ".join(p for p in (self.postal_code, self.city_name) if p)
        parts = [self.line1, self.line2, self.line3, city_line]
        if self.country_id and self.country and self.country.code != "FR":
            parts.append(self.country.name)
        return [p for p in parts if p]

    @property
    def is_empty(self) -> bool:
        return not any(
            (self.line1, self.line2, self.line3, self.postal_code, self.city_name, self.city_id)
        )


class ImportSettings(models.Model):
    """Where automatic city imports download from (one row; administrators may change it).

    ``{country}`` in a URL is replaced by the ISO code of the chosen country (FR, BE…).
    """

    geonames_cities_url = models.URLField(
        _("GeoNames cities"), default="https://download.geonames.org/export/dump/{country}.zip"
    )
    geonames_admin1_url = models.URLField(
        _("GeoNames regions (admin1 codes)"),
        default="https://download.geonames.org/export/dump/admin1CodesASCII.txt",
    )
    geonames_admin2_url = models.URLField(
        _("GeoNames departments (admin2 codes)"),
        default="https://download.geonames.org/export/dump/admin2Codes.txt",
    )
    geonames_postal_url = models.URLField(
        _("GeoNames postal codes"), default="https://download.geonames.org/export/zip/{country}.zip"
    )
    insee_regions_url = models.URLField(
        _("INSEE COG regions"),
        default="https://www.insee.fr/fr/statistiques/fichier/8377162/v_region_2025.csv",
    )
    insee_departments_url = models.URLField(
        _("INSEE COG departments"),
        default="https://www.insee.fr/fr/statistiques/fichier/8377162/v_departement_2025.csv",
    )
    insee_communes_url = models.URLField(
        _("INSEE COG communes"),
        default="https://www.insee.fr/fr/statistiques/fichier/8377162/v_commune_2025.csv",
    )
    laposte_url = models.URLField(
        _("La Poste postal codes"),
        default="https://datanova.laposte.fr/data-fair/api/v1/datasets/laposte-hexasmal/raw",
    )

    class Meta:
        verbose_name = _("city import settings")
        verbose_name_plural = _("city import settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class CityImport(models.Model):
    """One city import job ("Import de villes"), run by the job queue with a progress bar."""

    class Format(models.TextChoices):
        GEONAMES = "geonames", _("GeoNames cities (19 columns)")
        GEONAMES_ADMIN = "geonames-admin", _("GeoNames admin codes (regions, departments)")
        GEONAMES_POSTAL = "geonames-postal", _("GeoNames postal codes (12 columns)")
        INSEE_COG = "insee-cog", _("INSEE COG (communes, departments or regions)")
        LAPOSTE = "laposte", _("La Poste postal codes")
        CSV = "csv", _("Piste CSV template")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Manual (a file)")
        AUTOMATIC = "automatic", _("Automatic (download)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    format = models.CharField(_("format"), max_length=20, choices=Format.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    country = models.ForeignKey(
        Country,
        verbose_name=_("country"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    url = models.URLField(_("address"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to="city-imports/", blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_lines = models.PositiveIntegerField(_("lines"), default=0)
    processed_lines = models.PositiveIntegerField(_("lines read"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    report = models.FileField(_("rejected lines"), upload_to="city-imports/reports/", blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    started_at = models.DateTimeField(_("started on"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished on"), null=True, blank=True)
    # Written by the running job at each batch: a stale heartbeat means the worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("city import")
        verbose_name_plural = _("city imports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} #{self.pk}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_lines:
            return 0
        return min(99, int(100 * self.processed_lines / self.total_lines))
