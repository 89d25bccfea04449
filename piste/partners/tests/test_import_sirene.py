"""`manage.py import_sirene`: INSEE's stock files into the local SIRENE tables."""

from __future__ import annotations

import csv
import io
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from piste.partners.models_sirene import SireneEstablishment, SireneUnit
from piste.partners.sirene import sirene_lookup

pytestmark = pytest.mark.django_db

# The header lines of the files, in INSEE's order (December 2025).
UNIT_HEADER = (
    "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,"
    "sigleUniteLegale,sexeUniteLegale,prenom1UniteLegale,prenom2UniteLegale,prenom3UniteLegale,"
    "prenom4UniteLegale,prenomUsuelUniteLegale,pseudonymeUniteLegale,"
    "identifiantAssociationUniteLegale,trancheEffectifsUniteLegale,anneeEffectifsUniteLegale,"
    "dateDernierTraitementUniteLegale,nombrePeriodesUniteLegale,categorieEntreprise,"
    "anneeCategorieEntreprise,dateDebut,etatAdministratifUniteLegale,nomUniteLegale,"
    "nomUsageUniteLegale,denominationUniteLegale,denominationUsuelle1UniteLegale,"
    "denominationUsuelle2UniteLegale,denominationUsuelle3UniteLegale,"
    "categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,"
    "nomenclatureActivitePrincipaleUniteLegale,nicSiegeUniteLegale,"
    "economieSocialeSolidaireUniteLegale,societeMissionUniteLegale,"
    "caractereEmployeurUniteLegale,activitePrincipaleNAF25UniteLegale"
)
ESTABLISHMENT_HEADER = (
    "siren,nic,siret,statutDiffusionEtablissement,dateCreationEtablissement,"
    "trancheEffectifsEtablissement,anneeEffectifsEtablissement,"
    "activitePrincipaleRegistreMetiersEtablissement,dateDernierTraitementEtablissement,"
    "etablissementSiege,nombrePeriodesEtablissement,complementAdresseEtablissement,"
    "numeroVoieEtablissement,indiceRepetitionEtablissement,dernierNumeroVoieEtablissement,"
    "indiceRepetitionDernierNumeroVoieEtablissement,typeVoieEtablissement,"
    "libelleVoieEtablissement,codePostalEtablissement,libelleCommuneEtablissement,"
    "libelleCommuneEtrangerEtablissement,distributionSpecialeEtablissement,"
    "codeCommuneEtablissement,codeCedexEtablissement,libelleCedexEtablissement,"
    "codePaysEtrangerEtablissement,libellePaysEtrangerEtablissement,"
    "identifiantAdresseEtablissement,coordonneeLambertAbscisseEtablissement,"
    "coordonneeLambertOrdonneeEtablissement,complementAdresse2Etablissement,"
    "numeroVoie2Etablissement,indiceRepetition2Etablissement,typeVoie2Etablissement,"
    "libelleVoie2Etablissement,codePostal2Etablissement,libelleCommune2Etablissement,"
    "libelleCommuneEtranger2Etablissement,distributionSpeciale2Etablissement,"
    "codeCommune2Etablissement,codeCedex2Etablissement,libelleCedex2Etablissement,"
    "codePaysEtranger2Etablissement,libellePaysEtranger2Etablissement,dateDebut,"
    "etatAdministratifEtablissement,enseigne1Etablissement,enseigne2Etablissement,"
    "enseigne3Etablissement,denominationUsuelleEtablissement,activitePrincipaleEtablissement,"
    "nomenclatureActivitePrincipaleEtablissement,caractereEmployeurEtablissement,"
    "activitePrincipaleNAF25Etablissement"
)
UNIT_COLUMNS = UNIT_HEADER.split(",")
ESTABLISHMENT_COLUMNS = ESTABLISHMENT_HEADER.split(",")

COMPANY = {
    "siren": "732829320",
    "statutDiffusionUniteLegale": "O",
    "trancheEffectifsUniteLegale": "31",
    "etatAdministratifUniteLegale": "A",
    "denominationUniteLegale": "ATELIERS DURAND",
    "sigleUniteLegale": "AD",
    "categorieJuridiqueUniteLegale": "5710",
    "activitePrincipaleUniteLegale": "62.01Z",
    "nicSiegeUniteLegale": "00074",
}
PERSON = {
    "siren": "443061841",
    "statutDiffusionUniteLegale": "O",
    "prenom1UniteLegale": "ANNE",
    "prenomUsuelUniteLegale": "MARIE",
    "nomUniteLegale": "DUPONT",
    "nomUsageUniteLegale": "MARTIN",
    "etatAdministratifUniteLegale": "C",
    "categorieJuridiqueUniteLegale": "1000",
    "activitePrincipaleUniteLegale": "74.10Z",
    "trancheEffectifsUniteLegale": "NN",
}
HIDDEN = {
    "siren": "404833048",
    "statutDiffusionUniteLegale": "P",
    "prenom1UniteLegale": "[ND]",
    "prenomUsuelUniteLegale": "[ND]",
    "nomUniteLegale": "[ND]",
    "etatAdministratifUniteLegale": "A",
    "categorieJuridiqueUniteLegale": "1000",
    "activitePrincipaleUniteLegale": "96.02A",
}
BAD_SIREN = {"siren": "732829321", "denominationUniteLegale": "CHECK DIGIT WRONG"}

