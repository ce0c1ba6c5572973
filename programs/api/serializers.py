"""Serializers of the programmes resources (read-only: programmes, caps, calls and
allocations are managed by their services in the admin and HTML pages)."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from programs.choices import DossierDocument, FundSource
from programs.models import (
    ActivityType,
    AppraisalCriterion,
    BudgetAllocation,
    BudgetAllocationEntry,
    Call,
    Programme,
    SupportRule,
)
from provinces.models import Province


class ActivityTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActivityType
        fields = ["code", "name", "description", "position", "is_green", "first_advance_percent", "is_active"]


class ProgrammeSerializer(serializers.ModelSerializer):
    province = serializers.IntegerField(source="province_id", read_only=True, allow_null=True)

    class Meta:
        model = Programme
        fields = ["id", "code", "name", "fund_source", "province", "start_year", "end_year", "legal_basis",
                  "description", "is_active"]


class SupportRuleSerializer(serializers.ModelSerializer):
    province = serializers.IntegerField(source="province_id", read_only=True, allow_null=True)
    activity_type = serializers.CharField(source="activity_type_id", read_only=True)

    class Meta:
        model = SupportRule
        fields = ["id", "fund_source", "province", "activity_type", "max_percent", "max_amount", "valid_from",
                  "valid_to", "legal_basis", "per_establishment", "note"]


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AppraisalCriterion
        fields = ["id", "name", "description", "weight", "max_score", "position"]


class CallSerializer(serializers.ModelSerializer):
    programme = serializers.IntegerField(source="programme_id", read_only=True)
    province = serializers.IntegerField(source="province_id", read_only=True)
    activity_types = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)

    class Meta:
        model = Call
        fields = ["id", "name", "programme", "province", "year", "opens_on", "closes_on", "activity_types",
                  "pass_mark", "description", "required_documents", "criteria"]


class BudgetAllocationSerializer(serializers.ModelSerializer):
    programme = serializers.IntegerField(source="programme_id", read_only=True)
    province = serializers.IntegerField(source="province_id", read_only=True)
    # Annotated by the viewset's queryset in one SQL statement (no query per row).
    committed = serializers.IntegerField(read_only=True)
    remaining = serializers.IntegerField(read_only=True)

    class Meta:
        model = BudgetAllocation
        fields = ["id", "programme", "province", "year", "amount", "committed", "remaining", "decision_number",
                  "note"]


class ApplicableQuerySerializer(serializers.Serializer):
    province = serializers.IntegerField(min_value=1)
    fund_source = serializers.ChoiceField(choices=FundSource.choices)
    activity_type = serializers.SlugRelatedField(slug_field="code", queryset=ActivityType.objects.all())
    total_cost = serializers.IntegerField(min_value=0, max_value=10**15, default=0)
    establishments = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    on = serializers.DateField(required=False)

    def validate_activity_type(self, value):
        return value.code


class ApplicableCapSerializer(serializers.Serializer):
    rule = SupportRuleSerializer(allow_null=True)
    cap = serializers.IntegerField(allow_null=True)


@extend_schema_field(OpenApiTypes.INT)
class ScopedProgrammeField(serializers.PrimaryKeyRelatedField):
    """A programme the caller sees; any other is "does not exist" (400), never a hint."""

    def get_queryset(self):
        request = self.context.get("request")
        return Programme.objects.visible_to(request.user) if request is not None else Programme.objects.none()


class AllocationWriteSerializer(serializers.Serializer):
    programme = ScopedProgrammeField()
    province = serializers.SlugRelatedField(slug_field="code", queryset=Province.objects.all())
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    amount = serializers.IntegerField(min_value=0, max_value=10**15)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    decision_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "allocation" in self.context:  # a change: the key is the allocation's
            for name in ("programme", "province", "year"):
                self.fields.pop(name)


class AllocationMoveSerializer(serializers.Serializer):
    target_programme = serializers.IntegerField(min_value=1)
    amount = serializers.IntegerField(min_value=1, max_value=10**15)
    reason = serializers.CharField(max_length=500)
    decision_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class AllocationEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True, default=None)
    counterpart_programme = serializers.IntegerField(source="counterpart.programme_id", read_only=True,
                                                     allow_null=True, default=None)
    delta = serializers.IntegerField(read_only=True)

    class Meta:
        model = BudgetAllocationEntry
        fields = ["id", "kind", "amount_before", "amount_after", "delta", "reason", "decision_number",
                  "counterpart_programme", "actor", "created_at"]


class CriterionWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0.01"),
                                      max_value=Decimal("100"))
    max_score = serializers.IntegerField(min_value=1, max_value=1000, default=10)


class CallWriteSerializer(serializers.Serializer):
    """A call to set up or change: the service checks the rules (dates, weights adding up
    to 100, frozen once dossiers are submitted)."""

    name = serializers.CharField(max_length=255)
    programme = ScopedProgrammeField()
    province = serializers.SlugRelatedField(slug_field="code", queryset=Province.objects.all(), required=False)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    opens_on = serializers.DateField()
    closes_on = serializers.DateField()
    pass_mark = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0"),
                                         max_value=Decimal("100"), default=Decimal("70"))
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    activity_types = serializers.ListField(child=serializers.SlugRelatedField(
        slug_field="code", queryset=ActivityType.objects.filter(is_active=True)), max_length=50)
    required_documents = serializers.ListField(child=serializers.ChoiceField(choices=DossierDocument.choices),
                                               max_length=20, required=False)
    criteria = CriterionWriteSerializer(many=True, max_length=30)

    def validate(self, attrs):
        programme = attrs.get("programme") or getattr(self.instance, "programme", None)
        if programme is not None and programme.province_id and "province" not in attrs and self.instance is None:
            attrs["province"] = programme.province
        if self.instance is None and "province" not in attrs:
            raise serializers.ValidationError({"province": _("Chọn tỉnh/thành phố của đợt tiếp nhận.")})
        return attrs

    def service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        if "activity_types" in data:
            data["activity_types"] = [a.code for a in data["activity_types"]]
        if "criteria" in data:
            data["criteria"] = [dict(c) for c in data["criteria"]]
        return data


class SupportRuleWriteSerializer(serializers.Serializer):
    """A new version of a cap: ``province`` (code) empty for a national cap."""

    province = serializers.SlugRelatedField(slug_field="code", queryset=Province.objects.all(), allow_null=True,
                                            required=False, default=None)
    fund_source = serializers.ChoiceField(choices=FundSource.choices)
    activity_type = serializers.SlugRelatedField(slug_field="code",
                                                 queryset=ActivityType.objects.filter(is_active=True))
    max_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0"),
                                           max_value=Decimal("100"), required=False, allow_null=True, default=None)
    max_amount = serializers.IntegerField(min_value=0, max_value=10**15, required=False, allow_null=True,
                                          default=None)
    per_establishment = serializers.BooleanField(default=False)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)
    legal_basis = serializers.CharField(max_length=255)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
