"""Serializers of closing a scheme: completion, acceptance, settlement."""


from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from applications.choices import AcceptanceResult
from applications.models import Acceptance, Settlement
from khuyencong.limits import MAX_MONEY, MAX_TEXT

from .implementation import DisbursementSerializer


class CompletionSerializer(serializers.Serializer):
    report_file = serializers.FileField(required=False, allow_null=True, default=None,
                                        help_text=_("Báo cáo hoàn thành (PDF, ảnh, DOCX, XLSX)."))
    narrative = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")


class AcceptanceSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    result = serializers.ChoiceField(choices=AcceptanceResult.choices, read_only=True)
    result_label = serializers.CharField(source="get_result_display", read_only=True)
    minutes = serializers.IntegerField(source="minutes_id", read_only=True, allow_null=True)

    class Meta:
        model = Acceptance
        fields = ["id", "application", "accepted_on", "committee_members", "result", "result_label", "conditions",
                  "achieved_jobs", "achieved_trainees", "machinery_installed", "minutes", "created_at"]
        read_only_fields = fields


class AcceptanceInputSerializer(serializers.Serializer):
    accepted_on = serializers.DateField(required=False, allow_null=True, default=None)
    committee_members = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    result = serializers.ChoiceField(choices=AcceptanceResult.choices)
    conditions = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    achieved_jobs = serializers.IntegerField(required=False, allow_null=True, default=None, max_value=MAX_MONEY)
    achieved_trainees = serializers.IntegerField(required=False, allow_null=True, default=None, max_value=MAX_MONEY)
    machinery_installed = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
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
    decision_number = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    decision_date = serializers.DateField(required=False, allow_null=True, default=None)
    final_payment_amount = serializers.IntegerField(required=False, allow_null=True, default=0, max_value=MAX_MONEY)
    final_payment_reference = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
