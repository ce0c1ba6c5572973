"""Serializers of the establishments and applications resources. They check the shape
of the input; every rule of the domain is checked by the services they hand over to."""

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from applications import selectors, workflow
from applications.choices import AcceptanceResult, AttachmentKind, ChangeKind, CouncilLevel, DisbursementKind
from applications.models import (
    Acceptance,
    Application,
    ApplicationEvent,
    Attachment,
    ChangeRequest,
    Contract,
    CostLine,
    Disbursement,
    Establishment,
    Inspection,
    ProgressReport,
    Settlement,
)
from khuyencong.scoping import scope_for
from programs.models import ActivityType, Call, Programme
from provinces.models import Commune, Organisation, Province


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key the caller can see: anything else is "does not exist" (400),
    never a hint that it exists elsewhere."""

    def get_queryset(self):
        request = self.context.get("request")
        qs = super().get_queryset()
        return qs.visible_to(request.user) if request is not None else qs.none()


class ProvinceRecordField(ScopedPrimaryKeyRelatedField):
    """A programme or call: visible ones, plus for a commune officer those of their
    commune's province (they propose schemes under the province's programmes)."""

    def get_queryset(self):
        qs = super().get_queryset()
        request = self.context.get("request")
        if request is not None:
            scope = scope_for(request.user)
            if scope.commune_province_ids:
                qs = qs | self.queryset.filter(province_id__in=scope.commune_province_ids)
        return qs


# --- Establishments ---------------------------------------------------------------------


class EstablishmentSerializer(serializers.ModelSerializer):
    province = serializers.PrimaryKeyRelatedField(queryset=Province.objects.all(), required=False,
                                                  help_text=_("Mã tỉnh/thành (NSO); mặc định là tỉnh của xã."))
    commune = serializers.PrimaryKeyRelatedField(queryset=Commune.objects.all(), help_text=_("Mã xã/phường (NSO)."))
    commune_name = serializers.CharField(source="commune.name", read_only=True)
    # Checked by the service (format, then uniqueness across the country).
    tax_code = serializers.CharField(required=False, allow_blank=True)
    location_eligible = serializers.SerializerMethodField()
    location_problem = serializers.SerializerMethodField()

    class Meta:
        model = Establishment
        fields = ["id", "name", "legal_form", "tax_code", "province", "commune", "commune_name", "address",
                  "representative", "industry", "woman_owned", "ethnic_minority", "difficult_area", "craft_village",
                  "craft_village_name", "phone", "email", "employees", "founded_year", "note", "is_active",
                  "location_eligible", "location_problem", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness is the service's to check (its message does not reveal the other row).
        validators = []

    def _problem(self, obj):
        cache = self.context.setdefault("_location_problems", {})
        if obj.pk not in cache:
            cache[obj.pk] = selectors.location_problem(obj)
        return cache[obj.pk]

    def get_location_eligible(self, obj) -> bool:
        return self._problem(obj) is None

    def get_location_problem(self, obj) -> str | None:
        return self._problem(obj)


# --- Applications ---------------------------------------------------------------------


class CostLineSerializer(serializers.ModelSerializer):
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    unit_cost = serializers.IntegerField(min_value=0)
    amount = serializers.IntegerField(required=False, allow_null=True,
                                      help_text=_("Tùy chọn; nếu có phải bằng số lượng × đơn giá."))

    class Meta:
        model = CostLine
        fields = ["item", "quantity", "unit", "unit_cost", "amount"]


class ApplicationSerializer(serializers.ModelSerializer):
    """The representation of an application; ``allowed_actions`` depends on the caller."""

    province = serializers.IntegerField(source="province_id", read_only=True)
    programme = serializers.IntegerField(source="programme_id", read_only=True)
    call = serializers.IntegerField(source="call_id", read_only=True, allow_null=True)
    activity_type = serializers.CharField(source="activity_type_id", read_only=True)
    implementing_organisation = serializers.IntegerField(source="implementing_organisation_id", read_only=True)
    establishments = serializers.SerializerMethodField()
    cost_lines = CostLineSerializer(many=True, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    allowed_actions = serializers.SerializerMethodField()
    days_in_status = serializers.IntegerField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    duplicate_count = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = ["id", "code", "title", "objectives", "province", "programme", "call", "fund_source",
                  "activity_type", "implementing_organisation", "establishments", "cost_lines", "total_cost",
                  "requested_support", "counterpart_funds", "approved_amount", "status", "status_label",
                  "allowed_actions", "days_in_status", "is_overdue", "duplicate_count", "decision_number",
                  "decision_date", "year", "start_date", "end_date", "expected_jobs", "expected_trainees",
                  "expected_capacity", "version", "submitted_at", "status_changed_at", "created_at", "updated_at"]
        read_only_fields = fields

    def get_establishments(self, obj) -> list[int]:
        # From the prefetch cache: no query per row.
        return sorted(e.pk for e in obj.establishments.all())

    def get_allowed_actions(self, obj) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return workflow.allowed_actions(scope_for(request.user), obj)

    def get_duplicate_count(self, obj) -> int:
        counts = self.context.get("duplicate_counts")
        if counts is None:  # a single object: compute it for this one
            counts = selectors.duplicate_counts([obj])
        return counts.get(obj.pk, 0)


class ApplicationWriteSerializer(serializers.Serializer):
    """Input of create (POST) and edit (PUT/PATCH); the service validates the rules."""

    province = serializers.PrimaryKeyRelatedField(
        queryset=Province.objects.all(), required=False,
        help_text=_("Mã tỉnh/thành (NSO); mặc định là tỉnh của các cơ sở thụ hưởng."))
    title = serializers.CharField(max_length=300)
    objectives = serializers.CharField(required=False, allow_blank=True)
    programme = ProvinceRecordField(queryset=Programme.objects.all())
    call = ProvinceRecordField(queryset=Call.objects.all(), required=False, allow_null=True)
    fund_source = serializers.ChoiceField(choices=Programme._meta.get_field("fund_source").choices, required=False)
    activity_type = serializers.SlugRelatedField(slug_field="code", queryset=ActivityType.objects.all())
    implementing_organisation = ScopedPrimaryKeyRelatedField(queryset=Organisation.objects.all())
    establishments = ScopedPrimaryKeyRelatedField(queryset=Establishment.objects.all(), many=True)
    cost_lines = CostLineSerializer(many=True)
    total_cost = serializers.IntegerField(min_value=0, required=False, allow_null=True,
                                          help_text=_("Tùy chọn; nếu có phải bằng tổng các dòng dự toán."))
    requested_support = serializers.IntegerField(min_value=0)
    counterpart_funds = serializers.IntegerField(min_value=0)
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    expected_jobs = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    expected_trainees = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    expected_capacity = serializers.CharField(max_length=255, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, write_only=True,
                                       help_text=_("Phiên bản đã đọc; khác phiên bản hiện tại → 409."))

    def validate_establishments(self, value):
        if not value and not self.partial:
            raise serializers.ValidationError(_("Chọn ít nhất một cơ sở thụ hưởng."))
        return value

    def validate_cost_lines(self, value):
        if not value:
            raise serializers.ValidationError(_("Nhập ít nhất một dòng dự toán."))
        return value

    def service_arguments(self) -> dict:
        """The validated input split the way the services take it."""
        data = dict(self.validated_data)
        args = {"expected_version": data.pop("version", None)}
        if "establishments" in data:
            args["establishments"] = data.pop("establishments")
        if "cost_lines" in data:
            args["cost_lines"] = [dict(line) for line in data.pop("cost_lines")]
        args["province"] = data.pop("province", None)
        args["data"] = data
        return args


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(workflow.ACTIONS))
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    decision_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    decision_date = serializers.DateField(required=False, allow_null=True, default=None)
    approved_amount = serializers.IntegerField(required=False, allow_null=True, default=None)
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


class ApplicationEventSerializer(serializers.ModelSerializer):
    # Plain codes: the status enum is already named by ``Application.status`` in the schema.
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)
    actor = serializers.SerializerMethodField()
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationEvent
        fields = ["id", "action", "from_status", "to_status", "actor", "actor_name", "created_at", "reason",
                  "payload"]

    def get_actor(self, obj) -> str | None:
        return obj.actor.username if obj.actor_id else None

    def get_actor_name(self, obj) -> str | None:
        return (obj.actor.get_full_name() or obj.actor.username) if obj.actor_id else None


class AttachmentSerializer(serializers.ModelSerializer):
    # A plain code: "kind" is already an enum of organisations and communes in the schema.
    kind = serializers.CharField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "kind", "original_name", "content_type", "size", "sha256", "description", "uploaded_at",
                  "download_url"]

    def get_download_url(self, obj) -> str:
        path = reverse("application-attachment-download",
                       kwargs={"pk": obj.application_id, "attachment_id": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class AttachmentUploadSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=30, help_text=", ".join(AttachmentKind.values))
    file = serializers.FileField()
    description = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")

    def validate_kind(self, value):
        if value not in AttachmentKind.values:
            raise serializers.ValidationError(_("Loại tài liệu không hợp lệ: %(k)s.") % {"k": ", ".join(AttachmentKind.values)})
        return value


class DuplicateSerializer(serializers.ModelSerializer):
    """Only what the national picture needs; the other application may be out of scope."""

    province = serializers.IntegerField(source="province_id", read_only=True)
    province_name = serializers.CharField(source="province.name", read_only=True)
    activity_type = serializers.CharField(source="activity_type_id", read_only=True)

    class Meta:
        model = Application
        fields = ["code", "province", "province_name", "year", "activity_type", "status", "requested_support",
                  "approved_amount"]


class ConflictDeclarationSerializer(serializers.Serializer):
    has_conflict = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ScoresSerializer(serializers.Serializer):
    scores = serializers.DictField(child=serializers.JSONField(), allow_empty=False,
                                   help_text=_('{"<mã tiêu chí>": {"score": 8, "comment": "..."}}'))


class ScoreSheetQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=CouncilLevel.choices, required=False)


# --- After the decision: records of implementation ----------------------------------------
# Representations read the rows; inputs only shape the request, the services check every rule
# (all fields at once, in Vietnamese). Documents are ids of the application's attachments.


class DocumentsField(serializers.ListField):
    child = serializers.IntegerField(min_value=1)

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", list)
        kwargs.setdefault("help_text", _("Mã các tài liệu đính kèm của chính đề án này."))
        super().__init__(**kwargs)


class DocumentIdsMixin(serializers.Serializer):
    documents = serializers.SerializerMethodField()

    def get_documents(self, obj) -> list[int]:
        return sorted(a.pk for a in obj.documents.all())  # prefetched


class ContractSerializer(DocumentIdsMixin, serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    implementing_organisation = serializers.IntegerField(source="implementing_organisation_id", read_only=True)
    beneficiary = serializers.IntegerField(source="beneficiary_id", read_only=True)
    beneficiary_name = serializers.CharField(source="beneficiary.name", read_only=True)

    class Meta:
        model = Contract
        fields = ["id", "application", "number", "signed_on", "implementing_organisation", "beneficiary",
                  "beneficiary_name", "value", "documents", "created_at"]
        read_only_fields = fields


class ContractInputSerializer(serializers.Serializer):
    number = serializers.CharField(required=False, allow_blank=True, default="")
    signed_on = serializers.DateField(required=False, allow_null=True, default=None)
    beneficiary = serializers.IntegerField(required=False, allow_null=True, default=None,
                                           help_text=_("Mã cơ sở thụ hưởng của đề án."))
    value = serializers.IntegerField(required=False, allow_null=True, default=None, help_text=_("Đồng."))
    documents = DocumentsField()


class ImplementationStartSerializer(serializers.Serializer):
    contracts = ContractInputSerializer(many=True, required=False, default=list,
                                        help_text=_("Có thể để trống nếu đã ghi nhận hợp đồng."))


class DisbursementSerializer(DocumentIdsMixin, serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    application_code = serializers.CharField(source="application.code", read_only=True)
    province = serializers.IntegerField(source="application.province_id", read_only=True)
    programme = serializers.IntegerField(source="application.programme_id", read_only=True)
    year = serializers.IntegerField(source="application.year", read_only=True)
    kind = serializers.CharField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Disbursement
        fields = ["id", "application", "application_code", "province", "programme", "year", "kind", "kind_label",
                  "amount", "paid_on", "reference", "note", "documents", "created_at"]
        read_only_fields = fields


class DisbursementInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[DisbursementKind.ADVANCE, DisbursementKind.PAYMENT],
                                   help_text=_("advance (tạm ứng) hoặc payment (thanh toán)."))
    amount = serializers.IntegerField(required=False, allow_null=True, default=None, help_text=_("Đồng."))
    paid_on = serializers.DateField(required=False, allow_null=True, default=None)
    reference = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    documents = DocumentsField()


class ProgressReportSerializer(DocumentIdsMixin, serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)

    class Meta:
        model = ProgressReport
        fields = ["id", "application", "period_start", "period_end", "percent_done", "narrative", "documents",
                  "created_at"]
        read_only_fields = fields


class ProgressReportInputSerializer(serializers.Serializer):
    period_start = serializers.DateField(required=False, allow_null=True, default=None)
    period_end = serializers.DateField(required=False, allow_null=True, default=None)
    percent_done = serializers.IntegerField(required=False, allow_null=True, default=None)
    narrative = serializers.CharField(required=False, allow_blank=True, default="")
    documents = DocumentsField()


class InspectionSerializer(DocumentIdsMixin, serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)

    class Meta:
        model = Inspection
        fields = ["id", "application", "inspected_on", "inspectors", "findings", "documents", "created_at"]
        read_only_fields = fields


class InspectionInputSerializer(serializers.Serializer):
    inspected_on = serializers.DateField(required=False, allow_null=True, default=None)
    inspectors = serializers.CharField(required=False, allow_blank=True, default="")
    findings = serializers.CharField(required=False, allow_blank=True, default="")
    documents = DocumentsField()


class ChangeRequestSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    kind = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ChangeRequest
        fields = ["id", "application", "kind", "description", "new_start_date", "new_end_date",
                  "new_approved_amount", "new_cost_lines", "status", "status_label", "created_at", "decided_at",
                  "decision_note"]
        read_only_fields = fields


class ChangeRequestInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    new_start_date = serializers.DateField(required=False, allow_null=True, default=None)
    new_end_date = serializers.DateField(required=False, allow_null=True, default=None)
    new_approved_amount = serializers.IntegerField(required=False, allow_null=True, default=None)
    new_cost_lines = serializers.ListField(child=serializers.DictField(), required=False, allow_null=True,
                                           default=None,
                                           help_text=_('[{"item", "quantity", "unit", "unit_cost"}]'))


class ChangeDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CompletionSerializer(serializers.Serializer):
    report_file = serializers.FileField(required=False, allow_null=True, default=None,
                                        help_text=_("Báo cáo hoàn thành (PDF, ảnh, DOCX, XLSX)."))
    narrative = serializers.CharField(required=False, allow_blank=True, default="")


class AcceptanceSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    result = serializers.CharField(read_only=True)
    result_label = serializers.CharField(source="get_result_display", read_only=True)
    minutes = serializers.IntegerField(source="minutes_id", read_only=True, allow_null=True)

    class Meta:
        model = Acceptance
        fields = ["id", "application", "accepted_on", "committee_members", "result", "result_label", "conditions",
                  "achieved_jobs", "achieved_trainees", "machinery_installed", "minutes", "created_at"]
        read_only_fields = fields


class AcceptanceInputSerializer(serializers.Serializer):
    accepted_on = serializers.DateField(required=False, allow_null=True, default=None)
    committee_members = serializers.CharField(required=False, allow_blank=True, default="")
    result = serializers.ChoiceField(choices=AcceptanceResult.choices)
    conditions = serializers.CharField(required=False, allow_blank=True, default="")
    achieved_jobs = serializers.IntegerField(required=False, allow_null=True, default=None)
    achieved_trainees = serializers.IntegerField(required=False, allow_null=True, default=None)
    machinery_installed = serializers.CharField(required=False, allow_blank=True, default="")
    minutes_file = serializers.FileField(required=False, allow_null=True, default=None,
                                         help_text=_("Biên bản nghiệm thu; không cần nếu hồ sơ đã có."))


class SettlementSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    final_payment = DisbursementSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Settlement
        fields = ["id", "application", "settled_amount", "decision_number", "decision_date", "final_payment",
                  "created_at"]
        read_only_fields = fields


class SettlementInputSerializer(serializers.Serializer):
    settled_amount = serializers.IntegerField(required=False, allow_null=True, default=None, help_text=_("Đồng."))
    decision_number = serializers.CharField(required=False, allow_blank=True, default="")
    decision_date = serializers.DateField(required=False, allow_null=True, default=None)
    final_payment_amount = serializers.IntegerField(required=False, allow_null=True, default=0)
    final_payment_reference = serializers.CharField(required=False, allow_blank=True, default="")

