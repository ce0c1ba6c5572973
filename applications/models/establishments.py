"""Establishments: the registry of rural industrial establishments (cơ sở công nghiệp
nông thôn), with the tax-code rule."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khuyencong.models import NamedModel, NamedQuerySetMixin
from khuyencong.scoping import ScopedQuerySet
from khuyencong.text import normalize_search, strip_division_prefix
from provinces.models import Commune, LegacyCommune, Province

from ..choices import LegalForm

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
    legacy_commune = models.ForeignKey(
        LegacyCommune, on_delete=models.PROTECT, null=True, blank=True, related_name="establishments",
        verbose_name=_("xã/phường cũ (trước 01/7/2025)"),
        help_text=_("Địa chỉ cũ của cơ sở; xã/phường mới là đơn vị kế thừa đã được cán bộ xác nhận."))
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
    # The name as duplicate detection compares it (no diacritics, no legal form); on
    # PostgreSQL a trigram index (pg_trgm) serves the similar-name search.
    match_name = models.CharField(_("tên để so trùng"), max_length=255, editable=False, default="", db_default="",
                                  db_index=False)
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
        indexes = [models.Index(fields=["province", "sort_key"]),
                   # The national list's order.
                   models.Index(fields=["sort_key", "id"], name="establishment_list_order")]

    def search_source(self) -> str:
        return f"{self.name} {self.tax_code} {self.representative} {self.industry}"

    def refresh_name_keys(self) -> None:
        from ..duplicates.names import distinctive_name

        super().refresh_name_keys()
        self.match_name = distinctive_name(self.name)[:255]

    def clean(self):
        errors = {}
        if self.commune_id and self.province_id and self.commune.province_id != self.province_id:
            errors["commune"] = _("Xã/phường không thuộc tỉnh/thành phố của cơ sở.")
        if (self.legacy_commune_id and self.commune_id
                and not self.legacy_commune.lineage.filter(commune_id=self.commune_id).exists()):
            errors["legacy_commune"] = _("Xã/phường mới không phải đơn vị kế thừa của xã/phường cũ đã ghi.")
        if self.craft_village and not self.craft_village_name.strip():
            errors["craft_village_name"] = _("Ghi tên làng nghề khi cơ sở nằm trong làng nghề.")
        this_year = timezone.localdate().year
        if self.founded_year and self.founded_year > this_year:
            errors["founded_year"] = _("Năm thành lập không thể sau năm nay (%(y)s).") % {"y": this_year}
        if errors:
            raise ValidationError(errors)

    @property
    def full_address(self) -> str:
        """The address with its commune and province, each named once even when the
        address typed already ends with them ("…, phường Trảng Bàng")."""
        parts = [self.address.strip().rstrip(",")] if self.address.strip() else []
        typed = normalize_search(self.address)
        for unit in (self.commune, self.province):
            if unit is not None and normalize_search(strip_division_prefix(unit.name)) not in typed:
                parts.append(unit.name)
        return ", ".join(parts)

    @property
    def priority_flags(self) -> list[str]:
        labels = []
        for field in ("woman_owned", "ethnic_minority", "difficult_area", "craft_village"):
            if getattr(self, field):
                labels.append(self._meta.get_field(field).verbose_name)
        return labels
