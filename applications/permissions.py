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
from .models import ConflictDeclaration, CouncilMember, ImportKind


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


def council_only(user) -> bool:
    """A council member with no other role: the conflict gate and blind scoring apply to
    them; officers, approvers, the Agency and auditors read the appraisal as they did."""
    scope = scope_for(user)
    return not scope.superuser and scope.roles == {Role.COUNCIL_MEMBER}


def closed_dossiers(user, applications, level: str | None = None) -> dict:
    """``{application id: reason}`` of the dossiers closed to ``user``: a council member
    who sits on the council appraising the application at ``level`` (default: its current
    level) and has not declared, or declared a conflict of interest, reads only what the
    declaration needs (code, title, call) — not the dossier, its timeline or its score
    sheet. A fixed number of queries however many applications."""
    if not council_only(user):
        return {}
    councils = selectors.councils_for(applications, level)
    seated = set(CouncilMember.objects.filter(user=user, council_id__in=set(councils.values()))
                 .values_list("council_id", flat=True))
    gated = [a for a in applications if councils.get(a.pk) in seated]
    if not gated:
        return {}
    declared = {(d.application_id, d.level): d.has_conflict for d in ConflictDeclaration.objects.filter(
        user=user, application_id__in=[a.pk for a in gated])}
    closed = {}
    for application in gated:
        has_conflict = declared.get((application.pk, level or application.appraisal_level))
        if has_conflict is None:
            closed[application.pk] = _("Khai báo xung đột lợi ích trước khi xem hồ sơ, diễn biến và phiếu chấm "
                                       "điểm của đề án.")
        elif has_conflict:
            closed[application.pk] = _("Bạn đã khai báo có xung đột lợi ích với đề án này nên không xem hồ sơ, "
                                       "diễn biến và phiếu chấm điểm.")
    return closed


def open_dossier(user, application, level: str | None = None) -> Permission:
    """Read the dossier, its timeline and its score sheet (at ``level``, default the
    current one): closed to a council member until they declare no conflict of interest."""
    reason = closed_dossiers(user, [application], level).get(application.pk)
    return ALLOWED if reason is None else Permission(False, reason)


def see_others_scores(user, sheet) -> Permission:
    """Blind scoring: a council member scoring the application reads the other members'
    scores and comments only after submitting their own for every criterion."""
    if not council_only(user):
        return ALLOWED
    mine = next((m for m in sheet.members if m.member.user_id == user.pk), None)
    if mine is None or mine.complete:
        return ALLOWED
    return Permission(False, _("Chấm đủ các tiêu chí trước khi xem điểm và nhận xét của các thành viên khác."))


def blind_levels(user, application) -> set:
    """The appraisal levels at which ``user`` still scores blind (``see_others_scores``)."""
    if not council_only(user):
        return set()
    return {level for level in CouncilLevel.values
            if not see_others_scores(user, selectors.score_sheet(application, level))}


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


def separation_of_duties(user, application, transition) -> Permission:
    """Where the province separates duties (``ProvincePolicy.separation_of_duties``),
    whoever prepared or submitted a dossier may not take a ``separated`` step on it
    (return it, start its appraisal, record its acceptance). No query: the policy is
    cached and the preparer and submitter are on the row."""
    from .deadlines import separation_of_duties as province_separates

    if not transition.separated or not province_separates(application.province_id):
        return ALLOWED
    if user.pk in (application.created_by_id, application.submitted_by_id):
        return Permission(False, _("Tỉnh áp dụng tách bạch nhiệm vụ: người lập hoặc nộp đề án không được "
                                   "“%(a)s” đề án này; một cán bộ khác thực hiện.") % {"a": transition.label})
    return ALLOWED


def can_import(user, *, kind: str, province_id: int) -> tuple[bool, str]:
    """Province staff import their province's establishments and past schemes; the Agency
    imports past national schemes of any province."""
    scope = scope_for(user)
    if scope.read_only:
        return False, _("Vai trò chỉ đọc không được nhập dữ liệu.")
    if scope.superuser or scope.has_role(*PROVINCE_STAFF, province_id=province_id):
        return True, ""
    if kind == ImportKind.SCHEMES and scope.national and scope.roles & AGENCY_ROLES:
        return True, ""
    return False, _("Bạn không được nhập dữ liệu của tỉnh/thành này.")
