"""Closing a scheme: its acceptance (nghiệm thu) and settlement (quyết toán)."""


from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import AcceptanceResult
from .dossier import Application, ApplicationRecord, ApplicationRecordQuerySet, Attachment
from .implementation import Disbursement


class Acceptance(ApplicationRecord):
    """The acceptance record (biên bản nghiệm thu) of a completed scheme."""

    tenant_province_path = "application__province"

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="acceptance",
                                       verbose_name=_("đề án"))
    accepted_on = models.DateField(_("ngày nghiệm thu"))
    committee_members = models.TextField(_("thành phần hội đồng nghiệm thu"))
    result = models.CharField(_("kết quả"), max_length=24, choices=AcceptanceResult.choices)
    conditions = models.TextField(_("điều kiện kèm theo"), blank=True)
    achieved_jobs = models.PositiveIntegerField(_("việc làm tạo ra"), null=True, blank=True)
    achieved_trainees = models.PositiveIntegerField(_("số học viên"), null=True, blank=True)
    machinery_installed = models.CharField(_("máy móc, thiết bị đã lắp đặt"), max_length=500, blank=True)
    minutes = models.ForeignKey(Attachment, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("biên bản nghiệm thu"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = ApplicationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("nghiệm thu")
        verbose_name_plural = _("nghiệm thu")

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_result_display()}"


class Settlement(ApplicationRecord):
    """The settlement (quyết toán) of a scheme: the amount finally paid out of the
    approved one. Whatever was approved and not settled goes back to the budget."""

    tenant_province_path = "application__province"

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="settlement",
                                       verbose_name=_("đề án"))
    settled_amount = models.BigIntegerField(_("kinh phí quyết toán (đồng)"), validators=[MinValueValidator(0)])
    decision_number = models.CharField(_("số quyết định quyết toán"), max_length=60)
    decision_date = models.DateField(_("ngày quyết định"))
    final_payment = models.OneToOneField(Disbursement, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("khoản thanh toán cuối"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = ApplicationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("quyết toán")
        verbose_name_plural = _("quyết toán")

    def __str__(self) -> str:
        return f"{self.application_id} {self.settled_amount}"
