"""App config of geography and tenancy."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvincesConfig(AppConfig):
    name = "provinces"
    verbose_name = _("Địa giới hành chính và phân quyền")

    def ready(self):
        # Imported when the app registry is ready (the builder reads memberships).
        from khuyencong.scoping import set_scope_builder

        from .scoping import build_scope

        set_scope_builder(build_scope)
