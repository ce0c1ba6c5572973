"""Writes of the programmes app: reference activity types, programmes, caps, calls and
criteria. Province staff manage their own province's rows; the Agency manages national
ones. (Allocations are changed beside the ledger, in ``applications.services.budget``.)"""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from khuyencong.errors import DomainConflict
from khuyencong.scoping import scope_for
from provinces.choices import AGENCY_ROLES, PROVINCE_STAFF, Role

from .models import ActivityType, AppraisalCriterion, Call, Programme, SupportRule

# The reference table of DOMAIN.md: code, name, green, first-advance share (old rule:
# 70 % for training/consulting schemes, 30 % for cluster infrastructure; the others
# use 70 % as a configurable default).
ACTIVITY_TYPES = [
    ("DAO_TAO", "Đào tạo nghề, truyền nghề, nâng cao tay nghề", False, 70),
    ("NANG_LUC_QL", "Nâng cao năng lực quản lý, khởi sự doanh nghiệp", False, 70),
    ("MO_HINH_TD", "Xây dựng mô hình trình diễn kỹ thuật, chuyển giao công nghệ", False, 70),
    ("MMTB", "Ứng dụng máy móc, thiết bị tiên tiến", False, 70),
    ("SXSH", "Sản xuất sạch hơn, sản xuất bền vững", True, 70),
    ("XU_LY_MT", "Xử lý ô nhiễm môi trường", True, 70),
    ("SP_CNNT", "Phát triển sản phẩm công nghiệp nông thôn: bình chọn, hội chợ, trưng bày, thương hiệu", False, 70),
    ("NGHE_NHAN", "Hỗ trợ nghệ nhân", False, 70),
    ("TU_VAN", "Tư vấn, hỗ trợ cơ sở công nghiệp nông thôn", False, 70),
    ("THONG_TIN", "Thông tin, tuyên truyền", False, 70),
    ("LIEN_KET_CCN", "Liên kết, hợp tác và phát triển cụm công nghiệp", False, 30),
    ("CHUYEN_DOI_SO", "Chuyển đổi số", False, 70),
    ("HTQT", "Hợp tác quốc tế về khuyến công", False, 70),
    ("QUAN_LY", "Quản lý chương trình, đề án khuyến công", False, 70),
]


def activity_types_load() -> int:
    """Create the reference activity types when missing; edited rows are left alone."""
    created = 0
    for position, (code, name, green, advance) in enumerate(ACTIVITY_TYPES, start=1):
        _obj, was_created = ActivityType.objects.get_or_create(
            code=code, defaults={"name": name, "is_green": green, "first_advance_percent": advance,
                                 "position": position})
        created += was_created
    return created


def require_manage(user, province_id) -> None:
    """Province staff manage their own province's rows; the Agency manages national ones."""
    scope = scope_for(user)
    if scope.superuser:
        return
    if scope.read_only:
        raise PermissionDenied(_("Vai trò chỉ đọc."))
    if province_id is None:
        if not scope.roles & AGENCY_ROLES:
            raise PermissionDenied(_("Chỉ Cục quản lý dữ liệu cấp quốc gia."))
        return
    if not scope.has_role(*PROVINCE_STAFF, province_id=province_id):
        raise PermissionDenied(_("Bạn không quản lý dữ liệu của tỉnh/thành này."))


def _save(obj):
    obj.full_clean()
    obj.save()
    return obj


@transaction.atomic
def programme_create(*, user, **fields) -> Programme:
    programme = Programme(**fields)
    require_manage(user, programme.province_id)
    return _save(programme)


def require_approver(user, province_id) -> None:
    """A province's rules (caps, calls) are set by its Department approver; national ones
    by the Agency."""
    scope = scope_for(user)
    if scope.superuser:
        return
    if scope.read_only:
        raise PermissionDenied(_("Vai trò chỉ đọc."))
    if province_id is None:
        if not scope.roles & AGENCY_ROLES:
            raise PermissionDenied(_("Chỉ Cục quản lý quy định cấp quốc gia."))
        return
    if Role.PROVINCE_APPROVER not in scope.roles_by_province.get(province_id, set()):
        raise PermissionDenied(_("Chỉ lãnh đạo Sở Công Thương của tỉnh/thành quản lý quy định của tỉnh/thành."))


