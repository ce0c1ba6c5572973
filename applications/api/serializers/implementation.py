"""Serializers of the records after the decision: contracts, disbursements, progress
reports, inspections, change requests."""


from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from applications.api.serializers.dossier import CostLineSerializer
from applications.choices import ChangeKind, ChangeStatus, DisbursementKind, Milestone
from applications.models import (
    ChangeRequest,
    Contract,
    Disbursement,
    Inspection,
    ProgressReport,
)
from khuyencong.limits import MAX_MONEY, MAX_TEXT

# --- After the decision: records of implementation ----------------------------------------
# Representations read the rows; inputs only shape the request, the services check every rule
# (all fields at once, in Vietnamese). Documents are ids of the application's attachments.


class DocumentsField(serializers.ListField):
    child = serializers.IntegerField(min_value=1, max_value=MAX_MONEY)

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", list)
        kwargs.setdefault("help_text", _("Mã các tài liệu đính kèm của chính đề án này."))
        super().__init__(**kwargs)


class DocumentIdsMixin(serializers.Serializer):
    documents = serializers.SerializerMethodField()

    def get_documents(self, obj) -> list[int]:
        return sorted(a.pk for a in obj.documents.all())  # prefetched


class InstalmentSerializer(serializers.Serializer):
    """One instalment of a contract's payment schedule (the service checks the rules)."""

    milestone = serializers.ChoiceField(choices=Milestone.choices)
    report = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100,
                                      help_text=_("Số thứ tự báo cáo tiến độ (mốc “sau báo cáo tiến độ”)."))
    percent = serializers.IntegerField(required=False, allow_null=True,
                                       help_text=_("Tỷ lệ phần trăm giá trị hợp đồng (hoặc ghi số tiền)."))
    amount = serializers.IntegerField(required=False, allow_null=True, help_text=_("Đồng (hoặc ghi tỷ lệ)."))


class ContractSerializer(DocumentIdsMixin, serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    implementing_organisation = serializers.IntegerField(source="implementing_organisation_id", read_only=True)
    beneficiary = serializers.IntegerField(source="beneficiary_id", read_only=True)
    beneficiary_name = serializers.CharField(source="beneficiary.name", read_only=True)
    payment_schedule = InstalmentSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = ["id", "application", "number", "signed_on", "implementing_organisation", "beneficiary",
                  "beneficiary_name", "value", "payment_schedule", "documents", "created_at"]
        read_only_fields = fields


class ContractInputSerializer(serializers.Serializer):
    number = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    signed_on = serializers.DateField(required=False, allow_null=True, default=None)
    beneficiary = serializers.IntegerField(required=False, allow_null=True, default=None,
                                           help_text=_("Mã cơ sở thụ hưởng của đề án."))
    value = serializers.IntegerField(required=False, allow_null=True, default=None, help_text=_("Đồng."))
    payment_schedule = InstalmentSerializer(many=True, required=False, default=list, help_text=_(
        "Lịch thanh toán: các đợt, mỗi đợt một mốc và tỷ lệ hoặc số tiền; để trống thì tạm ứng tối đa tỷ lệ "
        "của nội dung cho đến báo cáo tiến độ đầu tiên hoặc nghiệm thu."))
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
    kind = serializers.ChoiceField(choices=DisbursementKind.choices, read_only=True)
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
    reference = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
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
    percent_done = serializers.IntegerField(required=False, allow_null=True, default=None, max_value=MAX_MONEY)
    narrative = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    documents = DocumentsField()


class InspectionSerializer(DocumentIdsMixin, serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)

    class Meta:
        model = Inspection
        fields = ["id", "application", "inspected_on", "inspectors", "findings", "documents", "created_at"]
        read_only_fields = fields


class InspectionInputSerializer(serializers.Serializer):
    inspected_on = serializers.DateField(required=False, allow_null=True, default=None)
    inspectors = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    findings = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    documents = DocumentsField()


class ChangeRequestSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    kind = serializers.ChoiceField(choices=ChangeKind.choices, read_only=True)
    status = serializers.ChoiceField(choices=ChangeStatus.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ChangeRequest
        fields = ["id", "application", "kind", "description", "new_start_date", "new_end_date",
                  "new_approved_amount", "new_cost_lines", "status", "status_label", "created_at", "decided_at",
                  "decision_note"]
        read_only_fields = fields


class ChangeRequestInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    new_start_date = serializers.DateField(required=False, allow_null=True, default=None)
    new_end_date = serializers.DateField(required=False, allow_null=True, default=None)
    new_approved_amount = serializers.IntegerField(required=False, allow_null=True, default=None, max_value=MAX_MONEY)
    new_cost_lines = CostLineSerializer(many=True, required=False, allow_null=True, default=None)

    def validate_new_cost_lines(self, value):
        return None if value is None else [dict(line) for line in value]


class ChangeDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
