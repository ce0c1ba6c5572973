"""Reads of the implementation of a scheme, and the one rule of how much may be paid so far."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..choices import Milestone, Status

# The acceptance milestone is reached once a passed acceptance moved the scheme on.
_ACCEPTED = (Status.ACCEPTED, Status.SETTLED)


def _reports(application, progress_reports) -> int:
    if progress_reports is None:
        return application.progress_reports.count()
    return len(progress_reports)


def first_milestone_reached(application, progress_reports=None) -> bool:
    """A progress report has been recorded or the scheme has been accepted."""
    return application.status in _ACCEPTED or _reports(application, progress_reports) > 0


def first_advance_limit(application, disbursements=None, progress_reports=None) -> int | None:
    """The most that may be paid IN TOTAL (advances and payments, however split) before the
    first milestone — the activity type's share of the approved amount — or None once the
    first milestone is reached. ``disbursements`` is accepted for the callers that have them
    loaded; the limit does not depend on them (it is a limit on their total)."""
    if first_milestone_reached(application, progress_reports):
        return None
    return (application.approved_amount or 0) * application.activity_type.first_advance_percent // 100


def instalment_amount(instalment: dict, contract_value: int) -> int:
    """What one instalment of a payment schedule is worth in đồng."""
    if instalment.get("amount") is not None:
        return int(instalment["amount"])
    return contract_value * int(instalment.get("percent") or 0) // 100


def instalment_due(instalment: dict, application, reports: int) -> bool:
    milestone = instalment.get("milestone")
    if milestone == Milestone.SIGNING:
        return True
    if milestone == Milestone.PROGRESS_REPORT:
        return application.status in _ACCEPTED or reports >= int(instalment.get("report") or 1)
    return application.status in _ACCEPTED


def instalment_label(instalment: dict) -> str:
    milestone = instalment.get("milestone")
    if milestone == Milestone.PROGRESS_REPORT:
        return _("Sau báo cáo tiến độ số %(n)s") % {"n": instalment.get("report") or 1}
    return str(Milestone(milestone).label) if milestone in Milestone.values else str(milestone)


@dataclass(frozen=True)
class Payable:
    """How much may be paid at this point: ``limit`` is the most the total paid may reach now,
    ``paid`` what has been paid, ``reason`` which rule sets the limit (in the reader's language)."""

    limit: int
    paid: int
    reason: str

    @property
    def available(self) -> int:
        return max(self.limit - self.paid, 0)


def payable_now(application, *, disbursements=None, contracts=None, progress_reports=None) -> Payable:
    """The one rule of how much may be paid so far, used by the disbursement service (under the
    application row lock), the API and the application page. The limit is the smallest of:
    the approved amount; before the first milestone, the first-advance share; when a contract
    states a payment schedule, the instalments whose milestone has been reached (a contract
    without a schedule counts with its full value once the first milestone is reached — the
    rule before schedules existed). Pass the related rows when already loaded."""
    if disbursements is None:
        disbursements = list(application.disbursements.all())
    if contracts is None:
        contracts = list(application.contracts.all())
    reports = _reports(application, progress_reports)
    approved = application.approved_amount or 0
    paid = sum(d.amount for d in disbursements)
    limit, reason = approved, _("kinh phí được phê duyệt")
    share = first_advance_limit(application, progress_reports=range(reports))
    if share is not None and share < limit:
        limit = share
        reason = (_("tạm ứng tối đa %(p)s%% kinh phí được phê duyệt cho nội dung “%(t)s” cho đến báo cáo tiến độ "
                    "đầu tiên hoặc nghiệm thu")
                  % {"p": application.activity_type.first_advance_percent, "t": application.activity_type.name})
    if any(c.payment_schedule for c in contracts):
        due = 0
        for contract in contracts:
            if not contract.payment_schedule:
                due += contract.value
                continue
            due += sum(instalment_amount(i, contract.value) for i in contract.payment_schedule
                       if instalment_due(i, application, reports))
        if due < limit:
            limit = due
            reason = _("tổng các đợt thanh toán đã đến hạn theo lịch thanh toán của hợp đồng")
    return Payable(limit=limit, paid=paid, reason=reason)
