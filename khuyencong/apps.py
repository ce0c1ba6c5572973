"""App config of the project package (shared models such as API tokens)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KhuyencongConfig(AppConfig):
    name = "khuyencong"
    verbose_name = _("Hệ thống")

    def ready(self):
        # Imported when the app registry is ready (they use models): Django's place for it.
        from django.db.models.signals import post_migrate

        from . import audit, checks, logs, rls  # noqa: F401 - checks registers itself

        audit.connect()
        logs.connect_celery()

        post_migrate.connect(rls.on_post_migrate, dispatch_uid="kc_rls_policies")
