"""The workflow of an application (đề án), as plain data. Per state (``STATES``, kept in
``applications.states`` and re-exported here): is the dossier editable, is its money
committed, which appraisal level applies, which records may be added. Per action: the
steps (from-states and the roles that may act from them), the to-state, the inputs it
needs, the guards (callables of ``applications.guards``), the record it needs first and
the fields it sets. ``services.application_transition`` is the only code that changes
``Application.status``, and it reads this table; every other module asks the workflow
instead of keeping its own set of states."""

from dataclasses import dataclass, field

from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from khuyencong.scoping import scope_for
from programs.choices import FundSource
from provinces.choices import AGENCY_ROLES, PROVINCE_STAFF, Role

from . import guards
from .choices import Status
from .models.dossier import EVENT_LABELS
from .states import (  # noqa: F401 - the per-state table is asked for here
    APPRAISAL_STATES,
    COMMITTED_STATES,
    EDITABLE_STATES,
    RECEIVED_STATES,
    STATES,
    TERMINAL_STATES,
    Record,
    State,
    may_record,
    states_for,
    states_where,
)

NATIONAL = frozenset({FundSource.NATIONAL})
LOCAL = frozenset({FundSource.LOCAL})
BOTH = frozenset({FundSource.NATIONAL, FundSource.LOCAL})

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
    guards: tuple = field(default=())  # callables of ``applications.guards``, in order
    # The record the step makes first, in the same transaction (through its own
    # service, API endpoint and page); its guard then finds it.
    record_first: str = ""
    # Side effects on the application besides status: fields set from the inputs, and
    # timestamps set to now.
    sets: tuple = field(default=())
    stamps: tuple = field(default=())
    style: str = "primary"  # Bootstrap button colour
    confirm: str = ""
    # Fields of the application set to the acting user (who submitted it).
    actor_fields: tuple = field(default=())
    # Under a province's separation of duties, whoever prepared or submitted the dossier
    # may not take this step (``permissions.separation_of_duties``).
    separated: bool = False

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
        guards=(guards.eligibility,), stamps=("submitted_at",), actor_fields=("submitted_by",), style="primary",
    ),
    Transition(
        "return", pgettext_lazy("action", "Trả lại để bổ sung"), Status.RETURNED,
        steps=(Step(frozenset({Status.SUBMITTED, Status.UNDER_APPRAISAL}), PROVINCE_STAFF),
               Step(frozenset({Status.ENDORSED, Status.UNDER_NATIONAL_APPRAISAL}),
                    AGENCY_ROLES, NATIONAL)),
        requires_reason=True, style="warning", separated=True,
    ),
    Transition(
        "start_appraisal", _("Bắt đầu thẩm định"), Status.UNDER_APPRAISAL,
        steps=(Step(frozenset({Status.SUBMITTED}), PROVINCE_STAFF),),
        guards=(guards.council_ready,), style="primary", separated=True,
    ),
    Transition(
        "endorse", _("Đề xuất lên Cục"), Status.ENDORSED,
        steps=(Step(frozenset({Status.UNDER_APPRAISAL}), frozenset({Role.PROVINCE_APPROVER}), NATIONAL),),
        guards=(guards.appraisal_passed,), style="success",
    ),
    Transition(
        "start_national_appraisal", _("Cục bắt đầu thẩm định"), Status.UNDER_NATIONAL_APPRAISAL,
        steps=(Step(frozenset({Status.ENDORSED}), AGENCY_ROLES, NATIONAL),),
        guards=(guards.council_ready,), style="primary",
    ),
    Transition(
        "approve", _("Phê duyệt"), Status.APPROVED,
        steps=(Step(frozenset({Status.UNDER_APPRAISAL}), frozenset({Role.PROVINCE_APPROVER}), LOCAL),
               Step(frozenset({Status.UNDER_NATIONAL_APPRAISAL}), frozenset({Role.AGENCY_APPROVER}), NATIONAL)),
        requires_decision=True, requires_amount=True,
        guards=(guards.appraisal_passed, guards.amount_within_caps, guards.budget),
        sets=("approved_amount", "decision_number", "decision_date"),
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
        guards=(guards.contract_recorded,), record_first=Record.CONTRACT, style="primary",
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
        guards=(guards.completion_report,), record_first=Record.COMPLETION_REPORT,
        style="primary",
    ),
    Transition(
        "accept", _("Nghiệm thu"), Status.ACCEPTED,
        steps=(Step(frozenset({Status.COMPLETED}), frozenset({Role.PROVINCE_APPROVER})),),
        guards=(guards.acceptance_passed,), record_first=Record.ACCEPTANCE, style="success", separated=True,
    ),
    Transition(
        "settle", _("Quyết toán"), Status.SETTLED,
        steps=(Step(frozenset({Status.ACCEPTED}), frozenset({Role.PROVINCE_APPROVER}), LOCAL),
               Step(frozenset({Status.ACCEPTED}), frozenset({Role.AGENCY_APPROVER}), NATIONAL)),
        requires_decision=True, guards=(guards.settlement_recorded,), record_first=Record.SETTLEMENT,
        style="dark",
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
# What an ``ApplicationEvent.action`` may be: a workflow action, or the record of a change
# made beside the workflow (the services' ``record_event`` calls; a test keeps them in step,
# since API clients read this as a closed set).
# The events that are not workflow steps, named once with their labels (``EVENT_LABELS``).
RECORD_EVENTS = tuple(EVENT_LABELS)
EVENT_ACTIONS = ACTIONS + RECORD_EVENTS


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
    """What this caller may do now (state, fund source and role; guards are checked when
    acting). The API's ``allowed_actions``; ``preview`` gives the same with reasons."""
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


def acting_states(scope) -> set:
    """States from which the caller's roles can move an application on (cancel aside):
    where their task list looks."""
    statuses = set()
    for transition in TRANSITIONS.values():
        if transition.action == "cancel":
            continue
        for step in transition.steps:
            if scope.superuser or scope.roles & step.roles:
                statuses |= step.sources
    return statuses


@dataclass(frozen=True)
class Preview:
    """One action that applies in the application's current state, for this caller."""

    transition: Transition
    allowed: bool  # state, fund source, role and write access allow the caller to take it
    reasons: tuple  # why not, or what still blocks it (previewable guards); empty when it can be taken

    @property
    def action(self) -> str:
        return self.transition.action


def preview(application, user, *, guards: bool = False) -> list[Preview]:
    """Each action of the current state with whether this caller may take it and, when
    not or when a guard already says no, the reasons. With ``guards`` the guards that need
    no input are evaluated (the page's buttons); a step that records something first is
    not blocked by the record it makes. Without, no query is made (lists, task list, API)."""
    scope = scope_for(user)
    result = []
    for transition in TRANSITIONS.values():
        if transition.step_for(application.status, application.fund_source) is None:
            continue
        allowed = not scope.read_only and role_allows(scope, transition, application.status,
                                                      application.fund_source, application.province_id)
        reasons = []
        if allowed and transition.separated:
            from .permissions import separation_of_duties

            duty = separation_of_duties(user, application, transition)
            if not duty:
                allowed = False
                reasons.append(duty.reason)
        if not allowed:
            if not reasons:
                reasons.append(gettext("Vai trò của bạn không được thực hiện bước này."))
        elif guards and not transition.record_first:
            for guard in transition.guards:
                reasons.extend(guard(application, user, None))
        result.append(Preview(transition=transition, allowed=allowed, reasons=tuple(reasons)))
    return result
