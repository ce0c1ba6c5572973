"""API viewsets of the programmes resources (read-only, scoped). Budget allocations carry
the ledger's numbers: their viewset is ``applications.api.viewsets.budget``."""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from khuyencong.api import ScopedModelViewSet, ScopedReadOnlyViewSet
from programs.choices import FundSource
from programs.filters import (
    ActivityTypeFilterSet,
    CallFilterSet,
    ProgrammeFilterSet,
    SupportRuleFilterSet,
)
from programs.models import ActivityType, AppraisalCriterion, Call, Programme, SupportRule
from programs.selectors import support_rule_for
from programs.services import call_copy, call_create, call_update, support_rule_create

from .serializers import (
    ActivityTypeSerializer,
    ApplicableCapSerializer,
    ApplicableQuerySerializer,
    CallSerializer,
    CallWriteSerializer,
    ProgrammeSerializer,
    SupportRuleSerializer,
    SupportRuleWriteSerializer,
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
    """Caps, every version. ``POST`` adds a version from a date (a province approver for
    their province, the Agency for national caps); the version in force before it ends the
    day before, overlaps are refused, and no version is ever edited in place."""

    http_method_names = ["get", "post", "head", "options"]

    queryset = SupportRule.objects.order_by("activity_type__position", "activity_type_id", "fund_source",
                                            "province_id", "-valid_from", "pk")
    serializer_class = SupportRuleSerializer
    filterset_class = SupportRuleFilterSet

    @extend_schema(request=SupportRuleWriteSerializer, responses={201: SupportRuleSerializer})
    def create(self, request, *args, **kwargs):
        data = SupportRuleWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = support_rule_create(user=request.user, **data.validated_data)
        self.ensure_still_visible(rule)
        return Response(SupportRuleSerializer(rule).data, status=201)

    @extend_schema(parameters=[OpenApiParameter("province", int, required=True),
                               OpenApiParameter("fund_source", str, enum=FundSource.values, required=True),
                               OpenApiParameter("activity_type", str, required=True),
                               OpenApiParameter("total_cost", int), OpenApiParameter("establishments", int),
                               OpenApiParameter("on", str, description="ISO date, default today")],
                   responses={200: ApplicableCapSerializer})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def applicable(self, request):
        """The cap that applies to a scheme before it is drafted: the rule in force on ``on``
        for the province, fund source and activity type (the province's own rule wins over
        the national one) and the largest support it allows for ``total_cost`` and
        ``establishments`` beneficiaries. Another province is a 404."""
        query = ApplicableQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        scope = self.scope
        if not scope.national and params["province"] not in (set(scope.province_ids)
                                                             | set(scope.commune_province_ids)):
            raise NotFound(_("Đối tượng nằm ngoài phạm vi của bạn."))
        rule = support_rule_for(province_id=params["province"], fund_source=params["fund_source"],
                                activity_type_id=params["activity_type"], on=params.get("on") or timezone.localdate())
        cap = rule.cap_for(params["total_cost"], params["establishments"]) if rule is not None else None
        return Response({"rule": SupportRuleSerializer(rule).data if rule is not None else None, "cap": cap})


class CallViewSet(ScopedModelViewSet):
    """Calls with their criteria. Set up and changed through ``programs.services`` (a province
    approver for local programmes, the Agency for national ones); once a dossier has been
    submitted, criteria, weights, pass mark, activity types and documents are frozen (409):
    ``POST /calls/{id}/copy/`` makes a new call to change instead."""

    queryset = Call.objects.prefetch_related(
        "activity_types",
        Prefetch("criteria", queryset=AppraisalCriterion.objects.order_by("position", "pk")),
    ).order_by("-year", "-opens_on", "pk")
    serializer_class = CallSerializer
    filterset_class = CallFilterSet


    def _respond(self, call, status=200):
        self.ensure_still_visible(call)
        return Response(CallSerializer(self.get_queryset().get(pk=call.pk)).data, status=status)

    @extend_schema(request=CallWriteSerializer, responses={201: CallSerializer})
    def create(self, request, *args, **kwargs):
        data = CallWriteSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        return self._respond(call_create(user=request.user, **data.service_kwargs()), status=201)

    @extend_schema(request=CallWriteSerializer, responses={200: CallSerializer})
    def update(self, request, *args, **kwargs):
        call = self.get_object()
        data = CallWriteSerializer(call, data=request.data, context={"request": request}, partial=True)
        data.is_valid(raise_exception=True)
        return self._respond(call_update(user=request.user, call_id=call.pk, **data.service_kwargs()))

    @extend_schema(request=None, responses={201: CallSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def copy(self, request, pk=None):
        """A new call with this call's rules, to change them without touching the dossiers
        judged under this one."""
        return self._respond(call_copy(user=request.user, call_id=self.get_object().pk), status=201)
