import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# WeasyPrint takes seconds to import: loaded here, a worker's first print does not wait for it
# (with gunicorn --preload, once for all the workers).
import piste.documents.pdf  # noqa: E402, F401
