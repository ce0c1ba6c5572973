"""The application (đề án khuyến công) and its dossier: cost lines, the code sequence,
attachments and the events of its timeline."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from khuyencong.models import search_q
from khuyencong.scoping import ScopedQuerySet
from khuyencong.text import normalize_search
from programs.choices import FundSource
from programs.models import ActivityType, Call, Programme
from provinces.models import Organisation, Province

from ..choices import STATUS_BADGE, AttachmentKind, Status
from ..states import STATES
from .establishments import Establishment


class ApplicationQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        q = models.Q(province_id__in=scope.province_ids) if scope.province_ids else models.Q(pk__in=[])
        if scope.commune_ids:
            # A commune officer sees the schemes whose beneficiaries are in their commune.
            through = Application.establishments.through
            q |= models.Q(pk__in=through.objects.filter(establishment__commune_id__in=scope.commune_ids)
                          .values("application_id"))
        return q

    def action_q(self, scope, action):
        """The rules of ``applications.permissions`` as a filter: ``edit`` the staff of the
        province or a commune officer whose commune holds every beneficiary; ``record`` the
        staff of the province; ``decide`` the province approver (local funds) or the Agency
        approver (national funds)."""
        staff = models.Q(province_id__in=scope.staff_province_ids)
        if action == "edit":
            if not scope.commune_ids:
                return staff
            through = Application.establishments.through
            inside = through.objects.filter(establishment__commune_id__in=scope.commune_ids)
            outside = through.objects.exclude(establishment__commune_id__in=scope.commune_ids)
            return staff | (models.Q(pk__in=inside.values("application_id"))
                            & ~models.Q(pk__in=outside.values("application_id")))
        if action == "record":
            return staff
        local = models.Q(fund_source=FundSource.LOCAL, province_id__in=scope.approver_province_ids)
        return (local | models.Q(fund_source=FundSource.NATIONAL)) if scope.agency_approver else local

    def search(self, query: str | None):
        return self.filter(search_q(query))


class ApplicationRecordQuerySet(ScopedQuerySet):
    """Records that belong to an application (files, events, money lines, decisions):
    scoped through it, so every rule that admits a user to an application (a commune
    officer's proposals included) admits them to its records. Their ``province_id``
    column still carries the row-level-security policy."""

    def scope_q(self, scope):
        return models.Q(application__in=Application.objects.filter(Application.objects.scope_q(scope)))

    def action_q(self, scope, action):
        return models.Q(application__in=Application.objects.filter(Application.objects.action_q(scope, action)))

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.fill_province()
        return super().bulk_create(objs, *args, **kwargs)


class ApplicationRecord(models.Model):
    """Base of every record that belongs to one application (its ``application`` foreign
    key is declared by each model). It carries the application's province, denormalised,
    so the table's row-level-security policy is a plain column test rather than a
    subquery on the applications (which forces a full scan of the child table).

    The value is set from the parent when the record is validated, saved or bulk
    created (:meth:`fill_province`), never by callers. On PostgreSQL a composite foreign
    key ``(application_id, province_id) → application (id, province_id)``, ``ON UPDATE
    CASCADE`` (migration ``applications.0005``), keeps it equal to the parent's for good.
    """

    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+", editable=False,
                                 verbose_name=_("tỉnh/thành phố"))

    class Meta:
        abstract = True

    def fill_province(self) -> None:
        if self.province_id is None and self.application_id is not None:
            self.province_id = self.application.province_id

    def clean_fields(self, exclude=None):
        self.fill_province()
        super().clean_fields(exclude=exclude)

    def clean(self):
        super().clean()
        if self.application_id is not None and self.province_id != self.application.province_id:
            from django.core.exceptions import ValidationError

            raise ValidationError(_("Hồ sơ phải thuộc cùng tỉnh với đề án của nó."))

    def save(self, *args, **kwargs):
        self.fill_province()
        super().save(*args, **kwargs)


class Application(models.Model):
    """A khuyến công scheme (đề án): the dossier, its money and its place in the workflow.

    ``status`` is changed only by ``services.application_transition``.
    """

    tenant_province_path = "province"

    code = models.CharField(_("mã đề án"), max_length=32, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(_("năm kế hoạch"))
    sequence = models.PositiveIntegerField(_("số thứ tự"), editable=False)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="applications",
                                 verbose_name=_("tỉnh/thành phố"))
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="applications",
                                  verbose_name=_("chương trình"))
    call = models.ForeignKey(Call, on_delete=models.PROTECT, null=True, blank=True, related_name="applications",
                             verbose_name=_("đợt tiếp nhận"))
    fund_source = models.CharField(_("nguồn kinh phí"), max_length=10, choices=FundSource.choices)
    activity_type = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="applications",
                                      verbose_name=_("nội dung khuyến công"))
    implementing_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                                  related_name="implemented_applications",
                                                  verbose_name=_("đơn vị thực hiện"))
    establishments = models.ManyToManyField(Establishment, related_name="applications",
                                            verbose_name=_("cơ sở thụ hưởng"))
    title = models.CharField(_("tên đề án"), max_length=300)
    objectives = models.TextField(_("mục tiêu"), blank=True)
    start_date = models.DateField(_("bắt đầu"), null=True, blank=True)
    end_date = models.DateField(_("kết thúc"), null=True, blank=True)
    total_cost = models.BigIntegerField(_("tổng kinh phí (đồng)"), default=0, validators=[MinValueValidator(0)])
    requested_support = models.BigIntegerField(_("kinh phí khuyến công đề nghị (đồng)"), default=0,
                                               validators=[MinValueValidator(0)])
    counterpart_funds = models.BigIntegerField(_("vốn đối ứng (đồng)"), default=0, validators=[MinValueValidator(0)])
    approved_amount = models.BigIntegerField(_("kinh phí được phê duyệt (đồng)"), null=True, blank=True)
    decision_number = models.CharField(_("số quyết định phê duyệt"), max_length=60, blank=True)
    decision_date = models.DateField(_("ngày quyết định"), null=True, blank=True)
    expected_jobs = models.PositiveIntegerField(_("việc làm dự kiến"), null=True, blank=True)
    expected_trainees = models.PositiveIntegerField(_("số học viên dự kiến"), null=True, blank=True)
    expected_capacity = models.CharField(_("năng lực sản xuất tăng thêm"), max_length=255, blank=True)
    status = models.CharField(_("trạng thái"), max_length=30, choices=Status.choices, default=Status.DRAFT,
                              editable=False, db_index=True)
    status_changed_at = models.DateTimeField(_("vào trạng thái lúc"), default=timezone.now, editable=False)
    version = models.PositiveIntegerField(_("phiên bản"), default=1, editable=False)
    search_text = models.CharField(max_length=1200, editable=False, default="", db_index=True)
    is_imported = models.BooleanField(
        _("nhập từ dữ liệu cũ"), default=False, editable=False,
        help_text=_("Đề án đã thực hiện trước khi dùng cổng, nhập từ sổ theo dõi: có trong lịch sử hỗ trợ, kiểm tra "
                    "trùng lặp và số liệu tổng hợp của năm đó, không tính vào sổ theo dõi kinh phí."), db_default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("người tạo"))
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    submitted_at = models.DateTimeField(_("nộp lúc"), null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     editable=False, related_name="+", verbose_name=_("người nộp"))

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("đề án khuyến công")
        verbose_name_plural = _("đề án khuyến công")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["province", "year", "sequence"], name="uniq_application_sequence"),
            models.CheckConstraint(condition=models.Q(approved_amount__isnull=True)
                                   | models.Q(approved_amount__lte=models.F("requested_support")),
                                   name="approved_not_above_requested"),
        ]
        indexes = [models.Index(fields=["province", "status"]), models.Index(fields=["province", "year"]),
                   # The national list's order (API and exports: -year, -sequence, -pk), read backwards.
                   models.Index(fields=["year", "sequence", "id"], name="application_list_order")]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"

    def refresh_search_text(self, establishment_names=()) -> None:
        self.search_text = normalize_search(" ".join([self.code, self.title, *establishment_names]))[:1200]

    @property
    def status_badge(self) -> str:
        return STATUS_BADGE.get(self.status, "secondary")

    @property
    def days_in_status(self) -> int:
        return max(0, (timezone.now() - self.status_changed_at).days)

    @property
    def target_days(self) -> int | None:
        """Target days in the current state: the province's own, else the national default."""
        from ..deadlines import stage_target

        return stage_target(self.province_id, self.status)

    @property
    def is_overdue(self) -> bool:
        target = self.target_days
        return target is not None and self.days_in_status > target

    @property
    def appraisal_level(self) -> str | None:
        """The council level appraising it now (the workflow's per-state table)."""
        return STATES[self.status].appraisal_level


class CostLine(ApplicationRecord):
    """One line of the scheme's cost estimate."""

    tenant_province_path = "application__province"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="cost_lines",
                                    verbose_name=_("đề án"))
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    item = models.CharField(_("nội dung chi"), max_length=255)
    quantity = models.DecimalField(_("số lượng"), max_digits=12, decimal_places=2,
                                   validators=[MinValueValidator(Decimal("0.01"))])
    unit = models.CharField(_("đơn vị tính"), max_length=30)
    unit_cost = models.BigIntegerField(_("đơn giá (đồng)"), validators=[MinValueValidator(0)])
    amount = models.BigIntegerField(_("thành tiền (đồng)"), editable=False)

    objects = ApplicationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("dòng dự toán")
        verbose_name_plural = _("dòng dự toán")
        ordering = ["application", "position", "pk"]

    def __str__(self) -> str:
        return self.item

    @staticmethod
    def compute_amount(quantity: Decimal, unit_cost: int) -> int:
        return int((Decimal(quantity) * unit_cost).to_integral_value())


