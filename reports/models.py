"""Report runs (one row per requested report, with status, progress and timings) and their files."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khuyencong.scoping import ScopedQuerySet
from provinces.models import Province, Region

from .choices import RUN_STATUS_BADGE, ReportFormat, ReportKind, ReportScope, RunStatus


class ReportRunQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        # A province sees its own runs and the national regional summaries (the
        # Agency's published figures); region-level runs and other provinces' runs
        # stay with the Agency. Commune officers see only the national summaries.
        q = models.Q(scope=ReportScope.NATIONAL, kind=ReportKind.REGIONAL_SUMMARY)
        if scope.province_ids:
            q |= models.Q(province_id__in=scope.province_ids)
        return q


def report_file_path(instance, filename):
    return f"reports/{instance.run_id}/{filename}"


class ReportRun(models.Model):
    """A requested report: what (kind, scope, period, formats), its progress in the
    worker, the files it produced and how long it took."""

    tenant_province_path = "province"

    kind = models.CharField(_("loại báo cáo"), max_length=24, choices=ReportKind.choices)
    scope = models.CharField(_("phạm vi"), max_length=10, choices=ReportScope.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("vùng"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("tỉnh/thành phố"))
    year = models.PositiveSmallIntegerField(_("năm"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    quarter = models.PositiveSmallIntegerField(_("quý"), null=True, blank=True,
                                               validators=[MinValueValidator(1), MaxValueValidator(4)])
    formats = models.JSONField(_("định dạng"), default=list)
    status = models.CharField(_("trạng thái"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED,
                              db_index=True)
    progress = models.PositiveSmallIntegerField(_("tiến độ (%)"), default=0, validators=[MaxValueValidator(100)])
    error = models.TextField(_("lỗi"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("số lần chạy"), default=0)
    task_id = models.CharField(
        _("mã tác vụ Celery"),
        max_length=64,
        blank=True,
        help_text=_("Tác vụ đang (hoặc đã) lập báo cáo; cùng mã giao lại nghĩa là lần trước đã chết."),
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("người yêu cầu"))
    created_at = models.DateTimeField(_("yêu cầu lúc"), default=timezone.now)
    started_at = models.DateTimeField(_("bắt đầu lúc"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("cập nhật tiến độ lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)
    aggregation_seconds = models.FloatField(_("thời gian tổng hợp (giây)"), null=True, blank=True)
    render_seconds = models.FloatField(_("thời gian kết xuất (giây)"), null=True, blank=True)
    data_as_of = models.DateTimeField(_("số liệu tính đến"), null=True, blank=True)

    objects = ReportRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("lần lập báo cáo")
        verbose_name_plural = _("lần lập báo cáo")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(scope=ReportScope.NATIONAL, region__isnull=True, province__isnull=True)
                           | models.Q(scope=ReportScope.REGION, region__isnull=False, province__isnull=True)
                           | models.Q(scope=ReportScope.PROVINCE, region__isnull=True, province__isnull=False)),
                name="report_run_scope_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.target_name} · {self.period_label}"

    @property
    def target_name(self) -> str:
        if self.scope == ReportScope.PROVINCE and self.province_id:
            return self.province.name
        if self.scope == ReportScope.REGION and self.region_id:
            return self.region.name
        return str(_("Toàn quốc"))

    @property
    def period_label(self) -> str:
        return f"Quý {self.quarter}/{self.year}" if self.quarter else f"Năm {self.year}"

    @property
    def status_badge(self) -> str:
        return RUN_STATUS_BADGE.get(self.status, "secondary")

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ReportFile(models.Model):
    """One output file of a run; at most one per format, so a rerun replaces it."""

    tenant_province_path = "run__province"

    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="files", verbose_name=_("lần lập"))
    format = models.CharField(_("định dạng"), max_length=5, choices=ReportFormat.choices)
    file = models.FileField(_("tệp"), upload_to=report_file_path, max_length=255)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"), default=0)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("tệp báo cáo")
        verbose_name_plural = _("tệp báo cáo")
        ordering = ["run", "format"]
        constraints = [models.UniqueConstraint(fields=["run", "format"], name="uniq_report_file_format")]

    def __str__(self) -> str:
        return f"{self.run_id}.{self.format}"


# The register of outgoing documents, the signers and the issued documents (reports.documents).
from .documents.models import (  # noqa: E402,F401
    DocumentRegister,
    OfficialDocument,
    RegisterYear,
    Signer,
)
