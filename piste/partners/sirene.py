"""The SIRENE lookup: a SIRET or SIREN in, the company's public details out.

``sirene_lookup(number)`` checks the number locally (checksums), reads the local copy of the
directory first (``SireneUnit`` / ``SireneEstablishment``, loaded by ``manage.py import_sirene``),
then, when an INSEE key is configured, asks the INSEE API Sirene 3.11 (one GET, header
``X-INSEE-Api-Key-Integration``). Every failure is a ``SireneError`` whose ``kind`` says what
happened and whose ``message`` tells the user what to do; nothing is ever written.

Settings (read at each call):
- ``SIRENE_API_URL``: the API's base URL, default ``https://api.insee.fr/api-sirene/3.11``;
- ``SIRENE_API_KEY``: the subscription key of the application on portail-api.insee.fr; empty
  (the default) leaves only the local copy;
- ``SIRENE_API_TIMEOUT``: seconds to wait for INSEE, default 5.

Privacy: a unit or establishment whose diffusion status is "P" (the person opposed the
publication of their details), or whose answer holds masked "[ND]" values, is refused as
not public: its masked details are never offered.

The mapping (``unit_name``, ``address_fields``, ``unit_values``, ``establishment_values``) reads
INSEE's field names, the same in the API's answers and in the stock files' columns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from piste.core.people import CompanySize
from piste.core.text import fold, is_id
from piste.geo.importers.base import parent_commune
from piste.geo.models import City, Country
from piste.partners import identifiers
from piste.partners.models_sirene import Diffusion, SireneEstablishment, SireneUnit

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.insee.fr/api-sirene/3.11"
DEFAULT_TIMEOUT = 5.0
KEY_HEADER = "X-INSEE-Api-Key-Integration"
MASKED = "[ND]"

# INSEE's street type codes (typeVoieEtablissement), spelt out as on a letter.
STREET_TYPES = {
    "ALL": "ALLEE",
    "AV": "AVENUE",
    "BD": "BOULEVARD",
    "CAR": "CARREFOUR",
    "CHE": "CHEMIN",
    "CHS": "CHAUSSEE",
    "CITE": "CITE",
    "COR": "CORNICHE",
    "CRS": "COURS",
    "DOM": "DOMAINE",
    "DSC": "DESCENTE",
    "ECA": "ECART",
    "ESP": "ESPLANADE",
    "FG": "FAUBOURG",
    "GR": "GRANDE RUE",
    "HAM": "HAMEAU",
    "HLE": "HALLE",
    "IMP": "IMPASSE",
    "LD": "LIEU DIT",
    "LOT": "LOTISSEMENT",
    "MAR": "MARCHE",
    "MTE": "MONTEE",
    "PAS": "PASSAGE",
    "PL": "PLACE",
    "PLN": "PLAINE",
    "PLT": "PLATEAU",
    "PRO": "PROMENADE",
    "PRV": "PARVIS",
    "QUA": "QUARTIER",
    "QUAI": "QUAI",
    "RES": "RESIDENCE",
    "RLE": "RUELLE",
    "ROC": "ROCADE",
    "RPT": "ROND POINT",
    "RTE": "ROUTE",
    "RUE": "RUE",
    "SEN": "SENTIER",
    "SQ": "SQUARE",
    "TPL": "TERRE PLEIN",
    "TRA": "TRAVERSE",
    "VLA": "VILLA",
    "VLGE": "VILLAGE",
}
# indiceRepetitionEtablissement: 12 B -> 12 BIS.
REPETITIONS = {"B": "BIS", "T": "TER", "Q": "QUATER", "C": "QUINQUIES"}
# Legal category of a sole trader (« entrepreneur individuel »): a person's names, no company name.
INDIVIDUAL = "1000"


class SireneError(Exception):
    """The lookup found nothing to offer. ``kind``: not_found, not_public, rate_limited,
    unavailable, not_configured or invalid; ``message``: for the user, translated."""

    KINDS = ("not_found", "not_public", "rate_limited", "unavailable", "not_configured", "invalid")

    def __init__(self, kind: str, message: str = "") -> None:
        assert kind in self.KINDS, kind
        self.kind = kind
        self.message = message or default_message(kind)
        super().__init__(self.message)


def default_message(kind: str, number: str = "") -> str:
    if kind == "not_found":
        if len(number) == 9:
            return _("No company has this SIREN in the SIRENE directory: check the number.")
        return _("No establishment has this SIRET in the SIRENE directory: check the number.")
    messages = {
        "not_public": _(
            "This company's details are not public in the SIRENE directory: enter them by hand."
        ),
        "rate_limited": _(
            "The SIRENE directory is receiving too many lookups: try again in a minute."
        ),
        "unavailable": _(
            "The SIRENE directory cannot be reached right now: try again later, or enter the "
            "details by hand."
        ),
        "not_configured": _(
            "The SIRENE lookup is not set up: ask your administrator to configure the INSEE API "
            "key or to import the SIRENE files."
        ),
        "invalid": _("Enter a SIRET (14 digits) or a SIREN (9 digits)."),
    }
    return messages[kind]


@dataclass(frozen=True)
class SireneResult:
    """What the directory says about a SIRET or a SIREN. ``address`` (keys line1, line2,
    postal_code, city_name, city_code, country) only for a SIRET; ``size`` a ``CompanySize``
    value or None."""

    name: str
    ape_code: str
    siren: str
    siret: str
    vat_number: str
    size: int | None
    address: dict[str, str] | None
    active: bool = True
    source: str = "api"  # "local" (the imported files) or "api"


# -- mapping INSEE fields -----------------------------------------------------------------------


class Fields:
    """Reads INSEE fields from an API object or a stock file row: text, stripped, "" when absent.
    A masked "[ND]" value reads as "" and sets ``masked``."""

    def __init__(self, data: Mapping[str, Any] | None) -> None:
        self.data: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        self.masked = False

    def __call__(self, key: str) -> str:
        value = self.data.get(key)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value).strip()
        if text == MASKED:
            self.masked = True
            return ""
        return text


Get = Callable[[str], str]


def unit_name(get: Get) -> str:
    """A legal unit's name: its company name, or a sole trader's first and last names."""
    if get("categorieJuridiqueUniteLegale") == INDIVIDUAL:
        first = get("prenomUsuelUniteLegale") or get("prenom1UniteLegale")
        last = get("nomUsageUniteLegale") or get("nomUniteLegale")
        return " ".join(part for part in (first, last) if part)
    return get("denominationUniteLegale")


def address_fields(get: Get) -> dict[str, str]:
    """An establishment's address in lines, from the ``...Etablissement`` fields."""
    number = " ".join(
        part
        for part in (
            get("numeroVoieEtablissement"),
            _repetition(get("indiceRepetitionEtablissement")),
        )
        if part
    )
    last = " ".join(
        part
        for part in (
            get("dernierNumeroVoieEtablissement"),
            _repetition(get("indiceRepetitionDernierNumeroVoieEtablissement")),
        )
        if part
    )
    if number and last and last != number:
        number = f"{number}-{last}"
    street_type = get("typeVoieEtablissement")
    street_type = STREET_TYPES.get(street_type.upper(), street_type)
    line1 = " ".join(p for p in (number, street_type, get("libelleVoieEtablissement")) if p)
    line2 = ", ".join(
        p
        for p in (get("complementAdresseEtablissement"), get("distributionSpecialeEtablissement"))
        if p
    )
    cedex = get("codeCedexEtablissement")
    postal_code = cedex or get("codePostalEtablissement")
    city_name = (cedex and get("libelleCedexEtablissement")) or get("libelleCommuneEtablissement")
    country = "FR"
    if get("codePaysEtrangerEtablissement") or get("libellePaysEtrangerEtablissement"):
        # An establishment abroad: INSEE's country codes are not ISO ones, the user picks it.
        country = ""
        city_name = get("libelleCommuneEtrangerEtablissement") or city_name
    return {
        "line1": line1,
        "line2": line2,
        "postal_code": postal_code,
        "city_name": city_name,
        "city_code": get("codeCommuneEtablissement"),
        "country": country,
    }


