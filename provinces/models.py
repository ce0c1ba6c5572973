"""Geography (regions, provinces, communes, the pre-2025 units and their lineage) and tenancy
(organisations and memberships)."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from khuyencong.models import NamedModel, NamedQuerySetMixin
from khuyencong.scoping import ScopedQuerySet
from khuyencong.text import normalize_search, strip_division_prefix

from .choices import (
    ROLES_BY_ORGANISATION_KIND,
    CommuneKind,
    LegacyUnitKind,
    OrganisationKind,
    ProvinceKind,
    RegionGrouping,
    Role,
)


class ReferenceQuerySet(NamedQuerySetMixin, ScopedQuerySet):
    """Reference data: visible to everyone with a role."""


class Province(NamedModel):
    """A provincial-level unit since 1 July 2025 (28 tỉnh, 6 thành phố), keyed by its NSO code."""

    tenant_province_path = None

    code = models.PositiveSmallIntegerField(_("mã"), primary_key=True)
    kind = models.CharField(_("loại"), max_length=16, choices=ProvinceKind.choices)
    codename = models.SlugField(_("tên mã"), max_length=64, blank=True)
    phone_code = models.PositiveSmallIntegerField(_("mã vùng điện thoại"), null=True, blank=True)

    objects = ReferenceQuerySet.as_manager()

    # Incremental sync (the API's ``updated_since``).
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("tỉnh/thành phố")
        verbose_name_plural = _("tỉnh/thành phố")
        ordering = ["sort_key"]

    def search_source(self) -> str:
        return f"{self.name} {self.code:02d}"

    @property
    def code_display(self) -> str:
        return f"{self.code:02d}"

    @property
    def is_city(self) -> bool:
        return self.kind == ProvinceKind.CITY

    @property
    def short_name(self) -> str:
        for prefix in ("Thành phố ", "Tỉnh "):
            if self.name.startswith(prefix):
                return self.name[len(prefix):]
        return self.name


class Region(NamedModel):
    """A group of provinces: a socio-economic region or one of the Agency's khuyến công areas."""

    tenant_province_path = None

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    grouping = models.CharField(_("cách phân vùng"), max_length=20, choices=RegionGrouping.choices)
    provinces = models.ManyToManyField(Province, related_name="regions", blank=True, verbose_name=_("tỉnh/thành phố"))
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    note = models.TextField(_("ghi chú"), blank=True)

    objects = ReferenceQuerySet.as_manager()

    # Incremental sync (the API's ``updated_since``).
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("vùng")
        verbose_name_plural = _("vùng")
        ordering = ["grouping", "position", "sort_key"]


class Commune(NamedModel):
    """A commune-level unit since 1 July 2025 (xã, phường, đặc khu), keyed by its NSO code."""

    tenant_province_path = None

    code = models.PositiveIntegerField(_("mã"), primary_key=True)
    kind = models.CharField(_("loại"), max_length=16, choices=CommuneKind.choices)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="communes",
                                 verbose_name=_("tỉnh/thành phố"))
    codename = models.SlugField(_("tên mã"), max_length=80, blank=True)

    objects = ReferenceQuerySet.as_manager()

    # Incremental sync (the API's ``updated_since``).
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("xã/phường/đặc khu")
        verbose_name_plural = _("xã/phường/đặc khu")
        ordering = ["sort_key"]
        indexes = [models.Index(fields=["province", "sort_key"])]

    def search_source(self) -> str:
        return f"{self.name} {self.code:05d}"

    @property
    def code_display(self) -> str:
        return f"{self.code:05d}"


class LegacyProvince(NamedModel):
    """A provincial unit before 1 July 2025 (one of 63)."""

    tenant_province_path = None

    code = models.PositiveSmallIntegerField(_("mã"), primary_key=True)
    kind = models.CharField(_("loại"), max_length=16, choices=LegacyUnitKind.choices)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("tỉnh cũ (trước 01/7/2025)")
        verbose_name_plural = _("tỉnh cũ (trước 01/7/2025)")
        ordering = ["sort_key"]

    def successor_provinces(self):
        """New provinces that took over any of this province's communes."""
        return Province.objects.filter(communes__predecessors__legacy_commune__province=self).distinct()


