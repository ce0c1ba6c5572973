"""API viewsets of the records of one application after the decision (contracts,
disbursements, progress reports, inspections, change requests), and the cross-application
list of disbursements."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from applications import services
from applications.filters import DisbursementFilterSet
from applications.models import (
    Application,
    ChangeRequest,
    Contract,
    Disbursement,
    Inspection,
    ProgressReport,
)
from khuyencong.api import ScopedReadOnlyViewSet
from khuyencong.filters import PortalOrderingFilter, UpdatedSinceFilter

from ..serializers import (
    ChangeDecisionSerializer,
    ChangeRequestInputSerializer,
    ChangeRequestSerializer,
    ContractInputSerializer,
    ContractSerializer,
    DisbursementInputSerializer,
    DisbursementSerializer,
    InspectionInputSerializer,
    InspectionSerializer,
    ProgressReportInputSerializer,
    ProgressReportSerializer,
)

# --- Records of one application ------------------------------------------
#
# ``/applications/{application_pk}/<records>/``: the application is looked up in the caller's
# scope before anything else (another province's application is a 404 whatever the method),
# the list is that application's records, and POST hands the input to the service.


class ApplicationRecordViewSet(viewsets.GenericViewSet):
    """Base of the per-application record endpoints."""

    filter_backends = []
    input_serializer_class = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.application = self._application(kwargs.get("application_pk"))

    def _application(self, pk) -> Application:
        try:
            return Application.objects.visible_to(self.request.user).get(pk=pk)
        except (Application.DoesNotExist, ValueError, TypeError):
            raise exceptions.NotFound() from None

    def get_queryset(self):
        return super().get_queryset().filter(application=self.application)

    def get_serializer_class(self):
        if self.action == "create" and self.input_serializer_class is not None:
            return self.input_serializer_class
        return super().get_serializer_class()

    def _input(self, request):
        serializer = self.input_serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _created(self, instance):
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(self.serializer_class(instance, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


class ApplicationRecordListViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApplicationRecordViewSet):
    """List (paginated, with ``ordering`` and ``updated_since``), retrieve and create the
    records of one application."""

    filter_backends = [PortalOrderingFilter, UpdatedSinceFilter]

    # The service that records one: called as service(user=, application_id=, **validated input).
    service = None

    def create(self, request, application_pk=None):
        data = self._input(request)
        return self._created(self.service(user=request.user, application_id=self.application.pk, **data))


class ContractViewSet(ApplicationRecordListViewSet):
    """Contracts of an approved or ongoing scheme (implementing organisation × one beneficiary)."""

    queryset = Contract.objects.select_related("beneficiary").prefetch_related("documents").order_by("signed_on", "pk")
    serializer_class = ContractSerializer
    input_serializer_class = ContractInputSerializer
    service = staticmethod(services.contract_add)

    @extend_schema(request=ContractInputSerializer, responses={201: ContractSerializer})
    def create(self, request, application_pk=None):
        return super().create(request, application_pk)



class ApplicationDisbursementViewSet(ApplicationRecordListViewSet):
    """Advances (tạm ứng) and payments of one scheme; the final payment is made at settlement."""

    queryset = (Disbursement.objects.select_related("application").prefetch_related("documents")
                .order_by("paid_on", "pk"))
    serializer_class = DisbursementSerializer
    input_serializer_class = DisbursementInputSerializer
    service = staticmethod(services.disbursement_add)

    @extend_schema(request=DisbursementInputSerializer, responses={201: DisbursementSerializer})
    def create(self, request, application_pk=None):
        return super().create(request, application_pk)



class ProgressReportViewSet(ApplicationRecordListViewSet):
    """Progress reports of an ongoing or suspended scheme."""

    queryset = ProgressReport.objects.prefetch_related("documents").order_by("period_end", "pk")
    serializer_class = ProgressReportSerializer
    input_serializer_class = ProgressReportInputSerializer
    service = staticmethod(services.progress_report_add)

    @extend_schema(request=ProgressReportInputSerializer, responses={201: ProgressReportSerializer})
    def create(self, request, application_pk=None):
        return super().create(request, application_pk)



class InspectionViewSet(ApplicationRecordListViewSet):
    """Field inspections of an ongoing, suspended or completed scheme."""

    queryset = Inspection.objects.prefetch_related("documents").order_by("inspected_on", "pk")
    serializer_class = InspectionSerializer
    input_serializer_class = InspectionInputSerializer
    service = staticmethod(services.inspection_add)

    @extend_schema(request=InspectionInputSerializer, responses={201: InspectionSerializer})
    def create(self, request, application_pk=None):
        return super().create(request, application_pk)



class ChangeRequestViewSet(ApplicationRecordListViewSet):
    """Requests to adjust the schedule, cost lines or amount; ``decision/`` approves or refuses."""

    queryset = ChangeRequest.objects.order_by("-created_at", "-pk")
    serializer_class = ChangeRequestSerializer
    input_serializer_class = ChangeRequestInputSerializer
    service = staticmethod(services.change_request_create)

    @extend_schema(request=ChangeRequestInputSerializer, responses={201: ChangeRequestSerializer})
    def create(self, request, application_pk=None):
        return super().create(request, application_pk)


    @extend_schema(request=ChangeDecisionSerializer, responses={200: ChangeRequestSerializer})
    @action(detail=True, methods=["post"])
    def decision(self, request, application_pk=None, pk=None):
        """Approve (and apply) or refuse: the province approver for local funds, the Agency
        approver for national funds. A refusal needs a ``note``."""
        change = self.get_object()
        serializer = ChangeDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = services.change_request_decide(user=request.user, change_request_id=change.pk,
                                                **serializer.validated_data)
        return Response(ChangeRequestSerializer(change, context=self.get_serializer_context()).data)


class DisbursementViewSet(ScopedReadOnlyViewSet):
    """Every advance and payment the caller may see, across applications, with filters
    (province, programme, year, fund source, kind, application, paid from/to)."""

    queryset = (Disbursement.objects.select_related("application").prefetch_related("documents")
                .order_by("-paid_on", "-pk"))
    serializer_class = DisbursementSerializer
    filterset_class = DisbursementFilterSet
