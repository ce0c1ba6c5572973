"""Serializers of the dossier: applications (read and write), cost lines, workflow
actions, events, attachments, duplicates and the appraisal inputs."""

from decimal import Decimal

from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from applications import selectors, workflow
from applications.choices import AttachmentKind, CouncilLevel, Status
from applications.models import (
    Application,
    ApplicationEvent,
    Attachment,
    CostLine,
    Establishment,
)
from khuyencong.limits import MAX_MONEY, MAX_QUANTITY, MAX_TEXT
from programs.models import ActivityType, Call, Programme
from provinces.models import Organisation, Province

from .base import ProvinceRecordField, ScopedPrimaryKeyRelatedField

# --- Applications ---------------------------------------------------------------------


class CostLineSerializer(serializers.ModelSerializer):
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
                                        max_value=MAX_QUANTITY)
    unit_cost = serializers.IntegerField(min_value=0, max_value=MAX_MONEY)
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

    # What a council member reads of a dossier closed to them (``permissions.closed_dossiers``):
    # enough to declare a conflict of interest.
    CLOSED_FIELDS = ("id", "code", "title", "call", "status", "status_label", "allowed_actions")

    def to_representation(self, instance):
        reason = self.context.get("closed_dossiers", {}).get(instance.pk)
        if reason is None:
            return super().to_representation(instance)
        data = {}
        for name in self.CLOSED_FIELDS:
            value = self.fields[name].get_attribute(instance)
            data[name] = None if value is None else self.fields[name].to_representation(value)
        data["closed_reason"] = reason
        return data

    def get_establishments(self, obj) -> list[int]:
        # From the prefetch cache: no query per row.
        return sorted(e.pk for e in obj.establishments.all())

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=workflow.ACTIONS)))
    def get_allowed_actions(self, obj) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return [item.action for item in workflow.preview(obj, request.user) if item.allowed]

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
    objectives = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    programme = ProvinceRecordField(queryset=Programme.objects.all())
    call = ProvinceRecordField(queryset=Call.objects.all(), required=False, allow_null=True)
    fund_source = serializers.ChoiceField(choices=Programme._meta.get_field("fund_source").choices, required=False)
    activity_type = serializers.SlugRelatedField(slug_field="code", queryset=ActivityType.objects.all())
    implementing_organisation = ScopedPrimaryKeyRelatedField(queryset=Organisation.objects.all())
    establishments = ScopedPrimaryKeyRelatedField(queryset=Establishment.objects.all(), many=True)
    cost_lines = CostLineSerializer(many=True)
    total_cost = serializers.IntegerField(min_value=0, required=False, allow_null=True,
                                          help_text=_("Tùy chọn; nếu có phải bằng tổng các dòng dự toán."))
    requested_support = serializers.IntegerField(min_value=0, max_value=MAX_MONEY)
    counterpart_funds = serializers.IntegerField(min_value=0, max_value=MAX_MONEY)
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    expected_jobs = serializers.IntegerField(min_value=0, required=False, allow_null=True, max_value=MAX_MONEY)
    expected_trainees = serializers.IntegerField(min_value=0, required=False, allow_null=True, max_value=MAX_MONEY)
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
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    decision_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    decision_date = serializers.DateField(required=False, allow_null=True, default=None)
    approved_amount = serializers.IntegerField(required=False, allow_null=True, default=None, max_value=MAX_MONEY)
    version = serializers.IntegerField(required=False, allow_null=True, default=None, max_value=MAX_MONEY)


class ApplicationEventSerializer(serializers.ModelSerializer):
    # Blank for an event that changed no state (an edit, an upload).
    action = serializers.ChoiceField(choices=workflow.EVENT_ACTIONS, read_only=True)
    from_status = serializers.ChoiceField(choices=Status.choices, allow_blank=True, read_only=True)
    to_status = serializers.ChoiceField(choices=Status.choices, allow_blank=True, read_only=True)
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
    kind = serializers.ChoiceField(choices=AttachmentKind.choices, read_only=True)
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
    kind = serializers.ChoiceField(choices=AttachmentKind.choices, error_messages={"invalid_choice": lazy(
        lambda: _("Loại tài liệu không hợp lệ: %(k)s.") % {"k": ", ".join(AttachmentKind.values)}, str)()})
    file = serializers.FileField()
    description = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class DuplicateSerializer(serializers.ModelSerializer):
    """Only what the national picture needs; the other application may be out of scope."""

    province = serializers.IntegerField(source="province_id", read_only=True)
    province_name = serializers.CharField(source="province.name", read_only=True)
    activity_type = serializers.CharField(source="activity_type_id", read_only=True)
    reasons = serializers.ListField(source="overlap_reasons", child=serializers.CharField(), read_only=True,
                                    help_text=_("Vì sao nghi trùng: cùng cơ sở, cùng mã số thuế, chi nhánh, tên gần "
                                                "giống…; cùng hay khác nội dung."))
    score = serializers.FloatField(source="overlap_score", read_only=True)
    is_imported = serializers.BooleanField(read_only=True)

    class Meta:
        model = Application
        fields = ["code", "province", "province_name", "year", "activity_type", "status", "requested_support",
                  "approved_amount", "reasons", "score", "is_imported"]


class ConflictDeclarationSerializer(serializers.Serializer):
    has_conflict = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")


class ScoreEntrySerializer(serializers.Serializer):
    score = serializers.DecimalField(max_digits=5, decimal_places=2)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")

    def to_internal_value(self, data):
        # A bare number is the score alone (``{"12": 8}``), as the API has always taken it.
        if not isinstance(data, dict):
            data = {"score": data}
        return super().to_internal_value(data)


class ScoresSerializer(serializers.Serializer):
    scores = serializers.DictField(child=ScoreEntrySerializer(), allow_empty=False,
                                   help_text=_('{"<mã tiêu chí>": {"score": 8, "comment": "..."}}'))

    def validate_scores(self, value):
        """Criterion ids are the keys: integers (the service says which belong to the call)."""
        typed = {}
        for key, entry in value.items():
            if not str(key).isdigit() or len(str(key)) > 18:
                raise serializers.ValidationError(_("Mã tiêu chí “%(k)s” không hợp lệ.") % {"k": str(key)[:20]})
            typed[int(key)] = dict(entry)
        return typed


class ScoreSheetQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=CouncilLevel.choices, required=False)
