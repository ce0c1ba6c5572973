"""Aggregates behind the dashboards and the reports. Every figure is a GROUP BY in the
database; Python only rolls the grouped rows (a few thousand at most: provinces ×
activity types × fund sources × states) up into the views a page needs, so the
dashboard and the PDF of the same period always show the same numbers."""

import hashlib
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Lag
from django.utils import timezone

from applications.choices import Status
from applications.filters import overdue_q
from applications.ledger import commitment_expression
from applications.models import Application, ApplicationEvent, Disbursement, Establishment, Settlement
from applications.workflow import COMMITTED_STATES
from khuyencong.scoping import scope_for
from programs.models import ActivityType, BudgetAllocation, Programme
from provinces.models import Commune, Province, Region

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
    rows = (applications(user, filters).values(*app_keys)
            .annotate(n=Count("pk"), requested=Coalesce(Sum("requested_support"), ZERO),
                      approved=Coalesce(Sum("approved_amount", filter=committed), ZERO),
                      committed=Coalesce(Sum(commitment_expression()), ZERO),
                      approved_n=Count("pk", filter=committed),
                      rejected_n=Count("pk", filter=Q(status=Status.REJECTED)),
                      overdue=Count("pk", filter=overdue_q())))
    for row in rows:
        m = result[tuple(row[k] for k in app_keys)]
        m.count += row["n"]
        m.requested += row["requested"]
        m.approved += row["approved"]
        m.committed += row["committed"]
        m.approved_count += row["approved_n"]
        m.rejected_count += row["rejected_n"]
        m.overdue += row["overdue"]
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


# --- The dashboard -------------------------------------------------------------------------------


@dataclass
class Line:
    """A labelled row of a breakdown table."""

    key: object
    label: str
    m: Measures
    extra: dict = field(default_factory=dict)


@dataclass
class Dashboard:
    title: str
    filters: Filters
    data_as_of: datetime
    total: Measures
    by_status: list
    by_area: list  # provinces (national/region) or communes (province)
    area_label: str
    by_activity: list
    by_fund: list
    by_region: list
    green: dict
    priority: dict
    stage_medians: list

    @property
    def by_area_chart(self) -> dict:
        return {"labels": [line.label for line in self.by_area],
                "requested": [line.m.requested for line in self.by_area],
                "approved": [line.m.approved for line in self.by_area],
                "disbursed": [line.m.disbursed for line in self.by_area],
                "settled": [line.m.settled for line in self.by_area]}


FACT_KEYS = ["province_id", "activity_type_id", "fund_source", "status"]


def activity_labels() -> dict:
    return {at.code: at for at in ActivityType.objects.all()}


def province_names(ids=None) -> dict:
    qs = Province.objects.all()
    if ids is not None:
        qs = qs.filter(code__in=ids)
    return dict(qs.values_list("code", "name"))


def region_members(grouping: str) -> list[tuple[Region, set]]:
    members = defaultdict(set)
    through = Region.provinces.through
    for region_id, province_id in through.objects.filter(region__grouping=grouping).values_list(
            "region_id", "province_id"):
        members[region_id].add(province_id)
    return [(region, members[region.pk]) for region in Region.objects.filter(grouping=grouping)]


def _lines(rows: dict, labels: dict, order=None) -> list[Line]:
    keys = order if order is not None else sorted(rows, key=lambda k: str(labels.get(k, k)))
    return [Line(key=k, label=str(labels.get(k, k)), m=rows.get(k, Measures())) for k in keys]


def green_share(by_activity: dict, activities: dict) -> dict:
    green = Measures()
    total = Measures()
    for code, m in by_activity.items():
        total.add(m)
        if code in activities and activities[code].is_green:
            green.add(m)
    return {"count": green.count, "approved": green.approved,
            "count_share": round(100 * green.count / total.count, 1) if total.count else None,
            "approved_share": round(100 * green.approved / total.approved, 1) if total.approved else None}


PRIORITY_FLAGS = [("woman_owned", "Phụ nữ làm chủ"), ("ethnic_minority", "Dân tộc thiểu số"),
                  ("difficult_area", "Địa bàn khó khăn")]


