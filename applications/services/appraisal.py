"""Writes of the appraisal: councils, conflict-of-interest declarations and scores."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from khuyencong.errors import DomainConflict, item_errors
from programs.models import AppraisalCriterion
from provinces.choices import AGENCY_ROLES, Role

from .. import permissions, selectors
from ..choices import CouncilLevel, CouncilRole
from ..models import AppraisalCouncil, ConflictDeclaration, CouncilMember, Score
from ..permissions import require
from . import base
from .base import _lock, expect


@transaction.atomic
def council_create(*, user, name: str, level: str, province=None, call=None, application=None,
                   members=(), decision_number: str = "") -> AppraisalCouncil:
    """Set up a council for a call or one application. ``members`` is a list of
    ``(user, council role)``: provincial members need the council_member role in
    that province; national members are Agency staff."""
    errors = {}
    if level == CouncilLevel.PROVINCIAL:
        province_id = province.code if province else (call.province_id if call else application.province_id)
    else:
        province_id = None
    require(permissions.set_up_council(user, level, province_id))
    if call is None and application is None:
        errors["call"] = _("Hội đồng phải gắn với một đợt tiếp nhận hoặc một đề án.")
    if not members:
        errors["members"] = _("Hội đồng cần ít nhất một thành viên.")
    chairs = [m for m, role in members if role == CouncilRole.CHAIR]
    if len(chairs) > 1:
        errors["members"] = _("Hội đồng chỉ có một chủ tịch.")
    eligible_ids = set(_eligible_council_users(level, province_id).values_list("pk", flat=True))
    bad = [m.username for m, _role in members if m.pk not in eligible_ids]
    if bad:
        errors["members"] = _("Không đủ điều kiện làm thành viên hội đồng: %(u)s.") % {"u": ", ".join(bad)}
    if errors:
        raise ValidationError(errors)
    council = AppraisalCouncil(name=name, level=level, province_id=province_id, call=call, application=application,
                               decision_number=decision_number)
    council.full_clean()
    council.save()
    for member_user, role in members:
        CouncilMember.objects.create(council=council, user=member_user, role=role)
    if application is not None:
        base.record_event(application, user, "council_create",
                          payload={"council": council.pk, "members": [m.pk for m, _r in members], "level": level})
    return council


def _eligible_council_users(level, province_id):
    User = get_user_model()
    if level == CouncilLevel.NATIONAL:
        return User.objects.filter(memberships__is_active=True, memberships__organisation__province__isnull=True,
                                   memberships__role__in=[Role.COUNCIL_MEMBER, *AGENCY_ROLES]).distinct()
    return User.objects.filter(memberships__is_active=True, memberships__role=Role.COUNCIL_MEMBER,
                               memberships__organisation__province_id=province_id).distinct()


def _seat_or_404(application, user):
    level = application.appraisal_level
    if level is None:
        raise DomainConflict(_("Đề án không ở bước thẩm định."))
    seat = selectors.council_seat(application, user, level)
    if seat is None:
        raise PermissionDenied(_("Bạn không phải thành viên hội đồng thẩm định đề án này."))
    return level, seat


@transaction.atomic
def conflict_declare(*, user, application_id, has_conflict: bool, note: str = "") -> ConflictDeclaration:
    """Declare (once) whether the member has a conflict of interest with the application."""
    application = _lock(application_id, user)
    level, _seat = _seat_or_404(application, user)
    if has_conflict and not (note or "").strip():
        raise ValidationError({"note": _("Nêu ngắn gọn nội dung xung đột lợi ích.")})
    existing = ConflictDeclaration.objects.filter(application=application, level=level, user=user).first()
    if existing is not None:
        raise DomainConflict(_("Bạn đã khai báo xung đột lợi ích cho đề án này."))
    declaration = ConflictDeclaration.objects.create(application=application, level=level, user=user,
                                                     has_conflict=bool(has_conflict), note=(note or "").strip())
    base.record_event(application, user, "conflict_declared", reason=declaration.note,
                      payload={"level": level, "has_conflict": declaration.has_conflict})
    return declaration


@transaction.atomic
def scores_submit(*, user, application_id, scores: dict) -> list[Score]:
    """Save a member's scores: ``{criterion id: {"score": Decimal, "comment": str}}``, as the
    score form or serializer typed them."""
    application = _lock(application_id, user)
    level, _seat = _seat_or_404(application, user)
    declaration = ConflictDeclaration.objects.filter(application=application, level=level, user=user).first()
    if declaration is None:
        raise DomainConflict(_("Khai báo xung đột lợi ích trước khi xem hồ sơ và chấm điểm."))
    if declaration.has_conflict:
        raise PermissionDenied(_("Bạn đã khai báo có xung đột lợi ích nên không chấm điểm đề án này."))
    criteria = {c.pk: c for c in AppraisalCriterion.objects.filter(call_id=application.call_id)}
    errors, saved = {}, []
    for key, entry in (scores or {}).items():
        criterion = criteria.get(expect(key, int, "scores.criterion"))
        if criterion is None:
            errors[key] = {"criterion": _("Tiêu chí không thuộc đợt tiếp nhận của đề án.")}
            continue
        value = expect(entry["score"], Decimal | int, "scores.score")
        if value is None:
            errors[key] = {"score": _("Nhập điểm của “%(c)s”.") % {"c": criterion.name}}
        elif value < 0 or value > criterion.max_score:
            errors[key] = {"score": _("Điểm của “%(c)s” phải từ 0 đến %(m)s.")
                           % {"c": criterion.name, "m": criterion.max_score}}
        else:
            saved.append((criterion, Decimal(value).quantize(Decimal("0.01")), (entry.get("comment") or "").strip()))
    if errors:
        raise item_errors("scores", errors, keyed=True)
    if not saved:
        raise ValidationError({"scores": _("Chưa nhập điểm nào.")})
    results = []
    for criterion, value, comment in saved:
        score, _created = Score.objects.update_or_create(
            application=application, level=level, user=user, criterion=criterion,
            defaults={"score": value, "comment": comment})
        results.append(score)
    base.record_event(application, user, "scores_submitted",
                      payload={"level": level, "scores": {str(c.pk): str(v) for c, v, _cm in saved}})
    return results
