"""Writes of budget allocations. They live beside the ledger because they must check it
(an allocation may not go below what is committed), so ``programs`` reads nothing above it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from khuyencong.scoping import scope_for
from programs.models import BudgetAllocation
from programs.services import require_manage

from ..ledger import committed_amount


@transaction.atomic
def budget_allocation_set(*, user, programme, province, year: int, amount: int, decision_number: str = "",
                          note: str = "") -> BudgetAllocation:
    """Create or change the allocation; it may not go below what is already committed."""
    scope = scope_for(user)
    if not scope.superuser:
        # National money is allocated by the Agency; local money by the province.
        require_manage(user, None if programme.province_id is None else province.code)
    allocation = (BudgetAllocation.objects.select_for_update()
                  .filter(programme=programme, province=province, year=year).first())
    if allocation is None:
        allocation = BudgetAllocation(programme=programme, province=province, year=year)
    committed = committed_amount(programme_id=programme.pk, province_id=province.code, year=year)
    if amount < committed:
        raise ValidationError({"amount": _("Không được thấp hơn số đã cam kết (%(c)s đồng).") % {"c": committed}})
    allocation.amount = amount
    allocation.decision_number = decision_number
    allocation.note = note
    allocation.full_clean()
    allocation.save()
    return allocation
