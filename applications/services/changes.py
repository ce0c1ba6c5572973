"""Change requests of an approved scheme (schedule, cost lines, amount) and their decision."""


from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khuyencong.errors import DomainConflict
from khuyencong.templatetags.kc import format_vnd
from programs.selectors import support_rule_for

from .. import permissions
from ..choices import ChangeKind, ChangeStatus
from ..ledger import budget_position, disbursed_total
from ..models import ChangeRequest, CostLine
from ..permissions import require
from ..workflow import Record
from . import base
from .base import (
    _check_date,
    _check_money,
    _jsonable,
    _lock,
    _require_record,
    _text,
)
from .dossier import _cost_lines, _stored_cost_lines


def _cost_lines_json(lines) -> list[dict]:
    return [{"item": line.item, "quantity": str(line.quantity), "unit": line.unit, "unit_cost": line.unit_cost,
             "amount": line.amount} for line in lines]


def _change_problems(application, change: ChangeRequest, *, lock: bool) -> list[str]:
    """Whether the change can be applied now (caps, approved ≤ requested, remaining
    allocation, money already paid). ``lock`` takes the allocation row lock."""
    problems = []
    approved = application.approved_amount or 0
    today = timezone.localdate()
    if change.kind == ChangeKind.SCHEDULE:
        start = change.new_start_date or application.start_date
        end = change.new_end_date or application.end_date
        if start and end and end < start:
            problems.append(_("Ngày kết thúc mới phải sau ngày bắt đầu."))
    elif change.kind == ChangeKind.AMOUNT:
        new = change.new_approved_amount
        paid = disbursed_total(application)
        if new < paid:
            problems.append(_("Kinh phí mới %(n)s thấp hơn số đã chi %(p)s.") % {"n": format_vnd(new),
                                                                             "p": format_vnd(paid)})
        if new > approved:
            if new > application.total_cost:
                problems.append(_("Kinh phí mới %(n)s vượt tổng kinh phí đề án %(t)s.")
                                % {"n": format_vnd(new), "t": format_vnd(application.total_cost)})
            rule = support_rule_for(province_id=application.province_id, fund_source=application.fund_source,
                                    activity_type_id=application.activity_type_id, on=today)
            if rule is None:
                problems.append(_("Không có định mức hỗ trợ áp dụng tại ngày %(d)s.")
                                % {"d": today.strftime("%d/%m/%Y")})
            else:
                cap = rule.cap_for(application.total_cost, application.establishments.count())
                if cap is not None and new > cap:
                    problems.append(_("Vượt mức hỗ trợ tối đa %(c)s theo định mức hiệu lực ngày %(d)s (%(rule)s).")
                                    % {"c": format_vnd(cap), "d": today.strftime("%d/%m/%Y"), "rule": rule})
            position = budget_position(programme_id=application.programme_id, province_id=application.province_id,
                                       year=application.year, lock=lock)
            if position.allocation is None:
                problems.append(_("Chưa có kinh phí được giao cho chương trình này tại tỉnh/thành năm %(y)s.")
                                % {"y": application.year})
            elif new - approved > position.remaining:
                problems.append(_("Kinh phí còn lại %(r)s không đủ cho phần tăng thêm %(a)s.")
                                % {"r": format_vnd(position.remaining), "a": format_vnd(new - approved)})
    elif change.kind == ChangeKind.COST_LINES:
        total = sum(int(line["amount"]) for line in change.new_cost_lines or [])
        if total < application.requested_support:
            problems.append(_("Tổng kinh phí mới %(t)s thấp hơn kinh phí khuyến công đề nghị %(r)s (vốn đối ứng âm).")
                            % {"t": format_vnd(total), "r": format_vnd(application.requested_support)})
        rule = support_rule_for(province_id=application.province_id, fund_source=application.fund_source,
                                activity_type_id=application.activity_type_id, on=today)
        cap = rule.cap_for(total, application.establishments.count()) if rule is not None else None
        if cap is not None and approved > cap:
            problems.append(_("Với tổng kinh phí mới, mức hỗ trợ tối đa là %(c)s, thấp hơn kinh phí được phê duyệt "
                              "%(a)s.") % {"c": format_vnd(cap), "a": format_vnd(approved)})
    return problems


