"""Project-level Celery tasks."""

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="khuyencong.tasks.ping_task", soft_time_limit=20, time_limit=30)
def ping_task() -> str:
    """Checks the queue end to end (``celery -A khuyencong call khuyencong.tasks.ping_task``);
    its log line shows the task id and the id of the request that queued it."""
    log.info("ping")
    return "pong"
