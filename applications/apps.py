"""App config of the applications app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("Đề án khuyến công")

    def ready(self):
        # Programme pages show the remaining allocation; the ledger that computes it
        # lives here, above the programmes app.
        from programs.selectors import set_budget_reader

        from .ledger import ledger

        set_budget_reader(ledger)

        # The event labels of the workflow's steps (the models cannot import the workflow).
        from . import workflow
        from .models.dossier import ACTION_LABELS

        ACTION_LABELS.update({action: transition.label for action, transition in workflow.TRANSITIONS.items()})

        # Registers the import tasks with Celery (autodiscovery looks only at tasks.py).
        from .imports import tasks  # noqa: F401
