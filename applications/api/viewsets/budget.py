"""API viewset of budget allocations, with the ledger's committed and remaining amounts and
the ledger itself (``/budget-allocations/ledger/``). Allocating, raising, lowering
(``POST``/``PATCH``) and moving money between programmes (``/{id}/move/``) go through
``applications.services.budget``; each change is an entry (``/{id}/entries/``)."""

from django.db.models import F
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from applications import services
from applications.ledger import LEDGER_MONEY, allocation_committed_subquery, ledger
from khuyencong.api import ScopedModelViewSet
from programs.api.serializers import (
    AllocationEntrySerializer,
    AllocationMoveSerializer,
    AllocationWriteSerializer,
    BudgetAllocationSerializer,
)
from programs.choices import FundSource
from programs.filters import BudgetAllocationFilterSet
from programs.models import BudgetAllocation

from ..serializers import LedgerSerializer


class BudgetAllocationViewSet(ScopedModelViewSet):
    """Allocations with ``committed`` and ``remaining`` computed in the database. The Agency
    allocates national funds per programme × province × year, a province its local funds;
    a change needs a reason and never goes below what is committed (409 naming it)."""

    queryset = (BudgetAllocation.objects.annotate(committed=allocation_committed_subquery())
                .annotate(remaining=F("amount") - F("committed"))
                .order_by("-year", "programme_id", "province_id"))
    serializer_class = BudgetAllocationSerializer
    filterset_class = BudgetAllocationFilterSet

    def _respond(self, allocation, status=200):
        self.ensure_still_visible(allocation)
        return Response(BudgetAllocationSerializer(self.get_queryset().get(pk=allocation.pk)).data, status=status)

    @extend_schema(request=AllocationWriteSerializer, responses={201: BudgetAllocationSerializer})
    def create(self, request, *args, **kwargs):
        """Allocate (or change) programme × province × year: ``programme`` (id), ``province``
        (code), ``year``, ``amount``, ``reason`` (required for a change), ``decision_number``."""
        data = AllocationWriteSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        allocation = services.budget_allocation_set(user=request.user, **data.validated_data)
        return self._respond(allocation, status=201)

    @extend_schema(request=AllocationWriteSerializer, responses={200: BudgetAllocationSerializer})
    def update(self, request, *args, **kwargs):
        """Raise or lower the allocation (``amount``, ``reason``, optional ``decision_number``)."""
        allocation = self.get_object()
        data = AllocationWriteSerializer(data=request.data, context={"request": request, "allocation": allocation},
                                         partial=True)
        data.is_valid(raise_exception=True)
        fields = {"decision_number": allocation.decision_number, "note": allocation.note, **data.validated_data}
        fields.update(programme=allocation.programme, province=allocation.province, year=allocation.year)
        fields.setdefault("amount", allocation.amount)
        return self._respond(services.budget_allocation_set(user=request.user, **fields))

    @extend_schema(request=AllocationMoveSerializer, responses={200: BudgetAllocationSerializer(many=True)})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def move(self, request, pk=None):
        """Move ``amount`` to ``target_programme`` (same province, year and fund source) with a
        ``reason``; answers both allocations."""
        allocation = self.get_object()
        data = AllocationMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        source, destination = services.budget_allocation_move(
            user=request.user, allocation_id=allocation.pk, target_programme_id=values.pop("target_programme"),
            **values)
        rows = self.get_queryset().filter(pk__in=[source.pk, destination.pk]).order_by("pk")
        return Response(BudgetAllocationSerializer(rows, many=True).data)

    @extend_schema(responses={200: AllocationEntrySerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def entries(self, request, pk=None):
        """The allocation's ledger of changes, oldest first."""
        allocation = self.get_object()
        entries = allocation.entries.select_related("actor", "counterpart__programme").order_by("created_at", "pk")
        return Response(AllocationEntrySerializer(entries, many=True).data)

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
