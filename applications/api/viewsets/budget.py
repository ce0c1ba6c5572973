"""API viewset of budget allocations, with the ledger's committed and remaining amounts and
the ledger itself (``/budget-allocations/ledger/``)."""

from django.db.models import F
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from applications.ledger import LEDGER_MONEY, allocation_committed_subquery, ledger
from khuyencong.api import ScopedReadOnlyViewSet
from programs.api.serializers import BudgetAllocationSerializer
from programs.choices import FundSource
from programs.filters import BudgetAllocationFilterSet
from programs.models import BudgetAllocation

from ..serializers import LedgerSerializer


class BudgetAllocationViewSet(ScopedReadOnlyViewSet):
    """Allocations with ``committed`` and ``remaining`` computed in the database."""

    queryset = (BudgetAllocation.objects.annotate(committed=allocation_committed_subquery())
                .annotate(remaining=F("amount") - F("committed"))
                .order_by("-year", "programme_id", "province_id"))
    serializer_class = BudgetAllocationSerializer
    filterset_class = BudgetAllocationFilterSet

    @extend_schema(parameters=[OpenApiParameter("year", int), OpenApiParameter("province", int),
                               OpenApiParameter("programme", int),
                               OpenApiParameter("fund_source", str, enum=FundSource.values)],
                   responses={200: LedgerSerializer}, operation_id="budget_allocations_ledger")
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
        return Response(LedgerSerializer(data).data)


class LedgerQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    province = serializers.IntegerField(required=False, min_value=1)
    programme = serializers.IntegerField(required=False, min_value=1)
    fund_source = serializers.ChoiceField(choices=FundSource.choices, required=False)
