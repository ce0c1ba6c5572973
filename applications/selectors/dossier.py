"""Reads of the dossier that are more than a filter: location and eligibility, money
checks, duplicate support, the establishment's history."""

from datetime import date

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from khuyencong.templatetags.kc import format_vnd
from programs.selectors import support_rule_for
from provinces.choices import CommuneKind

from ..choices import REQUIRED_ATTACHMENT_KINDS, AttachmentKind, LegalForm
from ..models import Application, Establishment

# --- Location eligibility -----------------------------------------------------------


def location_problem(establishment: Establishment, on: date | None = None) -> str | None:
    """Why the establishment's location is ineligible on ``on``, or None.

    Decree 235/2025/NĐ-CP (from 15/10/2025): any commune, ward or special zone of a
    province; only communes and special zones of a centrally-run city, unless in a
    recognised craft village. Before that date the earlier rule applied, under which
    wards of centrally-run cities were ineligible without exception.
    """
    on = on or timezone.localdate()
    commune = establishment.commune
    province = establishment.province
    if commune.kind != CommuneKind.WARD or not province.is_city:
        return None
    if on >= settings.KC_DECREE_235_EFFECTIVE:
        if establishment.craft_village:
            return None
        return _("Cơ sở ở %(commune)s — phường của thành phố trực thuộc trung ương — chỉ được hỗ trợ khi nằm trong "
                 "làng nghề được công nhận (Nghị định 235/2025/NĐ-CP).") % {"commune": commune.name}
    return _("Trước ngày 15/10/2025, cơ sở ở phường của thành phố trực thuộc trung ương (%(commune)s) không thuộc "
             "đối tượng hỗ trợ.") % {"commune": commune.name}


ELIGIBLE_LEGAL_FORMS = frozenset(LegalForm.values)


# --- Eligibility at submission ---------------------------------------------------------


def eligibility_problems(application: Application, on: date | None = None) -> list[str]:
    """Every reason the application cannot be submitted on ``on`` (empty when it can)."""
    on = on or timezone.localdate()
    problems = []
    call = application.call
    if call is None:
        problems.append(_("Chưa chọn đợt tiếp nhận đề án."))
    else:
        if call.province_id != application.province_id:
            problems.append(_("Đợt tiếp nhận thuộc tỉnh/thành khác."))
        if call.programme_id != application.programme_id:
            problems.append(_("Đợt tiếp nhận không thuộc chương trình đã chọn."))
        if not call.is_open_on(on):
            problems.append(_("Đợt tiếp nhận chỉ nhận hồ sơ từ %(o)s đến %(c)s.")
                            % {"o": call.opens_on.strftime("%d/%m/%Y"), "c": call.closes_on.strftime("%d/%m/%Y")})
        if not call.activity_types.filter(pk=application.activity_type_id).exists():
            problems.append(_("Nội dung %(a)s không được nhận trong đợt này.") % {"a": application.activity_type_id})
    if application.programme.fund_source != application.fund_source:
        problems.append(_("Nguồn kinh phí không khớp với chương trình."))
    establishments = list(application.establishments.select_related("commune", "province"))
    if not establishments:
        problems.append(_("Chưa có cơ sở thụ hưởng."))
    for est in establishments:
        if est.province_id != application.province_id:
            problems.append(_("Cơ sở %(n)s không thuộc tỉnh/thành của đề án.") % {"n": est.name})
        if est.legal_form not in ELIGIBLE_LEGAL_FORMS:
            problems.append(_("Loại hình của cơ sở %(n)s không thuộc đối tượng hỗ trợ.") % {"n": est.name})
        if not est.is_active:
            problems.append(_("Cơ sở %(n)s đã ngừng hoạt động.") % {"n": est.name})
        location = location_problem(est, on)
        if location:
            problems.append(location)
    lines = list(application.cost_lines.all())
    if not lines:
        problems.append(_("Chưa có dòng dự toán kinh phí."))
    problems.extend(money_problems(application, lines))
    if application.requested_support <= 0:
        problems.append(_("Kinh phí khuyến công đề nghị phải lớn hơn 0."))
    rule = support_rule_for(province_id=application.province_id, fund_source=application.fund_source,
                            activity_type_id=application.activity_type_id, on=on)
    if rule is None:
        problems.append(_("Chưa có định mức hỗ trợ áp dụng cho nội dung %(a)s, nguồn %(f)s tại ngày %(d)s.")
                        % {"a": application.activity_type_id, "f": application.get_fund_source_display(),
                           "d": on.strftime("%d/%m/%Y")})
    else:
        cap = rule.cap_for(application.total_cost, len(establishments))
        if cap is not None and application.requested_support > cap:
            problems.append(_("Kinh phí đề nghị %(r)s vượt mức tối đa %(c)s theo định mức (%(rule)s).")
                            % {"r": format_vnd(application.requested_support), "c": format_vnd(cap), "rule": rule})
    present = set(application.attachments.filter(removed_at__isnull=True).values_list("kind", flat=True))
    # The call says which documents its dossiers need; without a call, the usual three.
    required = call.required_documents if call is not None else REQUIRED_ATTACHMENT_KINDS
    for kind in required:
        if kind not in present:
            problems.append(_("Thiếu tài liệu: %(k)s.") % {"k": AttachmentKind(kind).label})
    if application.start_date and application.end_date and application.end_date < application.start_date:
        problems.append(_("Ngày kết thúc phải sau ngày bắt đầu."))
    return problems


def money_problems(application: Application, lines=None) -> list[str]:
    """Cost lines, total cost, requested support and counterpart funds must add up."""
    lines = list(application.cost_lines.all()) if lines is None else lines
    problems = []
    line_total = sum(line.amount for line in lines)
    if lines and line_total != application.total_cost:
        problems.append(_("Tổng kinh phí %(t)s khác tổng các dòng dự toán %(l)s.")
                        % {"t": format_vnd(application.total_cost), "l": format_vnd(line_total)})
    if application.requested_support + application.counterpart_funds != application.total_cost:
        problems.append(_("Kinh phí khuyến công (%(r)s) + vốn đối ứng (%(c)s) phải bằng tổng kinh phí (%(t)s).")
                        % {"r": format_vnd(application.requested_support),
                           "c": format_vnd(application.counterpart_funds), "t": format_vnd(application.total_cost)})
    return problems


# --- Duplicate support -----------------------------------------------------------------

DUPLICATE_WINDOW_DAYS = 3 * 365  # kept for callers; the window is counted in plan years


def duplicates_for(application: Application) -> list:
    """Other schemes anywhere in the country, any activity type, in the three-year window,
    not draft, rejected or cancelled, of the same establishment or one that is probably
    the same (``applications.duplicates``); each carries ``overlap_reasons``."""
    from ..duplicates.finder import support_overlaps

    return support_overlaps(application)


def duplicate_counts(applications) -> dict:
    """{application id: number of possible duplicates} for a page of applications, in
    two queries whatever the page size."""
    from ..duplicates.finder import overlap_counts

    return overlap_counts(applications)


def establishment_history(establishment: Establishment, user):
    """The establishment's applications: all of them for the Agency, the caller's
    visible ones otherwise; plus, by tax code, those of the same business elsewhere."""
    qs = Application.objects.visible_to(user).select_related("province", "activity_type", "programme")
    if establishment.tax_code:
        qs = qs.filter(Q(establishments=establishment) | Q(establishments__tax_code=establishment.tax_code))
    else:
        qs = qs.filter(establishments=establishment)
    return qs.distinct().order_by("-year", "-created_at")
