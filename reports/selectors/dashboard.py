"""The dashboard of a scope and period (cached per scope), with its breakdowns."""

import hashlib
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy

from applications.choices import Status
from applications.filters import overdue_q
from applications.ledger import commitment_expression
from applications.models import Application, ApplicationEvent
from applications.workflow import COMMITTED_STATES, RECEIVED_STATES
from khuyencong.scoping import scope_for
from programs.models import ActivityType
from provinces.models import Commune, Province, Region

from .base import (
    STAGES,
    ZERO,
    Filters,
    Measures,
    _measure_rows,
    applications,
    disbursements,
    rollup,
    settlements,
)

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


PRIORITY_FLAGS = [("woman_owned", gettext_lazy("Phụ nữ làm chủ")),
                  ("ethnic_minority", gettext_lazy("Dân tộc thiểu số")),
                  ("difficult_area", gettext_lazy("Địa bàn khó khăn"))]


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
        result[flag] = {"label": str(label), "count": n, "approved": approved,
                        "count_share": round(100 * n / total.count, 1) if total.count else None,
                        "approved_share": round(100 * approved / total.approved, 1) if total.approved else None}
    return result


def stage_medians(user, filters: Filters) -> list[dict]:
    """Median days an application spends in each stage, from the days each transition
    recorded for the state it left (``ApplicationEvent.stage_days``): one column of the
    scope's events, no pairing of every event with the one before."""
    app_ids = applications(user, filters).values("pk")
    # order_by(): the model's default ordering would join and sort by the application's.
    events = (ApplicationEvent.objects.filter(application_id__in=app_ids, from_status__in=STAGES,
                                              stage_days__isnull=False).order_by())
    if connection.vendor == "postgresql":
        # Postgres-only: the median itself in SQL (percentile_cont). Other engines
        # (the SQLite quick start) take the portable branch below.
        sql, params = events.values("from_status", "stage_days").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SELECT e.from_status, COUNT(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY e.stage_days) "
                           f"FROM ({sql}) e GROUP BY e.from_status", params)
            medians = {status: (n, float(median)) for status, n, median in cursor.fetchall()}
    else:
        durations: dict = defaultdict(list)
        for status, days in events.values_list("from_status", "stage_days").iterator(chunk_size=5000):
            durations[status].append(days)
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
    and offers a refresh. Every user of the same scope and language shares the entry."""
    seconds = dashboard_cache_seconds()
    if seconds <= 0:
        return dashboard(user=user, filters=filters, title=title, communes_of=communes_of,
                         region_grouping=region_grouping)
    # The language is part of the key: the figures carry translated labels (states,
    # funds), which must not reach a reader of the other language.
    key = "kc:dashboard:v2:" + hashlib.sha256(repr((
        _scope_key(user), get_language(), filters, title, communes_of, region_grouping)).encode()).hexdigest()
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
        area_label = gettext("Xã/phường/đặc khu")
    else:
        province_rows = rollup(by3, lambda k: k[0])
        names = province_names(filters.province_ids)
        order = sorted(names, key=lambda code: _province_sort(code))
        by_area = _lines(province_rows, names, order=order)
        area_label = gettext("Tỉnh/thành phố")
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
                      rejected_n=Count("pk", filter=Q(status=Status.REJECTED)), overdue=Count("pk", filter=overdue_q()),
                      received_n=Count("pk", filter=Q(status__in=RECEIVED_STATES)),
                      received_requested=Coalesce(Sum("requested_support", filter=Q(status__in=RECEIVED_STATES)),
                                                  ZERO),
                      cancelled_n=Count("pk", filter=Q(status=Status.CANCELLED))))
    for row in rows:
        m = result[row["commune_id"]]
        m.count, m.requested, m.approved = row["n"], row["requested"], row["approved"]
        m.received_count, m.received_requested = row["received_n"], row["received_requested"]
        m.cancelled_count = row["cancelled_n"]
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
