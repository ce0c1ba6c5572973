"""App config of the reports app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Báo cáo")

    def ready(self):
        # The API's lists answer CSV/XLSX with the same files as the pages' exports.
        from khuyencong.api import register_list_export

        from . import exports
        for model, exporter in exports.list_exporters().items():
            register_list_export(model, exporter)

        # Registers the report tasks with Celery in every process (the web processes queue
        # runs by the task's name; autodiscovery runs only in workers).
        from . import tasks  # noqa: F401
