"""API viewsets of establishments and applications. Thin: input is shaped by the
serializers, every write goes through ``applications.services``, every read is scoped."""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from applications import selectors, services
from applications.choices import CouncilLevel
from applications.filters import ApplicationFilterSet, DisbursementFilterSet, EstablishmentFilterSet
from applications.models import (
    Acceptance,
    Application,
    ApplicationEvent,
    Attachment,
    ChangeRequest,
    ConflictDeclaration,
    Contract,
    CostLine,
    Disbursement,
    Establishment,
    Inspection,
    ProgressReport,
    Settlement,
)
from khuyencong.api import ScopedModelViewSet, ScopedReadOnlyViewSet
from khuyencong.errors import DomainConflict
from khuyencong.scoping import scope_for
from provinces.choices import Role
from provinces.models import Province

from .serializers import (
    AcceptanceInputSerializer,
    AcceptanceSerializer,
    ApplicationEventSerializer,
    ApplicationSerializer,
    ApplicationWriteSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    ChangeDecisionSerializer,
    ChangeRequestInputSerializer,
    ChangeRequestSerializer,
    CompletionSerializer,
    ConflictDeclarationSerializer,
    ContractInputSerializer,
    ContractSerializer,
    DisbursementInputSerializer,
    DisbursementSerializer,
    DuplicateSerializer,
    EstablishmentSerializer,
    ImplementationStartSerializer,
    InspectionInputSerializer,
    InspectionSerializer,
    ProgressReportInputSerializer,
    ProgressReportSerializer,
    ScoreSheetQuerySerializer,
    ScoresSerializer,
    SettlementInputSerializer,
    SettlementSerializer,
    TransitionSerializer,
)

# Sub-resources of one application: the list's filters and pagination do not apply
# (nor appear in the schema).
DETAIL_ACTION = {"filter_backends": [], "pagination_class": None}


class ServiceErrorsMixin:
    """Service exceptions → API statuses: an object the service cannot see is a 404,
    and a refusal keeps the service's reason (the shared handler would drop it)."""

    def handle_exception(self, exc):
        if isinstance(exc, ObjectDoesNotExist):
            exc = exceptions.NotFound()
        elif isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied(str(exc) or None)
        elif isinstance(exc, DomainConflict) and not exc.reasons:
            # Clients read ``errors.reasons`` on every 409; a single-cause conflict lists its message.
            exc = DomainConflict(exc.message, [exc.message])
        return super().handle_exception(exc)


class EstablishmentViewSet(ServiceErrorsMixin, ScopedModelViewSet):
    """Rural industrial establishments. Created and edited through the services
    (tax-code format and national uniqueness, commune inside the province)."""

    queryset = Establishment.objects.select_related("province", "commune")
    serializer_class = EstablishmentSerializer
    filterset_class = EstablishmentFilterSet

    def perform_create(self, serializer):
        serializer.instance = services.establishment_create(user=self.request.user,
                                                            data=dict(serializer.validated_data))
        self.ensure_still_visible(serializer.instance)

    def perform_update(self, serializer):
        serializer.instance = services.establishment_update(user=self.request.user, establishment=serializer.instance,
                                                            data=dict(serializer.validated_data))
        self.ensure_still_visible(serializer.instance)


