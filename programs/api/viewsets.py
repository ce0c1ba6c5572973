"""API viewsets of the programmes resources (read-only, scoped)."""

from django.db.models import F, Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from khuyencong.api import ScopedReadOnlyViewSet
from programs.choices import FundSource
from programs.filters import (
    ActivityTypeFilterSet,
    BudgetAllocationFilterSet,
    CallFilterSet,
    ProgrammeFilterSet,
    SupportRuleFilterSet,
)
from programs.models import ActivityType, AppraisalCriterion, BudgetAllocation, Call, Programme, SupportRule
from programs.selectors import LEDGER_MONEY, allocation_committed_subquery, ledger

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

    @extend_schema(parameters=[OpenApiParameter("year", int), OpenApiParameter("province", int),
                               OpenApiParameter("programme", int),
                               OpenApiParameter("fund_source", str, enum=FundSource.values)],
                   responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def ledger(self, request):
        """The budget ledger per programme × province × year — allocated, approved,
        committed, disbursed, settled, released, remaining = allocated − committed —
        derived from the records, with the totals of what the caller sees (a province:
        its own; the Agency: every province, i.e. national totals)."""
        query = LedgerQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        data = ledger(user=request.user, year=params.get("year"), province=params.get("province"),
                      programme=params.get("programme"))
        if params.get("fund_source"):
            data["rows"] = [row for row in data["rows"] if row["fund_source"] == params["fund_source"]]
            data["totals"] = {name: sum(row[name] for row in data["rows"]) for name in LEDGER_MONEY}
        return Response(data)


class LedgerQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    province = serializers.IntegerField(required=False, min_value=1)
    programme = serializers.IntegerField(required=False, min_value=1)
    fund_source = serializers.ChoiceField(choices=FundSource.choices, required=False)
