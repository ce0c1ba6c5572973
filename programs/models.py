"""Programmes, activity types, support caps, intake calls with their appraisal criteria,
and budget allocations."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from khuyencong.models import NamedModel, NamedQuerySetMixin
from khuyencong.scoping import ScopedQuerySet
from provinces.models import Province

from .choices import AllocationChange, DossierDocument, FundSource, default_required_documents


class ProvinceRulesQuerySet(ScopedQuerySet):
    """The rules a province works under (programmes, calls, caps, allocations): a commune
    officer reads those of their commune's province, since they propose schemes under
    them; writing stays with the province's staff."""

    def scope_q(self, scope):
        q = super().scope_q(scope)
        if q is not None and scope.commune_province_ids:
            q |= models.Q(**{f"{self.model.tenant_province_path}__in": scope.commune_province_ids})
        return q


class ProgrammeScopedQuerySet(NamedQuerySetMixin, ProvinceRulesQuerySet):
    """Rows of a province, plus national rows (no province) visible to everyone."""


class ActivityType(models.Model):
    """A kind of khuyến công content (nội dung khuyến công): the reference table of DOMAIN.md."""

    tenant_province_path = None

    code = models.CharField(_("mã"), max_length=20, primary_key=True)
    name = models.CharField(_("tên"), max_length=255)
    description = models.TextField(_("mô tả"), blank=True)
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    is_green = models.BooleanField(_("thuộc nhóm sản xuất xanh"), default=False,
                                   help_text=_("Sản xuất sạch hơn, xử lý ô nhiễm, tiết kiệm năng lượng."))
    first_advance_percent = models.PositiveSmallIntegerField(
        _("tỷ lệ tạm ứng lần đầu tối đa (%)"), default=70, validators=[MaxValueValidator(100)])
    is_active = models.BooleanField(_("đang dùng"), default=True)

    objects = ScopedQuerySet.as_manager()

    # Incremental sync (the API's ``updated_since``).
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("nội dung khuyến công")
        verbose_name_plural = _("nội dung khuyến công")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name  # the code is for machines (API, CSV); people read the name


class Programme(NamedModel):
    """A khuyến công programme: the national programme (no province) or a province's local one."""

    tenant_province_path = "province"
    tenant_null_province_visible = True

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    fund_source = models.CharField(_("nguồn kinh phí"), max_length=10, choices=FundSource.choices)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="programmes", verbose_name=_("tỉnh/thành phố"))
    start_year = models.PositiveSmallIntegerField(_("từ năm"))
    end_year = models.PositiveSmallIntegerField(_("đến năm"))
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=255, blank=True)
    description = models.TextField(_("mô tả"), blank=True)
    is_active = models.BooleanField(_("đang thực hiện"), default=True)

    objects = ProgrammeScopedQuerySet.as_manager()

    # Incremental sync (the API's ``updated_since``).
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("chương trình khuyến công")
        verbose_name_plural = _("chương trình khuyến công")
        ordering = ["-start_year", "sort_key"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(fund_source=FundSource.NATIONAL, province__isnull=True)
                           | models.Q(fund_source=FundSource.LOCAL, province__isnull=False)),
                name="programme_national_has_no_province",
            ),
            models.CheckConstraint(condition=models.Q(end_year__gte=models.F("start_year")),
                                   name="programme_years_ordered"),
        ]

    def search_source(self) -> str:
        return f"{self.name} {self.code}"

    def clean(self):
        errors = {}
        if self.fund_source == FundSource.NATIONAL and self.province_id:
            errors["province"] = _("Chương trình quốc gia không thuộc tỉnh nào.")
        if self.fund_source == FundSource.LOCAL and not self.province_id:
            errors["province"] = _("Chương trình địa phương phải thuộc một tỉnh/thành phố.")
        if self.start_year and self.end_year and self.end_year < self.start_year:
            errors["end_year"] = _("Năm kết thúc phải sau năm bắt đầu.")
        if errors:
            raise ValidationError(errors)