class ApplicationViewSet(ServiceErrorsMixin, ScopedModelViewSet):
    """Applications (đề án). POST creates a draft; PUT/PATCH edit a draft or a returned
    dossier (``version`` guards against lost updates: a stale one is a 409). The
    workflow moves through ``POST /applications/{id}/transitions/``."""

    # (province, year, sequence) is unique: a stable order for paging.
    queryset = (Application.objects
                .prefetch_related(Prefetch("cost_lines", queryset=CostLine.objects.order_by("position", "pk")),
                                  Prefetch("establishments", queryset=Establishment.objects.only("pk")))
                .order_by("-year", "-sequence", "province_id"))
    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilterSet
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def perform_content_negotiation(self, request, force=False):
        # A download answers whatever the client accepts (a PDF reader sends
        # ``Accept: application/pdf``); errors on it fall back to JSON.
        return super().perform_content_negotiation(request, force=force or self.action == "attachment_download")

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return ApplicationWriteSerializer
        return super().get_serializer_class()

    # --- the duplicate counts of a whole page in two queries -----------------------

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            self._duplicate_counts = selectors.duplicate_counts(page)
        return page

    def get_serializer_context(self):
        context = super().get_serializer_context()
        counts = getattr(self, "_duplicate_counts", None)
        if counts is not None:
            context["duplicate_counts"] = counts
        return context

    def _represent(self, application_id, status_code=status.HTTP_200_OK):
        instance = self.get_queryset().get(pk=application_id)
        return Response(ApplicationSerializer(instance, context=self.get_serializer_context()).data,
                        status=status_code)

    # --- create and edit -------------------------------------------------------------

    @extend_schema(request=ApplicationWriteSerializer, responses={201: ApplicationSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ApplicationWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        args = serializer.service_arguments()
        province = args["province"]
        if province is None:
            # Not given: the beneficiaries' province, when they agree on one.
            codes = {e.province_id for e in args["establishments"]}
            if len(codes) != 1:
                raise exceptions.ValidationError({"province": [_("Chọn tỉnh/thành của đề án.")]})
            province = Province.objects.get(code=codes.pop())
        application = services.application_create(user=request.user, province=province, data=args["data"],
                                                   establishments=args["establishments"],
                                                   cost_lines=args["cost_lines"])
        self.ensure_still_visible(application)
        return self._represent(application.pk, status.HTTP_201_CREATED)

    @extend_schema(request=ApplicationWriteSerializer, responses={200: ApplicationSerializer})
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = ApplicationWriteSerializer(data=request.data, partial=partial,
                                                context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        args = serializer.service_arguments()
        if args["province"] is not None and args["province"].pk != instance.province_id:
            raise exceptions.ValidationError({"province": [_("Không đổi được tỉnh/thành của đề án.")]})
        application = services.application_update(
            user=request.user, application_id=instance.pk, data=args["data"],
            establishments=args.get("establishments"), cost_lines=args.get("cost_lines"),
            expected_version=args["expected_version"])
        self.ensure_still_visible(application)
        return self._represent(application.pk)

    @extend_schema(request=ApplicationWriteSerializer, responses={200: ApplicationSerializer})
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    # --- workflow --------------------------------------------------------------------

    @extend_schema(request=TransitionSerializer, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"], url_path="transitions", **DETAIL_ACTION)
    def transitions(self, request, pk=None):
        """Perform a workflow action: 400 bad input, 403 not this caller's step, 404 not
        visible, 409 wrong state, failed guard (``errors.reasons``) or stale version."""
        application = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            services.application_transition(
                user=request.user, application_id=application.pk, action=data["action"], reason=data["reason"],
                decision_number=data["decision_number"], decision_date=data["decision_date"],
                approved_amount=data["approved_amount"], expected_version=data["version"])
        except DomainConflict as exc:
            endpoint = DEDICATED_ENDPOINTS.get(data["action"])
            if endpoint is None or not exc.reasons:
                raise
            # The guard names the missing record; say where it is created (in the same call).
            url = reverse("application-detail", kwargs={"pk": application.pk}) + endpoint
            raise DomainConflict(exc.message, [*exc.reasons, _("Dùng POST %(u)s để ghi nhận và thực hiện bước này "
                                                               "trong cùng một lần gọi.") % {"u": url}]) from exc
        return self._represent(application.pk)

    @extend_schema(responses={200: ApplicationEventSerializer(many=True)})
    @action(detail=True, methods=["get"], **DETAIL_ACTION)
    def events(self, request, pk=None):
        """The timeline: every transition and edit, oldest first."""
        application = self.get_object()
        # The application is in scope (get_object); its events follow it. (The events'
        # own visible_to knows no commune path, so it would hide them from commune officers.)
        events = (ApplicationEvent.objects.filter(application=application)
                  .select_related("actor").order_by("created_at", "pk"))
        return Response(ApplicationEventSerializer(events, many=True).data)

    # --- attachments -------------------------------------------------------------------

    @extend_schema(methods=["get"], responses={200: AttachmentSerializer(many=True)})
    @extend_schema(methods=["post"], request={"multipart/form-data": AttachmentUploadSerializer},
                   responses={201: AttachmentSerializer})
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser], **DETAIL_ACTION)
    def attachments(self, request, pk=None):
        """The dossier's files (removed ones left out); POST uploads one (``kind`` +
        ``file``; its type is told by its content, not its name)."""
        application = self.get_object()
        context = self.get_serializer_context()
        if request.method == "POST":
            serializer = AttachmentUploadSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            attachment = services.attachment_add(
                user=request.user, application_id=application.pk, kind=serializer.validated_data["kind"],
                uploaded_file=serializer.validated_data["file"],
                description=serializer.validated_data["description"])
            return Response(AttachmentSerializer(attachment, context=context).data, status=status.HTTP_201_CREATED)
        self._require_dossier_open(application)
        files = (Attachment.objects.filter(application=application, removed_at__isnull=True)
                 .order_by("kind", "uploaded_at", "pk"))
        return Response(AttachmentSerializer(files, many=True, context=context).data)

    def _require_dossier_open(self, application):
        """A council member (with no other role) opens the files of an application under
        appraisal only after declaring no conflict of interest."""
        scope = scope_for(self.request.user)
        if scope.superuser or not scope.roles or scope.roles - {Role.COUNCIL_MEMBER}:
            return
        level = application.appraisal_level
        if level is None or selectors.council_seat(application, self.request.user, level) is None:
            return
        if not ConflictDeclaration.objects.filter(application=application, level=level, user=self.request.user,
                                                  has_conflict=False).exists():
            raise exceptions.PermissionDenied(_("Khai báo không có xung đột lợi ích trước khi xem hồ sơ."))

    def _attachment(self, application, attachment_id):
        # ``application`` comes from the scoped get_object(): its files are in scope too.
        attachment = Attachment.objects.filter(application=application, pk=attachment_id,
                                               removed_at__isnull=True).first()
        if attachment is None:
            raise exceptions.NotFound()
        return attachment

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)/download",
            url_name="attachment-download", **DETAIL_ACTION)
    def attachment_download(self, request, pk=None, attachment_id=None):
        """The file itself, as a download under its original name."""
        application = self.get_object()
        self._require_dossier_open(application)
        attachment = self._attachment(application, attachment_id)
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)

    @extend_schema(request=None, responses={200: AttachmentSerializer})
    @action(detail=True, methods=["post"], url_path=r"attachments/(?P<attachment_id>\d+)/remove",
            url_name="attachment-remove", **DETAIL_ACTION)
    def attachment_remove(self, request, pk=None, attachment_id=None):
        """Take a file out of the dossier (kept on record; only while editable)."""
        attachment = self._attachment(self.get_object(), attachment_id)
        attachment = services.attachment_remove(user=request.user, attachment_id=attachment.pk)
        return Response(AttachmentSerializer(attachment, context=self.get_serializer_context()).data)

    # --- review aids -----------------------------------------------------------------------

    @extend_schema(responses={200: DuplicateSerializer(many=True)})
    @action(detail=True, methods=["get"], **DETAIL_ACTION)
    def duplicates(self, request, pk=None):
        """Possible duplicated support anywhere in the country (same tax code and activity
        type in the last three years); only non-identifying facts are shown."""
        application = self.get_object()
        return Response(DuplicateSerializer(selectors.duplicates_for(application), many=True).data)

    @extend_schema(parameters=[OpenApiParameter("level", str, enum=CouncilLevel.values)],
                   responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], url_path="score-sheet", **DETAIL_ACTION)
    def score_sheet(self, request, pk=None):
        """The consolidated score sheet at the current appraisal level (or ``?level=``)."""
        application = self.get_object()
        query = ScoreSheetQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        level = query.validated_data.get("level") or application.appraisal_level or CouncilLevel.PROVINCIAL
        sheet = selectors.score_sheet(application, level)
        return Response(score_sheet_data(sheet, level))

    @extend_schema(request=ConflictDeclarationSerializer, responses={201: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], url_path="conflict-declaration", **DETAIL_ACTION)
    def conflict_declaration(self, request, pk=None):
        """A council member declares (once) whether they have a conflict of interest."""
        application = self.get_object()
        serializer = ConflictDeclarationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaration = services.conflict_declare(user=request.user, application_id=application.pk,
                                                **serializer.validated_data)
        return Response({"level": declaration.level, "has_conflict": declaration.has_conflict,
                         "note": declaration.note, "declared_at": declaration.declared_at},
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=ScoresSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], **DETAIL_ACTION)
    def scores(self, request, pk=None):
        """A council member's scores: ``{"scores": {"<criterion id>": {"score", "comment"}}}``."""
        application = self.get_object()
        serializer = ScoresSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = services.scores_submit(user=request.user, application_id=application.pk,
                                       scores=serializer.validated_data["scores"])
        level = saved[0].level if saved else application.appraisal_level
        return Response({"level": level, "scores": [
            {"criterion": s.criterion_id, "score": s.score, "comment": s.comment} for s in saved]})


