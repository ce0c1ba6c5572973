"""API viewsets of the programmes resources (read-only, scoped)."""

from django.db.models import F, Prefetch

from khuyencong.api import ScopedReadOnlyViewSet
from programs.filters import (
    ActivityTypeFilterSet,
    BudgetAllocationFilterSet,
    CallFilterSet,
    ProgrammeFilterSet,
    SupportRuleFilterSet,
)
from programs.models import ActivityType, AppraisalCriterion, BudgetAllocation, Call, Programme, SupportRule
from programs.selectors import allocation_committed_subquery

from .serializers import (
    ActivityTypeSerializer,
    BudgetAllocationSerializer,
    CallSerializer,
    ProgrammeSerializer,
    SupportRuleSerializer,
)


class ActivityTypeViewSet(ScopedReadOnlyViewSet):
    """The reference table of activity types, looked up by code (``/activity-types/MMTB/``)."""

    queryset = ActivityType.objects.all()
    serializer_class = ActivityTypeSerializer
    filterset_class = ActivityTypeFilterSet
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9_]+"


class ProgrammeViewSet(ScopedReadOnlyViewSet):
    queryset = Programme.objects.order_by("-start_year", "sort_key", "pk")
    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilterSet


class SupportRuleViewSet(ScopedReadOnlyViewSet):
    queryset = SupportRule.objects.order_by("activity_type__position", "activity_type_id", "fund_source",
                                            "province_id", "-valid_from", "pk")
    serializer_class = SupportRuleSerializer
    filterset_class = SupportRuleFilterSet


class CallViewSet(ScopedReadOnlyViewSet):
    queryset = Call.objects.prefetch_related(
        "activity_types",
        Prefetch("criteria", queryset=AppraisalCriterion.objects.order_by("position", "pk")),
    ).order_by("-year", "-opens_on", "pk")
    serializer_class = CallSerializer
    filterset_class = CallFilterSet


def committed_subquery():
    """The committed amount of the allocation's programme × province × year, as a
    correlated subquery (the ledger's rule, selectors.allocation_committed_subquery)."""
    return allocation_committed_subquery()


class BudgetAllocationViewSet(ScopedReadOnlyViewSet):
    """Allocations with ``committed`` and ``remaining`` computed in the database."""

    queryset = (BudgetAllocation.objects.annotate(committed=committed_subquery())
                .annotate(remaining=F("amount") - F("committed"))
                .order_by("-year", "programme_id", "province_id"))
    serializer_class = BudgetAllocationSerializer
    filterset_class = BudgetAllocationFilterSet
