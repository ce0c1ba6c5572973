"""App config of the project package (shared models such as API tokens)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KhuyencongConfig(AppConfig):
    name = "khuyencong"
    verbose_name = _("Hệ thống")

    def ready(self):
        from . import audit

        audit.connect()
