"""Admin of report runs (read-mostly: runs are produced by the worker)."""

from django.contrib import admin

from .models import ReportFile, ReportRun


class ReportFileInline(admin.TabularInline):
    model = ReportFile
    extra = 0
    readonly_fields = ["format", "file", "size", "created_at"]
    can_delete = False


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "scope", "province", "region", "year", "quarter", "status", "progress",
                    "requested_by", "created_at"]
    list_filter = ["kind", "scope", "status", "year"]
    readonly_fields = ["status", "progress", "error", "attempts", "started_at", "heartbeat_at", "finished_at",
                       "aggregation_seconds", "render_seconds", "data_as_of", "created_at"]
    inlines = [ReportFileInline]