def _repetition(code: str) -> str:
    return REPETITIONS.get(code.upper(), code)


def size_from_band(band: str) -> int | None:
    """INSEE's headcount band ("01", "12", "53") as a ``CompanySize``; None for "NN" (unknown)
    and "00" (no employee)."""
    if band.isascii() and band.isdigit() and int(band) in CompanySize.values:
        return int(band)
    return None


def ape_or_blank(code: str) -> str:
    """The APE code in the form the partner form accepts, or "" for an old nomenclature's."""
    try:
        return identifiers.ape_clean(code)
    except ValidationError:
        return ""


def current_period(periods: Any) -> Mapping[str, Any]:
    """The period without an end date (the API lists the newest first)."""
    if not isinstance(periods, list):
        return {}
    dicts = [p for p in periods if isinstance(p, Mapping)]
    for period in dicts:
        if period.get("dateFin") is None:
            return period
    return dicts[0] if dicts else {}


def _active(*states: str) -> bool:
    # A: active; C (unit) / F (establishment): ceased. Unknown counts as active.
    return all(state in ("", "A") for state in states)


def unit_values(get: Get) -> dict[str, Any]:
    """A ``SireneUnit``'s fields from a StockUniteLegale row (or the API's fields)."""
    return {
        "siren": get("siren"),
        "name": unit_name(get) or get("denominationUsuelle1UniteLegale") or get("sigleUniteLegale"),
        "ape_code": get("activitePrincipaleUniteLegale"),
        "nic_siege": get("nicSiegeUniteLegale"),
        "size": get("trancheEffectifsUniteLegale"),
        "active": _active(get("etatAdministratifUniteLegale")),
        "diffusion": Diffusion.PARTIAL
        if get("statutDiffusionUniteLegale") == Diffusion.PARTIAL
        else Diffusion.PUBLIC,
    }


