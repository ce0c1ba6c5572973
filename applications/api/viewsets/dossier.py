"""API viewset of applications: the dossier, its workflow actions, attachments and
appraisal (declarations, scores, score sheet)."""

from django.db.models import Prefetch
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from applications import deadlines, permissions, selectors, services, workflow
from applications.choices import CouncilLevel
from applications.filters import ApplicationFilterSet
from applications.models import (
    Application,
    ApplicationEvent,
    Attachment,
    CostLine,
    Establishment,
)
from applications.workflow import Record
from khuyencong.api import ScopedModelViewSet
from khuyencong.errors import DomainConflict
from khuyencong.parsers import UPLOAD_PARSERS
from provinces.models import Province

from ..serializers import (
    ApplicationEventSerializer,
    ApplicationSerializer,
    ApplicationWriteSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    ConflictDeclarationResultSerializer,
    ConflictDeclarationSerializer,
    DuplicateSerializer,
    ScoreSheetQuerySerializer,
    ScoreSheetSerializer,
    ScoresResultSerializer,
    ScoresSerializer,
    TransitionSerializer,
)
from .base import DETAIL_ACTION

DOWNLOAD_NAME = OpenApiParameter(
    "Content-Disposition", str, OpenApiParameter.HEADER, response=[200],
    description='attachment; filename="<tên tệp>" / the file name')


