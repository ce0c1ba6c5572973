"""The ``reports`` API: list, request, read and download report runs (scoped)."""

from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from khuyencong.api import ScopedReadOnlyViewSet
from reports import services
from reports.choices import ReportFormat
from reports.documents.api import IssueSerializer, OfficialDocumentSerializer
from reports.documents.issue import report_issue
from reports.filters import ReportRunFilterSet
from reports.models import ReportFile, ReportRun
from reports.views import report_file_response

from .serializers import ReportRunCreateSerializer, ReportRunSerializer

ACCEPTED = OpenApiResponse(ReportRunSerializer, description="Đã nhận, đang chạy nền; Location là địa chỉ để theo "
                                                           "dõi / accepted, runs in the background; poll Location")
LOCATION = OpenApiParameter("Location", str, OpenApiParameter.HEADER, response=[202],
                            description="Địa chỉ của lượt báo cáo / the run's URL")
DOWNLOAD_NAME = OpenApiParameter(
    "Content-Disposition", str, OpenApiParameter.HEADER, response=[200],
    description='attachment; filename="<tên tệp>" / the file name')


class QueueUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "queue_unavailable"


class ReportRunViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Report runs. POST requests one: it runs in the background, so the answer is 202
    with ``Location`` naming the run to poll (``status``, ``progress``);
    ``/reports/{id}/download/{pdf|xlsx|csv}/`` fetches a file."""

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

    def _accepted(self, run):
        """202 Accepted: the run is queued or under way; ``Location`` is where to poll it."""
        url = reverse("report-run-detail", kwargs={"pk": run.pk})
        request_url = self.request.build_absolute_uri(url)
        return Response(ReportRunSerializer(run, context=self.get_serializer_context()).data,
                        status=status.HTTP_202_ACCEPTED, headers={"Location": request_url})

    @extend_schema(request=ReportRunCreateSerializer, responses={202: ACCEPTED}, parameters=[LOCATION],
                   operation_id="reports_request")
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
        # The same report already under way answers with that run, not a second one.
        return self._accepted(self.get_queryset().get(pk=run.pk))

    @extend_schema(request=None, responses={202: ACCEPTED}, parameters=[LOCATION], operation_id="reports_retry")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def retry(self, request, pk=None):
        run = self.get_object()
        try:
            services.report_run_retry(user=request.user, run_id=run.pk)
        except services.ReportQueueUnavailable as exc:
            raise QueueUnavailable(exc.message) from exc
        return self._accepted(self.get_queryset().get(pk=run.pk))

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

    @extend_schema(parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=ReportFormat.values),
                               DOWNLOAD_NAME],
                   responses={(200, "application/octet-stream"): OpenApiResponse(
                       OpenApiTypes.BINARY, description="Tệp báo cáo (PDF, XLSX hoặc CSV); tên tệp ở "
                                                        "Content-Disposition / the report file")},
                   operation_id="reports_download")
    @action(detail=True, methods=["get"], url_path=r"download/(?P<fmt>pdf|xlsx|csv)", url_name="download",
            filter_backends=[], pagination_class=None)
    def download(self, request, pk=None, fmt=None):
        return report_file_response(request.user, pk, fmt)
