"""The SIRENE lookup (``piste.partners.sirene``) and its button's view.

The INSEE API is played by a real HTTP server on 127.0.0.1 answering the API Sirene 3.11
envelopes (shapes of the official answers, values made up); httpx is never mocked.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from piste.core.testing import en_client
from piste.geo.models import City, Country, Department
from piste.partners.models import Partner
from piste.partners.models_sirene import SireneEstablishment, SireneUnit
from piste.partners.sirene import SireneError, SireneResult, sirene_lookup
from piste.partners.tests.factories import make_partner
from piste.partners.views_sirene import LOOKUP_LIMIT
from piste.users.models import User

pytestmark = [pytest.mark.django_db]

KEY = "test-integration-key"
BASE = "/api-sirene/3.11"
SIRET = "73282932000074"
SIREN = "732829320"
PERSON_SIREN = "443061841"
HIDDEN_SIREN = "404833048"
HIDDEN_SIRET = "40483304800014"


# -- the fake INSEE ------------------------------------------------------------------------------


@dataclass
class Route:
    status: int
    body: Any
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class FakeInsee:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stop = threading.Event()

    def add(self, path_: str, status: int, body: Any, **kwargs: Any) -> None:
        self.routes[BASE + path_] = Route(status, body, **kwargs)


class Handler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        fake: FakeInsee = self.server.fake
        fake.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        if self.headers.get("X-INSEE-Api-Key-Integration") != KEY:
            # The gateway's own answer to a wrong key (not INSEE's envelope).
            route = Route(401, {"message": "Unauthorized", "http_status_code": 401})
        else:
            route = fake.routes.get(self.path) or Route(
                404, {"header": {"statut": 404, "message": "Aucun élément trouvé"}}
            )
        if route.delay:
            fake.stop.wait(route.delay)
        body = route.body if isinstance(route.body, bytes) else json.dumps(route.body).encode()
        try:
            self.send_response(route.status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def insee(settings) -> Iterator[FakeInsee]:
    fake = FakeInsee()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.fake = fake  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    settings.SIRENE_API_URL = f"http://127.0.0.1:{server.server_port}{BASE}"
    settings.SIRENE_API_KEY = KEY
    settings.SIRENE_API_TIMEOUT = 3
    try:
        yield fake
    finally:
        fake.stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_api(settings) -> None:
    settings.SIRENE_API_KEY = ""


# -- the envelopes (API Sirene 3.11) -------------------------------------------------------------

UNITE_LEGALE_OF_SIRET = {
    "etatAdministratifUniteLegale": "A",
    "statutDiffusionUniteLegale": "O",
    "unitePurgeeUniteLegale": None,
    "dateCreationUniteLegale": "1973-01-01",
    "categorieJuridiqueUniteLegale": "5710",
    "denominationUniteLegale": "ATELIERS DURAND",
    "sigleUniteLegale": "AD",
    "denominationUsuelle1UniteLegale": None,
    "denominationUsuelle2UniteLegale": None,
    "denominationUsuelle3UniteLegale": None,
    "sexeUniteLegale": None,
    "nomUniteLegale": None,
    "nomUsageUniteLegale": None,
    "prenom1UniteLegale": None,
    "prenom2UniteLegale": None,
    "prenom3UniteLegale": None,
    "prenom4UniteLegale": None,
    "prenomUsuelUniteLegale": None,
    "pseudonymeUniteLegale": None,
    "activitePrincipaleUniteLegale": "62.01Z",
    "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2",
    "identifiantAssociationUniteLegale": None,
    "economieSocialeSolidaireUniteLegale": "N",
    "societeMissionUniteLegale": "N",
    "caractereEmployeurUniteLegale": "O",
    "trancheEffectifsUniteLegale": "31",
    "anneeEffectifsUniteLegale": "2023",
    "nicSiegeUniteLegale": "00074",
    "dateDernierTraitementUniteLegale": "2025-01-14T10:03:22.000",
    "categorieEntreprise": "ETI",
    "anneeCategorieEntreprise": "2022",
}

ADRESSE = {
    "complementAdresseEtablissement": "BATIMENT B",
    "numeroVoieEtablissement": "12",
    "indiceRepetitionEtablissement": "B",
    "dernierNumeroVoieEtablissement": None,
    "indiceRepetitionDernierNumeroVoieEtablissement": None,
    "typeVoieEtablissement": "AV",
    "libelleVoieEtablissement": "DE LA REPUBLIQUE",
    "codePostalEtablissement": "75011",
    "libelleCommuneEtablissement": "PARIS 11",
    "libelleCommuneEtrangerEtablissement": None,
    "distributionSpecialeEtablissement": None,
    "codeCommuneEtablissement": "75111",
    "codeCedexEtablissement": None,
    "libelleCedexEtablissement": None,
    "codePaysEtrangerEtablissement": None,
    "libellePaysEtrangerEtablissement": None,
    "identifiantAdresseEtablissement": "75111_8158_00012",
    "coordonneeLambertAbscisseEtablissement": "653822.5",
    "coordonneeLambertOrdonneeEtablissement": "6862490.1",
}


def siret_envelope() -> dict[str, Any]:
    return copy.deepcopy(
        {
            "header": {"statut": 200, "message": "ok"},
            "etablissement": {
                "siren": SIREN,
                "nic": "00074",
                "siret": SIRET,
                "statutDiffusionEtablissement": "O",
                "dateCreationEtablissement": "1998-03-01",
                "trancheEffectifsEtablissement": "22",
                "anneeEffectifsEtablissement": "2023",
                "activitePrincipaleRegistreMetiersEtablissement": None,
                "dateDernierTraitementEtablissement": "2024-11-02T08:12:47.000",
                "etablissementSiege": True,
                "nombrePeriodesEtablissement": 2,
                "uniteLegale": UNITE_LEGALE_OF_SIRET,
                "adresseEtablissement": ADRESSE,
                "adresse2Etablissement": {
                    "complementAdresse2Etablissement": None,
                    "numeroVoie2Etablissement": None,
                    "typeVoie2Etablissement": None,
                    "libelleVoie2Etablissement": None,
                    "codePostal2Etablissement": None,
                    "libelleCommune2Etablissement": None,
                    "codeCommune2Etablissement": None,
                },
                "periodesEtablissement": [
                    {
                        "dateFin": None,
                        "dateDebut": "2015-06-01",
                        "etatAdministratifEtablissement": "A",
                        "changementEtatAdministratifEtablissement": False,
                        "enseigne1Etablissement": None,
                        "enseigne2Etablissement": None,
                        "enseigne3Etablissement": None,
                        "changementEnseigneEtablissement": False,
                        "denominationUsuelleEtablissement": None,
                        "changementDenominationUsuelleEtablissement": False,
                        "activitePrincipaleEtablissement": "62.02A",
                        "nomenclatureActivitePrincipaleEtablissement": "NAFRev2",
                        "changementActivitePrincipaleEtablissement": True,
                        "caractereEmployeurEtablissement": "O",
                        "changementCaractereEmployeurEtablissement": False,
                    },
                    {
                        "dateFin": "2015-05-31",
                        "dateDebut": "1998-03-01",
                        "etatAdministratifEtablissement": "A",
                        "changementEtatAdministratifEtablissement": False,
                        "enseigne1Etablissement": None,
                        "denominationUsuelleEtablissement": None,
                        "activitePrincipaleEtablissement": "72.2A",
                        "nomenclatureActivitePrincipaleEtablissement": "NAFRev1",
                        "caractereEmployeurEtablissement": "O",
                    },
                ],
            },
        }
    )


def siren_envelope() -> dict[str, Any]:
    """A sole trader: names, no company name; first names at the top, names in the periods."""
    return copy.deepcopy(
        {
            "header": {"statut": 200, "message": "ok"},
            "uniteLegale": {
                "siren": PERSON_SIREN,
                "statutDiffusionUniteLegale": "O",
                "unitePurgeeUniteLegale": None,
                "dateCreationUniteLegale": "2002-09-01",
                "sigleUniteLegale": None,
                "sexeUniteLegale": "F",
                "prenom1UniteLegale": "ANNE",
                "prenom2UniteLegale": "MARIE",
                "prenom3UniteLegale": None,
                "prenom4UniteLegale": None,
                "prenomUsuelUniteLegale": "MARIE",
                "pseudonymeUniteLegale": None,
                "identifiantAssociationUniteLegale": None,
                "trancheEffectifsUniteLegale": "01",
                "anneeEffectifsUniteLegale": "2023",
                "dateDernierTraitementUniteLegale": "2024-02-20T10:41:05.000",
                "nombrePeriodesUniteLegale": 2,
                "categorieEntreprise": "PME",
                "anneeCategorieEntreprise": "2022",
                "periodesUniteLegale": [
                    {
                        "dateFin": None,
                        "dateDebut": "2016-01-01",
                        "etatAdministratifUniteLegale": "A",
                        "changementEtatAdministratifUniteLegale": False,
                        "nomUniteLegale": "DUPONT",
                        "changementNomUniteLegale": False,
                        "nomUsageUniteLegale": "MARTIN",
                        "changementNomUsageUniteLegale": True,
                        "denominationUniteLegale": None,
                        "changementDenominationUniteLegale": False,
                        "denominationUsuelle1UniteLegale": None,
                        "denominationUsuelle2UniteLegale": None,
                        "denominationUsuelle3UniteLegale": None,
                        "changementDenominationUsuelleUniteLegale": False,
                        "categorieJuridiqueUniteLegale": "1000",
                        "changementCategorieJuridiqueUniteLegale": False,
                        "activitePrincipaleUniteLegale": "74.10Z",
                        "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2",
                        "changementActivitePrincipaleUniteLegale": False,
                        "nicSiegeUniteLegale": "00013",
                        "changementNicSiegeUniteLegale": False,
                        "economieSocialeSolidaireUniteLegale": None,
                        "changementEconomieSocialeSolidaireUniteLegale": False,
                        "societeMissionUniteLegale": None,
                        "changementSocieteMissionUniteLegale": False,
                        "caractereEmployeurUniteLegale": "N",
                        "changementCaractereEmployeurUniteLegale": False,
                    },
                    {
                        "dateFin": "2015-12-31",
                        "dateDebut": "2002-09-01",
                        "etatAdministratifUniteLegale": "A",
                        "nomUniteLegale": "DUPONT",
                        "nomUsageUniteLegale": None,
                        "denominationUniteLegale": None,
                        "categorieJuridiqueUniteLegale": "1000",
                        "activitePrincipaleUniteLegale": "74.1A",
                        "nomenclatureActivitePrincipaleUniteLegale": "NAFRev1",
                        "nicSiegeUniteLegale": "00013",
                    },
                ],
            },
        }
    )


def hidden_siret_envelope() -> dict[str, Any]:
    """A sole trader who opposed publication: 200, status "P", masked values."""
    envelope = siret_envelope()
    etab = envelope["etablissement"]
    etab.update(siren=HIDDEN_SIREN, nic="00014", siret=HIDDEN_SIRET)
    etab["statutDiffusionEtablissement"] = "P"
    etab["uniteLegale"].update(
        statutDiffusionUniteLegale="P",
        categorieJuridiqueUniteLegale="1000",
        denominationUniteLegale=None,
        nomUniteLegale="[ND]",
        prenom1UniteLegale="[ND]",
        prenomUsuelUniteLegale="[ND]",
    )
    etab["adresseEtablissement"].update(
        numeroVoieEtablissement="[ND]",
        typeVoieEtablissement="[ND]",
        libelleVoieEtablissement="[ND]",
        complementAdresseEtablissement="[ND]",
    )
    return envelope


def insee_error(status: int, message: str) -> dict[str, Any]:
    return {"header": {"statut": status, "message": message}}


@pytest.fixture
def paris(db) -> City:
    france = Country.objects.get(code="FR")
    department = Department.objects.create(country=france, code="75", name="Paris")
    return City.objects.create(
        country=france, department=department, name="Paris", insee_code="75056"
    )


# -- the lookup ----------------------------------------------------------------------------------


def test_siret_lookup_maps_the_establishment(insee, paris):
    insee.add(f"/siret/{SIRET}", 200, siret_envelope())
    result = sirene_lookup("732 829 320 00074")
    assert result == SireneResult(
        name="ATELIERS DURAND",
        ape_code="62.02A",  # the establishment's current period, not the unit's
        siren=SIREN,
        siret=SIRET,
        vat_number=_vat(SIREN),
        size=31,  # the legal unit's band (200-249), not the establishment's
        address={
            "line1": "12 BIS AVENUE DE LA REPUBLIQUE",
            "line2": "BATIMENT B",
            "postal_code": "75011",
            "city_name": "PARIS 11",
            "city_code": "75111",
            "country": "FR",
        },
        active=True,
        source="api",
    )
    path_, headers = insee.requests[0]
    assert path_ == f"{BASE}/siret/{SIRET}"
    assert headers["x-insee-api-key-integration"] == KEY
    assert headers["accept"] == "application/json"


def test_siren_lookup_names_a_sole_trader_and_gives_no_address(insee):
    insee.add(f"/siren/{PERSON_SIREN}", 200, siren_envelope())
    result = sirene_lookup(PERSON_SIREN)
    assert result.name == "MARIE MARTIN"  # usual first name, married name
    assert (result.siren, result.siret, result.address) == (PERSON_SIREN, "", None)
    assert result.ape_code == "74.10Z"
    assert result.size == 1
    assert result.vat_number.startswith("FR") and result.vat_number.endswith(PERSON_SIREN)


def test_siren_lookup_of_a_company_reads_its_current_period(insee):
    envelope = siren_envelope()
    unit = envelope["uniteLegale"]
    unit.update(siren=SIREN, prenomUsuelUniteLegale=None, prenom1UniteLegale=None)
    unit["periodesUniteLegale"][0].update(
        categorieJuridiqueUniteLegale="5710",
        denominationUniteLegale="ATELIERS DURAND",
        nomUniteLegale=None,
        nomUsageUniteLegale=None,
        etatAdministratifUniteLegale="C",
    )
    insee.add(f"/siren/{SIREN}", 200, envelope)
    result = sirene_lookup(SIREN)
    assert result.name == "ATELIERS DURAND"
    assert result.active is False


def test_cedex_and_street_types(insee):
    envelope = siret_envelope()
    envelope["etablissement"]["adresseEtablissement"].update(
        numeroVoieEtablissement="3",
        indiceRepetitionEtablissement=None,
        typeVoieEtablissement="BD",
        libelleVoieEtablissement="HAUSSMANN",
        complementAdresseEtablissement=None,
        distributionSpecialeEtablissement="BP 125",
        codeCedexEtablissement="75380",
        libelleCedexEtablissement="PARIS CEDEX 08",
    )
    insee.add(f"/siret/{SIRET}", 200, envelope)
    address = sirene_lookup(SIRET).address
    assert address is not None
    assert address["line1"] == "3 BOULEVARD HAUSSMANN"
    assert address["line2"] == "BP 125"
    assert (address["postal_code"], address["city_name"]) == ("75380", "PARIS CEDEX 08")


def test_statut_p_with_masked_values_is_not_public_and_nothing_masked_is_offered(insee):
    insee.add(f"/siret/{HIDDEN_SIRET}", 200, hidden_siret_envelope())
    with pytest.raises(SireneError) as caught:
        sirene_lookup(HIDDEN_SIRET)
    assert caught.value.kind == "not_public"
    assert "not public" in caught.value.message


def test_a_masked_value_alone_is_enough_to_refuse(insee):
    envelope = siret_envelope()
    envelope["etablissement"]["adresseEtablissement"]["libelleVoieEtablissement"] = "[ND]"
    insee.add(f"/siret/{SIRET}", 200, envelope)
    with pytest.raises(SireneError) as caught:
        sirene_lookup(SIRET)
    assert caught.value.kind == "not_public"


@pytest.mark.parametrize(
    ("status", "body", "kind", "words"),
    [
        (403, insee_error(403, f"Unité légale non diffusable ({SIREN})"), "not_public", "by hand"),
        (
            404,
            insee_error(404, f"Aucun élément trouvé pour le siret {SIRET}"),
            "not_found",
            "No establishment has this SIRET",
        ),
        (429, insee_error(429, "Trop de requêtes"), "rate_limited", "try again in a minute"),
        (500, insee_error(500, "Erreur interne"), "unavailable", "cannot be reached"),
        (503, b"<html><body>Maintenance</body></html>", "unavailable", "cannot be reached"),
        (200, b"<html>not json</html>", "unavailable", "cannot be reached"),
        (200, {"header": {"statut": 200}}, "unavailable", "cannot be reached"),
        (403, {"message": "Forbidden", "http_status_code": 403}, "not_configured", "subscription"),
        (400, insee_error(400, "Paramètre invalide"), "invalid", "refused this number"),
    ],
)
def test_api_errors_have_their_kind_and_message(insee, status, body, kind, words):
    insee.add(f"/siret/{SIRET}", status, body)
    with pytest.raises(SireneError) as caught:
        sirene_lookup(SIRET)
    assert caught.value.kind == kind
    assert words in caught.value.message


def test_siren_not_found_names_the_siren(insee):
    with pytest.raises(SireneError) as caught:
        sirene_lookup(SIREN)
    assert caught.value.kind == "not_found"
    assert caught.value.message == (
        "No company has this SIREN in the SIRENE directory: check the number."
    )


def test_a_wrong_key_is_a_configuration_problem(insee, settings):
    settings.SIRENE_API_KEY = "wrong"
    with pytest.raises(SireneError) as caught:
        sirene_lookup(SIRET)
    assert caught.value.kind == "not_configured"
    assert "refused the key" in caught.value.message


def test_timeout_is_unavailable(insee, settings):
    settings.SIRENE_API_TIMEOUT = 0.3
    insee.add(f"/siret/{SIRET}", 200, siret_envelope(), delay=5)
    with pytest.raises(SireneError) as caught:
        sirene_lookup(SIRET)
    assert caught.value.kind == "unavailable"


def test_connection_refused_is_unavailable(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port any more.
    settings.SIRENE_API_URL = f"http://127.0.0.1:{port}{BASE}"
    settings.SIRENE_API_KEY = KEY
    with pytest.raises(SireneError) as caught:
        sirene_lookup(SIRET)
    assert caught.value.kind == "unavailable"
    assert "try again later" in caught.value.message


def test_a_merged_siren_is_followed_once_on_the_same_host(insee):
    insee.add(
        f"/siren/{SIREN}",
        301,
        insee_error(301, "Redirection"),
        headers={"Location": f"{BASE}/siren/{PERSON_SIREN}"},
    )
    insee.add(f"/siren/{PERSON_SIREN}", 200, siren_envelope())
    assert sirene_lookup(SIREN).siren == PERSON_SIREN


def test_a_redirect_elsewhere_is_not_followed(insee):
    insee.add(f"/siren/{SIREN}", 301, b"", headers={"Location": "http://example.invalid/x"})
    with pytest.raises(SireneError) as caught:
        sirene_lookup(SIREN)
    assert caught.value.kind == "unavailable"
    assert len(insee.requests) == 1


def test_invalid_numbers_never_reach_the_api(insee):
    for number, message in (
        ("73282932000075", "This SIRET's check digit is wrong."),
        ("732829321", "This SIREN's check digit is wrong."),
        ("12", "Enter a SIRET (14 digits) or a SIREN (9 digits)."),
        ("", "Enter a SIRET (14 digits) or a SIREN (9 digits)."),
    ):
        with pytest.raises(SireneError) as caught:
            sirene_lookup(number)
        assert (caught.value.kind, caught.value.message) == ("invalid", message)
    assert insee.requests == []


def test_without_key_nor_files_the_lookup_is_not_configured(no_api):
    with pytest.raises(SireneError) as caught:
        sirene_lookup(SIRET)
    assert caught.value.kind == "not_configured"
    assert "administrator" in caught.value.message


def test_a_bad_api_url_is_a_configuration_problem(settings):
    settings.SIRENE_API_KEY = KEY
    for url in ("api.insee.fr/api-sirene/3.11", "ftp://api.insee.fr/api-sirene/3.11"):
        settings.SIRENE_API_URL = url
        with pytest.raises(SireneError) as caught:
            sirene_lookup(SIRET)
        assert caught.value.kind == "not_configured"
    settings.SIRENE_API_URL = "http://127.0.0.1:9/api-sirene/3.11"
    settings.SIRENE_API_KEY = "clé"  # not ASCII: no header can carry it
    with pytest.raises(SireneError) as caught:
        sirene_lookup(SIRET)
    assert caught.value.kind == "not_configured"


# -- the local tables first ----------------------------------------------------------------------


def local_rows(**establishment: Any) -> None:
    SireneUnit.objects.create(
        siren=SIREN, name="ATELIERS DURAND", ape_code="62.01Z", nic_siege="00074", size="12"
    )
    values = {
        "siret": SIRET,
        "siren": SIREN,
        "ape_code": "62.02A",
        "line1": "12 AVENUE DE LA REPUBLIQUE",
        "postal_code": "75011",
        "city_name": "PARIS",
        "city_code": "75111",
        "is_head_office": True,
        "size": "11",
    }
    values.update(establishment)
    SireneEstablishment.objects.create(**values)


def test_local_tables_answer_first_without_calling_the_api(insee):
    local_rows()
    result = sirene_lookup(SIRET)
    assert result.source == "local"
    assert (result.name, result.ape_code, result.size) == ("ATELIERS DURAND", "62.02A", 12)
    assert result.address is not None and result.address["line1"] == "12 AVENUE DE LA REPUBLIQUE"
    unit = sirene_lookup(SIREN)
    assert (unit.source, unit.name, unit.address) == ("local", "ATELIERS DURAND", None)
    assert insee.requests == []


def test_local_tables_without_api(no_api):
    local_rows()
    assert sirene_lookup(SIRET).name == "ATELIERS DURAND"
    # The files are loaded and the number is not in them: not found (not "not configured").
    with pytest.raises(SireneError) as caught:
        sirene_lookup("55208131700018")
    assert caught.value.kind == "not_found"


def test_local_hidden_unit_is_not_public(no_api):
    local_rows(diffusion="P")
    with pytest.raises(SireneError) as caught:
        sirene_lookup(SIRET)
    assert caught.value.kind == "not_public"


def test_establishment_without_its_unit_asks_the_api_then_falls_back(insee):
    SireneEstablishment.objects.create(siret=SIRET, siren=SIREN, trade_name="CHEZ DURAND")
    insee.add(f"/siret/{SIRET}", 200, siret_envelope())
    assert sirene_lookup(SIRET).name == "ATELIERS DURAND"
    insee.add(f"/siret/{SIRET}", 503, insee_error(503, "Maintenance"))
    fallback = sirene_lookup(SIRET)
    assert (fallback.name, fallback.source) == ("CHEZ DURAND", "local")


# -- the view ------------------------------------------------------------------------------------

LOOKUP_URL = "/partners/sirene/lookup/"


def htmx(client: Client, data: dict[str, str]):
    return client.post(LOOKUP_URL, data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="sirene-preview")


def form_data(**values: str) -> dict[str, str]:
    data = {
        "siret": "",
        "siren": "",
        "name": "",
        "ape_code": "",
        "vat_number": "",
        "size": "",
        "main_address-line1": "",
        "main_address-line2": "",
        "main_address-postal_code": "",
        "main_address-city_name": "",
        "main_address-city": "",
        "main_address-country": "FR",
    }
    data.update(values)
    return data


def test_the_url_is_named():
    assert reverse("sirene:lookup") == LOOKUP_URL


def test_preview_lists_each_change_with_current_and_new_values(personas, insee, paris):
    insee.add(f"/siret/{SIRET}", 200, siret_envelope())
    response = htmx(
        en_client(personas.salesperson),
        form_data(siret="732 829 320 00074", name="Durand", ape_code="62.02A"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page  # the partial only
    assert 'data-testid="sirene-changes"' in page
    rows = page.split('<tr data-field="')[1:]
    fields = [row.split('"')[0] for row in rows]
    # The APE code is the same (not listed), the SIRET only differs by its spaces.
    assert fields == [
        "name",
        "siren",
        "vat_number",
        "size",
        "main_address-line1",
        "main_address-line2",
        "main_address-postal_code",
        "main_address-city_name",
    ]
    name_row = rows[0]
    assert "Durand" in name_row and "ATELIERS DURAND" in name_row
    assert "200–249" in rows[3]  # noqa: RUF001
    apply = page.split('data-sirene-values="')[1].split('"')[0]
    values = json.loads(apply.replace("&quot;", '"'))
    # The arrondissement (75111) resolves to the commune in the referential: id and name.
    assert values["main_address-city"] == str(paris.pk)
    assert values["main_address-city_name"] == "Paris"
    assert values["main_address-line1"] == "12 BIS AVENUE DE LA REPUBLIQUE"
    assert values["siren"] == SIREN and "siret" not in values and "ape_code" not in values
    assert 'data-sirene-department="75 Paris"' in page


def test_preview_when_nothing_changes(personas, insee):
    insee.add(f"/siren/{SIREN}", 200, _company_siren_envelope())
    data = form_data(
        siren=SIREN,
        name="Ateliers Durand",  # same but for case
        ape_code="6201Z",
        vat_number=_vat(SIREN),
    )
    page = htmx(en_client(personas.salesperson), data).content.decode()
    assert "The form already matches the SIRENE directory." in page
    assert "data-sirene-apply" not in page


def test_siret_is_looked_up_before_the_siren(personas, insee):
    insee.add(f"/siret/{SIRET}", 200, siret_envelope())
    htmx(en_client(personas.salesperson), form_data(siret=SIRET, siren=PERSON_SIREN))
    assert [p for p, _ in insee.requests] == [f"{BASE}/siret/{SIRET}"]


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            404,
            insee_error(404, "Aucun élément trouvé"),
            "No establishment has this SIRET in the SIRENE directory: check the number.",
        ),
        (
            403,
            insee_error(403, "Etablissement non diffusable"),
            "This company&#x27;s details are not public in the SIRENE directory: "
            "enter them by hand.",
        ),
        (
            429,
            insee_error(429, "Too many requests"),
            "The SIRENE directory is receiving too many lookups: try again in a minute.",
        ),
        (
            500,
            insee_error(500, "Erreur"),
            "The SIRENE directory cannot be reached right now: try again later, or enter the "
            "details by hand.",
        ),
    ],
)
def test_view_shows_each_error_message(personas, insee, status, body, message):
    insee.add(f"/siret/{SIRET}", status, body)
    response = htmx(en_client(personas.salesperson), form_data(siret=SIRET))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="sirene-error"' in page and message in page
    assert "data-sirene-apply" not in page


def test_view_invalid_number_message(personas, insee):
    page = htmx(en_client(personas.salesperson), form_data(siret="732 829 320 00075")).content
    assert b"This SIRET&#x27;s check digit is wrong." in page
    page = htmx(en_client(personas.salesperson), form_data()).content
    assert b"Enter a SIRET (14 digits) or a SIREN (9 digits)." in page
    assert insee.requests == []


def test_view_not_configured_message(personas, no_api):
    page = htmx(en_client(personas.salesperson), form_data(siren=SIREN)).content.decode()
    assert 'data-kind="not_configured"' in page


def test_lookup_writes_nothing(personas, insee, paris):
    insee.add(f"/siret/{SIRET}", 200, siret_envelope())
    partner = make_partner(personas.salesperson, name="Durand", siret=SIRET)
    before = Partner.objects.values().get(pk=partner.pk)
    counts = (
        Partner.objects.count(),
        SireneUnit.objects.count(),
        SireneEstablishment.objects.count(),
    )
    response = htmx(en_client(personas.salesperson), form_data(siret=SIRET, name="Durand"))
    assert b"ATELIERS DURAND" in response.content
    assert Partner.objects.values().get(pk=partner.pk) == before
    assert (
        Partner.objects.count(),
        SireneUnit.objects.count(),
        SireneEstablishment.objects.count(),
    ) == counts


def test_without_htmx_the_answer_is_a_page_without_apply(personas, insee):
    insee.add(f"/siret/{SIRET}", 200, siret_envelope())
    response = en_client(personas.salesperson).post(LOOKUP_URL, form_data(siret=SIRET))
    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page
    assert "ATELIERS DURAND" in page and "data-sirene-apply" not in page


def test_user_without_a_company_gets_403(db, insee):
    user = User.objects.create_user(username="lonely", password="x-Pass-2026!")
    assert en_client(user).post(LOOKUP_URL, form_data(siret=SIRET)).status_code == 403
    assert insee.requests == []


def test_read_only_user_gets_403(personas, insee):
    assert en_client(personas.reader).post(LOOKUP_URL, form_data(siret=SIRET)).status_code == 403


def test_anonymous_is_sent_to_sign_in_and_get_is_refused(personas):
    response = Client().post(LOOKUP_URL, form_data(siret=SIRET))
    assert response.status_code == 302 and "login" in response["Location"]
    assert en_client(personas.salesperson).get(LOOKUP_URL).status_code == 405


def test_lookups_are_throttled_per_user(personas, insee):
    client = en_client(personas.salesperson)
    for _ in range(LOOKUP_LIMIT):
        assert b"sirene-error" in htmx(client, form_data(siret="1")).content
    throttled = htmx(client, form_data(siret=SIRET))
    assert throttled.status_code == 200  # for htmx to show it
    assert (
        b"Too many SIRENE lookups in a short time: wait a minute and try again."
        in throttled.content
    )
    assert client.post(LOOKUP_URL, form_data(siret=SIRET)).status_code == 429
    assert insee.requests == []
    # Another user is not held back.
    insee.add(f"/siret/{SIRET}", 200, siret_envelope())
    assert b"ATELIERS DURAND" in htmx(en_client(personas.teammate), form_data(siret=SIRET)).content


def _vat(siren: str) -> str:
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def _company_siren_envelope() -> dict[str, Any]:
    envelope = siren_envelope()
    unit = envelope["uniteLegale"]
    unit.update(siren=SIREN, prenomUsuelUniteLegale=None, prenom1UniteLegale=None)
    unit["trancheEffectifsUniteLegale"] = "NN"
    unit["periodesUniteLegale"][0].update(
        categorieJuridiqueUniteLegale="5710",
        denominationUniteLegale="ATELIERS DURAND",
        nomUniteLegale=None,
        nomUsageUniteLegale=None,
        activitePrincipaleUniteLegale="62.01Z",
    )
    return envelope


def test_preview_with_a_city_outside_the_referential(personas, insee):
    insee.add(f"/siret/{SIRET}", 200, siret_envelope())
    page = htmx(en_client(personas.salesperson), form_data(siret=SIRET)).content.decode()
    values = json.loads(page.split('data-sirene-values="')[1].split('"')[0].replace("&quot;", '"'))
    # No city 75111 nor 75056 here: the city is typed text, without an id.
    assert (values["main_address-city_name"], values["main_address-city"]) == ("PARIS 11", "")
    assert 'data-sirene-department=""' in page


def test_preview_warns_about_a_closed_establishment(personas, no_api):
    local_rows(active=False)
    page = htmx(en_client(personas.salesperson), form_data(siret=SIRET)).content.decode()
    assert "This establishment is closed according to the SIRENE directory." in page
    assert "Source: the SIRENE files imported into Piste." in page
    assert "data-sirene-apply" in page  # the user may still take the details


# In a browser ----------------------------------------------------------------------------------

FORM = """<!doctype html><html><body>
<form id="partner">
  <input name="name" value="Durand">
  <input name="siret" value="{siret}">
  <input name="siren" value="">
  <input name="ape_code" value="">
  <input name="vat_number" value="">
  <select name="size"><option value=""></option><option value="11">10-19</option>
    <option value="31">200-249</option></select>
  <fieldset data-address data-suggest-url="/nowhere/">
    <input type="hidden" name="main_address-city" value="" data-address-city-id>
    <input name="main_address-line1" value="">
    <input name="main_address-line2" value="">
    <input name="main_address-postal_code" value="" data-address-postal>
    <input name="main_address-city_name" value="" data-address-city-name>
    <input id="main_address-department" value="" readonly data-address-department>
    <select name="main_address-country" data-address-country><option value="FR">France</option>
      <option value="BE">Belgium</option></select>
    <ul data-address-listbox hidden></ul>
  </fieldset>
  <div id="sirene-preview">{preview}</div>
