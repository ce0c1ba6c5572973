"""The one service that changes ``Application.status`` (``application_transition``), and
its state-and-role check, which the steps that record something first make before storing."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khuyencong.errors import DomainConflict
from khuyencong.scoping import scope_for

from .. import guards, permissions, signals, workflow
from ..models import Application
from . import base
from .base import _check_version, _lock, expect


def _transition_inputs(transition, *, reason, decision_number, decision_date, approved_amount) -> dict:
    errors = {}
    reason = (reason or "").strip()
    decision_number = (decision_number or "").strip()
    if transition.requires_reason and not reason:
        errors["reason"] = _("Cần ghi lý do.")
    if transition.requires_decision:
        if not decision_number:
            errors["decision_number"] = _("Cần số quyết định.")
        if expect(decision_date, date, "decision_date") is None:
            errors["decision_date"] = _("Cần ngày quyết định.")
    if transition.requires_amount and expect(approved_amount, int, "approved_amount") is None:
        errors["approved_amount"] = _("Cần kinh phí phê duyệt.")
    if errors:
        raise ValidationError(errors)
    return {"reason": reason, "decision_number": decision_number, "decision_date": decision_date,
            "approved_amount": approved_amount}


def _check_step(application, user, action: str) -> None:
    """The state and role checks of a transition on the locked ``application``: made by
    ``application_transition``, and first by the services of the steps that record
    something (contract, completion report, acceptance, settlement) before storing it."""
    transition = workflow.TRANSITIONS[action]
    if transition.step_for(application.status, application.fund_source) is None:
        raise DomainConflict(_("Không thể “%(a)s” khi đề án đang ở trạng thái “%(s)s”.")
                             % {"a": transition.label, "s": application.get_status_display()})
    scope = scope_for(user)
    if scope.read_only or not workflow.role_allows(scope, transition, application.status, application.fund_source,
                                                   application.province_id):
        raise PermissionDenied(_("Vai trò của bạn không được thực hiện “%(a)s” ở bước này.") % {"a": transition.label})
    permissions.require(permissions.separation_of_duties(user, application, transition))


def application_transition(*, user, application_id, action: str, reason: str = "", decision_number: str = "",
                           decision_date=None, approved_amount=None, expected_version=None) -> Application:
    """Perform one workflow action: lock, check state, role, scope, inputs and guards,
    save, record the event and send ``signals.transition_recorded`` in the same
    transaction (the notifications app writes its notices and queues their delivery).

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
        _check_step(application, user, action)
        inputs = _transition_inputs(transition, reason=reason, decision_number=decision_number,
                                    decision_date=decision_date, approved_amount=approved_amount)
        if transition.requires_decision:
            problem = guards.decision_date_problem(action, application, inputs["decision_date"])
            if problem:
                raise ValidationError({"decision_date": problem})
        problems = []
        for guard in transition.guards:
            problems.extend(guard(application, user, inputs))
        if problems:
            raise DomainConflict(_("Chưa thể “%(a)s”:") % {"a": transition.label}, problems)
        from_status = application.status
        payload = {}
        if transition.requires_amount:
            payload["approved_amount"] = inputs["approved_amount"]
        if transition.requires_decision:
            payload["decision_number"] = inputs["decision_number"]
            payload["decision_date"] = inputs["decision_date"].isoformat()
        for name in transition.sets:
            setattr(application, name, inputs[name])
        for name in transition.stamps:
            setattr(application, name, timezone.now())
        for name in transition.actor_fields:
            setattr(application, name, user)
        now = timezone.now()
        stage_days = max(0.0, (now - application.status_changed_at).total_seconds() / 86400)
        application.status = transition.target
        application.status_changed_at = now
        application.version += 1
        application.save()
        event = base.record_event(application, user, action, from_status=from_status, to_status=transition.target,
                                  reason=inputs["reason"], payload=payload, stage_days=stage_days)
        signals.transition_recorded.send(sender=Application, event=event)
    return application