class ApplicationCodeSequence(models.Model):
    """The last sequence number used for application codes of a province and year.
    Locked while a code is allocated, so codes have neither gaps nor duplicates."""

    tenant_province_path = "province"

    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["province", "year"], name="uniq_code_sequence")]

    def __str__(self) -> str:
        return f"{self.province_id}/{self.year}: {self.last}"


def attachment_path(instance, filename):
    # Random, unguessable name; the original name is kept in the row.
    import uuid

    return f"attachments/{instance.application.province_id}/{instance.application_id}/{uuid.uuid4().hex}"


class Attachment(ApplicationRecord):
    """A file of the dossier, stored privately and served only through a scoped view."""

    tenant_province_path = "application__province"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="attachments",
                                    verbose_name=_("đề án"))
    kind = models.CharField(_("loại tài liệu"), max_length=30, choices=AttachmentKind.choices)
    file = models.FileField(_("tệp"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(_("kiểu nội dung"), max_length=100)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(max_length=64)
    description = models.CharField(_("mô tả"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("người tải lên"))
    uploaded_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)
    removed_at = models.DateTimeField(_("gỡ bỏ lúc"), null=True, blank=True)

    objects = ApplicationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("tài liệu đính kèm")
        verbose_name_plural = _("tài liệu đính kèm")
        ordering = ["application", "kind", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


# The labels of the workflow's steps, filled from the transition table when the app is ready
# (the workflow imports these models, so they cannot import it).
ACTION_LABELS: dict = {}
# What the timeline and the audit trail call the events that are not workflow steps.
EVENT_LABELS = {
    "create": _("Lập đề án"), "update": _("Sửa hồ sơ"), "attachment_add": _("Tải lên tài liệu"),
    "attachment_remove": _("Gỡ tài liệu"), "conflict_declared": _("Khai báo xung đột lợi ích"),
    "scores_submitted": _("Chấm điểm"), "council_create": _("Thành lập hội đồng"),
    "contract_add": pgettext_lazy("event", "Ghi nhận hợp đồng"), "disbursement_add": _("Ghi khoản chi"),
    "progress_report_add": _("Báo cáo tiến độ"), "inspection_add": _("Kiểm tra thực địa"),
    "change_request_create": _("Đề nghị điều chỉnh"), "change_request_decide": _("Quyết định điều chỉnh"),
    "acceptance_record": _("Biên bản nghiệm thu"), "settlement_record": _("Ghi nhận quyết toán"),
    "field_visit": _("Ghi nhận chuyến thăm thực địa"), "import": _("Nhập từ dữ liệu cũ"),
}


class ApplicationEvent(ApplicationRecord):
    """One recorded change of an application: a transition or an edit. Never updated."""

    tenant_province_path = "application__province"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events",
                                    verbose_name=_("đề án"))
    action = models.CharField(_("thao tác"), max_length=40)
    from_status = models.CharField(_("từ trạng thái"), max_length=30, choices=Status.choices, blank=True)
    to_status = models.CharField(_("sang trạng thái"), max_length=30, choices=Status.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("người thực hiện"))
    created_at = models.DateTimeField(_("lúc"), default=timezone.now)
    reason = models.TextField(_("lý do / ghi chú"), blank=True)
    payload = models.JSONField(_("dữ liệu kèm theo"), default=dict, blank=True)
    # Recorded when a state is left (a transition): the days spent in ``from_status``, so
    # the stage medians read one column instead of pairing every event with the one before.
    stage_days = models.FloatField(_("số ngày ở trạng thái trước"), null=True, blank=True, editable=False)

    objects = ApplicationRecordQuerySet.as_manager()
    # The audit trail names the event; its details are the audit entries of the records it made.
    audit_skip_fields = ("payload",)

    class Meta:
        verbose_name = _("sự kiện của đề án")
        verbose_name_plural = _("sự kiện của đề án")
        ordering = ["application", "created_at", "pk"]

    def __str__(self) -> str:
        moved = f" ({self.get_from_status_display()} → {self.get_to_status_display()})" if self.to_status else ""
        return f"{self.audit_format_action(self.action)}{moved}"

    def save(self, *args, **kwargs):
        if self._state.adding and self.stage_days is None and self.from_status and self.to_status:
            # A transition written without its stage (imports, fixtures): since the one before.
            before = (
                ApplicationEvent.objects.filter(application_id=self.application_id, created_at__lte=self.created_at)
                .exclude(to_status="")
                .order_by("-created_at", "-pk")
                .values_list("created_at", flat=True)
                .first()
            )
            if before is not None:
                self.stage_days = max(0.0, (self.created_at - before).total_seconds() / 86400)
        super().save(*args, **kwargs)

    @staticmethod
    def audit_format_action(value) -> str:
        """The action by its name (the audit trail and the timeline): a workflow step's
        label, else the label of the record it made."""
        return str(ACTION_LABELS.get(value) or EVENT_LABELS.get(value, value))
