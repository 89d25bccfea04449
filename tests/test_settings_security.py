"""Security settings: refused insecure production configurations, headers, CSP, hashing, CSRF."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from django.test import Client

from piste.users.models import User

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", *sorted((ROOT / "piste").glob("*/templates"))]


def _production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50)[:50],
        "ALLOWED_HOSTS": "crm.example.fr",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'piste.sqlite3'}",
        "PISTE_DATA_DIR": str(tmp_path / "data"),
        **overrides,
    }


@pytest.mark.parametrize(
    "secret_key",
    [
        None,
        "django-insecure-piste-default-key-do-not-use-in-production",
        "too-short-0123456789",
    ],
    ids=["missing", "public-default", "short"],
)
def test_production_refuses_a_weak_secret_key(run_manage, tmp_path, secret_key):
    env = _production_env(tmp_path)
    if secret_key is None:
        del env["SECRET_KEY"]
    else:
        env["SECRET_KEY"] = secret_key
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deployment_checklist(run_manage, tmp_path):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **_production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_pages_carry_the_security_headers(db):
    response = Client().get("/login/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in csp.split(";") if part.strip()
    )
    assert "'self'" in directives["script-src"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"]


def _template_files() -> list[Path]:
    return sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))


TAG = re.compile(r"<[a-zA-Z][^<>]*>")
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
# JSON data blocks (json_script) are not executed, so the CSP does not concern them.
DATA_SCRIPT = re.compile(r"type=[\"']application/(ld\+)?json[\"']", re.IGNORECASE)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.IGNORECASE)
# on*= handlers, and htmx's hx-on* which evaluates its value as script too.
HANDLER_ATTR = re.compile(r"\s(on[a-z]+|hx-on[\w:.-]*)\s*=", re.IGNORECASE)


def test_templates_hold_no_inline_script_or_style():
    templates = _template_files()
    assert len(templates) > 10, TEMPLATE_DIRS
    problems = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        for match in INLINE_SCRIPT.finditer(text):
            if not DATA_SCRIPT.search(match.group()):
                problems.append(f"{name}: inline <script>: {match.group()}")
        if re.search(r"<style\b", text, re.IGNORECASE):
            problems.append(f"{name}: <style> element")
        for tag in TAG.findall(text):
            if STYLE_ATTR.search(tag):
                problems.append(f"{name}: style attribute: {tag}")
            if HANDLER_ATTR.search(tag):
                problems.append(f"{name}: inline event handler: {tag}")
    assert not problems, "\n".join(problems)


@pytest.mark.real_password_hashing
def test_passwords_are_hashed_with_argon2(db):
    user = User.objects.create_user(username="hashed", password="Long-enough-pass-2026")
    assert user.password.startswith("argon2")
    assert user.check_password("Long-enough-pass-2026")


def test_post_without_csrf_token_is_refused(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "nobody", "password": "whatever"})
    assert response.status_code == 403


def test_responses_tell_the_server_time(db):
    # The bench holds server-side targets to this header; browsers' tools show it.
    timing = Client().get("/login/").headers["Server-Timing"]
    name, _, duration = timing.partition(";dur=")
    assert name == "app" and float(duration) >= 0


def test_each_response_has_its_own_style_nonce(db):
    first = Client().get("/login/")
    second = Client().get("/login/")
    nonces = [
        re.search(r"'nonce-([\w-]+)'", r.headers["Content-Security-Policy"]).group(1)  # type: ignore[union-attr]
        for r in (first, second)
    ]
    assert nonces[0] != nonces[1]
    # The page hands it to the rich-text editor, the only inline style allowed.
    assert f'name="trix-csp-nonce" content="{nonces[0]}"' in first.content.decode()
