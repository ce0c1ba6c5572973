"""API viewsets of the programmes resources (read-only, scoped). Budget allocations carry
the ledger's numbers: their viewset is ``applications.api.viewsets.budget``."""

from django.db.models import Prefetch

from khuyencong.api import ScopedReadOnlyViewSet
from programs.filters import (
    ActivityTypeFilterSet,
    CallFilterSet,
    ProgrammeFilterSet,
    SupportRuleFilterSet,
)
from programs.models import ActivityType, AppraisalCriterion, Call, Programme, SupportRule

from .serializers import (
    ActivityTypeSerializer,
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
