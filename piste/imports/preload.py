"""What the import processes' fork server loads once (``piste.imports.parallel``): Django set up,
so that each process it forks starts ready instead of spending a second and a half on it."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import piste.imports.parallel  # noqa: E402, F401  (and with it the engine and the models)
