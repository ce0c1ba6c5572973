"""Closing a scheme: the completion report, the acceptance (nghiệm thu) and the
settlement (quyết toán)."""


from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khuyencong.errors import DomainConflict
from khuyencong.templatetags.kc import format_vnd

from .. import guards
from ..choices import AcceptanceResult, AttachmentKind, DisbursementKind
from ..ledger import disbursed_total
from ..models import Acceptance, Application, Disbursement, Settlement
from . import base
from .base import _check_count, _check_date, _check_money, _lock, _save_record, _text
from .dossier import _attachment_create
from .transitions import _check_step, application_transition


@transaction.atomic
def application_complete(*, user, application_id, report_file=None, narrative: str = "") -> Application:
    """The implementer's completion report (uploaded now, or already attached as a
    completion report) and the ``complete`` transition."""
    application = _lock(application_id, user)
    _check_step(application, user, "complete")
    if report_file is not None:
        _attachment_create(application, user, kind=AttachmentKind.COMPLETION_REPORT, uploaded_file=report_file,
                           description=_text(narrative)[:255], field="report_file")
    elif guards.completion_report(application, user, None):
        raise ValidationError({"report_file": _("Cần tải lên báo cáo hoàn thành.")})
    return application_transition(user=user, application_id=application.pk, action="complete",
                                  reason=_text(narrative))


@transaction.atomic
def acceptance_record(*, user, application_id, accepted_on, committee_members: str, result: str,
                      conditions: str = "", achieved_jobs=None, achieved_trainees=None, machinery_installed: str = "",
                      minutes_file=None) -> Acceptance:
    """Record the acceptance (nghiệm thu) of a completed scheme, with its minutes. A pass
    (with or without conditions) performs ``accept``; a failure is recorded and the
    scheme stays completed; a later acceptance replaces the failed one (both are in the
    events)."""
    application = _lock(application_id, user)
    _check_step(application, user, "accept")
    errors = {}
    accepted_on = _check_date(accepted_on, "accepted_on", errors)
    committee_members = _text(committee_members)
    if not committee_members:
        errors["committee_members"] = _("Cần thành phần hội đồng nghiệm thu.")
    if result not in AcceptanceResult.values:
        errors["result"] = _("Kết quả nghiệm thu: đạt, đạt có điều kiện hoặc không đạt.")
    conditions = _text(conditions)
    if result == AcceptanceResult.PASSED_WITH_CONDITIONS and not conditions:
        errors["conditions"] = _("Ghi các điều kiện kèm theo.")
    achieved_jobs = _check_count(achieved_jobs, "achieved_jobs", errors)
    achieved_trainees = _check_count(achieved_trainees, "achieved_trainees", errors)
    machinery_installed = _text(machinery_installed)
    if len(machinery_installed) > 500:
        errors["machinery_installed"] = _("Tối đa 500 ký tự.")
    existing_minutes = (application.attachments.filter(kind=AttachmentKind.ACCEPTANCE_MINUTES, removed_at__isnull=True)
                        .order_by("-pk").first())
    if minutes_file is None and existing_minutes is None:
        errors["minutes_file"] = _("Cần biên bản nghiệm thu.")
    if errors:
        raise ValidationError(errors)
    minutes = existing_minutes
    if minutes_file is not None:
        minutes = _attachment_create(application, user, kind=AttachmentKind.ACCEPTANCE_MINUTES,
                                     uploaded_file=minutes_file, field="minutes_file")
    acceptance = Acceptance.objects.select_for_update().filter(application=application).first()
    replaced = None
    if acceptance is not None:
        # Only a failed acceptance can exist here (a pass moved the scheme on).
        replaced = {"result": acceptance.result, "accepted_on": acceptance.accepted_on.isoformat(),
                    "minutes": acceptance.minutes_id}
    else:
        acceptance = Acceptance(application=application, created_by=user)
    acceptance.accepted_on = accepted_on
    acceptance.committee_members = committee_members
    acceptance.result = result
    acceptance.conditions = conditions
    acceptance.achieved_jobs = achieved_jobs
    acceptance.achieved_trainees = achieved_trainees
    acceptance.machinery_installed = machinery_installed
    acceptance.minutes = minutes
    acceptance.created_by = user
    acceptance.full_clean(validate_unique=False, validate_constraints=False)
    acceptance.save()
    base.record_event(
        application,
        user,
        "acceptance_record",
        reason=conditions,
        payload={
            "acceptance": acceptance.pk,
            "result": result,
            "accepted_on": accepted_on.isoformat(),
            "minutes": minutes.pk,
            "achieved_jobs": achieved_jobs,
            "achieved_trainees": achieved_trainees,
            "replaced": replaced,
        },
    )
    if result in guards.PASSED_RESULTS:
        application_transition(user=user, application_id=application.pk, action="accept")
    return acceptance


