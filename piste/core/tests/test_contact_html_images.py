"""Phones, emails, websites, rich text and images as records store them."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from piste.core.contact import (
    email_normalise,
    phone_display,
    phone_normalise,
    phone_search_digits,
    website_normalise,
)
from piste.core.html import sanitise_html
from piste.core.images import image_clean


@pytest.mark.parametrize(
    "typed",
    ["06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78", "+33 (0)6 12 34 56 78", "0612345678"],
)
def test_french_phones_are_stored_in_e164_whatever_the_typing(typed):
    assert phone_normalise(typed) == "+33612345678"


def test_phones_show_in_national_format_at_home_and_international_abroad():
    assert phone_display("+33612345678") == "06 12 34 56 78"
    assert phone_display("+32470123456").startswith("+32 ")


@pytest.mark.parametrize("typed", ["12", "abc", "06 12", "+33 1", "0" * 41])
def test_invalid_phones_are_refused_with_a_message(typed):
    with pytest.raises(ValidationError):
        phone_normalise(typed)


def test_empty_phone_is_no_phone():
    assert phone_normalise("  ") == ""


def test_phone_search_digits_hold_both_typings():
    assert phone_search_digits("+33612345678") == "33612345678 0612345678"


def test_emails_are_validated_and_their_domain_lower_cased():
    assert email_normalise(" Jean.Dupont@Exemple.FR ") == "Jean.Dupont@exemple.fr"
    for bad in ["jean", "jean@", "@exemple.fr", "a b@exemple.fr"]:
        with pytest.raises(ValidationError):
            email_normalise(bad)


def test_websites_get_a_scheme_and_a_lower_case_host():
    assert website_normalise("www.Exemple.FR") == "https://www.exemple.fr"
    assert website_normalise("http://exemple.fr/Contact") == "http://exemple.fr/Contact"
    for bad in ["javascript:alert(1)", "ftp://exemple.fr", "not a site"]:
        with pytest.raises(ValidationError):
            website_normalise(bad)


def test_rich_text_keeps_formatting_and_drops_scripts_handlers_and_remote_images(settings):
    html = (
        "<div><strong>Besoin</strong> <em>urgent</em><script>alert(1)</script>"
        '<a href="javascript:alert(1)">x</a><a href="https://exemple.fr">site</a>'
        '<img src="https://tracker.example/p.gif" onerror="alert(1)">'
        f'<img src="{settings.UPLOADS_URL_PREFIX}abc/" alt="plan"></div>'
    )
    clean = sanitise_html(html)
    assert "<strong>Besoin</strong>" in clean and "<em>urgent</em>" in clean
    assert "script" not in clean and "onerror" not in clean and "javascript:" not in clean
    assert "tracker.example" not in clean
    assert f'src="{settings.UPLOADS_URL_PREFIX}abc/"' in clean
    assert 'href="https://exemple.fr"' in clean


def test_rich_text_with_nothing_visible_is_empty():
    assert sanitise_html("<div><br></div>") == ""
    assert sanitise_html("<script>alert(1)</script>") == ""


def _image(fmt: str = "PNG", size: tuple[int, int] = (800, 400), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red").save(out, format=fmt)
    return out.getvalue()


def test_images_are_shrunk_and_re_encoded():
    cleaned = image_clean(SimpleUploadedFile("logo.png", _image()), max_side=256)
    with Image.open(cleaned) as image:
        assert max(image.size) == 256
        assert image.format == "JPEG"  # no transparency: re-encoded as JPEG


def test_transparent_images_stay_png():
    cleaned = image_clean(SimpleUploadedFile("logo.png", _image(mode="RGBA")), max_side=256)
    with Image.open(cleaned) as image:
        assert image.format == "PNG"


@pytest.mark.parametrize(
    "content",
    [b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", b"%PDF-1.4", b""],
)
def test_files_that_are_not_images_are_refused(content):
    with pytest.raises(ValidationError):
        image_clean(SimpleUploadedFile("logo.png", content), max_side=256)


def test_decompression_bombs_are_refused():
    with pytest.raises(ValidationError):
        image_clean(SimpleUploadedFile("bomb.png", _image(size=(10000, 5000))), max_side=256)
