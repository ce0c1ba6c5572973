"""The Celery application; tasks live in each app's tasks.py."""

import os

from celery import Celery
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