class LegacyDistrict(NamedModel):
    """A district before 1 July 2025 (one of 696); the district level no longer exists."""

    tenant_province_path = None

    code = models.PositiveIntegerField(_("mã"), primary_key=True)
    kind = models.CharField(_("loại"), max_length=16, choices=LegacyUnitKind.choices)
    province = models.ForeignKey(LegacyProvince, on_delete=models.PROTECT, related_name="districts",
                                 verbose_name=_("tỉnh cũ"))

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("huyện cũ")
        verbose_name_plural = _("huyện cũ")
        ordering = ["sort_key"]


def legacy_commune_search_source(name: str, code: int, district: str, province: str) -> str:
    """"Phường 4 Tân An Thành phố Tân An Tỉnh Long An 27691": the name followed by its
    district's proper name, so "phuong 4 tan an" is a prefix of the unit it means (the
    search ranks prefixes first), then the full names and the code."""
    return f"{name} {strip_division_prefix(district)} {district} {province} {code:05d}"


class LegacyCommuneQuerySet(ReferenceQuerySet):
    def search(self, query: str | None):
        """Every word, as for any name; the unit whose name and district read as typed
        first ("phuong 4 tan an" puts Phường 4 of Tân An before the other Phường 4s)."""
        # Addresses are written with commas ("Phường 4, Tân An"): punctuation separates words.
        query = re.sub(r"[,;/()\-–]", " ", query or "")
        qs = super().search(query)
        key = normalize_search(query)
        if not key:
            return qs
        return qs.annotate(search_rank=models.Case(
            models.When(search_text__startswith=key + " ", then=0),
            models.When(search_text__startswith=key, then=1),
            models.When(search_text__contains=" " + key + " ", then=2),
            default=3, output_field=models.IntegerField())).order_by("search_rank", "sort_key", "code")


class LegacyCommune(NamedModel):
    """A commune-level unit before 1 July 2025 (about 10,051)."""

    tenant_province_path = None

    code = models.PositiveIntegerField(_("mã"), primary_key=True)
    kind = models.CharField(_("loại"), max_length=16, choices=LegacyUnitKind.choices)
    district = models.ForeignKey(LegacyDistrict, on_delete=models.PROTECT, related_name="communes",
                                 verbose_name=_("huyện cũ"))
    province = models.ForeignKey(LegacyProvince, on_delete=models.PROTECT, related_name="communes",
                                 verbose_name=_("tỉnh cũ"))
    successors = models.ManyToManyField(Commune, through="CommuneLineage", related_name="legacy_sources",
                                        verbose_name=_("đơn vị kế thừa"))

    objects = LegacyCommuneQuerySet.as_manager()

    # Incremental sync (the API's ``updated_since``).
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("xã cũ")
        verbose_name_plural = _("xã cũ")
        ordering = ["sort_key"]

    def search_source(self) -> str:
        return legacy_commune_search_source(self.name, self.code, self.district.name, self.province.name)


class CommuneLineage(models.Model):
    """One old commune → one new commune. An old commune split across several new
    ones has several rows, each marked ``partial``."""

    legacy_commune = models.ForeignKey(LegacyCommune, on_delete=models.CASCADE, related_name="lineage",
                                       verbose_name=_("xã cũ"))
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="predecessors",
                                verbose_name=_("xã mới"))
    partial = models.BooleanField(_("chỉ một phần"), default=False)

    class Meta:
        verbose_name = _("quan hệ kế thừa xã")
        verbose_name_plural = _("quan hệ kế thừa xã")
        constraints = [models.UniqueConstraint(fields=["legacy_commune", "commune"], name="uniq_commune_lineage")]

    def __str__(self) -> str:
        return f"{self.legacy_commune_id} → {self.commune_id}"


class OrganisationQuerySet(NamedQuerySetMixin, ScopedQuerySet):
    def scope_q(self, scope):
        # Province staff see their province's organisations and the Agency; a commune
        # officer sees their committee, the province's Sở/centre and the Agency.
        q = models.Q(province__isnull=True)
        if scope.province_ids:
            q |= models.Q(province_id__in=scope.province_ids)
        if scope.commune_ids:
            q |= models.Q(commune_id__in=scope.commune_ids)
            q |= models.Q(province_id__in=scope.commune_province_ids, commune__isnull=True)
        return q