HEAD_OFFICE = {
    "siren": "732829320",
    "nic": "00074",
    "siret": "73282932000074",
    "statutDiffusionEtablissement": "O",
    "trancheEffectifsEtablissement": "22",
    "etablissementSiege": "true",
    "complementAdresseEtablissement": "BATIMENT B",
    "numeroVoieEtablissement": "12",
    "indiceRepetitionEtablissement": "B",
    "typeVoieEtablissement": "AV",
    "libelleVoieEtablissement": "DE LA REPUBLIQUE",
    "codePostalEtablissement": "75011",
    "libelleCommuneEtablissement": "PARIS 11",
    "codeCommuneEtablissement": "75111",
    "etatAdministratifEtablissement": "A",
    "enseigne1Etablissement": "DURAND INFORMATIQUE",
    "activitePrincipaleEtablissement": "62.02A",
}
LA_POSTE = {
    "siren": "356000000",
    "nic": "49837",
    "siret": "35600000049837",
    "statutDiffusionEtablissement": "O",
    "etablissementSiege": "false",
    "numeroVoieEtablissement": "3",
    "typeVoieEtablissement": "BD",
    "libelleVoieEtablissement": "DU GENERAL LECLERC",
    "distributionSpecialeEtablissement": "BP 12",
    "codePostalEtablissement": "92100",
    "libelleCommuneEtablissement": "BOULOGNE-BILLANCOURT",
    "codeCedexEtablissement": "92109",
    "libelleCedexEtablissement": "BOULOGNE-BILLANCOURT CEDEX",
    "codeCommuneEtablissement": "92012",
    "etatAdministratifEtablissement": "F",
    "activitePrincipaleEtablissement": "53.10Z",
}
BAD_SIRET = {"siren": "732829320", "nic": "00075", "siret": "73282932000075"}


