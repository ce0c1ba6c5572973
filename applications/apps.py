"""App config of the applications app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("Đề án khuyến công")

    def ready(self):
        # Registers the import tasks with Celery (autodiscovery looks only at tasks.py).
        from .imports import tasks  # noqa: F401