def priority_shares(user, filters: Filters, total: "Measures") -> dict:
    """Applications with at least one beneficiary in each priority group: count and
    approved money, with shares of ``total``. One query: the beneficiary links grouped
    per application (a flag is 1 when any beneficiary has it), summed over applications."""
    through = Application.establishments.through
    committed = Q(application__status__in=COMMITTED_STATES)
    per_application = (
        through.objects.filter(application__in=applications(user, filters).values("pk")).values("application_id")
        .annotate(amount=Max(Case(When(committed, then=F("application__approved_amount")), default=ZERO)),
                  **{flag: Max(Case(When(**{f"establishment__{flag}": True}, then=1), default=0))
                     for flag, _label in PRIORITY_FLAGS}))
    sums = {}
    for flag, _label in PRIORITY_FLAGS:
        sums[f"{flag}_n"] = Coalesce(Sum(flag), 0)
        sums[f"{flag}_approved"] = Coalesce(Sum(Case(When(**{flag: 1}, then=F("amount")), default=ZERO)), ZERO)
    totals = per_application.aggregate(**sums)
    result = {}
    for flag, label in PRIORITY_FLAGS:
        n, approved = totals[f"{flag}_n"], totals[f"{flag}_approved"]
        result[flag] = {"label": label, "count": n, "approved": approved,
                        "count_share": round(100 * n / total.count, 1) if total.count else None,
                        "approved_share": round(100 * approved / total.approved, 1) if total.approved else None}
    return result


def stage_medians(user, filters: Filters) -> list[dict]:
    """Median days an application spends in each stage: the time between the
    transition into a state and the next transition, paired by a window function
    (LAG over the application's transitions) in the database."""
    app_ids = applications(user, filters).values("pk")
    # order_by(): the model's default ordering would join and sort by the application's.
    events = (ApplicationEvent.objects.filter(application_id__in=app_ids).exclude(to_status="").order_by()
              .annotate(prev_at=Window(Lag("created_at"), partition_by=[F("application_id")],
                                       order_by=[F("created_at").asc(), F("pk").asc()]))
              .values("from_status", "created_at", "prev_at"))
    durations: dict = defaultdict(list)
    if connection.vendor == "postgresql":
        # Postgres-only: the median itself in SQL (percentile_cont). Other engines
        # (the SQLite quick start) take the portable branch below.
        sql, params = events.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT e.from_status, COUNT(*), percentile_cont(0.5) WITHIN GROUP "
                "(ORDER BY EXTRACT(EPOCH FROM (e.created_at - e.prev_at)) / 86400.0) "
                f"FROM ({sql}) e WHERE e.prev_at IS NOT NULL GROUP BY e.from_status", params)
            medians = {status: (n, float(median)) for status, n, median in cursor.fetchall()}
    else:
        # Portable branch: durations per stage, bounded by the number of transitions.
        for row in events.iterator(chunk_size=5000):
            if row["prev_at"] is not None and row["from_status"]:
                prev = row["prev_at"]
                if isinstance(prev, str):  # some SQLite versions return window results unconverted
                    prev = datetime.fromisoformat(prev)
                    if timezone.is_naive(prev):
                        prev = prev.replace(tzinfo=UTC)
                durations[row["from_status"]].append((row["created_at"] - prev).total_seconds() / 86400)
        medians = {status: (len(values), statistics.median(values)) for status, values in durations.items()}
    labels = dict(Status.choices)
    return [{"status": stage, "label": str(labels[stage]), "count": medians[stage][0],
             "median_days": round(medians[stage][1], 1)} for stage in STAGES if stage in medians]


def dashboard_cache_seconds() -> int:
    return int(getattr(settings, "KC_DASHBOARD_CACHE_SECONDS", 300))


def _scope_key(user) -> str:
    scope = scope_for(user)
    if scope.national:
        return "national"
    return "p" + ",".join(map(str, sorted(scope.province_ids))) + "c" + ",".join(map(str, sorted(scope.commune_ids)))


def cached_dashboard(*, user, filters: Filters, title: str, communes_of: int | None = None,
                     region_grouping: str | None = None, refresh: bool = False) -> Dashboard:
    """``dashboard`` kept for ``KC_DASHBOARD_CACHE_SECONDS`` (default 300 s) per scope and
    filters: the figures over a national dataset take seconds of database time (the
    stage medians above all), the page shows when they were computed ("data as of")
    and offers a refresh. Every user of the same scope shares the entry."""
    seconds = dashboard_cache_seconds()
    if seconds <= 0:
        return dashboard(user=user, filters=filters, title=title, communes_of=communes_of,
                         region_grouping=region_grouping)
    key = "kc:dashboard:v1:" + hashlib.sha256(repr((
        _scope_key(user), filters, title, communes_of, region_grouping)).encode()).hexdigest()
    board = None if refresh else cache.get(key)
    if board is None:
        board = dashboard(user=user, filters=filters, title=title, communes_of=communes_of,
                          region_grouping=region_grouping)
        cache.set(key, board, seconds)
    return board


