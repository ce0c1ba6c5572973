"""Writes of the programmes app: reference activity types, programmes, caps, calls and
criteria. Province staff manage their own province's rows; the Agency manages national
ones. (Allocations are changed beside the ledger, in ``applications.services.budget``.)"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from khuyencong.scoping import scope_for
from provinces.choices import AGENCY_ROLES, PROVINCE_STAFF

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


@transaction.atomic
def support_rule_create(*, user, **fields) -> SupportRule:
    rule = SupportRule(**fields)
    require_manage(user, rule.province_id)
    return _save(rule)


@transaction.atomic
def call_create(*, user, activity_types=(), criteria=(), **fields) -> Call:
    """A call with the activity types it accepts and its criteria
    (``[{"name", "weight", "max_score"}]``)."""
    call = Call(**fields)
    require_manage(user, call.province_id)
    _save(call)
    if not activity_types:
        raise ValidationError({"activity_types": _("Chọn ít nhất một nội dung khuyến công.")})
    call.activity_types.set(activity_types)
    for position, criterion in enumerate(criteria, start=1):
        _save(AppraisalCriterion(call=call, position=position, **criterion))
    return call