def establishment_values(get: Get) -> dict[str, Any]:
    """A ``SireneEstablishment``'s fields from a StockEtablissement row."""
    siret = get("siret")
    address = address_fields(get)
    return {
        "siret": siret,
        "siren": siret[:9],  # by definition; the file's own column is not trusted further
        "name": get("denominationUsuelleEtablissement"),
        "trade_name": get("enseigne1Etablissement")
        or get("enseigne2Etablissement")
        or get("enseigne3Etablissement"),
        "ape_code": get("activitePrincipaleEtablissement"),
        "line1": address["line1"],
        "line2": address["line2"],
        "postal_code": address["postal_code"],
        "city_name": address["city_name"],
        "city_code": address["city_code"],
        "is_head_office": get("etablissementSiege").lower() == "true",
        "active": _active(get("etatAdministratifEtablissement")),
        "size": get("trancheEffectifsEtablissement"),
        "diffusion": Diffusion.PARTIAL
        if get("statutDiffusionEtablissement") == Diffusion.PARTIAL
        else Diffusion.PUBLIC,
    }


# -- the lookup ---------------------------------------------------------------------------------


def api_url() -> str:
    return str(getattr(settings, "SIRENE_API_URL", DEFAULT_API_URL) or "").strip().rstrip("/")


def api_key() -> str:
    return str(getattr(settings, "SIRENE_API_KEY", "") or "").strip()


def api_configured() -> bool:
    return bool(api_url() and api_key())


def sirene_lookup(number: str) -> SireneResult:
    """The directory's details for a SIRET (14 digits: name, APE code, address, SIREN…) or a
    SIREN (9 digits: no address). Raises ``SireneError``."""
    try:
        number = identifiers.lookup_number_clean(number)
    except ValidationError as exc:
        raise SireneError("invalid", exc.messages[0]) from exc
    local, complete = _local_siret(number) if len(number) == 14 else _local_siren(number)
    configured = api_configured()
    if local is not None and (complete or not configured):
        return local
    if not configured:
        model = SireneEstablishment if len(number) == 14 else SireneUnit
        if model.objects.exists():  # the files are loaded: the number is not in them
            raise SireneError("not_found", default_message("not_found", number))
        raise SireneError("not_configured")
    try:
        if len(number) == 14:
            return _siret_result(number, _api_get(f"/siret/{number}", number), "etablissement")
        return _siren_result(number, _api_get(f"/siren/{number}", number), "uniteLegale")
    except SireneError as exc:
        # An establishment known locally without its unit: what the files say beats nothing.
        if local is not None and exc.kind in ("unavailable", "rate_limited", "not_configured"):
            return local
        raise


