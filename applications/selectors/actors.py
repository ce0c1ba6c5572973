"""Who can move an application on now: the users holding the roles the workflow names for
its state (and fund source), in its province, commune or the Agency, plus the council of
the appraisal in progress. What notifications and reminders ask; the rules stay in
``applications.workflow``."""

from django.contrib.auth import get_user_model
from django.db.models import Q

from provinces.choices import AGENCY_ROLES, Role
from provinces.models import Membership

from .. import workflow
from .appraisal import council_for


def next_actors(application):
    """The active users who can act next on ``application`` (a queryset of users)."""
    User = get_user_model()
    roles = workflow.roles_to_act(application.status, application.fund_source)
    q = Q(pk__in=[])
    if roles:
        agency_roles = roles & AGENCY_ROLES
        province_roles = roles - AGENCY_ROLES - {Role.COMMUNE_OFFICER}
        member_q = Q(pk__in=[])
        if province_roles:
            member_q |= Q(role__in=province_roles, organisation__province_id=application.province_id,
                          organisation__commune__isnull=True)
        if Role.COMMUNE_OFFICER in roles:
            member_q |= Q(role=Role.COMMUNE_OFFICER,
                          organisation__commune__in=application.establishments.values("commune_id"))
        if agency_roles:
            member_q |= Q(role__in=agency_roles, organisation__province__isnull=True)
        q |= Q(pk__in=Membership.objects.filter(member_q, is_active=True).values("user_id"))
    if application.appraisal_level:
        # During an appraisal the council members act next: they declare and score.
        council = council_for(application, application.appraisal_level)
        if council is not None:
            q |= Q(pk__in=council.members.values("user_id"))
    return User.objects.filter(q, is_active=True)
