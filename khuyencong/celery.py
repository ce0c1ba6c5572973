"""The Celery application; tasks live in each app's tasks.py."""

import os

from celery import Celery, bootsteps
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khuyencong.settings")

app = Celery("khuyencong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _worker_sees_all_provinces(**kwargs):
    """Workers are system jobs: row-level security lets them see every province (set
    before the pool forks, so every child's connections start with it); tasks re-apply
    the requester's scope in the application (visible_to)."""
    os.environ.setdefault("KC_DB_SCOPE", "all")


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes this worker's heartbeat into the shared cache every KC_WORKER_HEARTBEAT_SECONDS
    (read by /readyz), from the worker's own timer: no beat, no task, no event stream needed."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker):
        # Imported here: this module is imported with the package, before Django is set up.
        from django.conf import settings

        from .health import write_worker_heartbeat

        def beat():
            try:
                write_worker_heartbeat(worker.hostname)
            except Exception:  # noqa: BLE001 - a missed heartbeat shows in /readyz, never kills the worker
                pass

        beat()
        self.timer_ref = worker.timer.call_repeatedly(settings.KC_WORKER_HEARTBEAT_SECONDS, beat, priority=10)

    def stop(self, worker):
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None


app.steps["worker"].add(WorkerHeartbeat)
