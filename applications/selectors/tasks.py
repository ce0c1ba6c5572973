"""The task list: what the user can move on now (``workflow.preview``), and the appraisals
waiting for their declaration or scores."""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.urls import reverse

from khuyencong.scoping import scope_for
from programs.models import AppraisalCriterion

from .. import deadlines, workflow
from ..models import Application, AppraisalCouncil, ConflictDeclaration, CouncilMember, Score


@dataclass
class Task:
    application: Application
    actions: list = field(default_factory=list)  # Transition objects
    council: str = ""  # "declare" | "score"

    @property
    def late(self) -> list:
        """The deadlines of the scheme that are missed now (``applications.deadlines``)."""
        if not hasattr(self, "_late"):
            self._late = [d for d in deadlines.deadlines_for(self.application) if d.is_late]
        return self._late

    @property
    def late_days(self) -> int:
        return max((d.late_days for d in self.late), default=0)

    @property
    def url(self):
        if self.council:
            return reverse("applications:scoring", args=[self.application.pk])
        return reverse("applications:application_detail", args=[self.application.pk])


def tasks_for(user) -> list[Task]:
    """What the user can move on now, and the appraisals waiting for their declaration or scores."""
    scope = scope_for(user)
    tasks: dict = {}
    if not scope.read_only:
        candidates = (Application.objects.visible_to(user).filter(status__in=workflow.acting_states(scope))
                      .select_related("province", "activity_type").order_by("status_changed_at"))
        for application in candidates[:500]:
            actions = [item.transition for item in workflow.preview(application, user)
                       if item.allowed and item.action != "cancel"]
            if actions:
                tasks[application.pk] = Task(application=application, actions=actions)
    for application, kind in council_tasks(user):
        task = tasks.setdefault(application.pk, Task(application=application))
        task.council = kind
    return sorted(tasks.values(), key=lambda t: (-t.late_days, t.application.status_changed_at))


def council_tasks(user):
    """(application, "declare" | "score") for the appraisals where the user sits on the
    council (``selectors.council_for``: the application's own council, else its call's)
    and has not declared, or declared no conflict and not scored every criterion.
    A fixed number of queries however many appraisals are open."""
    if not CouncilMember.objects.filter(user=user).exists():
        return []
    appraised = list(
        Application.objects.visible_to(user).filter(status__in=workflow.APPRAISAL_STATES)
        .filter(Q(councils__members__user=user) | Q(call__councils__members__user=user)).distinct()
        .select_related("province", "activity_type").order_by("status_changed_at")[:500])
    if not appraised:
        return []
    ids = [a.pk for a in appraised]
    call_ids = {a.call_id for a in appraised if a.call_id}
    councils = list(AppraisalCouncil.objects.filter(Q(application_id__in=ids)
                                                    | Q(call_id__in=call_ids, application__isnull=True))
                    .order_by("-created_at", "-pk").values("pk", "level", "application_id", "call_id"))
    my_councils = set(CouncilMember.objects.filter(user=user, council_id__in=[c["pk"] for c in councils])
                      .values_list("council_id", flat=True))
    declared = {(d["application_id"], d["level"]): d["has_conflict"] for d in ConflictDeclaration.objects.filter(
        user=user, application_id__in=ids).values("application_id", "level", "has_conflict")}
    scored = {
        (r["application_id"], r["level"]): r["n"]
        for r in Score.objects.filter(user=user, application_id__in=ids)
        .values("application_id", "level")
        .annotate(n=Count("criterion", distinct=True))
    }
    criteria = dict(AppraisalCriterion.objects.filter(call_id__in=call_ids).values("call_id")
                    .annotate(n=Count("pk")).values_list("call_id", "n"))
    result = []
    for application in appraised:
        level = application.appraisal_level
        council = next((c for c in councils if c["application_id"] == application.pk and c["level"] == level), None)
        if council is None and application.call_id:
            council = next((c for c in councils if c["application_id"] is None and c["call_id"] == application.call_id
                            and c["level"] == level), None)
        if council is None or council["pk"] not in my_councils:
            continue
        key = (application.pk, level)
        if key not in declared:
            result.append((application, "declare"))
        elif not declared[key] and scored.get(key, 0) < criteria.get(application.call_id, 0):
            result.append((application, "score"))
    return result
