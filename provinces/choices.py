"""Choices of the geography and tenancy app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProvinceKind(models.TextChoices):
    PROVINCE = "tinh", _("Tỉnh")
    CITY = "thanh_pho", _("Thành phố trực thuộc trung ương")


class CommuneKind(models.TextChoices):
    COMMUNE = "xa", _("Xã")
    WARD = "phuong", _("Phường")
    SPECIAL_ZONE = "dac_khu", _("Đặc khu")


class LegacyUnitKind(models.TextChoices):
    PROVINCE = "tinh", _("Tỉnh")
    CITY = "thanh_pho_tw", _("Thành phố trực thuộc trung ương")
    URBAN_DISTRICT = "quan", _("Quận")
    RURAL_DISTRICT = "huyen", _("Huyện")
    TOWN = "thi_xa", _("Thị xã")
    PROVINCIAL_CITY = "thanh_pho", _("Thành phố thuộc tỉnh")
    COMMUNE = "xa", _("Xã")
    WARD = "phuong", _("Phường")
    TOWNSHIP = "thi_tran", _("Thị trấn")
    SPECIAL_ZONE = "dac_khu", _("Đặc khu")


class RegionGrouping(models.TextChoices):
    SOCIO_ECONOMIC = "socio_economic", _("Vùng kinh tế - xã hội")
    KHUYEN_CONG_AREA = "khuyen_cong_area", _("Khu vực khuyến công")


class OrganisationKind(models.TextChoices):
    AGENCY = "agency", _("Cục (cơ quan trung ương)")
    DEPARTMENT = "department", _("Sở Công Thương")
    CENTRE = "centre", _("Trung tâm Khuyến công")
    COMMUNE_COMMITTEE = "commune_committee", _("UBND cấp xã")


class Role(models.TextChoices):
    """Roles of a membership. ``badge`` gives the colour the UI shows."""

    PROVINCE_OFFICER = "province_officer", _("Cán bộ Sở")
    PROVINCE_APPROVER = "province_approver", _("Lãnh đạo Sở (phê duyệt)")
    COUNCIL_MEMBER = "council_member", _("Thành viên hội đồng thẩm định")
    COMMUNE_OFFICER = "commune_officer", _("Cán bộ UBND xã")
    AGENCY_OFFICER = "agency_officer", _("Chuyên viên Cục")
    AGENCY_APPROVER = "agency_approver", _("Lãnh đạo Cục (phê duyệt)")
    AUDITOR = "auditor", _("Kiểm toán / thanh tra (chỉ đọc)")


AGENCY_ROLES = frozenset({Role.AGENCY_OFFICER, Role.AGENCY_APPROVER})
# The staff of a provincial Department: they write, record and move the province's dossiers on.
PROVINCE_STAFF = frozenset({Role.PROVINCE_OFFICER, Role.PROVINCE_APPROVER})
READ_ONLY_ROLES = frozenset({Role.AUDITOR})
# Which roles an organisation kind may hold.
ROLES_BY_ORGANISATION_KIND = {
    OrganisationKind.AGENCY: {Role.AGENCY_OFFICER, Role.AGENCY_APPROVER, Role.AUDITOR, Role.COUNCIL_MEMBER},
    OrganisationKind.DEPARTMENT: {Role.PROVINCE_OFFICER, Role.PROVINCE_APPROVER, Role.COUNCIL_MEMBER, Role.AUDITOR},
    OrganisationKind.CENTRE: {Role.PROVINCE_OFFICER, Role.COUNCIL_MEMBER, Role.AUDITOR},
    OrganisationKind.COMMUNE_COMMITTEE: {Role.COMMUNE_OFFICER, Role.AUDITOR},
}