def _local_siret(siret: str) -> tuple[SireneResult | None, bool]:
    """The establishment from the local tables, and whether its unit (the legal name) is there."""
    establishment = SireneEstablishment.objects.filter(siret=siret).first()
    if establishment is None:
        return None, False
    unit = SireneUnit.objects.filter(siren=establishment.siren).first()
    if Diffusion.PARTIAL in (establishment.diffusion, unit.diffusion if unit else ""):
        raise SireneError("not_public")
    name = (unit.name if unit else "") or establishment.name or establishment.trade_name
    result = SireneResult(
        name=name,
        ape_code=ape_or_blank(establishment.ape_code or (unit.ape_code if unit else "")),
        siren=establishment.siren,
        siret=siret,
        vat_number=identifiers.vat_from_siren(establishment.siren),
        size=size_from_band(unit.size if unit else "") or size_from_band(establishment.size),
        address={
            "line1": establishment.line1,
            "line2": establishment.line2,
            "postal_code": establishment.postal_code,
            "city_name": establishment.city_name,
            "city_code": establishment.city_code,
            "country": "FR",
        },
        active=establishment.active and (unit.active if unit else True),
        source="local",
    )
    return result, unit is not None


def _local_siren(siren: str) -> tuple[SireneResult | None, bool]:
    unit = SireneUnit.objects.filter(siren=siren).first()
    if unit is None:
        return None, False
    if unit.diffusion == Diffusion.PARTIAL:
        raise SireneError("not_public")
    result = SireneResult(
        name=unit.name,
        ape_code=ape_or_blank(unit.ape_code),
        siren=siren,
        siret="",
        vat_number=identifiers.vat_from_siren(siren),
        size=size_from_band(unit.size),
        address=None,
        active=unit.active,
        source="local",
    )
    return result, True


def _api_get(path: str, number: str) -> Mapping[str, Any]:
    """GET ``path`` of the API: the JSON answer of a 200, else the ``SireneError`` it means."""
    base = api_url()
    url = f"{base}{path}"
    headers = {KEY_HEADER: api_key(), "Accept": "application/json"}
    timeout = float(getattr(settings, "SIRENE_API_TIMEOUT", DEFAULT_TIMEOUT))
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.get(url, headers=headers)
            location = response.headers.get("location", "")
            if response.is_redirect and location:
                # 301: a SIREN merged into another. Follow once, on INSEE's own host only: the
                # key must not travel elsewhere.
                target, origin = httpx.URL(urljoin(url, location)), httpx.URL(url)
                if (target.scheme, target.host, target.port) == (
                    origin.scheme,
                    origin.host,
                    origin.port,
                ):
                    response = client.get(target, headers=headers)
    # A URL without http(s)://, a key not in ASCII: the settings are wrong, not the network.
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeEncodeError) as exc:
        logger.warning("SIRENE_API_URL or SIRENE_API_KEY is not valid: %s", exc)
        raise SireneError("not_configured") from exc
    except httpx.HTTPError as exc:
        logger.warning("SIRENE API unreachable for %s: %r", path, exc)
        raise SireneError("unavailable") from exc
    status = response.status_code
    if status == 200:
        try:
            payload = response.json()
        except ValueError as exc:
            logger.warning("SIRENE API sent no JSON for %s", path)
            raise SireneError("unavailable") from exc
        if not isinstance(payload, dict):
            raise SireneError("unavailable")
        return payload
    if status == 404:
        raise SireneError("not_found", default_message("not_found", number))
    if status == 403:
        if _insee_header(response):
            raise SireneError("not_public")
        # The gateway's own refusal: the application is not subscribed to API Sirene.
        logger.warning("SIRENE API refused the application (403) for %s", path)
        raise SireneError(
            "not_configured",
            _(
                "The INSEE API refused the access: ask your administrator to check the "
                "application's subscription to API Sirene."
            ),
        )
    if status == 401:
        logger.warning("SIRENE API refused the key (401)")
        raise SireneError(
            "not_configured",
            _("The INSEE API refused the key: ask your administrator to check the SIRENE API key."),
        )
    if status == 429:
        raise SireneError("rate_limited")
    if status == 400:
        raise SireneError("invalid", _("The SIRENE directory refused this number: check it."))
    logger.warning("SIRENE API answered %s for %s", status, path)
    raise SireneError("unavailable")