def _day(value) -> str:
    return value.strftime("%d/%m/%Y") if value else "…"


@transaction.atomic
def support_rule_create(*, user, **fields) -> SupportRule:
    """A new version of a cap for province × fund source × activity type from
    ``valid_from``. Versions never overlap: the open-ended version in force before that
    date ends the day before (it stays, unchanged, for dossiers decided under it); any
    other overlap is refused. A rule is never edited in place."""
    rule = SupportRule(**fields)
    require_approver(user, rule.province_id)
    rule.full_clean()
    siblings = list(SupportRule.objects.select_for_update().filter(
        fund_source=rule.fund_source, activity_type_id=rule.activity_type_id, province_id=rule.province_id)
        .order_by("valid_from"))
    new_end = rule.valid_to or date.max
    superseded = None
    for other in siblings:
        other_end = other.valid_to or date.max
        if other.valid_to is None and other.valid_from < rule.valid_from and superseded is None:
            superseded = other  # the version in force: it ends where this one starts
            continue
        if other.valid_from <= new_end and rule.valid_from <= other_end:
            raise ValidationError({"valid_from": _(
                "Trùng thời gian hiệu lực với phiên bản định mức từ %(a)s đến %(b)s (%(basis)s): chọn ngày hiệu lực "
                "khác hoặc đặt ngày hết hiệu lực.") % {"a": _day(other.valid_from), "b": _day(other.valid_to),
                                                        "basis": other.legal_basis or "—"}})
    if superseded is not None:
        if any(o.valid_from > superseded.valid_from and o.valid_from <= rule.valid_from for o in siblings
               if o is not superseded):
            raise ValidationError({"valid_from": _("Trùng thời gian hiệu lực với một phiên bản định mức khác.")})
        superseded.valid_to = rule.valid_from - timedelta(days=1)
        superseded.save(update_fields=["valid_to"])
    rule.save()
    return rule


# --- Calls ------------------------------------------------------------------------------------

# What decides how a call's dossiers are judged: frozen once a dossier has been submitted.
JUDGING_FIELDS = ("pass_mark", "criteria", "activity_types", "required_documents")
CALL_FIELDS = ("name", "programme", "province", "year", "opens_on", "closes_on", "pass_mark", "description",
               "required_documents")


def require_call_manage(user, programme) -> None:
    """A province approver manages the calls of their province's local programmes; the
    Agency those of national programmes (in every province)."""
    require_approver(user, programme.province_id)


def _clean_criteria(criteria) -> list[AppraisalCriterion]:
    """Criteria with a name, a positive weight and score scale; the weights add up to 100."""
    rows, problems = [], []
    for index, raw in enumerate(criteria or (), start=1):
        try:
            weight = Decimal(str(raw.get("weight")))
            max_score = int(raw.get("max_score", 10))
        except (ArithmeticError, TypeError, ValueError):
            problems.append(_("Tiêu chí %(n)s: trọng số và điểm tối đa phải là số.") % {"n": index})
            continue
        name = str(raw.get("name") or "").strip()
        if not name:
            problems.append(_("Tiêu chí %(n)s: nhập tên tiêu chí.") % {"n": index})
        if not weight.is_finite() or weight <= 0 or max_score < 1:
            problems.append(_("Tiêu chí %(n)s: trọng số và điểm tối đa phải lớn hơn 0.") % {"n": index})
            continue
        rows.append(AppraisalCriterion(name=name[:255], description=str(raw.get("description") or ""),
                                       weight=weight.quantize(Decimal("0.01")), max_score=max_score, position=index))
    if not criteria:
        problems.append(_("Nhập ít nhất một tiêu chí thẩm định."))
    elif not problems and sum(row.weight for row in rows) != 100:
        problems.append(_("Tổng trọng số các tiêu chí phải bằng 100 (hiện là %(s)s).")
                        % {"s": f"{sum(row.weight for row in rows):f}".rstrip("0").rstrip(".")})
    if problems:
        raise ValidationError({"criteria": problems})
    return rows


