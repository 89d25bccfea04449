"""The city import pages: who may open them, a new import end to end, progress polling, the
rejected lines and template downloads, the download addresses."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from piste.core.testing import en_client
from piste.geo import imports
from piste.geo.models import City, CityImport, Country, ImportSettings
from piste.geo.tests.import_support import assert_done, data, run_import

pytestmark = pytest.mark.django_db

FORMAT = CityImport.Format
BASE = "/config/territory/imports/"
SAME_COMPANY = ["manager", "salesperson", "teammate", "outsider", "marketing", "reader"]


@pytest.fixture
def job() -> CityImport:
    """A finished job with one rejected line."""
    content = data("geonames_postal_FR.txt") + b"XX\t1\tNowhere\t\t\t\t\t\t\t\t\t\n"
    return run_import(FORMAT.GEONAMES_POSTAL, "FR.txt", content)


@pytest.fixture
def immediate_huey():
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


def get_urls(job: CityImport) -> list[str]:
    return [BASE, f"{BASE}template.csv", f"{BASE}{job.pk}/", f"{BASE}{job.pk}/report/"]


def post_urls(job: CityImport) -> list[str]:
    return [
        f"{BASE}new/",
        f"{BASE}settings/",
        f"{BASE}{job.pk}/cancel/",
        f"{BASE}{job.pk}/restart/",
    ]


# -- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["administrator", "other"])
def test_administrators_of_any_company_open_every_page(personas, job, who):
    """Geography is shared by every company: so are its imports."""
    client = en_client(getattr(personas, who))
    for url in get_urls(job):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", SAME_COMPANY)
def test_others_get_403(personas, job, who):
    client = en_client(getattr(personas, who))
    for url in get_urls(job):
        assert client.get(url).status_code == 403, url
    for url in post_urls(job):
        assert client.post(url).status_code == 403, url
    job.refresh_from_db()
    assert job.status == CityImport.Status.DONE


def test_anonymous_is_sent_to_sign_in(job):
    client = en_client()
    for url in get_urls(job) + post_urls(job):
        response = client.get(url) if url in get_urls(job) else client.post(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


def test_unknown_job_is_404(personas):
    client = en_client(personas.administrator)
    assert client.get(f"{BASE}999999/").status_code == 404
    assert client.get(f"{BASE}abc/").status_code == 404


# -- the list and a new import -------------------------------------------------------------------


def test_list_shows_jobs_newest_first_and_documents_the_template(personas, job):
    second = run_import(FORMAT.CSV, "villes.csv", data("piste_cities.csv"))
    response = en_client(personas.administrator).get(BASE)
    body = response.content.decode()
    assert [j.pk for j, _state in response.context["rows"]] == [second.pk, job.pk]
    assert "country;postal_code;city;insee_code;department_code;department;region_code" in body
    assert "FR;75001;Paris;75056;75;Paris;11;Île-de-France;48.856614;2.352222" in body
    assert 'href="/config/territory/imports/template.csv"' in body
    # Nothing runs: the list does not poll.
    assert "hx-trigger" not in body


def test_list_query_count(personas, job, django_assert_num_queries):
    client = en_client(personas.administrator)
    client.get(BASE)  # warm the session and content types
    run_import(FORMAT.CSV, "villes.csv", data("piste_cities.csv"))
    # 1 session, 2 user, 3 memberships (actor), 4 teams (actor), 5 the page of jobs with their
    # country and creator, 6 the countries of the form's select, 7 the download addresses.
    with CaptureQueriesContext(connection) as queries:
        assert client.get(BASE).status_code == 200
    assert len(queries) == 7, "\n".join(q["sql"] for q in queries)


def test_htmx_list_refresh_is_the_rows_only_and_polls_while_a_job_is_active(personas):
    job = imports.city_import_create(
        actor=None, import_format=FORMAT.CSV, source="manual", file_name="x.csv", enqueue=False
    )
    response = en_client(personas.administrator).get(
        BASE, headers={"HX-Request": "true", "HX-Target": "import-rows"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="import-rows"')
    assert 'hx-trigger="every 2s"' in body
    assert f"#{job.pk} " in body
    assert "New import" not in body


def test_new_manual_import_is_queued_and_runs(
    personas, immediate_huey, django_capture_on_commit_callbacks
):
    client = en_client(personas.administrator)
    upload = SimpleUploadedFile("FR.txt", data("geonames_postal_FR.txt"))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(
            f"{BASE}new/",
            {"import_format": FORMAT.GEONAMES_POSTAL, "source": "manual", "file": upload},
        )
    assert len(queued) == 1
    job = CityImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}{job.pk}/"
    assert_done(job)
    assert (job.created_by, job.file_name) == (personas.administrator, "FR.txt")
    assert City.objects.filter(name="Toulouse").count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "The import is queued" in page
    assert "Done." in page


def test_new_automatic_import_records_the_address(personas, django_capture_on_commit_callbacks):
    client = en_client(personas.administrator)
    belgium = Country.objects.get(code="BE")
    with django_capture_on_commit_callbacks() as queued:
        client.post(
            f"{BASE}new/",
            {"import_format": FORMAT.GEONAMES_POSTAL, "source": "automatic", "country": belgium.pk},
        )
    job = CityImport.objects.get()
    assert (job.source, job.country, job.status) == ("automatic", belgium, "pending")
    assert job.url == "https://download.geonames.org/export/zip/BE.zip"
    assert len(queued) == 1  # the worker downloads it: nothing is fetched here


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({"source": "manual"}, "file", "Choose a file to import."),
        (
            {"source": "manual", "file": SimpleUploadedFile("villes.xlsx", b"PK\x03\x04")},
            "file",
            "Choose a .txt, .csv or .zip file.",
        ),
        (
            {"source": "manual", "file": SimpleUploadedFile("villes.csv", b"")},
            "file",
            "The submitted file is empty.",
        ),
        (
            {"source": "automatic", "import_format": FORMAT.CSV},
            "import_format",
            "The Piste CSV template can only be imported from a file.",
        ),
        (
            {"source": "automatic", "import_format": FORMAT.LAPOSTE, "country": "BE"},
            "country",
            "INSEE and La Poste files cover France only.",
        ),
    ],
    ids=["no file", "wrong extension", "empty", "automatic csv", "la poste abroad"],
)
def test_new_import_form_errors(personas, post, field, message):
    data_ = {"import_format": FORMAT.GEONAMES_POSTAL, **post}
    if data_.get("country") == "BE":
        data_["country"] = Country.objects.get(code="BE").pk
    response = en_client(personas.administrator).post(f"{BASE}new/", data_)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not CityImport.objects.exists()


def test_upload_larger_than_the_limit(personas, settings):
    settings.CITY_IMPORT_MAX_UPLOAD_MB = 0
    upload = SimpleUploadedFile("FR.txt", data("geonames_postal_FR.txt"))
    response = en_client(personas.administrator).post(
        f"{BASE}new/", {"import_format": FORMAT.GEONAMES_POSTAL, "source": "manual", "file": upload}
    )
    assert "The file is larger than 0 MB." in response.context["form"].errors["file"]
    assert not CityImport.objects.exists()


# -- a job's page --------------------------------------------------------------------------------


def test_detail_polls_while_the_job_waits_and_stops_when_done(personas):
    job = imports.city_import_create(
        actor=None, import_format=FORMAT.CSV, source="manual", file_name="x.csv", enqueue=False
    )
    client = en_client(personas.administrator)
    page = client.get(f"{BASE}{job.pk}/").content.decode()
    assert f'hx-get="{BASE}{job.pk}/" hx-trigger="every 1s"' in page
    polling = {"HX-Request": "true", "HX-Target": "import-progress"}
    body = client.get(f"{BASE}{job.pk}/", headers=polling).content.decode()
    assert body.lstrip().startswith('<section id="import-progress"')
    assert "Waiting" in body and "<h1" not in body
    CityImport.objects.filter(pk=job.pk).update(status=CityImport.Status.DONE, created_count=3)
    body = client.get(f"{BASE}{job.pk}/", headers=polling).content.decode()
    assert "hx-trigger" not in body
    assert 'value="100"' in body


def test_detail_of_a_failed_job_shows_its_error(personas):
    failed = run_import(FORMAT.GEONAMES, "FR.txt", b"")
    body = en_client(personas.administrator).get(f"{BASE}{failed.pk}/").content.decode()
    assert "The file “FR.txt” is empty." in body
    assert "Nothing was imported." in body
    assert 'data-testid="restart"' in body
    assert 'data-testid="cancel"' not in body


def test_pages_have_no_inline_script_or_style(personas, job):
    client = en_client(personas.administrator)
    for url in (BASE, f"{BASE}{job.pk}/"):
        body = client.get(url).content.decode()
        assert " style=" not in body
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)


def test_rejected_lines_download(personas, job):
    response = en_client(personas.administrator).get(f"{BASE}{job.pk}/report/")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = response.getvalue().decode("utf-8-sig")
    assert text.splitlines()[1].startswith("FR.txt;9;Unknown country code “XX”;XX")


def test_no_report_when_no_line_was_rejected(personas):
    clean = run_import(FORMAT.CSV, "villes.csv", data("piste_cities.csv"))
    client = en_client(personas.administrator)
    assert client.get(f"{BASE}{clean.pk}/report/").status_code == 404
    assert 'data-testid="report"' not in client.get(f"{BASE}{clean.pk}/").content.decode()


def test_template_download(personas):
    response = en_client(personas.administrator).get(f"{BASE}template.csv")
    assert response["Content-Disposition"] == 'attachment; filename="piste-cities.csv"'
    assert response.content.decode().startswith(
        "country;postal_code;city;insee_code;department_code;department;region_code;region;"
        "latitude;longitude\nFR;75001;Paris"
    )


def test_cancel_and_restart_buttons(
    personas, job, immediate_huey, django_capture_on_commit_callbacks
):
    client = en_client(personas.administrator)
    response = client.post(f"{BASE}{job.pk}/cancel/", follow=True)
    assert "This import cannot be cancelled now." in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}{job.pk}/restart/", follow=True)
    assert "The import is queued again" in response.content.decode()
    job.refresh_from_db()
    assert_done(job)
    assert job.updated_count == 21

    waiting = imports.city_import_create(
        actor=None, import_format=FORMAT.CSV, source="manual", file_name="x.csv", enqueue=False
    )
    response = client.post(f"{BASE}{waiting.pk}/cancel/", follow=True)
    assert "The import was cancelled." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == CityImport.Status.CANCELLED


# -- download addresses --------------------------------------------------------------------------


def test_administrator_changes_the_download_addresses(personas):
    client = en_client(personas.administrator)
    form = client.get(BASE).context["settings_form"]
    posted = {name: form.initial[name] for name in form.fields}
    posted["geonames_postal_url"] = "https://mirror.example.fr/geonames/zip/{country}.zip"
    response = client.post(f"{BASE}settings/", posted)
    assert response.status_code == 302
    assert ImportSettings.objects.get().geonames_postal_url == posted["geonames_postal_url"]

    posted["laposte_url"] = "not an address"
    response = client.post(f"{BASE}settings/", posted)
    assert response.status_code == 200
    assert "Enter a valid URL." in response.context["settings_form"].errors["laposte_url"]
    assert '<details class="card" open>' in response.content.decode()
