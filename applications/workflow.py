"""The transition table of an application (đề án). Plain data: per action, the steps
(from-states and the roles that may act from them), the to-state, the inputs it needs
and the guards that must hold. ``services.application_transition`` is the only code
that changes ``Application.status``, and it reads this table."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from programs.choices import FundSource
from provinces.choices import Role

from .choices import Status

NATIONAL = frozenset({FundSource.NATIONAL})
LOCAL = frozenset({FundSource.LOCAL})
BOTH = frozenset({FundSource.NATIONAL, FundSource.LOCAL})

PROVINCE_STAFF = frozenset({Role.PROVINCE_OFFICER, Role.PROVINCE_APPROVER})
PROPOSERS = frozenset({Role.PROVINCE_OFFICER, Role.COMMUNE_OFFICER})


@dataclass(frozen=True)
class Step:
    """From these states, for these fund sources, these roles may act."""

    sources: frozenset
    roles: frozenset
    fund_sources: frozenset = BOTH


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    target: str
    steps: tuple
    requires_reason: bool = False
    requires_decision: bool = False  # decision_number + decision_date
    requires_amount: bool = False  # approved_amount
    guards: tuple = field(default=())  # names of guard functions in services
    style: str = "primary"  # Bootstrap button colour
    confirm: str = ""

    def step_for(self, status: str, fund_source: str) -> Step | None:
        for step in self.steps:
            if status in step.sources and fund_source in step.fund_sources:
                return step
        return None

    @property
    def all_sources(self) -> frozenset:
        return frozenset().union(*(step.sources for step in self.steps))


TRANSITIONS = {t.action: t for t in [
    Transition(
        "submit", _("Nộp đề án"), Status.SUBMITTED,
        steps=(Step(frozenset({Status.DRAFT, Status.RETURNED}), PROPOSERS),),
        guards=("eligibility",), style="primary",
    ),
    Transition(
        "return", pgettext_lazy("action", "Trả lại bổ sung"), Status.RETURNED,
        steps=(Step(frozenset({Status.SUBMITTED, Status.UNDER_APPRAISAL}), PROVINCE_STAFF),
               Step(frozenset({Status.ENDORSED, Status.UNDER_NATIONAL_APPRAISAL}),
                    frozenset({Role.AGENCY_OFFICER, Role.AGENCY_APPROVER}), NATIONAL)),
        requires_reason=True, style="warning",
    ),
    Transition(
        "start_appraisal", _("Bắt đầu thẩm định"), Status.UNDER_APPRAISAL,
        steps=(Step(frozenset({Status.SUBMITTED}), PROVINCE_STAFF),),
        guards=("council_ready",), style="primary",
    ),
    Transition(
        "endorse", _("Đề xuất lên Cục"), Status.ENDORSED,
        steps=(Step(frozenset({Status.UNDER_APPRAISAL}), frozenset({Role.PROVINCE_APPROVER}), NATIONAL),),
        guards=("appraisal_passed",), style="success",
    ),
    Transition(
        "start_national_appraisal", _("Cục bắt đầu thẩm định"), Status.UNDER_NATIONAL_APPRAISAL,
        steps=(Step(frozenset({Status.ENDORSED}), frozenset({Role.AGENCY_OFFICER, Role.AGENCY_APPROVER}), NATIONAL),),
        guards=("council_ready",), style="primary",
    ),
    Transition(
        "approve", _("Phê duyệt"), Status.APPROVED,
        steps=(Step(frozenset({Status.UNDER_APPRAISAL}), frozenset({Role.PROVINCE_APPROVER}), LOCAL),
               Step(frozenset({Status.UNDER_NATIONAL_APPRAISAL}), frozenset({Role.AGENCY_APPROVER}), NATIONAL)),
        requires_decision=True, requires_amount=True, guards=("appraisal_passed", "amount_within_caps", "budget"),
        style="success",
    ),
    Transition(
        "reject", pgettext_lazy("action", "Không phê duyệt"), Status.REJECTED,
        steps=(Step(frozenset({Status.UNDER_APPRAISAL}), frozenset({Role.PROVINCE_APPROVER})),
               Step(frozenset({Status.UNDER_NATIONAL_APPRAISAL}), frozenset({Role.AGENCY_APPROVER}), NATIONAL)),
        requires_reason=True, style="danger",
    ),
    Transition(
        "start_implementation", _("Bắt đầu thực hiện"), Status.IN_PROGRESS,
        steps=(Step(frozenset({Status.APPROVED}), PROVINCE_STAFF),),
        guards=("contract_recorded",), style="primary",
    ),
    Transition(
        "suspend", pgettext_lazy("action", "Tạm dừng"), Status.SUSPENDED,
        steps=(Step(frozenset({Status.IN_PROGRESS}), frozenset({Role.PROVINCE_APPROVER}), LOCAL),
               Step(frozenset({Status.IN_PROGRESS}), frozenset({Role.AGENCY_APPROVER}), NATIONAL)),
        requires_reason=True, style="warning",
    ),
    Transition(
        "resume", _("Tiếp tục thực hiện"), Status.IN_PROGRESS,
        steps=(Step(frozenset({Status.SUSPENDED}), frozenset({Role.PROVINCE_APPROVER}), LOCAL),
               Step(frozenset({Status.SUSPENDED}), frozenset({Role.AGENCY_APPROVER}), NATIONAL)),
        style="primary",
    ),
    Transition(
        "complete", _("Báo cáo hoàn thành"), Status.COMPLETED,
        steps=(Step(frozenset({Status.IN_PROGRESS}), PROVINCE_STAFF),),
        guards=("completion_report",), style="primary",
    ),
    Transition(
        "accept", _("Nghiệm thu"), Status.ACCEPTED,
        steps=(Step(frozenset({Status.COMPLETED}), frozenset({Role.PROVINCE_APPROVER})),),
        guards=("acceptance_passed",), style="success",
    ),
    Transition(
        "settle", _("Quyết toán"), Status.SETTLED,
        steps=(Step(frozenset({Status.ACCEPTED}), frozenset({Role.PROVINCE_APPROVER}), LOCAL),
               Step(frozenset({Status.ACCEPTED}), frozenset({Role.AGENCY_APPROVER}), NATIONAL)),
        requires_decision=True, guards=("settlement_recorded",), style="dark",
    ),
    Transition(
        "cancel", _("Hủy đề án"), Status.CANCELLED,
        steps=(Step(frozenset({Status.DRAFT, Status.RETURNED, Status.SUBMITTED, Status.UNDER_APPRAISAL}),
                    PROVINCE_STAFF),
               Step(frozenset({Status.APPROVED, Status.IN_PROGRESS, Status.SUSPENDED}),
                    frozenset({Role.PROVINCE_APPROVER}), LOCAL),
               Step(frozenset({Status.APPROVED, Status.IN_PROGRESS, Status.SUSPENDED}),
                    frozenset({Role.AGENCY_APPROVER}), NATIONAL)),
        requires_reason=True, style="outline-danger", confirm=_("Hủy đề án? Thao tác này không hoàn tác được."),
    ),
]}

ACTIONS = tuple(TRANSITIONS)
TERMINAL_STATES = frozenset({Status.REJECTED, Status.SETTLED, Status.CANCELLED})


def reachable_states() -> frozenset:
    """Every state some sequence of actions can reach from draft (used by property tests)."""
    seen, frontier = {Status.DRAFT}, [Status.DRAFT]
    while frontier:
        state = frontier.pop()
        for transition in TRANSITIONS.values():
            if state in transition.all_sources and transition.target not in seen:
                seen.add(transition.target)
                frontier.append(transition.target)
    return frozenset(seen)


def role_allows(scope, transition: Transition, status: str, fund_source: str, province_id) -> bool:
    """State, fund source and role (held for the application's province) all allow it."""
    step = transition.step_for(status, fund_source)
    if step is None:
        return False
    return scope.superuser or scope.has_role(*step.roles, province_id=province_id)


def allowed_actions(scope, application) -> list[str]:
    """What this caller may do now (state, fund source and role; guards are checked when acting)."""
    if scope.read_only:
        return []
    return [action for action, transition in TRANSITIONS.items()
            if role_allows(scope, transition, application.status, application.fund_source, application.province_id)]


def roles_to_act(status: str, fund_source: str) -> set:
    """Roles that can move an application on from ``status`` (who is notified)."""
    roles = set()
    for transition in TRANSITIONS.values():
        if transition.action == "cancel":
            continue
        step = transition.step_for(status, fund_source)
        if step is not None:
            roles |= step.roles
    return roles
