"""Establishments (the registry of rural industrial establishments) and applications
(đề án khuyến công) with their cost lines, attachments, events and appraisal."""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khuyencong.models import NamedModel, NamedQuerySetMixin
from khuyencong.scoping import ScopedQuerySet
from khuyencong.text import normalize_search
from programs.choices import FundSource
from programs.models import ActivityType, AppraisalCriterion, Call, Programme
from provinces.models import Commune, Organisation, Province

from .choices import (
    STATUS_BADGE,
    AcceptanceResult,
    AttachmentKind,
    ChangeKind,
    ChangeStatus,
    CouncilLevel,
    CouncilRole,
    DisbursementKind,
    LegalForm,
    Status,
)

TAX_CODE_RE = re.compile(r"^(\d{10}|\d{10}-\d{3}|\d{12})$")


def validate_tax_code(value: str) -> None:
    """10 digits (enterprise), 10 digits + "-" + 3 (branch), or the 12-digit personal
    identification number business households use as tax code since 1 July 2025."""
    if value and not TAX_CODE_RE.match(value):
        raise ValidationError(
            _("Mã số thuế phải gồm 10 chữ số, 10 chữ số + \"-\" + 3 chữ số (chi nhánh), hoặc 12 chữ số (số định danh "
              "cá nhân của hộ kinh doanh)."),
            code="invalid_tax_code",
        )


class EstablishmentQuerySet(NamedQuerySetMixin, ScopedQuerySet):
    pass


class Establishment(NamedModel):
    """A rural industrial establishment (cơ sở công nghiệp nông thôn) that may receive support."""

    tenant_province_path = "province"
    tenant_commune_path = "commune"

    legal_form = models.CharField(_("loại hình"), max_length=20, choices=LegalForm.choices)
    tax_code = models.CharField(_("mã số thuế / mã số doanh nghiệp"), max_length=14, blank=True,
                                validators=[validate_tax_code])
    representative = models.CharField(_("người đại diện"), max_length=150)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="establishments",
                                 verbose_name=_("tỉnh/thành phố"))
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="establishments",
                                verbose_name=_("xã/phường/đặc khu"))
    address = models.CharField(_("địa chỉ"), max_length=255)
    industry = models.CharField(_("ngành nghề sản xuất"), max_length=255)
    woman_owned = models.BooleanField(_("do phụ nữ làm chủ"), default=False)
    ethnic_minority = models.BooleanField(_("người dân tộc thiểu số làm chủ hoặc sử dụng lao động"), default=False)
    difficult_area = models.BooleanField(_("ở địa bàn khó khăn"), default=False)
    craft_village = models.BooleanField(_("trong làng nghề được công nhận"), default=False)
    craft_village_name = models.CharField(_("tên làng nghề"), max_length=150, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    employees = models.PositiveIntegerField(_("số lao động"), null=True, blank=True)
    founded_year = models.PositiveSmallIntegerField(_("năm thành lập"), null=True, blank=True,
                                                    validators=[MinValueValidator(1900), MaxValueValidator(2100)])
    note = models.TextField(_("ghi chú"), blank=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("người tạo"))
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = EstablishmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("cơ sở công nghiệp nông thôn")
        verbose_name_plural = _("cơ sở công nghiệp nông thôn")
        ordering = ["sort_key", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tax_code"], condition=~models.Q(tax_code=""),
                                    name="uniq_establishment_tax_code"),
        ]
        indexes = [models.Index(fields=["province", "sort_key"])]

    def search_source(self) -> str:
        return f"{self.name} {self.tax_code} {self.representative} {self.industry}"

    def clean(self):
        errors = {}
        if self.commune_id and self.province_id and self.commune.province_id != self.province_id:
            errors["commune"] = _("Xã/phường không thuộc tỉnh/thành phố của cơ sở.")
        if self.craft_village and not self.craft_village_name.strip():
            errors["craft_village_name"] = _("Ghi tên làng nghề khi cơ sở nằm trong làng nghề.")
        if errors:
            raise ValidationError(errors)

    @property
    def priority_flags(self) -> list[str]:
        labels = []
        for field in ("woman_owned", "ethnic_minority", "difficult_area", "craft_village"):
            if getattr(self, field):
                labels.append(self._meta.get_field(field).verbose_name)
        return labels


class ApplicationQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        q = models.Q(province_id__in=scope.province_ids) if scope.province_ids else models.Q(pk__in=[])
        if scope.commune_ids:
            # A commune officer sees the schemes whose beneficiaries are in their commune.
            through = Application.establishments.through
            q |= models.Q(pk__in=through.objects.filter(establishment__commune_id__in=scope.commune_ids)
                          .values("application_id"))
        return q

    def search(self, query: str | None):
        qs = self
        for term in normalize_search(query).split():
            qs = qs.filter(search_text__contains=term)
        return qs


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
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("người tạo"))
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    submitted_at = models.DateTimeField(_("nộp lúc"), null=True, blank=True, editable=False)

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
        indexes = [models.Index(fields=["province", "status"]), models.Index(fields=["province", "year"])]

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
        return settings.KC_STATE_TARGET_DAYS.get(self.status)

    @property
    def is_overdue(self) -> bool:
        target = self.target_days
        return target is not None and self.days_in_status > target

    @property
    def appraisal_level(self) -> str | None:
        if self.status == Status.UNDER_APPRAISAL:
            return CouncilLevel.PROVINCIAL
        if self.status == Status.UNDER_NATIONAL_APPRAISAL:
            return CouncilLevel.NATIONAL
        return None


class CostLine(models.Model):
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

    objects = ScopedQuerySet.as_manager()

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


class Attachment(models.Model):
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

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("tài liệu đính kèm")
        verbose_name_plural = _("tài liệu đính kèm")
        ordering = ["application", "kind", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ApplicationEvent(models.Model):
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

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sự kiện của đề án")
        verbose_name_plural = _("sự kiện của đề án")
        ordering = ["application", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.action} {self.from_status}→{self.to_status}"


class CouncilQuerySet(ScopedQuerySet):
    pass


class AppraisalCouncil(models.Model):
    """An appraisal council (hội đồng thẩm định): provincial (with a province) or the
    Agency's (national level, no province); for one call or one application."""

    tenant_province_path = "province"
    tenant_null_province_visible = True

    name = models.CharField(_("tên hội đồng"), max_length=255)
    level = models.CharField(_("cấp"), max_length=12, choices=CouncilLevel.choices)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="councils", verbose_name=_("tỉnh/thành phố"))
    call = models.ForeignKey(Call, on_delete=models.PROTECT, null=True, blank=True, related_name="councils",
                             verbose_name=_("đợt tiếp nhận"))
    application = models.ForeignKey(Application, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="councils", verbose_name=_("đề án"))
    decision_number = models.CharField(_("số quyết định thành lập"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = CouncilQuerySet.as_manager()

    class Meta:
        verbose_name = _("hội đồng thẩm định")
        verbose_name_plural = _("hội đồng thẩm định")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(level=CouncilLevel.NATIONAL, province__isnull=True)
                           | models.Q(level=CouncilLevel.PROVINCIAL, province__isnull=False)),
                name="council_level_matches_province",
            ),
            models.CheckConstraint(condition=models.Q(call__isnull=False) | models.Q(application__isnull=False),
                                   name="council_for_call_or_application"),
        ]

    def __str__(self) -> str:
        return self.name