class ApplicationViewSet(ScopedModelViewSet):
    """Applications (đề án). POST creates a draft; PUT/PATCH edit a draft or a returned
    dossier (``version`` guards against lost updates: a stale one is a 409). The
    workflow moves through ``POST /applications/{id}/transitions/``."""

    # Ends with the primary key: a stable order for paging and keyset cursors (the index
    # application_list_order serves it).
    queryset = (Application.objects
                .prefetch_related(Prefetch("cost_lines", queryset=CostLine.objects.order_by("position", "pk")),
                                  Prefetch("establishments", queryset=Establishment.objects.only("pk")))
                .order_by("-year", "-sequence", "-pk"))
    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilterSet

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
            self._closed_dossiers = permissions.closed_dossiers(self.request.user, page)
        return page

    def get_serializer_context(self):
        context = super().get_serializer_context()
        counts = getattr(self, "_duplicate_counts", None)
        if counts is not None:
            context["duplicate_counts"] = counts
        closed = getattr(self, "_closed_dossiers", None)
        if closed is not None:
            context["closed_dossiers"] = closed
        return context

    def retrieve(self, request, *args, **kwargs):
        return self._represent(self.get_object().pk)

    def _represent(self, application_id, status_code=status.HTTP_200_OK):
        instance = self.get_queryset().get(pk=application_id)
        context = self.get_serializer_context()
        context["closed_dossiers"] = permissions.closed_dossiers(self.request.user, [instance])
        data = ApplicationSerializer(instance, context=context).data
        if "closed_reason" not in data:
            # The detail adds its deadlines (a few queries: not in lists) and how late it is.
            found = deadlines.deadlines_for(instance)
            data["deadlines"] = [{"kind": d.kind, "label": d.label, "due": d.due.isoformat(),
                                  "late_days": d.late_days} for d in found]
            data["late_days"] = max((d.late_days for d in found), default=0)
        return Response(data, status=status_code)

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

    @extend_schema(request=TransitionSerializer, responses={200: ApplicationSerializer},
                   operation_id="applications_transition")
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
            endpoint = STEP_ENDPOINTS.get(workflow.TRANSITIONS[data["action"]].record_first)
            if endpoint is None or not exc.reasons:
                raise
            # The guard names the missing record; say where it is created (in the same call).
            url = reverse("application-detail", kwargs={"pk": application.pk}) + endpoint
            raise DomainConflict(exc.message, [*exc.reasons, _("Dùng POST %(u)s để ghi nhận và thực hiện bước này "
                                                               "trong cùng một lần gọi.") % {"u": url}]) from exc
        return self._represent(application.pk)

    @extend_schema(responses={200: ApplicationEventSerializer(many=True)}, operation_id="applications_events")
    @action(detail=True, methods=["get"], **DETAIL_ACTION)
    def events(self, request, pk=None):
        """The timeline: every transition and edit, oldest first."""
        application = self.get_object()
        self._require_dossier_open(application)
        # The application is in scope (get_object); its events follow it.
        events = (ApplicationEvent.objects.filter(application=application)
                  .select_related("actor").order_by("created_at", "pk"))
        blind = permissions.blind_levels(request.user, application)
        if blind:
            events = selectors.blind_events(events, request.user.pk, blind)
        return Response(ApplicationEventSerializer(events, many=True).data)

    # --- attachments -------------------------------------------------------------------

    @extend_schema(methods=["get"], responses={200: AttachmentSerializer(many=True)},
                   operation_id="applications_attachments_list")
    @extend_schema(methods=["post"], request={"multipart/form-data": AttachmentUploadSerializer},
                   responses={201: AttachmentSerializer}, operation_id="applications_attachments_upload")
    @action(detail=True, methods=["get", "post"], parser_classes=UPLOAD_PARSERS, **DETAIL_ACTION)
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

    def _require_dossier_open(self, application, level=None):
        """A council member (with no other role) opens the files, timeline and score sheet
        of an application under appraisal only after declaring no conflict of interest."""
        permission = permissions.open_dossier(self.request.user, application, level)
        if not permission:
            raise exceptions.PermissionDenied(permission.reason)

    def _attachment(self, application, attachment_id):
        # ``application`` comes from the scoped get_object(): its files are in scope too.
        attachment = Attachment.objects.filter(application=application, pk=attachment_id,
                                               removed_at__isnull=True).first()
        if attachment is None:
            raise exceptions.NotFound()
        return attachment

    @extend_schema(parameters=[DOWNLOAD_NAME], operation_id="applications_attachments_download",
                   responses={(200, "application/octet-stream"): OpenApiResponse(
                       OpenApiTypes.BINARY, description="Tệp, dưới tên gốc (Content-Disposition) / the file "
                                                        "under its original name")})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)/download",
            url_name="attachment-download", **DETAIL_ACTION)
    def attachment_download(self, request, pk=None, attachment_id=None):
        """The file itself, as a download under its original name."""
        application = self.get_object()
        self._require_dossier_open(application)
        attachment = self._attachment(application, attachment_id)
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)

    @extend_schema(request=None, responses={204: None}, operation_id="applications_attachments_delete")
    @action(detail=True, methods=["delete"], url_path=r"attachments/(?P<attachment_id>\d+)",
            url_name="attachment-detail", **DETAIL_ACTION)
    def attachment_delete(self, request, pk=None, attachment_id=None):
        """Take a file out of the dossier: it stays on record (``removed_at``, an event)
        and is no longer listed; only while the dossier is editable."""
        attachment = self._attachment(self.get_object(), attachment_id)
        services.attachment_remove(user=request.user, attachment_id=attachment.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: AttachmentSerializer}, deprecated=True,
                   operation_id="applications_attachments_remove")
    @action(detail=True, methods=["post"], url_path=r"attachments/(?P<attachment_id>\d+)/remove",
            url_name="attachment-remove", **DETAIL_ACTION)
    def attachment_remove(self, request, pk=None, attachment_id=None):
        """Deprecated: use ``DELETE /applications/{id}/attachments/{attachment_id}/``."""
        attachment = self._attachment(self.get_object(), attachment_id)
        attachment = services.attachment_remove(user=request.user, attachment_id=attachment.pk)
        return Response(AttachmentSerializer(attachment, context=self.get_serializer_context()).data)

    # --- review aids -----------------------------------------------------------------------

    @extend_schema(responses={200: DuplicateSerializer(many=True)}, operation_id="applications_duplicates")
    @action(detail=True, methods=["get"], **DETAIL_ACTION)
    def duplicates(self, request, pk=None):
        """Possible duplicated support anywhere in the country (same tax code and activity
        type in the last three years); only non-identifying facts are shown."""
        application = self.get_object()
        return Response(DuplicateSerializer(selectors.duplicates_for(application), many=True).data)

    @extend_schema(parameters=[OpenApiParameter("level", str, enum=CouncilLevel.values)],
                   responses={200: ScoreSheetSerializer}, operation_id="applications_score_sheet")
    @action(detail=True, methods=["get"], url_path="score-sheet", **DETAIL_ACTION)
    def score_sheet(self, request, pk=None):
        """The consolidated score sheet at the current appraisal level (or ``?level=``)."""
        application = self.get_object()
        query = ScoreSheetQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        level = query.validated_data.get("level") or application.appraisal_level or CouncilLevel.PROVINCIAL
        self._require_dossier_open(application, level)
        sheet = selectors.score_sheet(application, level)
        if not permissions.see_others_scores(request.user, sheet):
            sheet = sheet.blind_for(request.user.pk)
        return Response(ScoreSheetSerializer(score_sheet_data(sheet, level)).data)

    @extend_schema(request=ConflictDeclarationSerializer, responses={201: ConflictDeclarationResultSerializer},
                   operation_id="applications_declare_conflict")
    @action(detail=True, methods=["post"], url_path="conflict-declaration", **DETAIL_ACTION)
    def conflict_declaration(self, request, pk=None):
        """A council member declares (once) whether they have a conflict of interest."""
        application = self.get_object()
        serializer = ConflictDeclarationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaration = services.conflict_declare(user=request.user, application_id=application.pk,
                                                **serializer.validated_data)
        return Response(ConflictDeclarationResultSerializer(declaration).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ScoresSerializer, responses={200: ScoresResultSerializer},
                   operation_id="applications_submit_scores")
    @action(detail=True, methods=["post"], **DETAIL_ACTION)
    def scores(self, request, pk=None):
        """A council member's scores: ``{"scores": {"<criterion id>": {"score", "comment"}}}``."""
        application = self.get_object()
        serializer = ScoresSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = services.scores_submit(user=request.user, application_id=application.pk,
                                       scores=serializer.validated_data["scores"])
        level = saved[0].level if saved else application.appraisal_level
        return Response(ScoresResultSerializer({"level": level, "scores": [
            {"criterion": s.criterion_id, "score": s.score, "comment": s.comment} for s in saved]}).data)


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
            "hidden": m.hidden, "weighted_total": m.weighted_total,
            "scores": {str(cid): {"score": s.score, "comment": s.comment} for cid, s in m.scores.items()},
        } for m in sheet.members],
        "average": sheet.average,
        "pass_mark": sheet.pass_mark,
        "passed": sheet.passed,
        "finished": sheet.finished,
        "problems": sheet.problems(),
    }


# Where each record a step makes first (the workflow's ``record_first``) is created,
# together with the step, in one call.
STEP_ENDPOINTS = {
    Record.CONTRACT: "start-implementation/",
    Record.COMPLETION_REPORT: "completion/",
    Record.ACCEPTANCE: "acceptance/",
    Record.SETTLEMENT: "settlement/",
}
