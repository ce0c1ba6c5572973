"""Serializers of appraisal councils: the current members, the history of seats, and the
input to set one up or recompose it."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from programs.models import Call

from ...choices import CouncilLevel, CouncilRole
from ...models import AppraisalCouncil, CouncilMember, CouncilSeat
from .base import ScopedPrimaryKeyRelatedField


class CouncilMemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = CouncilMember
        fields = ["user", "username", "role"]


class CouncilSeatSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = CouncilSeat
        fields = ["user", "username", "role", "served_from", "served_to", "reason"]


class CouncilSerializer(serializers.ModelSerializer):
    province = serializers.IntegerField(source="province_id", read_only=True, allow_null=True)
    members = CouncilMemberSerializer(many=True, read_only=True)
    history = CouncilSeatSerializer(source="seats", many=True, read_only=True)

    class Meta:
        model = AppraisalCouncil
        fields = ["id", "name", "level", "province", "call", "application", "decision_number", "members", "history",
                  "created_at"]


class SeatInputSerializer(serializers.Serializer):
    # Eligibility (the province's council members, the Agency's staff) is the service's rule.
    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True))
    role = serializers.ChoiceField(choices=CouncilRole.choices)


class CouncilInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    level = serializers.ChoiceField(choices=CouncilLevel.choices)
    call = ScopedPrimaryKeyRelatedField(queryset=Call.objects.all())
    decision_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    members = SeatInputSerializer(many=True, max_length=50)

    def members_list(self) -> list:
        return [(m["user"], m["role"]) for m in self.validated_data["members"]]


class RecomposeInputSerializer(serializers.Serializer):
    members = SeatInputSerializer(many=True, max_length=50)
    reason = serializers.CharField(max_length=500)
    decision_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
