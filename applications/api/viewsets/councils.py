"""API viewset of appraisal councils: set up for a call and recomposed through the
appraisal services, with the history of who served when."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from applications import services
from applications.filters import CouncilFilterSet
from applications.models import AppraisalCouncil, CouncilMember, CouncilSeat
from khuyencong.api import ScopedModelViewSet

from ..serializers.councils import CouncilInputSerializer, CouncilSerializer, RecomposeInputSerializer


class CouncilViewSet(ScopedModelViewSet):
    """Councils: provincial ones of the caller's province, the Agency's national ones.
    ``POST`` sets one up for a call (a chair is required; members must be the province's
    council members, or the Agency's staff); ``POST /{id}/recompose/`` changes who sits,
    with a reason. Nothing is edited otherwise."""

    http_method_names = ["get", "post", "head", "options"]
    queryset = AppraisalCouncil.objects.prefetch_related(
        Prefetch("members", queryset=CouncilMember.objects.select_related("user").order_by("role", "pk")),
        Prefetch("seats", queryset=CouncilSeat.objects.select_related("user").order_by("served_from", "pk")),
    ).order_by("-created_at", "pk")
    serializer_class = CouncilSerializer
    filterset_class = CouncilFilterSet

    def _respond(self, council, status=200):
        self.ensure_still_visible(council)
        return Response(CouncilSerializer(self.get_queryset().get(pk=council.pk)).data, status=status)

    @extend_schema(request=CouncilInputSerializer, responses={201: CouncilSerializer})
    def create(self, request, *args, **kwargs):
        data = CouncilInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        council = services.council_create(user=request.user, name=values["name"], level=values["level"],
                                          call=values["call"], members=data.members_list(),
                                          decision_number=values["decision_number"])
        return self._respond(council, status=201)

    @extend_schema(request=RecomposeInputSerializer, responses={200: CouncilSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def recompose(self, request, pk=None):
        council = self.get_object()
        data = RecomposeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        council = services.council_recompose(user=request.user, council_id=council.pk, reason=values["reason"],
                                             members=[(m["user"], m["role"]) for m in values["members"]],
                                             decision_number=values["decision_number"])
        return self._respond(council)