class Organisation(NamedModel):
    """The Agency, a Sở Công Thương, a provincial khuyến công centre or a commune People's Committee."""

    tenant_province_path = "province"
    tenant_commune_path = "commune"

    kind = models.CharField(_("loại"), max_length=24, choices=OrganisationKind.choices)
    short_name = models.CharField(_("tên viết tắt"), max_length=60, blank=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="organisations", verbose_name=_("tỉnh/thành phố"))
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="organisations", verbose_name=_("xã/phường"))
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)

    objects = OrganisationQuerySet.as_manager()

    # Incremental sync (the API's ``updated_since``).
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("cơ quan, đơn vị")
        verbose_name_plural = _("cơ quan, đơn vị")
        ordering = ["sort_key"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind=OrganisationKind.AGENCY, province__isnull=True)
                | (~models.Q(kind=OrganisationKind.AGENCY) & models.Q(province__isnull=False)),
                name="organisation_agency_has_no_province",
            ),
        ]

    def clean(self):
        errors = {}
        if self.kind == OrganisationKind.AGENCY and self.province_id:
            errors["province"] = _("Cục không thuộc tỉnh nào.")
        if self.kind != OrganisationKind.AGENCY and not self.province_id:
            errors["province"] = _("Đơn vị cấp tỉnh/xã phải thuộc một tỉnh/thành phố.")
        if self.kind == OrganisationKind.COMMUNE_COMMITTEE and not self.commune_id:
            errors["commune"] = _("UBND xã phải gắn với một xã/phường.")
        if self.commune_id and self.province_id and self.commune.province_id != self.province_id:
            errors["commune"] = _("Xã/phường không thuộc tỉnh/thành phố đã chọn.")
        if errors:
            raise ValidationError(errors)


class MembershipQuerySet(ScopedQuerySet):
    pass


class Membership(models.Model):
    """A user works in an organisation with a role. All domain facts about users sit here."""

    tenant_province_path = "organisation__province"
    tenant_commune_path = "organisation__commune"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
                             verbose_name=_("người dùng"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships",
                                     verbose_name=_("cơ quan, đơn vị"))
    role = models.CharField(_("vai trò"), max_length=24, choices=Role.choices)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("phân công")
        verbose_name_plural = _("phân công")
        constraints = [models.UniqueConstraint(fields=["user", "organisation", "role"], name="uniq_membership")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.organisation}"

    def clean(self):
        allowed = ROLES_BY_ORGANISATION_KIND.get(self.organisation.kind, set()) if self.organisation_id else set()
        if self.organisation_id and self.role not in allowed:
            raise ValidationError({"role": _("Vai trò này không dùng được cho loại đơn vị đã chọn.")})


class ProvincePolicy(models.Model):
    """A province's own deadlines and rules of work; every empty field falls back to the
    national default in the settings (``KC_STATE_TARGET_DAYS``, ``KC_DEADLINE_DEFAULTS``).
    Read through ``applications.deadlines``; written with ``services.province_policy_set``
    (or the admin)."""

    tenant_province_path = "province"

    province = models.OneToOneField(Province, on_delete=models.CASCADE, primary_key=True, related_name="policy",
                                    verbose_name=_("tỉnh/thành phố"))
    stage_target_days = models.JSONField(
        _("chỉ tiêu số ngày theo trạng thái"), default=dict, blank=True,
        help_text=_("Ví dụ {\"submitted\": 7, \"under_appraisal\": 15}; trạng thái không ghi dùng chỉ tiêu toàn quốc."))
    progress_report_months = models.PositiveSmallIntegerField(
        _("báo cáo tiến độ mỗi (tháng)"), null=True, blank=True)
    completion_grace_days = models.PositiveSmallIntegerField(
        _("hạn báo cáo hoàn thành sau ngày kết thúc (ngày)"), null=True, blank=True)
    settlement_days = models.PositiveSmallIntegerField(
        _("hạn quyết toán sau nghiệm thu (ngày)"), null=True, blank=True)
    escalation_days = models.PositiveSmallIntegerField(
        _("báo lãnh đạo khi trễ quá (ngày)"), null=True, blank=True)
    separation_of_duties = models.BooleanField(
        _("tách bạch nhiệm vụ"), default=False,
        help_text=_("Người lập hoặc nộp đề án không được trả lại, bắt đầu thẩm định hay ghi nhận nghiệm thu đề án đó."))
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("quy định riêng của tỉnh")
        verbose_name_plural = _("quy định riêng của tỉnh")

    def __str__(self) -> str:
        return str(self.province_id)

    def clean(self):
        targets = self.stage_target_days
        if not isinstance(targets, dict) or not all(
                isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 3650
                for k, v in targets.items()):
            raise ValidationError({"stage_target_days": _(
                "Ghi dạng {\"trạng thái\": số ngày}, số ngày từ 1 đến 3650.")})
