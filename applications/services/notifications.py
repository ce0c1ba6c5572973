"""Who must act next on an application, and the e-mail that tells them (sent after commit)."""

import logging

from django.core.mail import send_mail
from django.utils.translation import gettext as _

from provinces.choices import AGENCY_ROLES, Role
from provinces.models import Membership

from .. import selectors, workflow
from ..models import Application, ApplicationEvent

log = logging.getLogger(__name__)


def recipients_for(application: Application) -> list[str]:
    """E-mail addresses of the people who must act next on ``application``."""
    roles = workflow.roles_to_act(application.status, application.fund_source)
    if not roles:
        return []
    memberships = Membership.objects.filter(is_active=True, role__in=roles, user__is_active=True)
    agency_roles = roles & AGENCY_ROLES
    province_roles = roles - AGENCY_ROLES
    from django.db.models import Q

    q = Q(pk__in=[])
    if province_roles:
        q |= Q(role__in=province_roles, organisation__province_id=application.province_id,
               organisation__commune__isnull=True)
    if Role.COMMUNE_OFFICER in roles:
        q |= Q(role=Role.COMMUNE_OFFICER,
               organisation__commune__in=application.establishments.values("commune_id"))
    if agency_roles:
        q |= Q(role__in=agency_roles, organisation__province__isnull=True)
    emails = set(memberships.filter(q).exclude(user__email="").values_list("user__email", flat=True))
    if application.appraisal_level:
        # During an appraisal the council members act next: they declare and score.
        council = selectors.council_for(application, application.appraisal_level)
        if council is not None:
            emails |= set(council.members.filter(user__is_active=True).exclude(user__email="")
                          .values_list("user__email", flat=True))
    return sorted(emails)


def notify_next_actors(*, event_id: int) -> int:
    """Send the e-mail about an event to whoever must act next. Failures are logged,
    never raised: the transition has already committed."""
    event = ApplicationEvent.objects.select_related("application", "actor").filter(pk=event_id).first()
    if event is None:
        return 0
    application = event.application
    to = recipients_for(application)
    if not to:
        return 0
    subject = _("[Khuyến công] %(code)s: %(status)s") % {"code": application.code,
                                                          "status": application.get_status_display()}
    body = _("Đề án %(code)s — %(title)s\nTrạng thái mới: %(status)s\nNgười thực hiện: %(actor)s\n%(reason)s\n"
             "Vui lòng đăng nhập Cổng Khuyến công để xử lý.") % {
        "code": application.code, "title": application.title, "status": application.get_status_display(),
        "actor": event.actor.get_full_name() or event.actor.username if event.actor else "—",
        "reason": (_("Lý do: %s") % event.reason) if event.reason else ""}
    try:
        return send_mail(subject, body, None, to)
    except Exception:  # noqa: BLE001 - mail is best effort after commit
        log.exception("notification for event %s failed", event_id)
        return 0
