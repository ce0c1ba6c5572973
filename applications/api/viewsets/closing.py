"""API viewsets of the steps that record something first (start of implementation,
completion) and of the single records of a scheme (acceptance, settlement)."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.response import Response

from applications import services
from applications.models import Acceptance, Settlement
from khuyencong.parsers import UPLOAD_PARSERS, SafeJSONParser

from ..serializers import (
    AcceptanceInputSerializer,
    AcceptanceSerializer,
    ApplicationSerializer,
    CompletionSerializer,
    ImplementationStartSerializer,
    SettlementInputSerializer,
    SettlementSerializer,
)
from .dossier import ApplicationViewSet
from .implementation import ApplicationRecordViewSet


class SingleRecordViewSet(ApplicationRecordViewSet):
    """One record per application: GET it (404 while there is none), POST records it."""

    related_name = ""

    def retrieve(self, request, application_pk=None):
        instance = self.get_queryset().first()
        if instance is None:
            raise exceptions.NotFound()
        return Response(self.serializer_class(instance, context=self.get_serializer_context()).data)


class AcceptanceViewSet(SingleRecordViewSet):
    """The acceptance (nghiệm thu) of a completed scheme: passed (or passed with
    conditions) moves it to ``accepted``; a failure is recorded and it stays completed.
    Multipart with ``minutes_file`` (JSON is still read when the minutes are already
    attached, for older clients; the schema offers one body type, multipart)."""

    parser_classes = [SafeJSONParser, *UPLOAD_PARSERS]
    queryset = Acceptance.objects.all()
    serializer_class = AcceptanceSerializer
    input_serializer_class = AcceptanceInputSerializer

    @extend_schema(responses={200: AcceptanceSerializer})
    def retrieve(self, request, application_pk=None):
        return super().retrieve(request, application_pk)

    @extend_schema(request={"multipart/form-data": AcceptanceInputSerializer},
                   responses={201: AcceptanceSerializer}, operation_id="applications_acceptance_record")
    def create(self, request, application_pk=None):
        acceptance = services.acceptance_record(user=request.user, application_id=self.application.pk,
                                                **self._input(request))
        return self._created(acceptance)


class SettlementViewSet(SingleRecordViewSet):
    """The settlement (quyết toán) of an accepted scheme, with the final payment if any;
    moves it to ``settled``."""

    queryset = Settlement.objects.select_related("final_payment__application").prefetch_related(
        "final_payment__documents")
    serializer_class = SettlementSerializer
    input_serializer_class = SettlementInputSerializer

    @extend_schema(responses={200: SettlementSerializer})
    def retrieve(self, request, application_pk=None):
        return super().retrieve(request, application_pk)

    @extend_schema(request=SettlementInputSerializer, responses={201: SettlementSerializer})
    def create(self, request, application_pk=None):
        data = self._input(request)
        data["final_payment_amount"] = data["final_payment_amount"] or 0
        services.application_settle(user=request.user, application_id=self.application.pk, **data)
        return self._created(Settlement.objects.get(application=self.application))


class ApplicationStepViewSet(ApplicationRecordViewSet):
    """Steps of the workflow that record something first: ``start-implementation/``
    (contracts) and ``completion/`` (the completion report, multipart). They answer the
    application."""

    serializer_class = ApplicationSerializer

    def _represent(self):
        instance = ApplicationViewSet.queryset.get(pk=self.application.pk)
        return Response(ApplicationSerializer(instance, context=self.get_serializer_context()).data)

    @extend_schema(request=ImplementationStartSerializer, responses={200: ApplicationSerializer})
    @action(detail=False, methods=["post"], url_path="start-implementation", url_name="start-implementation")
    def start_implementation(self, request, application_pk=None):
        """Record the contract(s) and move the approved application to ``in_progress``."""
        serializer = ImplementationStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contracts = [dict(c) for c in serializer.validated_data["contracts"]]
        services.implementation_start(user=request.user, application_id=self.application.pk, contracts=contracts)
        return self._represent()

    @extend_schema(request={"multipart/form-data": CompletionSerializer}, responses={200: ApplicationSerializer})
    @action(detail=False, methods=["post"], url_path="completion", url_name="completion",
            parser_classes=[SafeJSONParser, *UPLOAD_PARSERS])
    def completion(self, request, application_pk=None):
        """Upload the implementer's completion report (``report_file``) and ``complete``."""
        serializer = CompletionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.application_complete(user=request.user, application_id=self.application.pk,
                                      **serializer.validated_data)
        return self._represent()