def dashboard(*, user, filters: Filters, title: str, communes_of: int | None = None,
              region_grouping: str | None = None) -> Dashboard:
    """Every figure of a dashboard. ``communes_of`` (a province code) breaks the area
    table down by commune instead of province; ``region_grouping`` adds the regions."""
    data_as_of = timezone.now()
    facts = _measure_rows(user, filters, FACT_KEYS[:3], app_keys=FACT_KEYS)
    # Disbursed and settled have no status key: fold them onto the 3-key rows.
    by3: dict = defaultdict(Measures)
    for key, m in facts.items():
        by3[key[:3]].add(m)
    activities = activity_labels()
    total = Measures()
    for m in by3.values():
        total.add(m)
    status_rows = rollup({k: v for k, v in facts.items() if len(k) == 4}, lambda k: k[3])
    status_labels = dict(Status.choices)
    by_status = [Line(key=s, label=str(status_labels[s]), m=status_rows[s]) for s in Status.values if s in status_rows]
    by_activity_rows = rollup(by3, lambda k: k[1])
    by_activity = [Line(key=code, label=at.name, m=by_activity_rows[code], extra={"is_green": at.is_green})
                   for code, at in activities.items() if code in by_activity_rows]
    fund_rows = rollup(by3, lambda k: k[2])
    from programs.choices import FundSource
    by_fund = [Line(key=f, label=str(label), m=fund_rows[f]) for f, label in FundSource.choices if f in fund_rows]
    by_region = []
    if communes_of is not None:
        by_area = commune_lines(user, filters, communes_of)
        area_label = "Xã/phường/đặc khu"
    else:
        province_rows = rollup(by3, lambda k: k[0])
        names = province_names(filters.province_ids)
        order = sorted(names, key=lambda code: _province_sort(code))
        by_area = _lines(province_rows, names, order=order)
        area_label = "Tỉnh/thành phố"
        if region_grouping:
            for region, members in region_members(region_grouping):
                m = Measures()
                for code in members:
                    if code in province_rows:
                        m.add(province_rows[code])
                by_region.append(Line(key=region.code, label=region.name, m=m))
    return Dashboard(
        title=title, filters=filters, data_as_of=data_as_of, total=total, by_status=by_status, by_area=by_area,
        area_label=area_label, by_activity=by_activity, by_fund=by_fund, by_region=by_region,
        green=green_share(by_activity_rows, activities), priority=priority_shares(user, filters, total),
        stage_medians=stage_medians(user, filters))


_SORT_KEYS: dict = {}


def _province_sort(code):
    if not _SORT_KEYS:
        _SORT_KEYS.update(dict(Province.objects.values_list("code", "sort_key")))
    return _SORT_KEYS.get(code, str(code))


def first_commune_subquery(outer="pk"):
    """The commune of an application's first beneficiary: a scheme counts once, in
    that commune, so the commune table adds up to the province's total."""
    through = Application.establishments.through
    return Subquery(through.objects.filter(application_id=OuterRef(outer)).order_by("establishment_id")
                    .values("establishment__commune_id")[:1])


def commune_measures(user, filters: Filters) -> dict:
    committed = Q(status__in=COMMITTED_STATES)
    result: dict = defaultdict(Measures)
    rows = (applications(user, filters).annotate(commune_id=first_commune_subquery()).values("commune_id")
            .annotate(n=Count("pk"), requested=Coalesce(Sum("requested_support"), ZERO),
                      approved=Coalesce(Sum("approved_amount", filter=committed), ZERO),
                      committed=Coalesce(Sum(commitment_expression()), ZERO),
                      approved_n=Count("pk", filter=committed),
                      rejected_n=Count("pk", filter=Q(status=Status.REJECTED)), overdue=Count("pk", filter=overdue_q())))
    for row in rows:
        m = result[row["commune_id"]]
        m.count, m.requested, m.approved = row["n"], row["requested"], row["approved"]
        m.approved_count, m.rejected_count, m.overdue = row["approved_n"], row["rejected_n"], row["overdue"]
    for model_qs, amount, attr in ((disbursements(user, filters), "amount", "disbursed"),
                                   (settlements(user, filters), "settled_amount", "settled")):
        for row in (model_qs.annotate(commune_id=first_commune_subquery("application_id")).values("commune_id")
                    .annotate(total=Sum(amount))):
            setattr(result[row["commune_id"]], attr, getattr(result[row["commune_id"]], attr) + (row["total"] or 0))
    return result


def commune_lines(user, filters: Filters, province_code: int) -> list[Line]:
    rows = commune_measures(user, filters)
    names = dict(Commune.objects.filter(code__in=[k for k in rows if k]).values_list("code", "name"))
    order = sorted((k for k in rows if k), key=lambda k: names.get(k, ""))
    lines = _lines(rows, names, order=order)
    if None in rows:
        lines.append(Line(key=None, label="(Chưa có cơ sở thụ hưởng)", m=rows[None]))
    return lines