class SupportRule(models.Model):
    """A cap on support for an activity type: percent of total cost and absolute amount,
    per fund source, optionally per province, valid between two dates."""

    tenant_province_path = "province"
    tenant_null_province_visible = True

    fund_source = models.CharField(_("nguồn kinh phí"), max_length=10, choices=FundSource.choices)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="support_rules", verbose_name=_("tỉnh/thành phố"),
                                 help_text=_("Để trống: áp dụng toàn quốc."))
    activity_type = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="support_rules",
                                      verbose_name=_("nội dung khuyến công"))
    max_percent = models.DecimalField(_("tỷ lệ tối đa trên tổng chi phí (%)"), max_digits=5, decimal_places=2,
                                      null=True, blank=True,
                                      validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    max_amount = models.BigIntegerField(_("mức tối đa (đồng)"), null=True, blank=True,
                                        validators=[MinValueValidator(0)])
    valid_from = models.DateField(_("hiệu lực từ"))
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=255, blank=True)
    per_establishment = models.BooleanField(
        _("tính theo mỗi cơ sở"), default=False,
        help_text=_("Mức tối đa áp dụng cho mỗi cơ sở thụ hưởng thay vì cho cả đề án."))
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)

    objects = ProvinceRulesQuerySet.as_manager()

    # Incremental sync (the API's ``updated_since``).
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("định mức hỗ trợ")
        verbose_name_plural = _("định mức hỗ trợ")
        ordering = ["activity_type__position", "fund_source", "province_id", "-valid_from"]

    def __str__(self) -> str:
        where = self.province.short_name if self.province_id else _("toàn quốc")
        return f"{self.activity_type_id} · {self.get_fund_source_display()} · {where} · {self.valid_from:%d/%m/%Y}"

    def clean(self):
        errors = {}
        if self.max_percent is None and self.max_amount is None:
            errors["max_amount"] = _("Cần ít nhất một mức trần: tỷ lệ hoặc số tiền.")
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            errors["valid_to"] = _("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực.")
        if errors:
            raise ValidationError(errors)

    def cap_for(self, total_cost: int, establishments: int = 1) -> int | None:
        """The largest support this rule allows for a scheme of ``total_cost`` đồng with
        ``establishments`` beneficiaries (the amount is per beneficiary when the law says so)."""
        caps = []
        if self.max_amount is not None:
            caps.append(self.max_amount * (max(establishments, 1) if self.per_establishment else 1))
        if self.max_percent is not None:
            caps.append(int(Decimal(total_cost) * self.max_percent / 100))
        return min(caps) if caps else None


