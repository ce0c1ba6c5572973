"""Writes of the notifications app: the notices of a transition (in its transaction), their
e-mail (one notice, or one user's daily digest), marking read, watching, preferences."""

import logging
import smtplib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from applications.models import Application
from applications.selectors.actors import next_actors

from .choices import EmailMode, EmailStatus, Reason
from .models import Notification, NotificationPreference, Watch

log = logging.getLogger(__name__)


class TemporaryMailError(Exception):
    """The mail server could not take the message now; the task tries again later."""


# --- Writing the notices ---------------------------------------------------------------------


def can_see(user, application_id) -> bool:
    return Application.objects.visible_to(user).filter(pk=application_id).exists()


def recipients_for(event) -> dict:
    """``{user: [reasons]}`` for an event: who can act next (the workflow), the dossier's
    proposer and its watchers, less the actor and anyone who cannot see the dossier."""
    application = event.application
    found: dict = {}

    def add(user, reason):
        if user is None or not user.is_active or user.pk == event.actor_id:
            return
        key = user.pk
        found.setdefault(key, (user, []))[1].append(reason)

    for user in next_actors(application).order_by("pk"):
        add(user, Reason.NEXT_ACTOR)
    if application.created_by_id:
        add(application.created_by, Reason.PROPOSER)
    for watch in Watch.objects.filter(application=application).select_related("user").order_by("pk"):
        add(watch.user, Reason.WATCHER)
    return {user: reasons for user, reasons in found.values() if can_see(user, application.pk)}


def email_status_for(user, preferences: dict) -> str:
    if not user.email:
        return EmailStatus.SKIPPED
    mode = preferences.get(user.pk, EmailMode.IMMEDIATE)
    return {EmailMode.IN_APP: EmailStatus.NONE, EmailMode.IMMEDIATE: EmailStatus.PENDING,
            EmailMode.DIGEST: EmailStatus.DIGEST}[mode]


def notify_transition(*, event) -> list[Notification]:
    """Write the notices of a transition's ``event`` (call inside its transaction) and queue
    the immediate e-mails once it commits."""
    recipients = recipients_for(event)
    if not recipients:
        return []
    preferences = dict(NotificationPreference.objects.filter(user__in=[u.pk for u in recipients])
                       .values_list("user_id", "email_mode"))
    application = event.application
    notices = Notification.objects.bulk_create([
        Notification(recipient=user, application=application, province_id=application.province_id, event=event,
                     action=event.action, to_status=event.to_status, actor_id=event.actor_id,
                     reasons=[str(r) for r in reasons], email_status=email_status_for(user, preferences))
        for user, reasons in recipients.items()])
    pending = [n.pk for n in notices if n.email_status == EmailStatus.PENDING]
    if pending:
        transaction.on_commit(lambda: queue_emails(pending))
    return notices


def queue_emails(notification_ids) -> int:
    """Queue one delivery task per notice. A broker that is down loses nothing: the notices
    stay pending and the sweep (``notification_email_sweep_task``) queues them again."""
    from .tasks import notification_email_task

    queued = 0
    for pk in notification_ids:
        try:
            notification_email_task.apply_async(args=[pk], retry=False)
            queued += 1
        except Exception:  # noqa: BLE001 - the change has committed; the sweep retries
            log.warning("could not queue the e-mail of notification %s", pk, exc_info=True)
    return queued


# --- E-mail ----------------------------------------------------------------------------------


def site_link(path: str) -> str:
    return settings.KC_SITE_URL.rstrip("/") + path


def language_of(user) -> str:
    pref = NotificationPreference.objects.filter(user=user).values_list("language", flat=True).first()
    return pref or settings.LANGUAGE_CODE


def _message(user, subject: str, template: str, context: dict) -> EmailMessage:
    body = render_to_string(template, {**context, "user": user, "site_url": settings.KC_SITE_URL,
                                       "settings_link": site_link(reverse("notifications:preferences"))})
    return EmailMessage(subject=subject, body=body, to=[user.email])


def _notice_context(notice: Notification) -> dict:
    return {"notice": notice, "summary": notice.summary(), "reason": notice.event.reason,
            "link": site_link(reverse("notifications:open", args=[notice.pk])), "reasons": notice.reason_labels()}


def _send(message) -> None:
    """Send; a permanent refusal of the address (5xx) propagates as
    ``SMTPRecipientsRefused``, anything else that failed is temporary."""
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        if all(code >= 500 for code, _msg in exc.recipients.values()):
            raise
        raise TemporaryMailError(str(exc)[:300]) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TemporaryMailError(str(exc)[:300]) from exc


