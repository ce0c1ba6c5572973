"""Celery tasks of the reports app: thin, taking ids, safe to run twice."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=5, retry_backoff_max=120, max_retries=3, soft_time_limit=20 * 60, time_limit=22 * 60)
def report_run_task(self, run_id: int) -> bool:
    """Produce the files of a report run. Late acknowledgement plus reject-on-worker-lost
    put the message back when a worker dies; the beat task below catches what is left."""
    return services.report_run_execute(run_id=run_id, task_id=self.request.id)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def requeue_stale_runs_task() -> list[int]:
    """Periodic: queue again the runs whose worker died or whose message was lost."""
    return services.stale_runs_requeue()


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def quarterly_summaries_task() -> int | None:
    """Periodic (start of each quarter): the national regional summary of the quarter just ended."""
    run = services.quarterly_summaries_create()
    return run.pk if run else None
