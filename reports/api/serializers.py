"""Serializers of the reports API."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from provinces.models import Province, Region
from reports.choices import ReportFormat, ReportKind, ReportScope
from reports.models import ReportRun


class ReportRunSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    province = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    files = serializers.SerializerMethodField()

    class Meta:
        model = ReportRun
        fields = ["id", "kind", "scope", "region", "province", "year", "quarter", "formats", "status", "progress",
                  "error", "attempts", "requested_by", "created_at", "started_at", "finished_at",
                  "aggregation_seconds", "render_seconds", "data_as_of", "files"]
        read_only_fields = fields

    def get_files(self, run) -> list[dict]:
        request = self.context.get("request")
        result = []
        for report_file in run.files.all():
            url = reverse("report-run-download", kwargs={"pk": run.pk, "fmt": report_file.format})
            result.append({"format": report_file.format, "size": report_file.size,
                           "url": request.build_absolute_uri(url) if request else url})
        return result


class ReportRunCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    scope = serializers.ChoiceField(choices=ReportScope.choices)
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all(), required=False,
                                          allow_null=True)
    province = serializers.PrimaryKeyRelatedField(queryset=Province.objects.all(), required=False, allow_null=True)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4, required=False, allow_null=True)
    formats = serializers.ListField(child=serializers.ChoiceField(choices=ReportFormat.choices), required=False,
                                    allow_empty=False, help_text=_("Mặc định: pdf, xlsx, csv."))