def _insee_header(response: httpx.Response) -> bool:
    """Whether an error answer is INSEE's own (``{"header": {"statut": …}}``)."""
    try:
        payload = response.json()
    except ValueError:
        return False
    return isinstance(payload, dict) and isinstance(payload.get("header"), dict)


def _payload_object(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    found = payload.get(key)
    if not isinstance(found, Mapping):
        logger.warning("SIRENE API answer without %r", key)
        raise SireneError("unavailable")
    return found


def _siret_result(number: str, payload: Mapping[str, Any], key: str) -> SireneResult:
    data = _payload_object(payload, key)
    establishment = Fields(data)
    unit = Fields(data.get("uniteLegale"))
    period = Fields(current_period(data.get("periodesEtablissement")))
    where = Fields(data.get("adresseEtablissement"))
    if Diffusion.PARTIAL in (
        establishment("statutDiffusionEtablissement"),
        unit("statutDiffusionUniteLegale"),
    ):
        raise SireneError("not_public")
    siret = establishment("siret")
    siret = siret if identifiers.siret_valid(siret) else number
    siren = siret[:9]
    result = SireneResult(
        name=unit_name(unit)
        or unit("denominationUsuelle1UniteLegale")
        or unit("sigleUniteLegale")
        or period("denominationUsuelleEtablissement")
        or period("enseigne1Etablissement"),
        ape_code=ape_or_blank(
            period("activitePrincipaleEtablissement") or unit("activitePrincipaleUniteLegale")
        ),
        siren=siren,
        siret=siret,
        vat_number=identifiers.vat_from_siren(siren),
        size=size_from_band(unit("trancheEffectifsUniteLegale"))
        or size_from_band(establishment("trancheEffectifsEtablissement")),
        address=address_fields(where),
        active=_active(
            period("etatAdministratifEtablissement"), unit("etatAdministratifUniteLegale")
        ),
    )
    if any(f.masked for f in (establishment, unit, period, where)):
        raise SireneError("not_public")
    return result


def _siren_result(number: str, payload: Mapping[str, Any], key: str) -> SireneResult:
    data = _payload_object(payload, key)
    # Names and codes that change over time are in the periods; first names at the top.
    unit = Fields({**data, **current_period(data.get("periodesUniteLegale"))})
    if unit("statutDiffusionUniteLegale") == Diffusion.PARTIAL:
        raise SireneError("not_public")
    siren = unit("siren")
    siren = siren if identifiers.siren_valid(siren) else number
    result = SireneResult(
        name=unit_name(unit) or unit("denominationUsuelle1UniteLegale") or unit("sigleUniteLegale"),
        ape_code=ape_or_blank(unit("activitePrincipaleUniteLegale")),
        siren=siren,
        siret="",
        vat_number=identifiers.vat_from_siren(siren),
        size=size_from_band(unit("trancheEffectifsUniteLegale")),
        address=None,
        active=_active(unit("etatAdministratifUniteLegale")),
    )
    if unit.masked:
        raise SireneError("not_public")
    return result


# -- what the partner form would change ---------------------------------------------------------

ADDRESS_PREFIX = "main_address-"


@dataclass(frozen=True)
class Change:
    """One field the lookup would change: the form input's name, its label, the values shown."""

    field: str
    label: str
    current: str
    new: str


@dataclass(frozen=True)
class Preview:
    changes: list[Change]
    # What the Apply button writes: form input name -> value.
    values: dict[str, str]
    # The chosen city's department, shown read-only beside the city ("75 Paris").
    department: str


def city_for_code(code: str) -> City | None:
    """The referential's city of an INSEE commune code; for an arrondissement of Paris, Lyon or
    Marseille (75108), the commune (75056) when the arrondissement is not in the referential."""
    if not code:
        return None
    codes = {code, parent_commune(code)}
    cities = list(
        City.objects.filter(insee_code__in=codes).select_related("country", "department")[:10]
    )
    cities.sort(key=lambda c: (c.insee_code != code, c.country.code != "FR", c.pk))
    return cities[0] if cities else None


def _country(value: str) -> Country | None:
    if not value:
        return None
    if is_id(value):
        return Country.objects.filter(pk=int(value)).first()
    return Country.objects.filter(code=value.upper()[:2]).first()


def _size_label(value: str) -> str:
    try:
        return str(CompanySize(int(value)).label)
    except ValueError:
        return value


def _ape_key(value: str) -> str:
    try:
        return identifiers.ape_clean(value)
    except ValidationError:
        return value


def sirene_preview(posted: Mapping[str, Any], result: SireneResult) -> Preview:
    """The fields of the posted partner form that ``result`` would change. Nothing is offered
    to blank a field, and values equal but for case, accents or spacing are left alone."""
    changes: list[Change] = []
    values: dict[str, str] = {}

    def current(name: str) -> str:
        return " ".join(str(posted.get(name) or "")[:1000].split())

    def offer(
        name: str, label: str, new: str, *, same: bool, shown: str = "", now: str = ""
    ) -> None:
        if new and not same:
            changes.append(Change(name, label, now or current(name), shown or new))
            values[name] = new

    offer("name", _("name"), result.name, same=fold(current("name")) == fold(result.name))
    offer(
        "siren",
        _("SIREN"),
        result.siren,
        same=identifiers.normalise_siren(current("siren")) == result.siren,
    )
    offer(
        "siret",
        _("SIRET"),
        result.siret,
        same=identifiers.normalise_siret(current("siret")) == result.siret,
    )
    offer(
        "ape_code",
        _("APE code"),
        result.ape_code,
        same=_ape_key(current("ape_code")) == result.ape_code,
    )
    offer(
        "vat_number",
        _("intra-EU VAT number"),
        result.vat_number,
        same=identifiers.normalise_vat(current("vat_number")) == result.vat_number,
    )
    if result.size is not None:
        offer(
            "size",
            _("size"),
            str(result.size),
            same=current("size") == str(result.size),
            shown=_size_label(str(result.size)),
            now=_size_label(current("size")),
        )
    department = ""
    if result.address:
        address = result.address
        p = ADDRESS_PREFIX
        for key, label in (("line1", _("address")), ("line2", _("address line 2"))):
            new = address[key]
            offer(p + key, label, new, same=fold(current(p + key)) == fold(new))
        offer(
            p + "postal_code",
            _("postal code"),
            address["postal_code"],
            same=current(p + "postal_code") == address["postal_code"],
        )
        city = city_for_code(address["city_code"])
        city_name = city.name if city else address["city_name"]
        if city is not None:
            same_city = current(p + "city") == str(city.pk)
        else:
            same_city = fold(current(p + "city_name")) == fold(city_name)
        offer(p + "city_name", _("city"), city_name, same=same_city)
        if p + "city_name" in values:
            # The city id goes with its name: a city typed freely has none.
            values[p + "city"] = str(city.pk) if city else ""
            department = str(city.department) if city and city.department else ""
        country_code = city.country.code if city else address["country"]
        if country_code:
            posted_country = _country(current(p + "country"))
            country = Country.objects.filter(code=country_code).first()
            offer(
                p + "country",
                _("country"),
                country_code,
                same=posted_country is not None and posted_country.code == country_code,
                shown=country.name if country else country_code,
                now=posted_country.name if posted_country else current(p + "country"),
            )
    return Preview(changes=changes, values=values, department=department)