# --- Reports ----------------------------------------------------------------------------------


def regional_summary(*, user, filters: Filters, grouping: str, regions=None) -> dict:
    """National → regions → provinces, and the breakdown by activity type × fund source."""
    facts = _measure_rows(user, filters, ["province_id", "activity_type_id", "fund_source"])
    activities = activity_labels()
    province_rows = rollup(facts, lambda k: k[0])
    names = province_names(filters.province_ids)
    region_list = regions if regions is not None else region_members(grouping)
    region_lines, province_lines = [], []
    for region, members in region_list:
        m = Measures()
        for code in sorted(members, key=_province_sort):
            if filters.province_ids is not None and code not in filters.province_ids:
                continue
            pm = province_rows.get(code, Measures())
            m.add(pm)
            province_lines.append(Line(key=code, label=names.get(code, str(code)), m=pm,
                                       extra={"region": region.name}))
        region_lines.append(Line(key=region.code, label=region.name, m=m))
    total = Measures()
    for m in facts.values():
        total.add(m)
    activity_fund = [Line(key=k, label=activities[k[0]].name if k[0] in activities else k[0], m=m,
                          extra={"fund_source": k[1]})
                     for k, m in sorted(rollup(facts, lambda k: (k[1], k[2])).items(),
                                        key=lambda item: (activities[item[0][0]].position
                                                          if item[0][0] in activities else 0, item[0]))]
    by_activity = rollup(facts, lambda k: k[1])
    return {"total": total, "regions": region_lines, "provinces": province_lines, "activity_fund": activity_fund,
            "by_activity": [Line(key=c, label=at.name, m=by_activity[c]) for c, at in activities.items()
                            if c in by_activity],
            "green": green_share(by_activity, activities), "facts": facts}


def province_annual(*, user, filters: Filters, province_code: int) -> dict:
    facts = _measure_rows(user, filters, ["activity_type_id", "fund_source"])
    activities = activity_labels()
    by_activity = rollup(facts, lambda k: k[0])
    total = Measures()
    for m in facts.values():
        total.add(m)
    schemes = scheme_rows(user, filters)
    return {"total": total, "communes": commune_lines(user, filters, province_code),
            "by_activity": [Line(key=c, label=at.name, m=by_activity[c]) for c, at in activities.items()
                            if c in by_activity],
            "green": green_share(by_activity, activities), "schemes": schemes}


def scheme_rows(user, filters: Filters):
    """The list of schemes with their money, disbursed and settled amounts as
    correlated sums (one query)."""
    disbursed = (Disbursement.objects.filter(application_id=OuterRef("pk")).order_by().values("application_id")
                 .annotate(t=Sum("amount")).values("t"))
    if filters.period_end:
        disbursed = disbursed.filter(paid_on__lte=filters.period_end)
    commune = (Establishment.objects.filter(applications=OuterRef("pk")).order_by("pk").values("commune__name")[:1])
    return (applications(user, filters)
            .annotate(disbursed=Coalesce(Subquery(disbursed, output_field=BigIntegerField()), ZERO),
                      settled=Coalesce(F("settlement__settled_amount"), ZERO), commune_name=Subquery(commune))
            .select_related("activity_type").order_by("code"))


def budget_ledger(*, user, filters: Filters) -> list[dict]:
    """Allocated, committed, disbursed, settled and remaining per programme × province × year."""
    keys = ["programme_id", "province_id", "year"]
    facts = _measure_rows(user, filters, keys)
    alloc_q = Q()
    if filters.year:
        alloc_q &= Q(year=filters.year)
    if filters.province_ids is not None:
        alloc_q &= Q(province_id__in=filters.province_ids)
    if filters.fund_source:
        alloc_q &= Q(programme__fund_source=filters.fund_source)
    allocated = dict(((r["programme_id"], r["province_id"], r["year"]), r["amount"]) for r in
                     _scoped(BudgetAllocation, user).filter(alloc_q).values("programme_id", "province_id", "year")
                     .annotate(amount=Sum("amount")).order_by())
    programmes = dict(Programme.objects.values_list("pk", "name"))
    names = province_names()
    rows = []
    for key in sorted(set(facts) | set(allocated), key=lambda k: (k[2], _province_sort(k[1]), programmes.get(k[0], ""))):
        m = facts.get(key, Measures())
        alloc = allocated.get(key, 0)
        rows.append({"programme": programmes.get(key[0], key[0]), "province": names.get(key[1], key[1]),
                     "year": key[2], "allocated": alloc, "committed": m.committed, "disbursed": m.disbursed,
                     "settled": m.settled, "remaining": alloc - m.committed})
    return rows