@transaction.atomic
def change_request_create(*, user, application_id, kind: str, description: str, new_start_date=None,
                          new_end_date=None, new_approved_amount=None, new_cost_lines=None) -> ChangeRequest:
    """Ask to adjust the schedule (new dates), the amount (new approved amount) or the
    cost lines (``[{"item", "quantity", "unit", "unit_cost"}]``) of an approved, ongoing or
    suspended scheme. It is checked now and again, under locks, when decided."""
    application = _lock(application_id, user)
    require(permissions.record(user, application))
    _require_record(application, Record.CHANGE_REQUEST, _("đề nghị điều chỉnh"))
    errors = {}
    if kind not in ChangeKind.values:
        raise ValidationError({"kind": _("Loại điều chỉnh không hợp lệ.")})
    description = _text(description)
    if not description:
        errors["description"] = _("Cần nội dung và lý do điều chỉnh.")
    change = ChangeRequest(application=application, kind=kind, description=description, requested_by=user)
    before, proposed = {}, {}
    if kind == ChangeKind.SCHEDULE:
        change.new_start_date = _check_date(new_start_date, "new_start_date", errors, required=False, not_future=False)
        change.new_end_date = _check_date(new_end_date, "new_end_date", errors, required=False, not_future=False)
        if new_start_date in (None, "") and new_end_date in (None, ""):
            errors["new_end_date"] = _("Nhập ngày bắt đầu mới và/hoặc ngày kết thúc mới.")
        before = {"start_date": _jsonable(application.start_date), "end_date": _jsonable(application.end_date)}
        proposed = {"start_date": _jsonable(change.new_start_date), "end_date": _jsonable(change.new_end_date)}
    elif kind == ChangeKind.AMOUNT:
        change.new_approved_amount = _check_money(new_approved_amount, "new_approved_amount", errors)
        if change.new_approved_amount is not None and change.new_approved_amount == application.approved_amount:
            errors["new_approved_amount"] = _("Kinh phí mới bằng kinh phí đang được phê duyệt.")
        before = {"approved_amount": application.approved_amount, "requested_support": application.requested_support}
        proposed = {"approved_amount": change.new_approved_amount}
    else:
        if not new_cost_lines:
            errors["new_cost_lines"] = _("Nhập dự toán mới (ít nhất một dòng).")
        else:
            try:
                lines = _cost_lines(new_cost_lines, field="new_cost_lines")
            except ValidationError as exc:
                errors["new_cost_lines"] = exc.error_dict["new_cost_lines"]
            else:
                change.new_cost_lines = _cost_lines_json(lines)
                proposed = {"total_cost": sum(line.amount for line in lines), "lines": len(lines)}
        before = {"total_cost": application.total_cost, "lines": application.cost_lines.count()}
    if errors:
        raise ValidationError(errors)
    problems = _change_problems(application, change, lock=False)
    if problems:
        raise DomainConflict(_("Đề nghị điều chỉnh không thể chấp thuận:"), problems)
    change.full_clean()
    change.save()
    base.record_event(application, user, "change_request_create", reason=description,
                      payload={"change_request": change.pk, "kind": kind, "before": before, "proposed": proposed})
    return change


def _change_apply(application, change: ChangeRequest) -> tuple[dict, dict]:
    before, after = {}, {}
    if change.kind == ChangeKind.SCHEDULE:
        before = {"start_date": _jsonable(application.start_date), "end_date": _jsonable(application.end_date)}
        if change.new_start_date:
            application.start_date = change.new_start_date
        if change.new_end_date:
            application.end_date = change.new_end_date
        after = {"start_date": _jsonable(application.start_date), "end_date": _jsonable(application.end_date)}
    elif change.kind == ChangeKind.AMOUNT:
        before = {"approved_amount": application.approved_amount, "requested_support": application.requested_support,
                  "counterpart_funds": application.counterpart_funds}
        application.approved_amount = change.new_approved_amount
        if application.approved_amount > application.requested_support:
            # Approved ≤ requested: the request rises with it (within the cap, checked above);
            # the beneficiary's counterpart capital shrinks by as much.
            application.requested_support = application.approved_amount
            application.counterpart_funds = application.total_cost - application.requested_support
        after = {"approved_amount": application.approved_amount, "requested_support": application.requested_support,
                 "counterpart_funds": application.counterpart_funds}
    else:
        before = {"total_cost": application.total_cost, "counterpart_funds": application.counterpart_funds,
                  "cost_lines": _cost_lines_json(application.cost_lines.all())}
        lines = _stored_cost_lines(change.new_cost_lines)
        application.cost_lines.all().delete()  # the event keeps the previous lines
        for line in lines:
            line.application = application
        CostLine.objects.bulk_create(lines)
        application.total_cost = sum(line.amount for line in lines)
        application.counterpart_funds = application.total_cost - application.requested_support
        after = {"total_cost": application.total_cost, "counterpart_funds": application.counterpart_funds,
                 "cost_lines": change.new_cost_lines}
    return before, after


@transaction.atomic
def change_request_decide(*, user, change_request_id, approve: bool, note: str = "") -> ChangeRequest:
    """Approve (and apply) or refuse a pending change request. Local funds: the province
    approver; national funds: the Agency approver. An approval that no longer fits (cap,
    remaining allocation under its row lock, money already paid) is a conflict and the
    request stays pending."""
    try:
        application_id = ChangeRequest.objects.visible_to(user).values_list("application_id", flat=True).get(
            pk=change_request_id)
    except (ChangeRequest.DoesNotExist, TypeError, ValueError):
        raise ChangeRequest.DoesNotExist(_("Không tìm thấy đề nghị điều chỉnh.")) from None
    application = _lock(application_id, user)
    change = ChangeRequest.objects.select_for_update().get(pk=change_request_id)
    require(permissions.decide(user, application))
    if change.status != ChangeStatus.PENDING:
        raise DomainConflict(_("Đề nghị điều chỉnh đã được quyết định (%(s)s).") % {"s": change.get_status_display()})
    _require_record(application, Record.CHANGE_REQUEST, _("quyết định điều chỉnh"))
    note = _text(note)
    if not approve and not note:
        raise ValidationError({"note": _("Cần ghi lý do không chấp thuận.")})
    before = after = {}
    if approve:
        problems = _change_problems(application, change, lock=True)
        if problems:
            raise DomainConflict(_("Không thể chấp thuận điều chỉnh:"), problems)
        before, after = _change_apply(application, change)
        application.full_clean(exclude=["code", "sequence", "search_text"], validate_unique=False,
                               validate_constraints=False)
        application.version += 1
        application.save()
    change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REFUSED
    change.decided_by = user
    change.decided_at = timezone.now()
    change.decision_note = note
    change.full_clean()
    change.save()
    base.record_event(application, user, "change_request_decide", reason=note,
                      payload={"change_request": change.pk, "kind": change.kind, "approve": bool(approve),
                               "before": before, "after": after})
    return change