@transaction.atomic
def application_settle(*, user, application_id, settled_amount: int, decision_number: str, decision_date,
                       final_payment_amount: int = 0, final_payment_reference: str = "") -> Application:
    """Settle (quyết toán) an accepted scheme: the final payment (if any, as a disbursement
    of kind final), the settlement (≤ approved and equal to everything disbursed including
    the final payment — more would be unpaid, less would need a recovery this portal does
    not record), then ``settle``. National funds: the Agency approver; local: the province
    approver. What was approved and not settled goes back to the allocation."""
    application = _lock(application_id, user)
    _check_step(application, user, "settle")
    errors = {}
    settled = _check_money(settled_amount, "settled_amount", errors, positive=False)
    final = _check_money(final_payment_amount or 0, "final_payment_amount", errors, positive=False)
    decision_number = _text(decision_number)
    if not decision_number:
        errors["decision_number"] = _("Cần số quyết định quyết toán.")
    elif len(decision_number) > 60:
        errors["decision_number"] = _("Số quyết định tối đa 60 ký tự.")
    decision_date = _check_date(decision_date, "decision_date", errors)
    if decision_date and "decision_date" not in errors:
        problem = guards.settlement_decision_date_problem(application, decision_date)
        if problem:
            errors["decision_date"] = problem
    reference = _text(final_payment_reference)
    if final and not reference:
        errors["final_payment_reference"] = _("Cần số chứng từ của khoản thanh toán cuối.")
    if errors:
        raise ValidationError(errors)
    approved = application.approved_amount or 0
    paid = disbursed_total(application)
    problems = []
    if paid + final > approved:
        problems.append(_("Tổng đã chi %(d)s + thanh toán cuối %(f)s vượt kinh phí được phê duyệt %(a)s.")
                        % {"d": format_vnd(paid), "f": format_vnd(final), "a": format_vnd(approved)})
    if settled > approved:
        problems.append(_("Kinh phí quyết toán %(s)s vượt kinh phí được phê duyệt %(a)s.")
                        % {"s": format_vnd(settled), "a": format_vnd(approved)})
    if settled > paid + final:
        problems.append(_("Kinh phí quyết toán %(s)s vượt số đã chi (kể cả thanh toán cuối) %(d)s.")
                        % {"s": format_vnd(settled), "d": format_vnd(paid + final)})
    elif settled < paid + final:
        # Paid out more than is settled: the difference must be recovered from the
        # beneficiary first (no refunds are recorded here), else the ledger would show
        # more disbursed than committed.
        problems.append(_("Đã chi %(d)s nhiều hơn kinh phí quyết toán %(s)s: cần thu hồi phần chênh lệch %(x)s "
                          "trước khi quyết toán.") % {"d": format_vnd(paid + final), "s": format_vnd(settled),
                                                       "x": format_vnd(paid + final - settled)})
    if Settlement.objects.filter(application=application).exists():
        problems.append(_("Đề án đã có quyết toán."))
    if problems:
        raise DomainConflict(_("Không thể quyết toán:"), problems)
    final_payment = None
    if final:
        final_payment = _save_record(Disbursement(
            application=application, kind=DisbursementKind.FINAL, amount=final, paid_on=timezone.localdate(),
            reference=reference, note=_("Thanh toán khi quyết toán %(n)s") % {"n": decision_number}, created_by=user))
        base.record_event(application, user, "disbursement_add",
                          payload={"disbursement": final_payment.pk, "kind": DisbursementKind.FINAL, "amount": final,
                                   "paid_on": final_payment.paid_on.isoformat(), "reference": reference,
                                   "disbursed_total": paid + final})
    settlement = Settlement(application=application, settled_amount=settled, decision_number=decision_number,
                            decision_date=decision_date, final_payment=final_payment, created_by=user)
    settlement.full_clean(validate_unique=False, validate_constraints=False)
    settlement.save()
    base.record_event(application, user, "settlement_record",
                      payload={"settlement": settlement.pk, "settled_amount": settled, "approved_amount": approved,
                               "disbursed_total": paid + final, "released": approved - settled,
                               "decision_number": decision_number, "decision_date": decision_date.isoformat()})
    return application_transition(user=user, application_id=application.pk, action="settle",
                                  decision_number=decision_number, decision_date=decision_date)
