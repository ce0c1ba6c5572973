"""After the decision: contracts, money paid, monitoring and change requests."""


from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from provinces.models import Organisation

from ..choices import ChangeKind, ChangeStatus, DisbursementKind
from .dossier import Application, ApplicationRecord, ApplicationRecordQuerySet, Attachment
from .establishments import Establishment


class Contract(ApplicationRecord):
    """A contract signed to implement an approved scheme (between the implementing
    organisation and a beneficiary)."""

    tenant_province_path = "application__province"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="contracts",
                                    verbose_name=_("đề án"))
    number = models.CharField(_("số hợp đồng"), max_length=60)
    signed_on = models.DateField(_("ngày ký"))
    implementing_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                                  verbose_name=_("bên thực hiện"))
    beneficiary = models.ForeignKey(Establishment, on_delete=models.PROTECT, related_name="contracts",
                                    verbose_name=_("bên thụ hưởng"))
    value = models.BigIntegerField(_("giá trị (đồng)"), validators=[MinValueValidator(0)])
    # The instalments the contract states, checked by the service and read by
    # ``selectors.payable_now``: ``[{"milestone": "signing" | "progress_report" | "acceptance",
    # "report": N (progress reports only), "percent": P of the value | "amount": đồng}]``.
    # Empty: the default rule (the first-advance share until the first milestone).
    payment_schedule = models.JSONField(_("lịch thanh toán"), default=list, blank=True)
    documents = models.ManyToManyField(Attachment, blank=True, related_name="+", verbose_name=_("tài liệu"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = ApplicationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("hợp đồng")
        verbose_name_plural = _("hợp đồng")
        ordering = ["application", "signed_on", "pk"]

    def __str__(self) -> str:
        return self.number


class Disbursement(ApplicationRecord):
    """Money paid out on an approved scheme: an advance (tạm ứng), a payment, or the
    final payment made at settlement. Rows are never edited or deleted; amounts are positive."""

    tenant_province_path = "application__province"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="disbursements",
                                    verbose_name=_("đề án"))
    kind = models.CharField(_("loại"), max_length=10, choices=DisbursementKind.choices)
    amount = models.BigIntegerField(_("số tiền (đồng)"), validators=[MinValueValidator(1)])
    paid_on = models.DateField(_("ngày chi"))
    reference = models.CharField(_("số chứng từ"), max_length=60)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)
    documents = models.ManyToManyField(Attachment, blank=True, related_name="+", verbose_name=_("tài liệu"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = ApplicationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("khoản chi")
        verbose_name_plural = _("khoản chi")
        ordering = ["application", "paid_on", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="disbursement_positive")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class ProgressReport(ApplicationRecord):
    """A periodic report on implementation: percent done and what happened."""

    tenant_province_path = "application__province"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="progress_reports",
                                    verbose_name=_("đề án"))
    period_start = models.DateField(_("từ ngày"))
    period_end = models.DateField(_("đến ngày"))
    percent_done = models.PositiveSmallIntegerField(_("khối lượng hoàn thành (%)"),
                                                    validators=[MaxValueValidator(100)])
    narrative = models.TextField(_("nội dung"))
    documents = models.ManyToManyField(Attachment, blank=True, related_name="+", verbose_name=_("tài liệu, hình ảnh"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = ApplicationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("báo cáo tiến độ")
        verbose_name_plural = _("báo cáo tiến độ")
        ordering = ["application", "period_end", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.percent_done}%"


class Inspection(ApplicationRecord):
    """A field inspection (kiểm tra thực địa) during implementation."""

    tenant_province_path = "application__province"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="inspections",
                                    verbose_name=_("đề án"))
    inspected_on = models.DateField(_("ngày kiểm tra"))
    inspectors = models.CharField(_("thành phần đoàn kiểm tra"), max_length=500)
    findings = models.TextField(_("kết quả kiểm tra"))
    documents = models.ManyToManyField(Attachment, blank=True, related_name="+", verbose_name=_("tài liệu"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = ApplicationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("kiểm tra thực địa")
        verbose_name_plural = _("kiểm tra thực địa")
        ordering = ["application", "inspected_on", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.inspected_on}"


class ChangeRequest(ApplicationRecord):
    """A request to adjust the schedule, the cost lines or the amount of an approved
    scheme, decided by the province approver (the Agency for national funds)."""

    tenant_province_path = "application__province"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="change_requests",
                                    verbose_name=_("đề án"))
    kind = models.CharField(_("loại điều chỉnh"), max_length=12, choices=ChangeKind.choices)
    description = models.TextField(_("nội dung, lý do"))
    new_start_date = models.DateField(_("ngày bắt đầu mới"), null=True, blank=True)
    new_end_date = models.DateField(_("ngày kết thúc mới"), null=True, blank=True)
    new_approved_amount = models.BigIntegerField(_("kinh phí mới (đồng)"), null=True, blank=True,
                                                 validators=[MinValueValidator(0)])
    new_cost_lines = models.JSONField(_("dự toán mới"), null=True, blank=True)
    status = models.CharField(_("trạng thái"), max_length=10, choices=ChangeStatus.choices,
                              default=ChangeStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(_("quyết định lúc"), null=True, blank=True)
    decision_note = models.TextField(_("ý kiến quyết định"), blank=True)

    objects = ApplicationRecordQuerySet.as_manager()

    # Incremental sync (the API's ``updated_since``).
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("đề nghị điều chỉnh")
        verbose_name_plural = _("đề nghị điều chỉnh")
        ordering = ["application", "-created_at"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_kind_display()} ({self.get_status_display()})"
