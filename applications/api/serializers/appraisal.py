"""Response shapes of the appraisal endpoints (score sheet, scores, conflict declaration)
and of the budget ledger, so clients get typed models instead of free-form objects."""

from rest_framework import serializers

from applications.choices import CouncilLevel, CouncilRole
from programs.choices import FundSource


def _decimal(**kwargs):
    return serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=False, **kwargs)


class ScoreValueSerializer(serializers.Serializer):
    score = _decimal(allow_null=True)
    comment = serializers.CharField(allow_blank=True)


class ScoreSheetCriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    weight = _decimal()
    max_score = serializers.IntegerField()


class CouncilRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ScoreSheetMemberSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=CouncilRole.choices)
    declared = serializers.BooleanField()
    has_conflict = serializers.BooleanField()
    complete = serializers.BooleanField()
    hidden = serializers.BooleanField()
    weighted_total = _decimal(allow_null=True)
    scores = serializers.DictField(child=ScoreValueSerializer(), help_text="Theo mã tiêu chí / by criterion id")


class ScoreSheetSerializer(serializers.Serializer):
    """The consolidated score sheet of one appraisal level."""

    level = serializers.ChoiceField(choices=CouncilLevel.choices)
    council = CouncilRefSerializer(allow_null=True)
    criteria = ScoreSheetCriterionSerializer(many=True)
    members = ScoreSheetMemberSerializer(many=True)
    average = _decimal(allow_null=True)
    pass_mark = _decimal()
    passed = serializers.BooleanField()
    finished = serializers.BooleanField()
    problems = serializers.ListField(child=serializers.CharField())


class SavedScoreSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    score = _decimal()
    comment = serializers.CharField(allow_blank=True)


class ScoresResultSerializer(serializers.Serializer):
    """The caller's scores as saved."""

    level = serializers.ChoiceField(choices=CouncilLevel.choices, allow_null=True)
    scores = SavedScoreSerializer(many=True)


class ConflictDeclarationResultSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=CouncilLevel.choices)
    has_conflict = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)
    declared_at = serializers.DateTimeField()


class LedgerAmountsSerializer(serializers.Serializer):
    allocated = serializers.IntegerField()
    approved = serializers.IntegerField()
    committed = serializers.IntegerField()
    disbursed = serializers.IntegerField()
    settled = serializers.IntegerField()
    released = serializers.IntegerField()
    remaining = serializers.IntegerField()


class LedgerRowSerializer(LedgerAmountsSerializer):
    programme_id = serializers.IntegerField()
    programme_code = serializers.CharField()
    programme_name = serializers.CharField()
    fund_source = serializers.ChoiceField(choices=FundSource.choices)
    province_id = serializers.IntegerField()
    province_name = serializers.CharField()
    year = serializers.IntegerField()


class LedgerSerializer(serializers.Serializer):
    """The budget ledger (programme × province × year) and its totals, in đồng."""

    rows = LedgerRowSerializer(many=True)
    totals = LedgerAmountsSerializer()
