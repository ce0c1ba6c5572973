"""Reads of the appraisal: the council of an application, the consolidated score sheet,
the caller's seat."""

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from ..models import (
    Application,
    AppraisalCouncil,
    ConflictDeclaration,
    CouncilMember,
    Score,
)

# --- Council and score sheet -------------------------------------------------------------


def council_for(application: Application, level: str) -> AppraisalCouncil | None:
    """The council appraising ``application`` at ``level``: its own, else its call's."""
    qs = AppraisalCouncil.objects.filter(level=level)
    own = qs.filter(application=application).order_by("-created_at").first()
    if own is not None:
        return own
    if application.call_id:
        return qs.filter(call_id=application.call_id, application__isnull=True).order_by("-created_at").first()
    return None


def councils_for(applications, level: str | None = None) -> dict:
    """``{application id: council id}`` of the council appraising each application at
    ``level`` (default: its current level), by ``council_for``'s rule, in one query."""
    levels = {a.pk: level or a.appraisal_level for a in applications}
    wanted = [a for a in applications if levels[a.pk]]
    if not wanted:
        return {}
    call_ids = {a.call_id for a in wanted if a.call_id}
    councils = list(AppraisalCouncil.objects.filter(Q(application_id__in=[a.pk for a in wanted])
                                                    | Q(call_id__in=call_ids, application__isnull=True))
                    .order_by("-created_at", "-pk").values("pk", "level", "application_id", "call_id"))
    result = {}
    for application in wanted:
        lvl = levels[application.pk]
        council = next((c for c in councils if c["application_id"] == application.pk and c["level"] == lvl), None)
        if council is None and application.call_id:
            council = next((c for c in councils if c["application_id"] is None
                            and c["call_id"] == application.call_id and c["level"] == lvl), None)
        if council is not None:
            result[application.pk] = council["pk"]
    return result


@dataclass
class MemberSheet:
    member: CouncilMember
    declared: bool = False
    has_conflict: bool = False
    scores: dict = field(default_factory=dict)  # criterion id -> Score
    weighted_total: Decimal | None = None
    scored_all: bool = False
    hidden: bool = False  # blind scoring: this member's scores are not shown to the reader

    @property
    def complete(self) -> bool:
        return self.scored_all


@dataclass
class ScoreSheet:
    """The consolidated score sheet of one application at one level."""

    council: AppraisalCouncil | None
    criteria: list
    members: list
    pass_mark: Decimal
    average: Decimal | None = None

    @property
    def scoring_members(self) -> list:
        return [m for m in self.members if not m.has_conflict]

    @property
    def excluded_members(self) -> list:
        return [m for m in self.members if m.has_conflict]

    @property
    def finished(self) -> bool:
        scoring = self.scoring_members
        return bool(self.criteria) and bool(scoring) and all(m.declared and m.complete for m in scoring)

    @property
    def passed(self) -> bool:
        return self.finished and self.average is not None and self.average >= self.pass_mark

    def problems(self) -> list[str]:
        if self.council is None:
            return [_("Chưa thành lập hội đồng thẩm định.")]
        problems = []
        if not self.criteria:
            problems.append(_("Đợt tiếp nhận chưa có tiêu chí chấm điểm."))
        if not self.scoring_members:
            problems.append(_("Không còn thành viên hội đồng nào đủ điều kiện chấm điểm."))
        for m in self.scoring_members:
            if not m.declared:
                problems.append(_("%(u)s chưa khai báo xung đột lợi ích.") % {"u": _display(m.member.user)})
            elif not m.complete:
                problems.append(_("%(u)s chưa chấm đủ các tiêu chí.") % {"u": _display(m.member.user)})
        if self.finished and not self.passed:
            problems.append(_("Điểm bình quân %(a)s thấp hơn điểm đạt %(p)s.")
                            % {"a": self.average, "p": self.pass_mark})
        return problems

    def blind_for(self, user_id) -> "ScoreSheet":
        """The sheet as a member still scoring reads it: their own scores, and of the others
        only who declared and who finished, not their scores, comments or totals."""
        members = [m if m.member.user_id == user_id else replace(m, scores={}, weighted_total=None, hidden=True)
                   for m in self.members]
        return replace(self, members=members, average=None)


def _display(user) -> str:
    return user.get_full_name() or user.username


def weighted_total(criteria, scores_by_criterion) -> Decimal | None:
    """Σ(weight × score / max) / Σ weight × 100, rounded to 2 places; None if incomplete."""
    if not criteria or any(c.pk not in scores_by_criterion for c in criteria):
        return None
    total_weight = sum(c.weight for c in criteria)
    value = sum(c.weight * scores_by_criterion[c.pk].score / c.max_score for c in criteria) / total_weight * 100
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def score_sheet(application: Application, level: str) -> ScoreSheet:
    council = council_for(application, level)
    criteria = list(application.call.criteria.all()) if application.call_id else []
    pass_mark = application.call.pass_mark if application.call_id else Decimal("70")
    if council is None:
        return ScoreSheet(council=None, criteria=criteria, members=[], pass_mark=pass_mark)
    members = list(council.members.select_related("user").order_by("role", "pk"))
    declarations = {d.user_id: d for d in ConflictDeclaration.objects.filter(application=application, level=level)}
    scores: dict = {}
    for score in Score.objects.filter(application=application, level=level):
        scores.setdefault(score.user_id, {})[score.criterion_id] = score
    sheets = []
    for member in members:
        decl = declarations.get(member.user_id)
        sheet = MemberSheet(member=member, declared=decl is not None, has_conflict=bool(decl and decl.has_conflict),
                            scores=scores.get(member.user_id, {}))
        if sheet.declared and not sheet.has_conflict:
            sheet.weighted_total = weighted_total(criteria, sheet.scores)
            sheet.scored_all = sheet.weighted_total is not None
        sheets.append(sheet)
    result = ScoreSheet(council=council, criteria=criteria, members=sheets, pass_mark=pass_mark)
    totals = [m.weighted_total for m in result.scoring_members if m.weighted_total is not None]
    if result.finished and totals:
        result.average = (sum(totals) / len(totals)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return result


def blind_events(events, user_id, levels) -> list:
    """The timeline as a member scoring blind at ``levels`` reads it: the other members'
    submitted scores (the events' payload) are left out."""
    events = list(events)
    for event in events:
        payload = event.payload or {}
        if (event.action == "scores_submitted" and event.actor_id != user_id
                and payload.get("level") in levels):
            event.payload = {"level": payload.get("level")}
    return events


def council_seat(application: Application, user, level: str | None = None) -> CouncilMember | None:
    level = level or application.appraisal_level
    if level is None:
        return None
    council = council_for(application, level)
    if council is None:
        return None
    return council.members.filter(user=user).first()
