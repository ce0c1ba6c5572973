"""Writes of budget allocations. They live beside the ledger because they must check it
(an allocation may not go below what is committed), so ``programs`` reads nothing above it.
Every change is an entry of the allocation's append-only ledger of changes
(``BudgetAllocationEntry``): raise, lower, move between programmes, each with a reason."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from khuyencong.errors import DomainConflict
from khuyencong.templatetags.kc import format_vnd
from programs.choices import AllocationChange
from programs.models import BudgetAllocation, BudgetAllocationEntry, Programme
from programs.services import require_manage

from ..ledger import committed_amount


def require_allocate(user, programme) -> None:
    """National money is allocated by the Agency; local money by the province's staff."""
    require_manage(user, programme.province_id)


def _below_committed(allocation, amount: int, committed: int) -> DomainConflict:
    return DomainConflict(
        _("Không giảm được kinh phí %(p)s năm %(y)s xuống %(a)s: đã cam kết %(c)s cho các đề án đã phê duyệt.")
        % {"p": allocation.programme.name, "y": allocation.year, "a": format_vnd(amount),
           "c": format_vnd(committed)},
        reasons=[_("Đã cam kết: %(c)s.") % {"c": format_vnd(committed)}])


def _entry(allocation, *, user, kind, before: int, reason: str, decision_number: str = "", counterpart=None):
    entry = BudgetAllocationEntry(allocation=allocation, province_id=allocation.province_id, kind=kind,
                                  amount_before=before, amount_after=allocation.amount, reason=reason[:500],
                                  decision_number=decision_number[:60], counterpart=counterpart, actor=user)
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def budget_allocation_set(*, user, programme, province, year: int, amount: int, decision_number: str = "",
                          note: str = "", reason: str = "") -> BudgetAllocation:
    """Allocate money to programme × province × year, or raise or lower it (a reason is
    required for a change). It may never go below what is committed (409 naming the
    figure). Writes one ledger entry."""
    require_allocate(user, programme)
    errors = {}
    if programme.province_id is not None and programme.province_id != province.code:
        errors["province"] = _("Chương trình địa phương của tỉnh/thành khác.")
    if not (programme.start_year <= int(year) <= programme.end_year):
        errors["year"] = _("Năm nằm ngoài thời gian của chương trình (%(a)s–%(b)s).") % {
            "a": programme.start_year, "b": programme.end_year}
    if amount is None or amount < 0:
        errors["amount"] = _("Kinh phí không được âm.")
    if errors:
        raise ValidationError(errors)
    allocation = (BudgetAllocation.objects.select_for_update()
                  .filter(programme=programme, province=province, year=year).first())
    creating = allocation is None
    if creating:
        allocation = BudgetAllocation(programme=programme, province=province, year=year, amount=0)
    before = allocation.amount
    if not creating and amount == before and decision_number == allocation.decision_number and note == allocation.note:
        return allocation  # nothing changes, nothing to record
    reason = (reason or "").strip()
    if not creating and amount != before and not reason:
        raise ValidationError({"reason": _("Nhập lý do thay đổi kinh phí được giao.")})
    committed = committed_amount(programme_id=programme.pk, province_id=province.code, year=year)
    if amount < committed:
        raise _below_committed(allocation, amount, committed)
    allocation.amount = amount
    allocation.decision_number = decision_number
    allocation.note = note
    allocation.full_clean()
    allocation.save()
    kind = (AllocationChange.ALLOCATE if creating or before == 0
            else AllocationChange.RAISE if amount > before else AllocationChange.LOWER)
    if creating or amount != before:
        _entry(allocation, user=user, kind=kind, before=before, reason=reason, decision_number=decision_number)
    return allocation


@transaction.atomic
def budget_allocation_move(*, user, allocation_id: int, target_programme_id: int, amount: int,
                           reason: str, decision_number: str = "") -> tuple[BudgetAllocation, BudgetAllocation]:
    """Move ``amount`` from an allocation to another programme of the same province, year
    and fund source (created when missing). What stays may not fall below what the source
    has committed. One entry on each side, each naming the other."""
    source = BudgetAllocation.objects.visible_to(user).filter(pk=allocation_id).first()
    if source is None:
        raise BudgetAllocation.DoesNotExist
    require_allocate(user, source.programme)
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Nhập lý do điều chuyển kinh phí.")
    if amount is None or amount <= 0:
        errors["amount"] = _("Số tiền điều chuyển phải lớn hơn 0.")
    target = Programme.objects.visible_to(user).filter(pk=target_programme_id).first()
    if target is None:
        errors["target_programme"] = _("Chương trình nhận không tồn tại hoặc nằm ngoài phạm vi của bạn.")
    elif target.pk == source.programme_id:
        errors["target_programme"] = _("Chọn một chương trình khác chương trình đang giữ kinh phí.")
    elif (target.fund_source != source.programme.fund_source
          or target.province_id not in (None, source.province_id)):
        errors["target_programme"] = _("Chỉ điều chuyển giữa các chương trình cùng nguồn kinh phí của cùng tỉnh/thành.")
    elif not (target.start_year <= source.year <= target.end_year):
        errors["target_programme"] = _("Chương trình nhận không thực hiện trong năm %(y)s.") % {"y": source.year}
    if errors:
        raise ValidationError(errors)
    try:
        require_allocate(user, target)
    except PermissionDenied:
        raise ValidationError({"target_programme": _("Bạn không quản lý kinh phí của chương trình nhận.")}) from None
    # Lock both rows in a fixed order so two opposite moves cannot deadlock.
    keys = sorted([(source.programme_id, source.pk), (target.pk, None)], key=lambda k: k[0])
    locked = {row.programme_id: row for row in BudgetAllocation.objects.select_for_update().filter(
        programme_id__in=[k[0] for k in keys], province_id=source.province_id, year=source.year)}
    source = locked[source.programme_id]
    destination = locked.get(target.pk)
    if amount > source.amount:
        raise ValidationError({"amount": _("Không điều chuyển quá số được giao (%(a)s).") % {
            "a": format_vnd(source.amount)}})
    committed = committed_amount(programme_id=source.programme_id, province_id=source.province_id, year=source.year)
    if source.amount - amount < committed:
        raise _below_committed(source, source.amount - amount, committed)
    if destination is None:
        destination = BudgetAllocation(programme=target, province_id=source.province_id, year=source.year, amount=0)
    source_before, destination_before = source.amount, destination.amount
    source.amount -= amount
    destination.amount += amount
    for row in (source, destination):
        row.full_clean()
        row.save()
    _entry(source, user=user, kind=AllocationChange.MOVE_OUT, before=source_before, reason=reason,
           decision_number=decision_number, counterpart=destination)
    _entry(destination, user=user, kind=AllocationChange.MOVE_IN, before=destination_before, reason=reason,
           decision_number=decision_number, counterpart=source)
    return source, destination
