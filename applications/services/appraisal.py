"""Writes of the appraisal: councils, conflict-of-interest declarations and scores."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khuyencong.errors import DomainConflict, item_errors
from programs.models import AppraisalCriterion
from provinces.choices import AGENCY_ROLES, Role

from .. import permissions, selectors
from ..choices import CouncilLevel, CouncilRole
from ..models import AppraisalCouncil, ConflictDeclaration, CouncilMember, CouncilSeat, Score
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
    errors.update(_composition_errors(list(members), level, province_id))
    if errors:
        raise ValidationError(errors)
    council = AppraisalCouncil(name=name, level=level, province_id=province_id, call=call, application=application,
                               decision_number=decision_number)
    council.full_clean()
    council.save()
    now = timezone.now()
    for member_user, role in members:
        CouncilMember.objects.create(council=council, user=member_user, role=role)
        CouncilSeat.objects.create(council=council, user=member_user, role=role, served_from=now, changed_by=user)
    if application is not None:
        base.record_event(application, user, "council_create",
                          payload={"council": council.pk, "members": [m.pk for m, _r in members], "level": level})
    return council


def _composition_errors(members, level, province_id) -> dict:
    """A council has members, one chair, and only people who may sit on it (the province's
    council members; the Agency's staff for a national council); nobody twice."""
    errors = {}
    if not members:
        errors["members"] = _("Hội đồng cần ít nhất một thành viên.")
        return errors
    chairs = [m for m, role in members if role == CouncilRole.CHAIR]
    if not chairs:
        errors["chair"] = _("Hội đồng phải có chủ tịch.")
    elif len(chairs) > 1:
        errors["members"] = _("Hội đồng chỉ có một chủ tịch.")
    if len({m.pk for m, _role in members}) != len(members):
        errors["members"] = _("Một người chỉ giữ một vai trò trong hội đồng.")
    eligible_ids = set(eligible_council_users(level, province_id).values_list("pk", flat=True))
    bad = [m.username for m, _role in members if m.pk not in eligible_ids]
    if bad:
        errors["members"] = _("Không đủ điều kiện làm thành viên hội đồng: %(u)s.") % {"u": ", ".join(bad)}
    return errors


@transaction.atomic
def council_recompose(*, user, council_id: int, members, reason: str, decision_number: str = "") -> AppraisalCouncil:
    """Change who sits on a council (``members``: ``[(user, council role)]``) with a reason.
    Seats that end are closed in the council's history, new ones open; a member who has
    already scored a dossier still under appraisal by this council stays."""
    council = AppraisalCouncil.objects.visible_to(user).select_for_update().filter(pk=council_id).first()
    if council is None:
        raise AppraisalCouncil.DoesNotExist
    require(permissions.set_up_council(user, council.level, council.province_id))
    members = list(members)
    errors = _composition_errors(members, council.level, council.province_id)
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Nhập lý do thay đổi thành phần hội đồng.")
    if errors:
        raise ValidationError(errors)
    wanted = {m.pk: (m, role) for m, role in members}
    current = {seat.user_id: seat for seat in council.members.select_related("user")}
    leaving = [seat for uid, seat in current.items() if uid not in wanted]
    if leaving:
        scored = set(Score.objects.filter(level=council.level, user_id__in=[s.user_id for s in leaving],
                                          application__in=_appraised_by(council))
                     .values_list("user__username", flat=True))
        if scored:
            raise DomainConflict(_("Không thay được thành viên đã chấm điểm đề án đang thẩm định: %(u)s.")
                                 % {"u": ", ".join(sorted(scored))})
    now = timezone.now()
    changed = False
    for uid, (member_user, role) in wanted.items():
        seat = current.get(uid)
        if seat is not None and seat.role == role:
            continue
        changed = True
        if seat is not None:  # a new role: the old seat ends, a new one starts
            _end_seat(council, uid, now, reason, user)
            seat.role = role
            seat.save(update_fields=["role"])
        else:
            CouncilMember.objects.create(council=council, user=member_user, role=role)
        CouncilSeat.objects.create(council=council, user=member_user, role=role, served_from=now, reason=reason[:500],
                                   changed_by=user)
    for seat in leaving:
        changed = True
        _end_seat(council, seat.user_id, now, reason, user)
        seat.delete()  # the current composition; the history keeps the seat
    if decision_number and decision_number != council.decision_number:
        council.decision_number = decision_number
        council.save(update_fields=["decision_number"])
    if not changed:
        raise ValidationError({"members": _("Thành phần hội đồng không thay đổi.")})
    return council


def _end_seat(council, user_id, when, reason, user):
    for seat in CouncilSeat.objects.filter(council=council, user_id=user_id, served_to__isnull=True):
        seat.served_to, seat.reason, seat.changed_by = when, reason[:500], user
        seat.save(update_fields=["served_to", "reason", "changed_by"])  # audited, row by row


def _appraised_by(council):
    """Applications this council is appraising now."""
    from ..models import Application
    from ..states import APPRAISAL_STATES

    qs = Application.objects.filter(status__in=APPRAISAL_STATES)
    if council.application_id:
        return qs.filter(pk=council.application_id)
    return qs.filter(call_id=council.call_id)


def eligible_council_users(level, province_id):
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
