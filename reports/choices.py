"""Choices of the reports app: kinds of report, scopes, statuses and file formats."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    REGIONAL_SUMMARY = "regional_summary", _("Tổng hợp theo vùng")
    PROVINCE_ANNUAL = "province_annual", _("Báo cáo năm của tỉnh")
    BUDGET_EXECUTION = "budget_execution", _("Tình hình thực hiện kinh phí")


class ReportScope(models.TextChoices):
    NATIONAL = "national", _("Toàn quốc")
    REGION = "region", _("Vùng")
    PROVINCE = "province", _("Tỉnh/thành phố")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Đang chờ")
    RUNNING = "running", _("Đang lập")
    SUCCEEDED = "succeeded", _("Hoàn thành")
    FAILED = "failed", _("Lỗi")


RUN_STATUS_BADGE = {RunStatus.QUEUED: "secondary", RunStatus.RUNNING: "primary", RunStatus.SUCCEEDED: "success",
                    RunStatus.FAILED: "danger"}


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Excel (XLSX)"
    CSV = "csv", "CSV"


CONTENT_TYPES = {
    ReportFormat.PDF: "application/pdf",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.CSV: "text/csv; charset=utf-8",
}

# Which scopes each kind accepts.
KIND_SCOPES = {
    ReportKind.REGIONAL_SUMMARY: {ReportScope.NATIONAL, ReportScope.REGION},
    ReportKind.PROVINCE_ANNUAL: {ReportScope.PROVINCE},
    ReportKind.BUDGET_EXECUTION: {ReportScope.NATIONAL, ReportScope.REGION, ReportScope.PROVINCE},
}