class Call(NamedModel):
    """An intake round (đợt tiếp nhận đề án) of a programme in a province for a year."""

    tenant_province_path = "province"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="calls",
                                  verbose_name=_("chương trình"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="calls",
                                 verbose_name=_("tỉnh/thành phố"))
    year = models.PositiveSmallIntegerField(_("năm kế hoạch"))
    opens_on = models.DateField(_("mở từ ngày"))
    closes_on = models.DateField(_("đóng ngày"))
    activity_types = models.ManyToManyField(ActivityType, related_name="calls", verbose_name=_("nội dung được nhận"))
    pass_mark = models.DecimalField(_("điểm đạt (thang 100)"), max_digits=5, decimal_places=2, default=Decimal("70"),
                                    validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    description = models.TextField(_("mô tả"), blank=True)
    required_documents = models.JSONField(
        _("tài liệu bắt buộc trong hồ sơ"), default=default_required_documents, blank=True,
        help_text=_("Mã các loại tài liệu hồ sơ phải có trước khi nộp."))

    objects = ProgrammeScopedQuerySet.as_manager()

    # Incremental sync (the API's ``updated_since``).
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("đợt tiếp nhận đề án")
        verbose_name_plural = _("đợt tiếp nhận đề án")
        ordering = ["-year", "-opens_on"]

    def clean(self):
        errors = {}
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            errors["closes_on"] = _("Ngày đóng phải sau ngày mở.")
        if self.programme_id:
            programme = self.programme
            if programme.province_id and self.province_id and programme.province_id != self.province_id:
                errors["programme"] = _("Chương trình địa phương của tỉnh khác.")
            if self.year and not (programme.start_year <= self.year <= programme.end_year):
                errors["year"] = _("Năm kế hoạch nằm ngoài thời gian của chương trình.")
        documents = self.required_documents
        if not isinstance(documents, list) or any(kind not in DossierDocument.values for kind in documents):
            errors["required_documents"] = _("Loại tài liệu bắt buộc không hợp lệ.")
        elif len(set(documents)) != len(documents):
            errors["required_documents"] = _("Một loại tài liệu được chọn hai lần.")
        if errors:
            raise ValidationError(errors)

    def is_open_on(self, day) -> bool:
        return self.opens_on <= day <= self.closes_on

    def required_document_labels(self) -> list[str]:
        return [DossierDocument(kind).label for kind in self.required_documents or []]


class AppraisalCriterion(models.Model):
    """A scoring criterion of a call: weight and maximum score. A member's weighted total
    is Σ(weight × score / max score) / Σ weight × 100."""

    tenant_province_path = "call__province"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("đợt"))
    name = models.CharField(_("tiêu chí"), max_length=255)
    description = models.TextField(_("hướng dẫn chấm"), blank=True)
    weight = models.DecimalField(_("trọng số"), max_digits=5, decimal_places=2, default=Decimal("1"),
                                 validators=[MinValueValidator(Decimal("0.01"))])
    max_score = models.PositiveSmallIntegerField(_("điểm tối đa"), default=10, validators=[MinValueValidator(1)])
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    objects = ProvinceRulesQuerySet.as_manager()

    class Meta:
        verbose_name = _("tiêu chí thẩm định")
        verbose_name_plural = _("tiêu chí thẩm định")
        ordering = ["call", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class BudgetAllocation(models.Model):
    """Money allocated to a programme in a province for a year. Committed and remaining
    are derived from approval decisions, never typed in."""

    tenant_province_path = "province"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="allocations",
                                  verbose_name=_("chương trình"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="allocations",
                                 verbose_name=_("tỉnh/thành phố"))
    year = models.PositiveSmallIntegerField(_("năm"))
    amount = models.BigIntegerField(_("kinh phí được giao (đồng)"), validators=[MinValueValidator(0)])
    decision_number = models.CharField(_("số quyết định giao"), max_length=60, blank=True)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)

    objects = ProvinceRulesQuerySet.as_manager()

    # Incremental sync (the API's ``updated_since``).
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("kinh phí được giao")
        verbose_name_plural = _("kinh phí được giao")
        ordering = ["-year", "programme", "province"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "province", "year"], name="uniq_allocation"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="allocation_amount_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.programme} · {self.province_id} · {self.year}"


class BudgetAllocationEntry(models.Model):
    """One change of an allocation, append-only: the allocation's amount is the last
    entry's ``amount_after``; nothing is overwritten without a row saying who, when, why
    and from what to what (a move writes one entry on each side, naming the other)."""

    tenant_province_path = "province"

    allocation = models.ForeignKey(BudgetAllocation, on_delete=models.PROTECT, related_name="entries",
                                   verbose_name=_("kinh phí được giao"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("tỉnh/thành phố"))
    kind = models.CharField(_("loại thay đổi"), max_length=10, choices=AllocationChange.choices)
    amount_before = models.BigIntegerField(_("trước (đồng)"))
    amount_after = models.BigIntegerField(_("sau (đồng)"), validators=[MinValueValidator(0)])
    reason = models.CharField(_("lý do"), max_length=500, blank=True)
    decision_number = models.CharField(_("số quyết định"), max_length=60, blank=True)
    counterpart = models.ForeignKey(BudgetAllocation, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("chương trình điều chuyển"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("người thực hiện"))
    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    objects = ProvinceRulesQuerySet.as_manager()

    class Meta:
        verbose_name = _("thay đổi kinh phí được giao")
        verbose_name_plural = _("sổ thay đổi kinh phí được giao")
        ordering = ["allocation", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_before} → {self.amount_after}"

    @property
    def delta(self) -> int:
        return self.amount_after - self.amount_before

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("Sổ thay đổi kinh phí chỉ được ghi thêm, không sửa."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Sổ thay đổi kinh phí chỉ được ghi thêm, không xóa."))