def call_has_dossiers(call) -> bool:
    """Whether a dossier has been submitted in the call (it is then judged by its rules).
    Read through the reverse relation: this app imports nothing above it."""
    return call.applications.filter(submitted_at__isnull=False).exists()


def _save_call(call, *, user, activity_types, criteria):
    errors = {}
    try:
        call.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if activity_types is not None and not activity_types:
        errors["activity_types"] = [_("Chọn ít nhất một nội dung khuyến công.")]
    rows = None
    if criteria is not None:
        try:
            rows = _clean_criteria(criteria)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    call.save()
    if activity_types is not None:
        call.activity_types.set(activity_types)
    if rows is not None:
        # Criteria of a call without dossiers: replaced (no score points at them yet).
        call.criteria.all().delete()
        for row in rows:
            row.call = call
            row.save()
    return call


@transaction.atomic
def call_create(*, user, activity_types=(), criteria=(), **fields) -> Call:
    """A call with the activity types it accepts, the documents it requires and its
    criteria (``[{"name", "weight", "max_score"}]``, weights adding up to 100)."""
    call = Call(**fields)
    require_call_manage(user, call.programme)
    return _save_call(call, user=user, activity_types=list(activity_types), criteria=list(criteria))


@transaction.atomic
def call_update(*, user, call_id: int, activity_types=None, criteria=None, **fields) -> Call:
    """Change a call. Once a dossier has been submitted, what decides how dossiers are
    judged (criteria, weights, pass mark, accepted activity types, required documents)
    is frozen: 409 with the reason; copy the call into a new one instead."""
    call = Call.objects.visible_to(user).select_for_update().filter(pk=call_id).first()
    if call is None:
        raise Call.DoesNotExist
    require_call_manage(user, call.programme)
    unknown = set(fields) - set(CALL_FIELDS)
    if unknown:
        raise ValueError(f"unknown call fields: {sorted(unknown)}")
    changed = []
    if "pass_mark" in fields and Decimal(str(fields["pass_mark"])) != call.pass_mark:
        changed.append("pass_mark")
    if "required_documents" in fields and list(fields["required_documents"]) != list(call.required_documents):
        changed.append("required_documents")
    if activity_types is not None and set(map(str, activity_types)) != set(
            call.activity_types.values_list("code", flat=True)):
        changed.append("activity_types")
    if criteria is not None:
        current = [(c.name, c.weight, c.max_score) for c in call.criteria.order_by("position", "pk")]
        try:
            wanted = [(r.name, r.weight, r.max_score) for r in _clean_criteria(criteria)]
        except ValidationError:
            wanted = None
        if wanted != current:
            changed.append("criteria")
    if changed and call_has_dossiers(call):
        raise DomainConflict(
            _(
                "Đợt “%(c)s” đã nhận hồ sơ: không đổi được tiêu chí, trọng số, điểm đạt, nội dung được nhận "
                "hay tài liệu bắt buộc, vì hồ sơ đã nộp được chấm theo các quy định này. Hãy sao chép thành đợt mới."
            )
            % {"c": call.name},
            reasons=[_("Đợt đã nhận hồ sơ đã nộp.")],
        )
    if "programme" in fields and fields["programme"].pk != call.programme_id:
        raise ValidationError({"programme": _("Không chuyển đợt tiếp nhận sang chương trình khác.")})
    for name, value in fields.items():
        setattr(call, name, value)
    return _save_call(call, user=user, activity_types=activity_types if "activity_types" in changed else None,
                      criteria=criteria if "criteria" in changed else None)


@transaction.atomic
def call_copy(*, user, call_id: int, name: str = "") -> Call:
    """A new call with the same rules (for a call whose rules are frozen by its dossiers)."""
    source = Call.objects.visible_to(user).filter(pk=call_id).first()
    if source is None:
        raise Call.DoesNotExist
    fields = {name_: getattr(source, name_) for name_ in CALL_FIELDS}
    fields["name"] = name or _("%(n)s (bản sao)") % {"n": source.name}
    criteria = [{"name": c.name, "description": c.description, "weight": c.weight, "max_score": c.max_score}
                for c in source.criteria.order_by("position", "pk")]
    return call_create(user=user, activity_types=list(source.activity_types.values_list("code", flat=True)),
                       criteria=criteria, **fields)
