"""The aggregates of the generated reports: regional summary, provincial annual report,
scheme rows and budget execution."""


from django.db.models import (
    BigIntegerField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from applications.models import Disbursement, Establishment
from programs.models import BudgetAllocation, Programme

from .base import (
    ZERO,
    Filters,
    Measures,
    _measure_rows,
    _scoped,
    applications,
    rollup,
)
from .dashboard import (
    Line,
    _province_sort,
    activity_labels,
    commune_lines,
    green_share,
    province_names,
    region_members,
)

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
    def order(k):
        return k[2], _province_sort(k[1]), programmes.get(k[0], "")

    for key in sorted(set(facts) | set(allocated), key=order):
        m = facts.get(key, Measures())
        alloc = allocated.get(key, 0)
        rows.append({"programme": programmes.get(key[0], key[0]), "province": names.get(key[1], key[1]),
                     "year": key[2], "allocated": alloc, "committed": m.committed, "disbursed": m.disbursed,
                     "settled": m.settled, "remaining": alloc - m.committed})
    return rows