</form></body></html>"""


@pytest.mark.browser
def test_apply_fills_the_form_and_hides_the_preview_in_a_browser(personas, insee, paris):
    """static/piste/sirene.js beside address.js: Apply writes every value, keeps the chosen city
    (address.js must not take the writes for typing), and removes the preview."""
    from pathlib import Path

    from django.conf import settings as django_settings

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip(f"{chromium} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    insee.add(f"/siret/{SIRET}", 200, siret_envelope())
    preview = htmx(en_client(personas.salesperson), form_data(siret=SIRET, name="Durand"))
    static = Path(django_settings.BASE_DIR) / "static" / "piste"
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_content(FORM.format(siret=SIRET, preview=preview.content.decode()))
        page.add_script_tag(content=(static / "address.js").read_text())
        page.add_script_tag(content=(static / "sirene.js").read_text())
        # address.js sets up blocks on DOMContentLoaded (past here) or on htmx:load.
        page.eval_on_selector(
            "[data-address]",
            "el => el.dispatchEvent(new CustomEvent('htmx:load', {bubbles: true}))",
        )
        page.click("[data-sirene-apply]")
        values = page.eval_on_selector(
            "#partner",
            "form => Object.fromEntries(new FormData(form).entries())",
        )
        assert values["name"] == "ATELIERS DURAND"
        assert values["siren"] == SIREN and values["siret"] == SIRET
        assert values["vat_number"] == _vat(SIREN)
        assert values["ape_code"] == "62.02A"
        assert values["size"] == "31"
        assert values["main_address-line1"] == "12 BIS AVENUE DE LA REPUBLIQUE"
        assert values["main_address-postal_code"] == "75011"
        assert values["main_address-city_name"] == "Paris"
        assert values["main_address-city"] == str(paris.pk)
        assert values["main_address-country"] == "FR"
        assert page.input_value("#main_address-department") == "75 Paris"
        assert page.locator("[data-sirene-preview]").count() == 0
        assert page.evaluate("document.activeElement.name") == "name"
        browser.close()
    assert errors == []