def score_sheet_data(sheet, level) -> dict:
    return {
        "level": level,
        "council": {"id": sheet.council.pk, "name": sheet.council.name} if sheet.council else None,
        "criteria": [{"id": c.pk, "name": c.name, "weight": c.weight, "max_score": c.max_score}
                     for c in sheet.criteria],
        "members": [{
            "user": m.member.user_id, "username": m.member.user.username,
            "name": m.member.user.get_full_name() or m.member.user.username, "role": m.member.role,
            "declared": m.declared, "has_conflict": m.has_conflict, "complete": m.complete,
            "weighted_total": m.weighted_total,
            "scores": {str(cid): {"score": s.score, "comment": s.comment} for cid, s in m.scores.items()},
        } for m in sheet.members],
        "average": sheet.average,
        "pass_mark": sheet.pass_mark,
        "passed": sheet.passed,
        "finished": sheet.finished,
        "problems": sheet.problems(),
    }


# --- After the decision: records of one application ------------------------------------------
#
# ``/applications/{application_pk}/<records>/``: the application is looked up in the caller's
# scope before anything else (another province's application is a 404 whatever the method),
# the list is that application's records, and POST hands the input to the service.

# Actions of the transitions endpoint that need a record first, and where to create it.
DEDICATED_ENDPOINTS = {
    "start_implementation": "start-implementation/",
    "complete": "completion/",
    "accept": "acceptance/",
    "settle": "settlement/",
}


