"""Reads of the programmes app that are more than a filter: the cap in force, the caps
and calls a programme page shows. (The budget position and ledger read the applications:
they are ``applications.ledger``, reached here through ``programme_budget``.)"""

from datetime import date

from django.db.models import Prefetch, Q

from .models import ActivityType, AppraisalCriterion, Call, SupportRule


def _prefer(rule, best):
    """A province's own rule wins over the national one; then the newest."""
    return best is None or (rule.province_id is not None, rule.valid_from) > (best.province_id is not None,
                                                                               best.valid_from)


def _rules_valid_on(*, province_id, fund_source: str, on: date):
    qs = (SupportRule.objects.filter(fund_source=fund_source, valid_from__lte=on)
          .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)))
    if province_id is None:
        return qs.filter(province__isnull=True)
    return qs.filter(Q(province_id=province_id) | Q(province__isnull=True))


def support_rule_for(*, province_id: int, fund_source: str, activity_type_id: str, on: date) -> SupportRule | None:
    """The cap in force on ``on``: a province's own rule wins over the national one;
    among several, the most recent ``valid_from``."""
    best = None
    for rule in _rules_valid_on(province_id=province_id, fund_source=fund_source, on=on).filter(
            activity_type_id=activity_type_id).order_by("-valid_from"):
        if _prefer(rule, best):
            best = rule
    return best


def rules_in_force(*, province_id: int | None, fund_source: str, on: date) -> list[SupportRule]:
    """Per activity type, the rule ``support_rule_for`` would apply on ``on`` (in the
    reference table's order); ``province_id`` None gives the national rules alone."""
    best: dict = {}
    for rule in _rules_valid_on(province_id=province_id, fund_source=fund_source, on=on).select_related(
            "activity_type", "province"):
        if _prefer(rule, best.get(rule.activity_type_id)):
            best[rule.activity_type_id] = rule
    return sorted(best.values(), key=lambda r: (r.activity_type.position, r.activity_type_id))


def calls_of(programme, user, *, on: date, province_id: int | None = None):
    """The calls of ``programme`` the user sees that are open on ``on`` or open later,
    with their activity types and criteria (three queries however many calls)."""
    qs = (Call.objects.visible_to(user).filter(programme=programme, closes_on__gte=on)
          .select_related("province")
          .prefetch_related(Prefetch("activity_types", queryset=ActivityType.objects.order_by("position")),
                            Prefetch("criteria", queryset=AppraisalCriterion.objects.order_by("position", "pk")))
          .order_by("opens_on", "province__sort_key", "pk"))
    if province_id is not None:
        qs = qs.filter(province_id=province_id)
    return qs


# The budget ledger lives above this app (it sums applications); the applications app
# hands its reader in when it is ready, so a programme page shows the remaining money
# without this app importing it.
_budget_reader = None


def set_budget_reader(reader) -> None:
    """``reader(user=..., programme=..., year=...)`` → ``{"rows": [...], "totals": {...}}``."""
    global _budget_reader
    _budget_reader = reader


def programme_budget(*, user, programme, year: int) -> dict:
    """Allocated, committed and remaining of ``programme`` in ``year`` per province the user
    sees (the ledger's rows), or empty when no ledger is installed."""
    if _budget_reader is None:
        return {"rows": [], "totals": {}}
    return _budget_reader(user=user, programme=programme, year=year)
