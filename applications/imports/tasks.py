"""Celery tasks of imports: thin, taking the job's id, safe to run twice."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import import_job_read, import_job_write


@shared_task(name="applications.imports.read_task", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=5, max_retries=3,
             soft_time_limit=40 * 60, time_limit=45 * 60)
def import_read_task(job_id: int) -> None:
    """Read the uploaded file into the preview rows (a rerun replaces them)."""
    import_job_read(job_id=job_id)


@shared_task(name="applications.imports.write_task", acks_late=True, reject_on_worker_lost=True,
             soft_time_limit=80 * 60, time_limit=90 * 60)
def import_write_task(job_id: int) -> None:
    """Write a confirmed job in one transaction (a rerun after a crash finds the job still
    "writing" with nothing written, since the transaction rolled back, and writes it)."""
    import_job_write(job_id=job_id)
