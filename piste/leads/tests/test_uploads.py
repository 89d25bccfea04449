"""Pictures of rich-text descriptions: uploaded by the editor, served only inside the company."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from piste.core.html import sanitise_html
from piste.core.models import Upload
from piste.core.testing import en_client
from piste.core.views_uploads import UPLOAD_LIMIT, UPLOAD_MAX_SIDE
from piste.leads.tests.factories import make_lead

CREATE = "/uploads/"


def image(size: tuple[int, int] = (2400, 1200), fmt: str = "PNG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "teal").save(out, format=fmt)
    return out.getvalue()


def upload(client: Client, content: bytes, name: str = "plan.png", **extra):
    return client.post(CREATE, {"file": SimpleUploadedFile(name, content)}, **extra)


def test_upload_url_names():
    assert reverse("uploads:create") == CREATE
    key = uuid.uuid4()
    assert reverse("uploads:file", args=[key]) == f"/uploads/{key}/"


def test_editor_picture_is_stored_shrunk_for_my_company(personas, settings):
    response = upload(en_client(personas.salesperson), image())
    assert response.status_code == 201
    stored = Upload.objects.get()
    assert response.json() == {"url": f"/uploads/{stored.key}/"}
    assert response.json()["url"].startswith(settings.UPLOADS_URL_PREFIX)
    assert stored.company == personas.company and stored.uploaded_by == personas.salesperson
    with stored.file.open("rb") as handle, Image.open(handle) as picture:
        assert max(picture.size) == UPLOAD_MAX_SIDE


def test_picture_is_served_inline_to_my_company_only(personas):
    url = upload(en_client(personas.salesperson), image((300, 200), "JPEG")).json()["url"]
    response = en_client(personas.reader).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]
    assert Image.open(io.BytesIO(response.getvalue())).format == "JPEG"
    assert en_client(personas.other).get(url).status_code == 404
    assert Client().get(url).status_code == 404  # signed out: no sign-in redirect to follow


def test_transparent_picture_stays_png(personas):
    url = upload(en_client(personas.salesperson), image((50, 50), mode="RGBA")).json()["url"]
    assert en_client(personas.salesperson).get(url)["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    "path", ["/uploads/6f1c2a9e-0d4b-4c8e-9a57-3b2f1e0c9d8a/", "/uploads/abc/", "/uploads/1/"]
)
def test_unknown_or_malformed_keys_are_404(personas, path):
    assert en_client(personas.salesperson).get(path).status_code == 404


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<script>alert(1)</script>", "x.png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "x.svg"),
        (b"GIF89a<?php system($_GET['c']); ?>", "x.gif"),
        (b"", "empty.png"),
    ],
)
def test_files_that_are_not_pictures_are_refused(personas, content, name):
    response = upload(en_client(personas.salesperson), content, name)
    assert response.status_code == 400
    assert response.json()["error"]
    assert not Upload.objects.exists()


def test_huge_upload_is_refused_before_it_is_read(personas):
    response = upload(en_client(personas.salesperson), b"\x89PNG" + b"\0" * (6 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["error"] == "The image is larger than 5 MB."
    assert not Upload.objects.exists()


def test_decompression_bomb_is_refused(personas):
    response = upload(en_client(personas.salesperson), image((10_000, 5_000), mode="1"))
    assert response.status_code == 400
    assert not Upload.objects.exists()


def test_missing_file_is_a_400(personas):
    response = en_client(personas.salesperson).post(CREATE, {})
    assert response.status_code == 400
    assert response.json() == {"error": "Choose an image."}


def test_uploads_are_rate_limited_per_user(personas):
    client = en_client(personas.salesperson)
    small = image((10, 10))
    for _ in range(UPLOAD_LIMIT):
        assert upload(client, small).status_code == 201
    response = upload(client, small)
    assert response.status_code == 429
    assert Upload.objects.count() == UPLOAD_LIMIT
    assert upload(en_client(personas.teammate), small).status_code == 201


def test_readers_and_strangers_cannot_upload(personas):
    assert upload(en_client(personas.reader), image((10, 10))).status_code == 403
    anonymous = upload(Client(), image((10, 10)))
    assert anonymous.status_code == 403 and anonymous.json()["error"]
    assert en_client(personas.salesperson).get(CREATE).status_code == 405
    assert not Upload.objects.exists()


def test_uploaded_picture_survives_the_description_sanitiser(personas):
    url = upload(en_client(personas.salesperson), image((10, 10))).json()["url"]
    html = f'<figure><img src="{url}" width="10" height="10"><figcaption>Plan</figcaption></figure>'
    assert f'src="{url}"' in sanitise_html(html)
    lead = make_lead(personas.salesperson, description=html)
    page = en_client(personas.salesperson).get(reverse("leads:detail", args=[lead.pk]))
    assert f'src="{url}"' in page.content.decode()
