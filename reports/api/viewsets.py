"""The ``reports`` API: list, request, read and download report runs (scoped)."""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from khuyencong.api import ScopedReadOnlyViewSet
from reports import services
from reports.documents.api import IssueSerializer, OfficialDocumentSerializer
from reports.documents.issue import report_issue
from reports.filters import ReportRunFilterSet
from reports.models import ReportFile, ReportRun
from reports.views import report_file_response

from .serializers import ReportRunCreateSerializer, ReportRunSerializer


class QueueUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "queue_unavailable"


class ReportRunViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Report runs. POST requests one (it runs in the background: poll ``status`` and
    ``progress``); ``/reports/{id}/download/{pdf|xlsx|csv}/`` fetches a file."""

    queryset = (ReportRun.objects.select_related("region", "requested_by")
                .prefetch_related(Prefetch("files", queryset=ReportFile.objects.order_by("format")))
                .order_by("-created_at", "-pk"))
    serializer_class = ReportRunSerializer
    filterset_class = ReportRunFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        if self.action == "create":
            return ReportRunCreateSerializer
        return ReportRunSerializer

    @extend_schema(request=ReportRunCreateSerializer, responses={201: ReportRunSerializer, 200: ReportRunSerializer})
    def create(self, request, *args, **kwargs):
        body = ReportRunCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            run = services.report_run_request(
                user=request.user, kind=data["kind"], scope=data["scope"], year=data["year"],
                quarter=data.get("quarter"), region=data.get("region"), province=data.get("province"),
                formats=data.get("formats"))
        except services.ReportQueueUnavailable as exc:
            raise QueueUnavailable(exc.message) from exc
        except services.ReportRateLimited as exc:
            raise exceptions.Throttled(wait=exc.wait_seconds, detail=exc.message) from exc
        reused = run.reused
        run = self.get_queryset().get(pk=run.pk)
        # The same report already under way: its run, not a second one (200, not 201).
        return Response(ReportRunSerializer(run, context=self.get_serializer_context()).data,
                        status=status.HTTP_200_OK if reused else status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ReportRunSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def retry(self, request, pk=None):
        run = self.get_object()
        try:
            services.report_run_retry(user=request.user, run_id=run.pk)
        except services.ReportQueueUnavailable as exc:
            raise QueueUnavailable(exc.message) from exc
        return Response(ReportRunSerializer(self.get_queryset().get(pk=run.pk),
                                            context=self.get_serializer_context()).data)

    @extend_schema(request=IssueSerializer, responses={201: OfficialDocumentSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def issue(self, request, pk=None):
        """Issue the run's report: the next number of the issuer's register, today's date,
        the chosen ``signer`` (``number`` when the register records the clerical office's
        numbers; ``replaces`` the id of the issued document it corrects)."""
        run = self.get_object()
        body = IssueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        doc = report_issue(user=request.user, run_id=run.pk, signer_id=body.validated_data.get("signer"),
                           number=body.validated_data.get("number"),
                           replaces_id=body.validated_data.get("replaces"))
        return Response(OfficialDocumentSerializer(doc, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"download/(?P<fmt>pdf|xlsx|csv)", url_name="download",
            filter_backends=[], pagination_class=None)
    def download(self, request, pk=None, fmt=None):
        return report_file_response(request.user, pk, fmt)
