"""The daily reminder: to each person one e-mail with what waits on them (the task list,
``applications.selectors.tasks``) and what of it is late (``applications.deadlines``);
to approvers also what in their scope is late past the province's escalation threshold.
Dates are local (Asia/Ho_Chi_Minh); one ``Reminder`` row per user and day makes a second
run send nothing."""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from applications import deadlines
from applications.choices import Status
from applications.models import Application
from applications.selectors.tasks import tasks_for
from khuyencong.scoping import scope_for
from programs.choices import FundSource

from . import services
from .choices import EmailMode
from .models import NotificationPreference, Reminder

ESCALATION_CAP = 500


def escalations_for(user, on: date) -> list[tuple]:
    """``(application, late_days)`` late past its province's threshold, for an approver:
    a province approver for their provinces, the Agency's approver for national funds."""
    scope = scope_for(user)
    if scope.read_only or not (scope.approver_province_ids or scope.agency_approver):
        return []
    qs = Application.objects.visible_to(user).filter(
        deadlines.overdue_q() | Q(status__in=deadlines.IMPLEMENTING | {Status.ACCEPTED}))
    where = Q(province_id__in=scope.approver_province_ids)
    if scope.agency_approver:
        where |= Q(fund_source=FundSource.NATIONAL)
    result = []
    for application in qs.filter(where).select_related("province").order_by("pk")[:ESCALATION_CAP]:
        late = deadlines.late_days(application, on)
        if late > deadlines.policy_value(application.province_id, "escalation_days"):
            result.append((application, late))
    return sorted(result, key=lambda pair: -pair[1])


def recipients():
    """Active users with an active membership and an address, who take e-mail."""
    User = get_user_model()
    opted_out = NotificationPreference.objects.filter(email_mode=EmailMode.IN_APP).values("user_id")
    return (User.objects.filter(is_active=True, memberships__is_active=True).exclude(email="")
            .exclude(pk__in=opted_out).distinct().order_by("pk"))


def reminder_send(*, user_id: int, on: date) -> bool:
    """Send ``user_id``'s reminder of ``on`` unless it was sent or there is nothing to say.
    Raises ``services.TemporaryMailError`` (nothing recorded) when the mail server is down."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or Reminder.objects.filter(user=user, on=on).exists():
        return False
    tasks = tasks_for(user)
    escalations = escalations_for(user, on)
    late = [t for t in tasks if t.late]
    if not tasks and not escalations:
        return False
    try:
        with transaction.atomic():
            Reminder.objects.create(user=user, on=on, waiting=len(tasks), late=len(late),
                                    escalated=[a.pk for a, _ in escalations])
            with translation.override(services.language_of(user)):
                subject = gettext("[Khuyến công] Việc cần làm ngày %(d)s: %(n)s việc, %(late)s trễ hạn") % {
                    "d": on.strftime("%d/%m/%Y"), "n": len(tasks), "late": len(late)}
                items = [{"task": t, "link": services.site_link(t.url),
                          "late": [(str(d.label), d.late_days) for d in t.late]} for t in tasks]
                escalated = [{"application": a, "late_days": days,
                              "link": services.site_link(reverse("applications:application_detail", args=[a.pk]))}
                             for a, days in escalations]
                message = services._message(user, subject, "notifications/email/reminder.txt", {
                    "items": items, "escalated": escalated, "on": on,
                    "tasks_link": services.site_link(reverse("applications:tasks"))})
            services._send(message)
    except IntegrityError:
        return False  # another run made it first
    return True
