"""The filtered, scoped rows behind every aggregate and the measures rolled up from them.
Every figure is a GROUP BY in the database; Python only rolls the grouped rows (a few
thousand at most) up into the views a page needs."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    BigIntegerField,
    Count,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from applications.choices import Status
from applications.filters import overdue_q
from applications.ledger import commitment_expression
from applications.models import Application, Disbursement, Settlement
from applications.workflow import COMMITTED_STATES, RECEIVED_STATES

ZERO = Value(0, output_field=BigIntegerField())
# Stages whose time is measured (from entering the state to leaving it).
STAGES = [Status.SUBMITTED, Status.RETURNED, Status.UNDER_APPRAISAL, Status.ENDORSED,
          Status.UNDER_NATIONAL_APPRAISAL, Status.APPROVED, Status.IN_PROGRESS, Status.COMPLETED, Status.ACCEPTED]


@dataclass(frozen=True)
class Filters:
    """What a dashboard or report covers. ``province_ids`` None means every province
    the caller may see. With a quarter, the schemes of the plan year are counted as they
    stand and the money paid out and settled is cumulative to the quarter's end."""

    year: int | None = None
    quarter: int | None = None
    fund_source: str | None = None
    province_ids: tuple | None = None

    @property
    def period_end(self) -> date | None:
        if not (self.year and self.quarter):
            return None
        month = self.quarter * 3
        first_next = date(self.year + (month == 12), month % 12 + 1, 1)
        return first_next - timedelta(days=1)

    def application_q(self, prefix: str = "") -> Q:
        q = Q()
        if self.year:
            q &= Q(**{f"{prefix}year": self.year})
        if self.fund_source:
            q &= Q(**{f"{prefix}fund_source": self.fund_source})
        if self.province_ids is not None:
            q &= Q(**{f"{prefix}province_id__in": self.province_ids})
        return q


def _scoped(model, user):
    return model.objects.visible_to(user) if user is not None else model.objects.all()


def applications(user, filters: Filters):
    return _scoped(Application, user).filter(filters.application_q()).order_by()


def disbursements(user, filters: Filters):
    qs = _scoped(Disbursement, user).filter(filters.application_q("application__"))
    if filters.period_end:
        qs = qs.filter(paid_on__lte=filters.period_end)
    return qs.order_by()


def settlements(user, filters: Filters):
    qs = _scoped(Settlement, user).filter(filters.application_q("application__"))
    if filters.period_end:
        qs = qs.filter(decision_date__lte=filters.period_end)
    return qs.order_by()


# --- Measures and their roll-up ------------------------------------------------------------


@dataclass
class Measures:
    count: int = 0
    requested: int = 0
    approved: int = 0
    committed: int = 0  # effective commitment (programs.selectors: settled/cancelled release money)
    approved_count: int = 0
    rejected_count: int = 0
    disbursed: int = 0
    settled: int = 0
    overdue: int = 0
    # Official totals (the generated documents): received = submitted and later per the
    # workflow's per-state table, never drafts; cancelled schemes are counted apart.
    received_count: int = 0
    received_requested: int = 0
    cancelled_count: int = 0

    def add(self, other: "Measures") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def approval_rate(self) -> float | None:
        """Approved ÷ decided (approved or rejected), in percent."""
        decided = self.approved_count + self.rejected_count
        return round(100 * self.approved_count / decided, 1) if decided else None

    @property
    def disbursement_rate(self) -> float | None:
        return round(100 * self.disbursed / self.approved, 1) if self.approved else None

    def as_dict(self) -> dict:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["approval_rate"] = self.approval_rate
        return data


def _measure_rows(user, filters: Filters, keys: list[str], *, app_keys=None) -> dict:
    """{key tuple: Measures} from three GROUP BY queries: applications, disbursements and
    settlements grouped by ``keys`` (application fields)."""
    app_keys = app_keys or keys
    result: dict = defaultdict(Measures)
    committed = Q(status__in=COMMITTED_STATES)
    received = Q(status__in=RECEIVED_STATES)
    rows = (applications(user, filters).values(*app_keys)
            .annotate(n=Count("pk"), requested=Coalesce(Sum("requested_support"), ZERO),
                      approved=Coalesce(Sum("approved_amount", filter=committed), ZERO),
                      committed=Coalesce(Sum(commitment_expression()), ZERO),
                      approved_n=Count("pk", filter=committed),
                      rejected_n=Count("pk", filter=Q(status=Status.REJECTED)),
                      overdue=Count("pk", filter=overdue_q()),
                      received_n=Count("pk", filter=received),
                      received_requested=Coalesce(Sum("requested_support", filter=received), ZERO),
                      cancelled_n=Count("pk", filter=Q(status=Status.CANCELLED))))
    for row in rows:
        m = result[tuple(row[k] for k in app_keys)]
        m.count += row["n"]
        m.requested += row["requested"]
        m.approved += row["approved"]
        m.committed += row["committed"]
        m.approved_count += row["approved_n"]
        m.rejected_count += row["rejected_n"]
        m.overdue += row["overdue"]
        m.received_count += row["received_n"]
        m.received_requested += row["received_requested"]
        m.cancelled_count += row["cancelled_n"]
    prefixed = [f"application__{k}" for k in keys]
    for row in disbursements(user, filters).values(*prefixed).annotate(total=Sum("amount")):
        result[tuple(row[k] for k in prefixed)].disbursed += row["total"] or 0
    for row in settlements(user, filters).values(*prefixed).annotate(total=Sum("settled_amount")):
        result[tuple(row[k] for k in prefixed)].settled += row["total"] or 0
    return result


def rollup(rows: dict, key_index) -> dict:
    """Sum grouped measures over another key: ``key_index`` picks from the row's key tuple."""
    out: dict = defaultdict(Measures)
    for key, measures in rows.items():
        out[key_index(key)].add(measures)
    return out