class ApplicationRecordViewSet(ServiceErrorsMixin, viewsets.GenericViewSet):
    """Base of the per-application record endpoints."""

    filter_backends = []
    input_serializer_class = None
    parser_classes = [JSONParser, FormParser, MultiPartParser]

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
    """List (paginated), retrieve and create the records of one application."""

    def create(self, request, application_pk=None):
        return self._created(self.perform_service(self._input(request)))

    def perform_service(self, data):
        """Each concrete viewset calls its service here (abstract hook of this base class)."""
        raise NotImplementedError(f"{type(self).__name__} must define perform_service()")


class ContractViewSet(ApplicationRecordListViewSet):
    """Contracts of an approved or ongoing scheme (implementing organisation × one beneficiary)."""

    queryset = Contract.objects.select_related("beneficiary").prefetch_related("documents").order_by("signed_on", "pk")
    serializer_class = ContractSerializer
    input_serializer_class = ContractInputSerializer

    @extend_schema(request=ContractInputSerializer, responses={201: ContractSerializer})
    def create(self, request, application_pk=None):
        return super().create(request, application_pk)

    def perform_service(self, data):
        return services.contract_add(user=self.request.user, application_id=self.application.pk, **data)


class ApplicationDisbursementViewSet(ApplicationRecordListViewSet):
    """Advances (tạm ứng) and payments of one scheme; the final payment is made at settlement."""

    queryset = (Disbursement.objects.select_related("application").prefetch_related("documents")
                .order_by("paid_on", "pk"))
    serializer_class = DisbursementSerializer
    input_serializer_class = DisbursementInputSerializer

    @extend_schema(request=DisbursementInputSerializer, responses={201: DisbursementSerializer})
    def create(self, request, application_pk=None):
        return super().create(request, application_pk)

    def perform_service(self, data):
        return services.disbursement_add(user=self.request.user, application_id=self.application.pk, **data)


