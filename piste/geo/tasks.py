"""Geography background jobs. The consumer (`manage.py run_huey`) finds this module by
autodiscovery."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from huey.contrib.djhuey import db_task


@db_task()
def run_city_import(import_id: int, language: str = "") -> None:
    """Run a city import job; its messages in the language of whoever started it."""
    from piste.geo.imports import city_import_run

    with translation.override(language or settings.LANGUAGE_CODE):
        city_import_run(import_id=import_id)
