"""Imports from spreadsheets: a job per uploaded file (establishments or past schemes)
and one row of its dry-run preview per line of the file. Nothing reaches the registry
until the officer confirms the job."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khuyencong.scoping import ScopedQuerySet
from provinces.models import Province


class ImportKind(models.TextChoices):
    ESTABLISHMENTS = "establishments", _("Cơ sở công nghiệp nông thôn")
    SCHEMES = "schemes", _("Đề án đã thực hiện (từ năm 2020)")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Đang chờ")
    READING = "reading", _("Đang đọc tệp")
    PREVIEW = "preview", _("Chờ xác nhận")
    FAILED = "failed", _("Không đọc được tệp")
    WRITING = "writing", _("Đang ghi dữ liệu")
    DONE = "done", _("Đã nhập")
    WRITE_FAILED = "write_failed", _("Ghi không thành công")


IMPORT_STATUS_BADGE = {
    ImportStatus.QUEUED: "secondary", ImportStatus.READING: "info", ImportStatus.PREVIEW: "warning",
    ImportStatus.FAILED: "danger", ImportStatus.WRITING: "info", ImportStatus.DONE: "success",
    ImportStatus.WRITE_FAILED: "danger",
}


class RowOutcome(models.TextChoices):
    CREATED = "created", _("Thêm mới")
    UPDATED = "updated", _("Cập nhật")
    UNCHANGED = "unchanged", _("Không đổi")
    ERROR = "error", _("Lỗi")


ROW_OUTCOME_BADGE = {RowOutcome.CREATED: "success", RowOutcome.UPDATED: "info", RowOutcome.UNCHANGED: "secondary",
                     RowOutcome.ERROR: "danger"}


def import_file_path(instance, filename):
    import uuid

    return f"imports/{instance.province_id}/{uuid.uuid4().hex}"


class ImportJob(models.Model):
    """One uploaded file for one province: read in the background into a preview, then,
    when the officer confirms and no row has an error, written all at once."""

    tenant_province_path = "province"

    kind = models.CharField(_("loại dữ liệu"), max_length=20, choices=ImportKind.choices)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("tỉnh/thành phố"))
    file = models.FileField(_("tệp"), upload_to=import_file_path, max_length=255)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("trạng thái"), max_length=12, choices=ImportStatus.choices,
                              default=ImportStatus.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(_("tiến độ (%)"), default=0)
    total_rows = models.PositiveIntegerField(_("số dòng"), default=0)
    counts = models.JSONField(_("số dòng theo kết quả"), default=dict, blank=True)
    error = models.TextField(_("lỗi"), blank=True)
    converted_legacy_text = models.PositiveIntegerField(
        _("số ô chuyển từ mã TCVN3"), default=0,
        help_text=_("Ô chữ Việt gõ bằng phông TCVN3 (.VnTime) đã được chuyển sang Unicode."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("người tải lên"))
    # The uploader's language: the worker writes the row errors in it.
    language = models.CharField(_("ngôn ngữ"), max_length=10, default="vi")
    created_at = models.DateTimeField(_("tải lên lúc"), default=timezone.now)
    read_seconds = models.FloatField(_("thời gian đọc (giây)"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("người xác nhận"))
    confirmed_at = models.DateTimeField(_("xác nhận lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("ghi xong lúc"), null=True, blank=True)
    write_seconds = models.FloatField(_("thời gian ghi (giây)"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("lần nhập dữ liệu")
        verbose_name_plural = _("lần nhập dữ liệu")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def status_badge(self) -> str:
        return IMPORT_STATUS_BADGE.get(self.status, "secondary")

    @property
    def is_busy(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.READING, ImportStatus.WRITING)

    @property
    def error_count(self) -> int:
        return int(self.counts.get(RowOutcome.ERROR, 0))

    @property
    def can_confirm(self) -> bool:
        return self.status == ImportStatus.PREVIEW and self.total_rows > 0 and self.error_count == 0


class ImportRow(models.Model):
    """One line of the file as the preview saw it: what confirming would do (create,
    update, nothing) or why it cannot (errors, each with its column)."""

    tenant_province_path = "province"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows", verbose_name=_("lần nhập"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("tỉnh/thành phố"))
    number = models.PositiveIntegerField(_("dòng"))
    outcome = models.CharField(_("kết quả"), max_length=10, choices=RowOutcome.choices)
    # The cells as read (column key → text), for the error file and the preview table.
    raw = models.JSONField(_("nội dung"), default=dict)
    # Typed values the write uses (ids, ISO dates, integers), checked again when written.
    values = models.JSONField(_("giá trị"), default=dict)
    errors = models.JSONField(_("lỗi"), default=list)
    changes = models.JSONField(_("thay đổi"), default=dict, blank=True)
    target_id = models.BigIntegerField(_("bản ghi đã có"), null=True, blank=True)
    label = models.CharField(_("tên"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("dòng nhập dữ liệu")
        verbose_name_plural = _("dòng nhập dữ liệu")
        ordering = ["job", "number"]
        indexes = [models.Index(fields=["job", "outcome", "number"])]
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="uniq_import_row_number")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.number}"

    @property
    def outcome_badge(self) -> str:
        return ROW_OUTCOME_BADGE.get(self.outcome, "secondary")
