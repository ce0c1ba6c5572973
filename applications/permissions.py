"""Who may write what in the applications app. Every check returns ``(allowed, reason)``
so a page can say why a button is disabled; ``require`` turns a refusal into
``PermissionDenied`` for the services. Reading is ``visible_to``; these checks apply to
what the caller already sees."""

from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from khuyencong.scoping import scope_for
from programs.choices import FundSource
from provinces.choices import AGENCY_ROLES, PROVINCE_STAFF, Role
from provinces.models import Province

from . import selectors
from .choices import CouncilLevel
from .models import ConflictDeclaration


class Permission(NamedTuple):
    """A check's answer; true when allowed, so ``if permissions.record(user, app):`` reads well."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Permission(True)


def require(permission: Permission) -> None:
    if not permission.allowed:
        raise PermissionDenied(permission.reason)


def write_in(user, province_id, commune_id=None) -> Permission:
    """Province staff write the province's records; a commune officer those of their commune."""
    scope = scope_for(user)
    if not scope.read_only and (
            scope.superuser or scope.roles_by_province.get(province_id, set()) & PROVINCE_STAFF
            or (commune_id is not None and commune_id in scope.commune_ids)):
        return ALLOWED
    return Permission(False, _("Bạn không có quyền ghi dữ liệu của tỉnh/thành này."))


def commune_writer(user, establishments) -> bool:
    """A commune officer writes the dossiers whose beneficiaries are all in their commune."""
    scope = scope_for(user)
    return bool(establishments) and not scope.read_only and all(e.commune_id in scope.commune_ids
                                                                for e in establishments)


def write_application(user, province_id, establishments=()) -> Permission:
    """Create or edit a dossier: province staff, or a commune officer proposing schemes
    for establishments of their commune."""
    if write_in(user, province_id) or commune_writer(user, establishments):
        return ALLOWED
    return Permission(False, _("Bạn không có quyền lập hoặc sửa đề án của tỉnh/thành này."))


def writable_provinces(user):
    """Provinces where the user may create establishments and applications."""
    scope = scope_for(user)
    if scope.read_only:
        return Province.objects.none()
    if scope.superuser:
        return Province.objects.all()
    ids = {pid for pid, roles in scope.roles_by_province.items() if pid and roles & PROVINCE_STAFF}
    ids |= set(scope.commune_province_ids)
    return Province.objects.filter(code__in=ids)


def record(user, application) -> Permission:
    """Province staff of the application's province record what happens on the ground."""
    scope = scope_for(user)
    if scope.superuser or (not scope.read_only
                           and scope.roles_by_province.get(application.province_id, set()) & PROVINCE_STAFF):
        return ALLOWED
    return Permission(False, _("Chỉ cán bộ Sở Công Thương của tỉnh/thành có đề án được ghi nhận việc thực hiện."))


def decide(user, application) -> Permission:
    """The province approver decides on local funds, the Agency approver on national funds."""
    scope = scope_for(user)
    if scope.superuser:
        return ALLOWED
    if application.fund_source == FundSource.NATIONAL:
        allowed = not scope.read_only and Role.AGENCY_APPROVER in scope.roles_by_province.get(None, set())
        message = _("Đề án dùng kinh phí khuyến công quốc gia: Cục (lãnh đạo phê duyệt) quyết định.")
    else:
        allowed = not scope.read_only and Role.PROVINCE_APPROVER in scope.roles_by_province.get(
            application.province_id, set())
        message = _("Đề án dùng kinh phí địa phương: lãnh đạo Sở Công Thương của tỉnh/thành quyết định.")
    return ALLOWED if allowed else Permission(False, message)


def open_dossier(user, application) -> Permission:
    """A council member without another role opens the dossier of an application under
    appraisal only after declaring no conflict of interest."""
    scope = scope_for(user)
    if scope.superuser or not scope.roles or scope.roles - {Role.COUNCIL_MEMBER}:
        return ALLOWED
    level = application.appraisal_level
    if level is None or selectors.council_seat(application, user, level) is None:
        return ALLOWED
    if ConflictDeclaration.objects.filter(application=application, level=level, user=user,
                                          has_conflict=False).exists():
        return ALLOWED
    return Permission(False, _("Khai báo không có xung đột lợi ích trước khi xem hồ sơ."))


def set_up_council(user, level, province_id) -> Permission:
    """Province staff set up their province's councils; the Agency the national ones."""
    if level == CouncilLevel.PROVINCIAL:
        if write_in(user, province_id):
            return ALLOWED
        return Permission(False, _("Bạn không được lập hội đồng của tỉnh/thành này."))
    scope = scope_for(user)
    if (scope.superuser or scope.roles & AGENCY_ROLES) and not scope.read_only:
        return ALLOWED
    return Permission(False, _("Chỉ Cục lập hội đồng thẩm định cấp Cục."))
