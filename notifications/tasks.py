"""Thin Celery tasks of the notifications app: deliver one notice's e-mail (retried with
backoff while the mail server is down), the daily digests, and the sweep that queues again
what a down broker could not take."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import services
from .choices import EmailStatus
from .models import Notification


def backoff_seconds(retries: int) -> int:
    """Exponential backoff: base, 2×base, 4×base … capped."""
    return min(settings.KC_NOTIFICATION_RETRY_BASE_SECONDS * 2 ** retries, settings.KC_NOTIFICATION_RETRY_MAX_SECONDS)


@shared_task(bind=True, name="notifications.tasks.notification_email_task", acks_late=True,
             max_retries=None, soft_time_limit=60, time_limit=90)
def notification_email_task(self, notification_id: int) -> str:
    try:
        return services.notification_email_send(notification_id=notification_id)
    except services.TemporaryMailError as exc:
        if self.request.retries >= settings.KC_NOTIFICATION_MAX_RETRIES:
            return "pending"  # left pending: the sweep queues it again later
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from None


@shared_task(bind=True, name="notifications.tasks.notification_digest_task", acks_late=True,
             max_retries=None, soft_time_limit=120, time_limit=150)
def notification_digest_task(self, user_id: int) -> int:
    try:
        return services.digest_send(user_id=user_id)
    except services.TemporaryMailError as exc:
        if self.request.retries >= settings.KC_NOTIFICATION_MAX_RETRIES:
            return 0  # still waiting: tomorrow's digest carries them
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from None


@shared_task(name="notifications.tasks.notification_digests_task", soft_time_limit=300, time_limit=330)
def notification_digests_task() -> int:
    """Daily (beat): one digest task per user with notices waiting for it."""
    users = (Notification.objects.filter(email_status=EmailStatus.DIGEST).order_by()
             .values_list("recipient_id", flat=True).distinct())
    count = 0
    for user_id in users:
        notification_digest_task.apply_async(args=[user_id])
        count += 1
    return count


@shared_task(name="notifications.tasks.notification_email_sweep_task", soft_time_limit=120, time_limit=150)
def notification_email_sweep_task() -> int:
    """Every few minutes (beat): queue again the pending e-mails nobody is trying now (the
    broker was down when they were written, or their task gave up)."""
    stale = timezone.now() - timedelta(minutes=settings.KC_NOTIFICATION_SWEEP_MINUTES)
    ids = list(Notification.objects.filter(email_status=EmailStatus.PENDING, created_at__lt=stale)
               .exclude(email_last_attempt_at__gte=stale).values_list("pk", flat=True)[:5000])
    return services.queue_emails(ids)


@shared_task(bind=True, name="notifications.tasks.reminder_send_task", acks_late=True, max_retries=None,
             soft_time_limit=120, time_limit=150)
def reminder_send_task(self, user_id: int, on: str) -> bool:
    from datetime import date

    from . import reminders

    try:
        return reminders.reminder_send(user_id=user_id, on=date.fromisoformat(on))
    except services.TemporaryMailError as exc:
        if self.request.retries >= settings.KC_NOTIFICATION_MAX_RETRIES:
            return False
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from None


@shared_task(name="notifications.tasks.reminders_daily_task", soft_time_limit=300, time_limit=330)
def reminders_daily_task(now: str | None = None) -> int:
    """Daily (beat, local morning): one reminder task per person for the local date of
    ``now`` (ISO; default: now) in Asia/Ho_Chi_Minh."""
    from datetime import datetime

    from . import reminders

    on = timezone.localdate(datetime.fromisoformat(now) if now else None).isoformat()
    count = 0
    for user_id in reminders.recipients().values_list("pk", flat=True):
        reminder_send_task.apply_async(args=[user_id, on])
        count += 1
    return count
