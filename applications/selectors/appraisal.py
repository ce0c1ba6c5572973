"""Reads of the appraisal: the council of an application, the consolidated score sheet,
the caller's seat."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

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


@dataclass
class MemberSheet:
    member: CouncilMember
    declared: bool = False
    has_conflict: bool = False
    scores: dict = field(default_factory=dict)  # criterion id -> Score
    weighted_total: Decimal | None = None

    @property
    def complete(self) -> bool:
        return self.weighted_total is not None


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
            problems.append(_("Điểm bình quân %(a)s thấp hơn điểm đạt %(p)s.") % {"a": self.average, "p": self.pass_mark})
        return problems


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
        sheets.append(sheet)
    result = ScoreSheet(council=council, criteria=criteria, members=sheets, pass_mark=pass_mark)
    totals = [m.weighted_total for m in result.scoring_members if m.weighted_total is not None]
    if result.finished and totals:
        result.average = (sum(totals) / len(totals)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return result


def council_seat(application: Application, user, level: str | None = None) -> CouncilMember | None:
    level = level or application.appraisal_level
    if level is None:
        return None
    council = council_for(application, level)
    if council is None:
        return None
    return council.members.filter(user=user).first()