class ProgressReportViewSet(ApplicationRecordListViewSet):
    """Progress reports of an ongoing or suspended scheme."""

    queryset = ProgressReport.objects.prefetch_related("documents").order_by("period_end", "pk")
    serializer_class = ProgressReportSerializer
    input_serializer_class = ProgressReportInputSerializer

    @extend_schema(request=ProgressReportInputSerializer, responses={201: ProgressReportSerializer})
    def create(self, request, application_pk=None):
        return super().create(request, application_pk)

    def perform_service(self, data):
        return services.progress_report_add(user=self.request.user, application_id=self.application.pk, **data)


class InspectionViewSet(ApplicationRecordListViewSet):
    """Field inspections of an ongoing, suspended or completed scheme."""

    queryset = Inspection.objects.prefetch_related("documents").order_by("inspected_on", "pk")
    serializer_class = InspectionSerializer
    input_serializer_class = InspectionInputSerializer

    @extend_schema(request=InspectionInputSerializer, responses={201: InspectionSerializer})
    def create(self, request, application_pk=None):
        return super().create(request, application_pk)

    def perform_service(self, data):
        return services.inspection_add(user=self.request.user, application_id=self.application.pk, **data)


class ChangeRequestViewSet(ApplicationRecordListViewSet):
    """Requests to adjust the schedule, cost lines or amount; ``decision/`` approves or refuses."""

    queryset = ChangeRequest.objects.order_by("-created_at", "-pk")
    serializer_class = ChangeRequestSerializer
    input_serializer_class = ChangeRequestInputSerializer

    @extend_schema(request=ChangeRequestInputSerializer, responses={201: ChangeRequestSerializer})
    def create(self, request, application_pk=None):
        return super().create(request, application_pk)

    def perform_service(self, data):
        return services.change_request_create(user=self.request.user, application_id=self.application.pk, **data)

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
    Multipart with ``minutes_file`` (or JSON when the minutes are already attached)."""

    queryset = Acceptance.objects.all()
    serializer_class = AcceptanceSerializer
    input_serializer_class = AcceptanceInputSerializer

    @extend_schema(responses={200: AcceptanceSerializer})
    def retrieve(self, request, application_pk=None):
        return super().retrieve(request, application_pk)

    @extend_schema(request={"multipart/form-data": AcceptanceInputSerializer,
                            "application/json": AcceptanceInputSerializer},
                   responses={201: AcceptanceSerializer})
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
    @action(detail=False, methods=["post"], url_path="completion", url_name="completion")
    def completion(self, request, application_pk=None):
        """Upload the implementer's completion report (``report_file``) and ``complete``."""
        serializer = CompletionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.application_complete(user=request.user, application_id=self.application.pk,
                                      **serializer.validated_data)
        return self._represent()


class DisbursementViewSet(ServiceErrorsMixin, ScopedReadOnlyViewSet):
    """Every advance and payment the caller may see, across applications, with filters
    (province, programme, year, fund source, kind, application, paid from/to)."""

    queryset = (Disbursement.objects.select_related("application").prefetch_related("documents")
                .order_by("-paid_on", "-pk"))
    serializer_class = DisbursementSerializer
    filterset_class = DisbursementFilterSet