def notification_email_send(*, notification_id: int) -> str:
    """Send the e-mail of one pending notice, once: the row is locked while it is sent and
    marked sent in the same transaction, so a second task for the same notice (a retry,
    the sweep) finds it sent. Returns the notice's e-mail status; raises
    ``TemporaryMailError`` (after recording the attempt) when the server is unavailable."""
    failure = None
    with transaction.atomic():
        notice = (Notification.objects.select_for_update(of=("self",))
                  .select_related("recipient", "application", "actor", "event").filter(pk=notification_id).first())
        if notice is None or notice.email_status != EmailStatus.PENDING:
            return notice.email_status if notice else "missing"
        user = notice.recipient
        now = timezone.now()
        if not user.is_active or not user.email or not can_see(user, notice.application_id):
            notice.email_status = EmailStatus.SKIPPED
            notice.save(update_fields=["email_status"])
            return notice.email_status
        with translation.override(language_of(user)):
            subject = gettext("[Khuyến công] %(code)s: %(status)s") % {
                "code": notice.application.code, "status": notice.get_to_status_display()}
            message = _message(user, subject, "notifications/email/notice.txt", _notice_context(notice))
        notice.email_attempts += 1
        notice.email_last_attempt_at = now
        try:
            _send(message)
        except smtplib.SMTPRecipientsRefused as exc:
            notice.email_status, notice.email_error = EmailStatus.FAILED, str(exc)[:300]
        except TemporaryMailError as exc:
            notice.email_error, failure = str(exc), exc
        else:
            notice.email_status, notice.emailed_at, notice.email_error = EmailStatus.SENT, now, ""
        notice.save(update_fields=["email_status", "email_attempts", "email_last_attempt_at", "emailed_at",
                                   "email_error"])
    if failure is not None:
        raise failure
    return notice.email_status


def digest_send(*, user_id: int) -> int:
    """Send one user's daily digest of the notices waiting for it; returns how many notices
    it carried. Running it again sends nothing: the notices are marked sent with it."""
    with transaction.atomic():
        notices = list(Notification.objects.select_for_update(of=("self",), skip_locked=True)
                       .select_related("recipient", "application", "actor", "event")
                       .filter(recipient_id=user_id, email_status=EmailStatus.DIGEST).order_by("created_at", "pk"))
        if not notices:
            return 0
        user = notices[0].recipient
        visible = set(Application.objects.visible_to(user).filter(pk__in={n.application_id for n in notices})
                      .values_list("pk", flat=True)) if user.is_active and user.email else set()
        kept = [n for n in notices if n.application_id in visible]
        now = timezone.now()
        if kept:
            with translation.override(language_of(user)):
                subject = gettext("[Khuyến công] Tổng hợp %(n)s thông báo") % {"n": len(kept)}
                message = _message(user, subject, "notifications/email/digest.txt",
                                   {"items": [_notice_context(n) for n in kept]})
            _send(message)
        Notification.objects.filter(pk__in=[n.pk for n in kept]).update(
            email_status=EmailStatus.SENT, emailed_at=now, email_attempts=1, email_last_attempt_at=now)
        Notification.objects.filter(pk__in=[n.pk for n in notices if n not in kept]).update(
            email_status=EmailStatus.SKIPPED)
    return len(kept)


# --- What the user does ---------------------------------------------------------------------


def notifications_mark_read(*, user, ids=None) -> int:
    """Mark the user's notices read (``ids``, or all of them); returns how many changed."""
    qs = Notification.objects.visible_to(user).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return Notification.objects.filter(pk__in=qs.values("pk")).update(read_at=timezone.now())


def watch_set(*, user, application_id: int, watching: bool) -> bool:
    """Watch or stop watching a dossier the user can see (``Application.DoesNotExist``
    otherwise). Returns whether the user now watches it."""
    application = Application.objects.visible_to(user).filter(pk=application_id).first()
    if application is None:
        raise Application.DoesNotExist(_("Không tìm thấy đề án."))
    if watching:
        Watch.objects.get_or_create(user=user, application=application,
                                    defaults={"province_id": application.province_id})
    else:
        Watch.objects.filter(user=user, application=application).delete()
    return watching


def preference_set(*, user, email_mode: str, language: str) -> NotificationPreference:
    preference = NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)
    preference.email_mode = email_mode
    preference.language = language
    preference.full_clean(exclude=["user"])
    preference.save()
    return preference


def preference_for(user) -> NotificationPreference:
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)


def validate_ids(raw) -> list[int]:
    try:
        ids = [int(v) for v in raw]
    except (TypeError, ValueError):
        raise ValidationError({"ids": _("Danh sách mã thông báo không hợp lệ.")}) from None
    return ids
