"""WSGI entry point (gunicorn khuyencong.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khuyencong.settings")
application = get_wsgi_application()