class CouncilMember(models.Model):
    """A user sitting on a council, as chair, secretary or member."""

    tenant_province_path = "council__province"
    tenant_null_province_visible = True

    council = models.ForeignKey(AppraisalCouncil, on_delete=models.CASCADE, related_name="members",
                                verbose_name=_("hội đồng"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="council_seats",
                             verbose_name=_("thành viên"))
    role = models.CharField(_("vai trò trong hội đồng"), max_length=12, choices=CouncilRole.choices,
                            default=CouncilRole.MEMBER)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("thành viên hội đồng")
        verbose_name_plural = _("thành viên hội đồng")
        ordering = ["council", "role", "pk"]
        constraints = [models.UniqueConstraint(fields=["council", "user"], name="uniq_council_member")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class ConflictDeclaration(models.Model):
    """A member's declaration about a conflict of interest with one application. The
    dossier opens to the member only after declaring no conflict; a conflicted member
    is excluded from the appraisal of that application."""

    tenant_province_path = "application__province"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="conflict_declarations",
                                    verbose_name=_("đề án"))
    level = models.CharField(_("cấp"), max_length=12, choices=CouncilLevel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("thành viên"))
    has_conflict = models.BooleanField(_("có xung đột lợi ích"))
    note = models.TextField(_("giải trình"), blank=True)
    declared_at = models.DateTimeField(_("khai lúc"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("khai báo xung đột lợi ích")
        verbose_name_plural = _("khai báo xung đột lợi ích")
        constraints = [models.UniqueConstraint(fields=["application", "level", "user"], name="uniq_conflict_decl")]

    def __str__(self) -> str:
        return f"{self.user} · {self.application_id} · {'có' if self.has_conflict else 'không'}"


class Score(models.Model):
    """One member's score on one criterion for one application at one level."""

    tenant_province_path = "application__province"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="scores",
                                    verbose_name=_("đề án"))
    level = models.CharField(_("cấp"), max_length=12, choices=CouncilLevel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("thành viên"))
    criterion = models.ForeignKey(AppraisalCriterion, on_delete=models.PROTECT, related_name="scores",
                                  verbose_name=_("tiêu chí"))
    score = models.DecimalField(_("điểm"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)])
    comment = models.TextField(_("nhận xét"), blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("điểm thẩm định")
        verbose_name_plural = _("điểm thẩm định")
        constraints = [models.UniqueConstraint(fields=["application", "level", "user", "criterion"],
                                               name="uniq_score")]

    def __str__(self) -> str:
        return f"{self.user} · {self.criterion} · {self.score}"

    def clean(self):
        if self.criterion_id and self.score is not None and self.score > self.criterion.max_score:
            raise ValidationError({"score": _("Điểm vượt quá điểm tối đa của tiêu chí (%(max)s).")
                                   % {"max": self.criterion.max_score}})


# --- After the decision: contracts, money paid, monitoring, acceptance, settlement ---------


class Contract(models.Model):
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
    documents = models.ManyToManyField(Attachment, blank=True, related_name="+", verbose_name=_("tài liệu"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("hợp đồng")
        verbose_name_plural = _("hợp đồng")
        ordering = ["application", "signed_on", "pk"]

    def __str__(self) -> str:
        return self.number


class Disbursement(models.Model):
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

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("khoản chi")
        verbose_name_plural = _("khoản chi")
        ordering = ["application", "paid_on", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="disbursement_positive")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class ProgressReport(models.Model):
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

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("báo cáo tiến độ")
        verbose_name_plural = _("báo cáo tiến độ")
        ordering = ["application", "period_end", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.percent_done}%"


class Inspection(models.Model):
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

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("kiểm tra thực địa")
        verbose_name_plural = _("kiểm tra thực địa")
        ordering = ["application", "inspected_on", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.inspected_on}"


class ChangeRequest(models.Model):
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

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("đề nghị điều chỉnh")
        verbose_name_plural = _("đề nghị điều chỉnh")
        ordering = ["application", "-created_at"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_kind_display()} ({self.get_status_display()})"


class Acceptance(models.Model):
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

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("nghiệm thu")
        verbose_name_plural = _("nghiệm thu")

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_result_display()}"


class Settlement(models.Model):
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

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("quyết toán")
        verbose_name_plural = _("quyết toán")

    def __str__(self) -> str:
        return f"{self.application_id} {self.settled_amount}"
