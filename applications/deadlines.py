"""Deadlines of a scheme, before and after the decision, and how late it is: the target
days of each stage (per province, national defaults in ``KC_STATE_TARGET_DAYS``), the
implementation end date, the progress reports due every few months, the completion and
settlement deadlines (``KC_DEADLINE_DEFAULTS``, per province in ``ProvincePolicy``).
Dates are local (Asia/Ho_Chi_Minh). The task list, the dossier page, the API and the
reminders ask here."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from provinces.models import ProvincePolicy
from provinces.services import POLICY_CACHE_KEY

from .choices import Status

POLICY_FIELDS = ("progress_report_months", "completion_grace_days", "settlement_days", "escalation_days")
IMPLEMENTING = frozenset({Status.APPROVED, Status.IN_PROGRESS, Status.SUSPENDED})
REPORTING = frozenset({Status.IN_PROGRESS, Status.SUSPENDED})


def _policies() -> dict:
    """Every province's own values, ``{province_id: {...}}``: one query per minute at most
    (the cache is cleared when a policy changes), so lists make no query per row."""

    def load():
        rows = {}
        for policy in ProvincePolicy.objects.all():
            values = {name: getattr(policy, name) for name in POLICY_FIELDS if getattr(policy, name) is not None}
            values["stage_target_days"] = policy.stage_target_days or {}
            values["separation_of_duties"] = policy.separation_of_duties
            rows[policy.province_id] = values
        return rows

    try:
        return cache.get_or_set(POLICY_CACHE_KEY, load, 60)
    except Exception:  # noqa: BLE001 - the cache is a speed-up: without Redis, read the table
        return load()


def policy_value(province_id, name: str):
    """A province's value of ``name`` (one of ``POLICY_FIELDS``), else the national default."""
    return _policies().get(province_id, {}).get(name, settings.KC_DEADLINE_DEFAULTS[name])


def separation_of_duties(province_id) -> bool:
    return bool(_policies().get(province_id, {}).get("separation_of_duties", False))


def stage_target(province_id, status: str) -> int | None:
    """Target days in ``status`` for the province (its own, else the national default)."""
    own = _policies().get(province_id, {}).get("stage_target_days", {})
    return own.get(status, settings.KC_STATE_TARGET_DAYS.get(status))


def overdue_q(now=None) -> Q:
    """Applications that stayed in their state longer than their province's target."""
    now = now or timezone.now()
    policies = _policies()
    q = Q(pk__in=[])
    statuses = set(settings.KC_STATE_TARGET_DAYS)
    for values in policies.values():
        statuses |= set(values.get("stage_target_days", {}))
    for status in statuses:
        default = settings.KC_STATE_TARGET_DAYS.get(status)
        own = {pid: v["stage_target_days"][status] for pid, v in policies.items()
               if status in v.get("stage_target_days", {})}
        if default is not None:
            # More than ``days`` whole days in the state (Application.is_overdue).
            q |= Q(status=status, status_changed_at__lte=now - timedelta(days=default + 1)) & ~Q(province_id__in=own)
        for province_id, days in own.items():
            q |= Q(province_id=province_id, status=status, status_changed_at__lte=now - timedelta(days=days + 1))
    return q


def today() -> date:
    return timezone.localdate()


@dataclass(frozen=True)
class Deadline:
    """One date that matters for a scheme now, and by how many days it is missed."""

    kind: str  # stage | implementation_end | progress_report | completion | settlement
    label: str
    due: date
    late_days: int  # 0 when not late

    @property
    def is_late(self) -> bool:
        return self.late_days > 0


KIND_LABELS = {
    "stage": _("Chỉ tiêu xử lý ở bước hiện tại"),
    "implementation_end": _("Ngày kết thúc thực hiện"),
    "progress_report": _("Báo cáo tiến độ"),
    "completion": _("Hạn báo cáo hoàn thành"),
    "settlement": _("Hạn quyết toán"),
}


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def _deadline(kind, due, on) -> Deadline:
    return Deadline(kind=kind, label=str(KIND_LABELS[kind]), due=due, late_days=max(0, (on - due).days))


def deadlines_for(application, on: date | None = None) -> list[Deadline]:
    """The deadlines that apply to ``application`` in its current state (a few queries:
    the dossier page, the API detail, the reminders; lists use ``overdue_q``)."""
    on = on or today()
    result = []
    target = stage_target(application.province_id, application.status)
    if target is not None:
        entered = timezone.localtime(application.status_changed_at).date()
        result.append(_deadline("stage", entered + timedelta(days=target), on))
    if application.status in IMPLEMENTING and application.end_date:
        result.append(_deadline("implementation_end", application.end_date, on))
        grace = policy_value(application.province_id, "completion_grace_days")
        result.append(_deadline("completion", application.end_date + timedelta(days=grace), on))
    if application.status in REPORTING:
        started = application.events.filter(action="start_implementation").order_by("created_at").first()
        if started is not None:
            months = policy_value(application.province_id, "progress_report_months")
            start = timezone.localtime(started.created_at).date()
            filed = application.progress_reports.count()
            due = _add_months(start, months * (filed + 1))
            if not application.end_date or due <= application.end_date + timedelta(days=31 * months):
                result.append(_deadline("progress_report", due, on))
    if application.status == Status.ACCEPTED:
        acceptance = getattr(application, "acceptance", None)
        if acceptance is not None:
            days = policy_value(application.province_id, "settlement_days")
            result.append(_deadline("settlement", acceptance.accepted_on + timedelta(days=days), on))
    return sorted(result, key=lambda d: d.due)


def late_days(application, on: date | None = None) -> int:
    """By how many days the scheme's most overdue deadline is missed (0: none)."""
    return max((d.late_days for d in deadlines_for(application, on)), default=0)
