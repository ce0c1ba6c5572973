"""The guards of the workflow table. Each is a callable with one signature,
``guard(application, user, inputs) -> list[str]``: the reasons the action cannot be taken
now (empty when it can). ``inputs`` are the typed inputs of the action (reason, decision
number and date, approved amount), or None when the workflow only previews the action;
a guard that needs them says nothing in a preview."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from khuyencong.templatetags.kc import format_vnd
from programs.selectors import support_rule_for

from . import selectors
from .choices import AcceptanceResult, AttachmentKind, CouncilLevel, Status
from .ledger import budget_position
from .models import Acceptance, Settlement

PASSED_RESULTS = frozenset({AcceptanceResult.PASSED, AcceptanceResult.PASSED_WITH_CONDITIONS})


def eligibility(application, user, inputs) -> list[str]:
    return selectors.eligibility_problems(application)


def council_ready(application, user, inputs) -> list[str]:
    level = CouncilLevel.NATIONAL if application.status == Status.ENDORSED else CouncilLevel.PROVINCIAL
    council = selectors.council_for(application, level)
    if council is None or not council.members.exists():
        return [_("Chưa thành lập hội đồng thẩm định có thành viên cho đề án này.")]
    if not application.call_id or not application.call.criteria.exists():
        return [_("Đợt tiếp nhận chưa có tiêu chí chấm điểm.")]
    return []


def appraisal_passed(application, user, inputs) -> list[str]:
    sheet = selectors.score_sheet(application, application.appraisal_level)
    return [] if sheet.passed else sheet.problems()


def amount_within_caps(application, user, inputs) -> list[str]:
    if inputs is None:
        return []
    # Field errors: raised as ValidationError so the caller sees them on approved_amount.
    amount = inputs["approved_amount"]
    errors = []
    if amount <= 0:
        errors.append(_("Kinh phí phê duyệt phải lớn hơn 0."))
    if amount > application.requested_support:
        errors.append(_("Kinh phí phê duyệt %(a)s vượt kinh phí đề nghị %(r)s.")
                      % {"a": format_vnd(amount), "r": format_vnd(application.requested_support)})
    rule = support_rule_for(province_id=application.province_id, fund_source=application.fund_source,
                            activity_type_id=application.activity_type_id, on=inputs["decision_date"])
    if rule is None:
        errors.append(_("Không có định mức hỗ trợ áp dụng tại ngày quyết định."))
    else:
        cap = rule.cap_for(application.total_cost, application.establishments.count())
        if cap is not None and max(amount, application.requested_support) > cap:
            errors.append(_("Vượt mức hỗ trợ tối đa %(c)s theo định mức hiệu lực ngày %(d)s (%(rule)s).")
                          % {"c": format_vnd(cap), "d": inputs["decision_date"].strftime("%d/%m/%Y"),
                             "rule": rule})
    if errors:
        raise ValidationError({"approved_amount": errors})
    return []


def budget(application, user, inputs) -> list[str]:
    if inputs is None:
        return []
    position = budget_position(programme_id=application.programme_id, province_id=application.province_id,
                               year=application.year, lock=True)
    if position.allocation is None:
        return [_("Chưa có kinh phí được giao cho chương trình này tại tỉnh/thành năm %(y)s.")
                % {"y": application.year}]
    if inputs["approved_amount"] > position.remaining:
        return [_("Kinh phí còn lại %(r)s không đủ cho %(a)s (đã cam kết %(c)s trên %(t)s được giao).")
                % {"r": format_vnd(position.remaining), "a": format_vnd(inputs["approved_amount"]),
                   "c": format_vnd(position.committed), "t": format_vnd(position.allocated)}]
    return []


def contract_recorded(application, user, inputs) -> list[str]:
    if not application.contracts.exists():
        return [_("Chưa ghi nhận hợp đồng thực hiện đề án.")]
    return []


def completion_report(application, user, inputs) -> list[str]:
    if not application.attachments.filter(kind=AttachmentKind.COMPLETION_REPORT, removed_at__isnull=True).exists():
        return [_("Chưa có báo cáo hoàn thành của đơn vị thực hiện.")]
    return []


def acceptance_passed(application, user, inputs) -> list[str]:
    acceptance = Acceptance.objects.filter(application=application).first()
    if acceptance is None:
        return [_("Chưa có biên bản nghiệm thu.")]
    if acceptance.result not in PASSED_RESULTS:
        return [_("Kết quả nghiệm thu: %(r)s.") % {"r": acceptance.get_result_display()}]
    return []


def settlement_recorded(application, user, inputs) -> list[str]:
    if not Settlement.objects.filter(application=application).exists():
        return [_("Chưa ghi nhận quyết toán.")]
    return []


# --- Decision dates (field rules of the decisions the workflow records) ---------------------------


def decision_window(year: int) -> tuple[date, date]:
    """Dates a decision on a scheme of plan ``year`` may carry: from the preparation of
    that year's plan (``KC_DECISION_WINDOW_MONTHS_BEFORE`` months before it starts) to
    the end of the year."""
    first_month = year * 12 - settings.KC_DECISION_WINDOW_MONTHS_BEFORE  # months since year 0, January = 0
    return date(first_month // 12, first_month % 12 + 1, 1), date(year, 12, 31)


def decision_date_problem(action: str, application, day: date) -> str | None:
    """Why the decision of ``action`` cannot carry ``day``, or None."""
    check = settlement_decision_date_problem if action == "settle" else approval_decision_date_problem
    return check(application, day)


def approval_decision_date_problem(application, day: date) -> str | None:
    """Why an approval decision cannot carry ``day``, or None: not in the future, not
    before the dossier was submitted, not outside the plan year's window."""
    if day > timezone.localdate():
        return _("Ngày quyết định không được ở tương lai.")
    if application.submitted_at and day < timezone.localdate(application.submitted_at):
        return _("Ngày quyết định %(d)s trước ngày nộp hồ sơ %(s)s.") % {
            "d": day.strftime("%d/%m/%Y"),
            "s": timezone.localtime(application.submitted_at).strftime("%d/%m/%Y"),
        }
    first, last = decision_window(application.year)
    if not first <= day <= last:
        return (_("Ngày quyết định phải trong khoảng %(a)s – %(b)s của kế hoạch năm %(y)s.")
                % {"a": first.strftime("%d/%m/%Y"), "b": last.strftime("%d/%m/%Y"), "y": application.year})
    return None


def settlement_decision_date_problem(application, day: date) -> str | None:
    """A settlement decision: not in the future, not before the approval decision nor the
    acceptance."""
    if day > timezone.localdate():
        return _("Ngày quyết định không được ở tương lai.")
    if application.decision_date and day < application.decision_date:
        return (_("Ngày quyết định quyết toán %(d)s trước ngày quyết định phê duyệt %(a)s.")
                % {"d": day.strftime("%d/%m/%Y"), "a": application.decision_date.strftime("%d/%m/%Y")})
    acceptance = Acceptance.objects.filter(application=application).first()
    if acceptance is not None and day < acceptance.accepted_on:
        return (_("Ngày quyết định quyết toán %(d)s trước ngày nghiệm thu %(n)s.")
                % {"d": day.strftime("%d/%m/%Y"), "n": acceptance.accepted_on.strftime("%d/%m/%Y")})
    return None
