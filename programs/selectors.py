"""Reads of the programmes app that are more than a filter: the cap in force, the budget position."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, Sum

from .models import BudgetAllocation, SupportRule


def support_rule_for(*, province_id: int, fund_source: str, activity_type_id: str, on: date) -> SupportRule | None:
    """The cap in force on ``on``: a province's own rule wins over the national one;
    among several, the most recent ``valid_from``."""
    rules = (
        SupportRule.objects.filter(fund_source=fund_source, activity_type_id=activity_type_id, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .filter(Q(province_id=province_id) | Q(province__isnull=True))
        .order_by("-valid_from")
    )
    best = None
    for rule in rules:
        if best is None:
            best = rule
            continue
        # Prefer the province's rule; then the newest.
        if (rule.province_id is not None, rule.valid_from) > (best.province_id is not None, best.valid_from):
            best = rule
    return best


@dataclass(frozen=True)
class BudgetPosition:
    allocation: BudgetAllocation | None
    allocated: int
    committed: int

    @property
    def remaining(self) -> int:
        return self.allocated - self.committed


def committed_amount(*, programme_id, province_id, year, exclude_application_id=None) -> int:
    from applications.choices import COMMITTED_STATES
    from applications.models import Application

    qs = Application.objects.filter(programme_id=programme_id, province_id=province_id, year=year,
                                    status__in=COMMITTED_STATES)
    if exclude_application_id:
        qs = qs.exclude(pk=exclude_application_id)
    return qs.aggregate(total=Sum("approved_amount"))["total"] or 0


def budget_position(*, programme_id, province_id, year, lock: bool = False) -> BudgetPosition:
    """Allocated, committed and remaining for programme × province × year. With
    ``lock`` the allocation row is locked (SELECT … FOR UPDATE) for the transaction,
    so concurrent approvals are serialised and never over-commit."""
    qs = BudgetAllocation.objects.filter(programme_id=programme_id, province_id=province_id, year=year)
    if lock:
        qs = qs.select_for_update()
    allocation = qs.first()
    committed = committed_amount(programme_id=programme_id, province_id=province_id, year=year)
    return BudgetPosition(allocation=allocation, allocated=allocation.amount if allocation else 0, committed=committed)