def csv_text(columns: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_sirene", *args, stdout=out)
    return out.getvalue()


def fail(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return str(caught.value)


def test_units_file_is_imported_by_header(tmp_path):
    path = write(
        tmp_path,
        "StockUniteLegale_utf8.csv",
        csv_text(UNIT_COLUMNS, [COMPANY, PERSON, HIDDEN, BAD_SIREN]),
    )
    output = run(path)
    assert "(StockUniteLegale): 4 rows read, 3 imported, 1 skipped (invalid SIREN)" in output
    assert "rows/s" in output
    company = SireneUnit.objects.get(siren="732829320")
    assert (company.name, company.ape_code, company.nic_siege, company.size, company.active) == (
        "ATELIERS DURAND",
        "62.01Z",
        "00074",
        "31",
        True,
    )
    person = SireneUnit.objects.get(siren="443061841")
    assert (person.name, person.active) == ("MARIE MARTIN", False)
    hidden = SireneUnit.objects.get(siren="404833048")
    # Masked values are never stored as "[ND]"; the status keeps the unit out of lookups.
    assert (hidden.name, hidden.diffusion) == ("", "P")
    assert not SireneUnit.objects.filter(siren="732829321").exists()


def test_establishments_with_reordered_extra_and_missing_columns(tmp_path):
    # Shuffled order, a column INSEE might add, and no second-address columns at all.
    columns = [c for c in reversed(ESTABLISHMENT_COLUMNS) if "2Etablissement" not in c]
    columns.insert(3, "nouvelleColonneEtablissement")
    rows = [{**HEAD_OFFICE, "nouvelleColonneEtablissement": "x"}, LA_POSTE, BAD_SIRET]
    output = run(write(tmp_path, "etab.csv", csv_text(columns, rows)))
    assert "(StockEtablissement): 3 rows read, 2 imported, 1 skipped (invalid SIRET)" in output
    head = SireneEstablishment.objects.get(siret="73282932000074")
    assert (head.siren, head.trade_name, head.ape_code, head.is_head_office, head.active) == (
        "732829320",
        "DURAND INFORMATIQUE",
        "62.02A",
        True,
        True,
    )
    assert (head.line1, head.line2, head.postal_code, head.city_name, head.city_code) == (
        "12 BIS AVENUE DE LA REPUBLIQUE",
        "BATIMENT B",
        "75011",
        "PARIS 11",
        "75111",
    )
    # La Poste's SIRET rule; the cedex replaces the postal code and the city line.
    post = SireneEstablishment.objects.get(siret="35600000049837")
    assert (post.line1, post.line2, post.postal_code, post.city_name, post.active) == (
        "3 BOULEVARD DU GENERAL LECLERC",
        "BP 12",
        "92109",
        "BOULOGNE-BILLANCOURT CEDEX",
        False,
    )


def test_zip_files_and_both_files_at_once_feed_the_lookup(tmp_path, settings):
    settings.SIRENE_API_KEY = ""
    units = tmp_path / "StockUniteLegale_utf8.zip"
    with zipfile.ZipFile(units, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("StockUniteLegale_utf8.csv", csv_text(UNIT_COLUMNS, [COMPANY, HIDDEN]))
    establishments = tmp_path / "StockEtablissement_utf8.zip"
    with zipfile.ZipFile(establishments, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "StockEtablissement_utf8.csv", csv_text(ESTABLISHMENT_COLUMNS, [HEAD_OFFICE])
        )
    output = run(str(establishments), str(units))
    assert (
        "StockEtablissement_utf8.zip (StockEtablissement_utf8.csv) (StockEtablissement)" in output
    )
    assert "2 imported" in output and "1 imported" in output
    result = sirene_lookup("73282932000074")
    assert (result.source, result.name, result.ape_code, result.size) == (
        "local",
        "ATELIERS DURAND",
        "62.02A",
        31,
    )
    assert result.address is not None and result.address["postal_code"] == "75011"


def test_reimport_updates_the_rows(tmp_path):
    run(write(tmp_path, "u1.csv", csv_text(UNIT_COLUMNS, [COMPANY, PERSON])))
    renamed = {
        **COMPANY,
        "denominationUniteLegale": "DURAND ET FILS",
        "etatAdministratifUniteLegale": "C",
    }
    output = run(write(tmp_path, "u2.csv", csv_text(UNIT_COLUMNS, [renamed])))
    assert "1 rows read, 1 imported" in output
    assert SireneUnit.objects.count() == 2
    company = SireneUnit.objects.get(siren="732829320")
    assert (company.name, company.active) == ("DURAND ET FILS", False)


def test_duplicates_across_small_batches(tmp_path):
    renamed = {**COMPANY, "denominationUniteLegale": "LAST WINS"}
    rows = [COMPANY, PERSON, COMPANY, renamed, HIDDEN]
    run("--batch-size", "2", write(tmp_path, "u.csv", csv_text(UNIT_COLUMNS, rows)))
    assert SireneUnit.objects.count() == 3
    assert SireneUnit.objects.get(siren="732829320").name == "LAST WINS"


def test_bom_blank_lines_and_long_values(tmp_path):
    text = csv_text(UNIT_COLUMNS, [{**COMPANY, "denominationUniteLegale": "X" * 400}]) + "\n\n"
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert "1 rows read, 1 imported" in run(str(path))
    assert SireneUnit.objects.get().name == "X" * 255


def test_a_missing_file_is_refused_before_anything_is_imported(tmp_path):
    good = write(tmp_path, "u.csv", csv_text(UNIT_COLUMNS, [COMPANY]))
    message = fail(good, str(tmp_path / "nothing.csv"))
    assert "nothing.csv: no such file." in message
    assert SireneUnit.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        (
            b"code,libelle\n01,Ain\n",
            "is not the header of a SIRENE StockUniteLegale or StockEtablissement file",
        ),
        (
            b"siren,dateFin,dateDebut,etatAdministratifUniteLegale\n732829320,,2020-01-01,A\n",
            "is not the header of a SIRENE",
        ),
    ],
)
def test_bad_files_give_a_clear_message(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert message in fail(str(path))
    assert SireneUnit.objects.count() == SireneEstablishment.objects.count() == 0


def test_a_zip_without_csv_or_a_fake_zip(tmp_path):
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("image.png", b"\x89PNG")
    assert "holds no .txt or .csv data file" in fail(str(empty))
    fake = tmp_path / "fake.zip"
    fake.write_text("siren\n732829320\n")
    assert "not a zip archive" in fail(str(fake))


def test_a_file_broken_halfway_imports_nothing(tmp_path):
    rows = csv_text(UNIT_COLUMNS, [COMPANY, PERSON]).encode()
    path = tmp_path / "broken.csv"
    path.write_bytes(rows + b"404833048,O,\xff\xfe broken\n")
    message = fail("--batch-size", "1", str(path))
    assert "Line 4 of" in message and "UTF-8" in message
    assert "Nothing was imported from this file." in message
    assert SireneUnit.objects.count() == 0


def test_bad_batch_size(tmp_path):
    assert "--batch-size must be at least 1." in fail(
        "--batch-size", "0", write(tmp_path, "u.csv", csv_text(UNIT_COLUMNS, [COMPANY]))
    )
