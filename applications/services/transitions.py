"""The one service that changes ``Application.status`` (``application_transition``), the
guards the workflow table names, and the pre-check of steps that record something first."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khuyencong.errors import DomainConflict
from khuyencong.scoping import scope_for
from khuyencong.templatetags.kc import format_vnd
from programs.selectors import budget_position, support_rule_for

from .. import selectors, workflow
from ..choices import (
    AcceptanceResult,
    AttachmentKind,
    CouncilLevel,
    Status,
)
from ..models import (
    Acceptance,
    Application,
    Settlement,
)
from . import base
from .base import _check_version, _lock
from .notifications import notify_next_actors


def _guard_eligibility(application, user, inputs) -> list[str]:
    return selectors.eligibility_problems(application)


def _guard_council_ready(application, user, inputs) -> list[str]:
    level = CouncilLevel.NATIONAL if application.status == Status.ENDORSED else CouncilLevel.PROVINCIAL
    council = selectors.council_for(application, level)
    if council is None or not council.members.exists():
        return [_("Chưa thành lập hội đồng thẩm định có thành viên cho đề án này.")]
    if not application.call_id or not application.call.criteria.exists():
        return [_("Đợt tiếp nhận chưa có tiêu chí chấm điểm.")]
    return []


def _guard_appraisal_passed(application, user, inputs) -> list[str]:
    level = application.appraisal_level
    sheet = selectors.score_sheet(application, level)
    return [] if sheet.passed else sheet.problems()


def _guard_amount_within_caps(application, user, inputs) -> list[str]:
    # Field errors: raised as ValidationError so the caller sees them on approved_amount.
    amount = inputs["approved_amount"]
    errors = []
    if amount <= 0:
        errors.append(_("Kinh phí phê duyệt phải lớn hơn 0."))
    if amount > application.requested_support:
        errors.append(_("Kinh phí phê duyệt %(a)s vượt kinh phí đề nghị %(r)s.")
                      % {"a": format_vnd(amount), "r": format_vnd(application.requested_support)})
    rule = support_rule_for(province_id=application.province_id, fund_source=application.fund_source,
                            activity_type_id=application.activity_type_id, on=inputs["decision_date"])
    if rule is None:
        errors.append(_("Không có định mức hỗ trợ áp dụng tại ngày quyết định."))
    else:
        cap = rule.cap_for(application.total_cost)
        if cap is not None and max(amount, application.requested_support) > cap:
            errors.append(_("Vượt mức hỗ trợ tối đa %(c)s theo định mức hiệu lực ngày %(d)s (%(rule)s).")
                          % {"c": format_vnd(cap), "d": inputs["decision_date"].strftime("%d/%m/%Y"), "rule": rule})
    if errors:
        raise ValidationError({"approved_amount": errors})
    return []


def _guard_budget(application, user, inputs) -> list[str]:
    position = budget_position(programme_id=application.programme_id, province_id=application.province_id,
                               year=application.year, lock=True)
    if position.allocation is None:
        return [_("Chưa có kinh phí được giao cho chương trình này tại tỉnh/thành năm %(y)s.") % {"y": application.year}]
    if inputs["approved_amount"] > position.remaining:
        return [_("Kinh phí còn lại %(r)s không đủ cho %(a)s (đã cam kết %(c)s trên %(t)s được giao).")
                % {"r": format_vnd(position.remaining), "a": format_vnd(inputs["approved_amount"]),
                   "c": format_vnd(position.committed), "t": format_vnd(position.allocated)}]
    return []


GUARDS = {
    "eligibility": _guard_eligibility,
    "council_ready": _guard_council_ready,
    "appraisal_passed": _guard_appraisal_passed,
    "amount_within_caps": _guard_amount_within_caps,
    "budget": _guard_budget,
    "contract_recorded": lambda application, user, inputs: _guard_contract_recorded(application),
    "completion_report": lambda application, user, inputs: _guard_completion_report(application),
    "acceptance_passed": lambda application, user, inputs: _guard_acceptance_passed(application),
    "settlement_recorded": lambda application, user, inputs: _guard_settlement_recorded(application),
}


def _transition_inputs(transition, *, reason, decision_number, decision_date, approved_amount) -> dict:
    errors = {}
    reason = (reason or "").strip()
    decision_number = (decision_number or "").strip()
    if transition.requires_reason and not reason:
        errors["reason"] = _("Cần ghi lý do.")
    if transition.requires_decision:
        if not decision_number:
            errors["decision_number"] = _("Cần số quyết định.")
        if isinstance(decision_date, str) and decision_date:
            try:
                decision_date = date.fromisoformat(decision_date)
            except ValueError:
                errors["decision_date"] = _("Ngày quyết định không hợp lệ (YYYY-MM-DD).")
        if not decision_date and "decision_date" not in errors:
            errors["decision_date"] = _("Cần ngày quyết định.")
        elif isinstance(decision_date, date) and decision_date > timezone.localdate():
            errors["decision_date"] = _("Ngày quyết định không được ở tương lai.")
    if transition.requires_amount:
        if approved_amount in (None, ""):
            errors["approved_amount"] = _("Cần kinh phí phê duyệt.")
        else:
            try:
                approved_amount = int(approved_amount)
            except (TypeError, ValueError):
                errors["approved_amount"] = _("Kinh phí phê duyệt phải là số nguyên (đồng).")
    if errors:
        raise ValidationError(errors)
    return {"reason": reason, "decision_number": decision_number, "decision_date": decision_date,
            "approved_amount": approved_amount}


def application_transition(*, user, application_id, action: str, reason: str = "", decision_number: str = "",
                           decision_date=None, approved_amount=None, expected_version=None) -> Application:
    """Perform one workflow action: lock, check state, role, scope, inputs and guards,
    save, record the event and queue notifications after commit.

    Raises Application.DoesNotExist (not visible), ValidationError (bad input),
    PermissionDenied (visible but not this caller's to do), DomainConflict (wrong
    state, stale version or failed guard, with every reason).
    """
    transition = workflow.TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError({"action": _("Thao tác không hợp lệ. Chọn một trong: %(a)s.")
                               % {"a": ", ".join(workflow.ACTIONS)}})
    with transaction.atomic():
        application = _lock(application_id, user)
        _check_version(application, expected_version)
        step = transition.step_for(application.status, application.fund_source)
        if step is None:
            raise DomainConflict(_("Không thể “%(a)s” khi đề án đang ở trạng thái “%(s)s”.")
                                 % {"a": transition.label, "s": application.get_status_display()})
        scope = scope_for(user)
        if scope.read_only or not workflow.role_allows(scope, transition, application.status,
                                                       application.fund_source, application.province_id):
            raise PermissionDenied(_("Vai trò của bạn không được thực hiện “%(a)s” ở bước này.")
                                   % {"a": transition.label})
        inputs = _transition_inputs(transition, reason=reason, decision_number=decision_number,
                                    decision_date=decision_date, approved_amount=approved_amount)
        problems = []
        for name in transition.guards:
            problems.extend(GUARDS[name](application, user, inputs))
        if problems:
            raise DomainConflict(_("Chưa thể “%(a)s”:") % {"a": transition.label}, problems)
        from_status = application.status
        payload = {}
        if transition.requires_amount:
            application.approved_amount = inputs["approved_amount"]
            payload["approved_amount"] = inputs["approved_amount"]
        if transition.requires_decision:
            if action == "approve":
                application.decision_number = inputs["decision_number"]
                application.decision_date = inputs["decision_date"]
            payload["decision_number"] = inputs["decision_number"]
            payload["decision_date"] = inputs["decision_date"].isoformat()
        if action == "submit":
            application.submitted_at = timezone.now()
        application.status = transition.target
        application.status_changed_at = timezone.now()
        application.version += 1
        application.save()
        event = base.record_event(application, user, action, from_status=from_status, to_status=transition.target,
                        reason=inputs["reason"], payload=payload)
        transaction.on_commit(lambda: notify_next_actors(event_id=event.pk))
    return application


PASSED_RESULTS = frozenset({AcceptanceResult.PASSED, AcceptanceResult.PASSED_WITH_CONDITIONS})


def _guard_contract_recorded(application) -> list[str]:
    if not application.contracts.exists():
        return [_("Chưa ghi nhận hợp đồng thực hiện đề án.")]
    return []


def _guard_completion_report(application) -> list[str]:
    if not application.attachments.filter(kind=AttachmentKind.COMPLETION_REPORT, removed_at__isnull=True).exists():
        return [_("Chưa có báo cáo hoàn thành của đơn vị thực hiện.")]
    return []


def _guard_acceptance_passed(application) -> list[str]:
    acceptance = Acceptance.objects.filter(application=application).first()
    if acceptance is None:
        return [_("Chưa có biên bản nghiệm thu.")]
    if acceptance.result not in PASSED_RESULTS:
        return [_("Kết quả nghiệm thu: %(r)s.") % {"r": acceptance.get_result_display()}]
    return []


def _guard_settlement_recorded(application) -> list[str]:
    if not Settlement.objects.filter(application=application).exists():
        return [_("Chưa ghi nhận quyết toán.")]
    return []



def _check_step(application, user, action: str) -> None:
    """The state and role checks of ``application_transition``, made before a service
    stores records (and files) that the transition then needs."""
    transition = workflow.TRANSITIONS[action]
    if transition.step_for(application.status, application.fund_source) is None:
        raise DomainConflict(_("Không thể “%(a)s” khi đề án đang ở trạng thái “%(s)s”.")
                             % {"a": transition.label, "s": application.get_status_display()})
    scope = scope_for(user)
    if scope.read_only or not workflow.role_allows(scope, transition, application.status, application.fund_source,
                                                   application.province_id):
        raise PermissionDenied(_("Vai trò của bạn không được thực hiện “%(a)s” ở bước này.") % {"a": transition.label})


