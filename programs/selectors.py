"""Reads of the programmes app that are more than a filter: the cap in force. (The budget
position and ledger read the applications: they are ``applications.ledger``.)"""

from datetime import date

from django.db.models import Q

from .models import SupportRule


def support_rule_for(*, province_id: int, fund_source: str, activity_type_id: str, on: date) -> SupportRule | None:
    """The cap in force on ``on``: a province's own rule wins over the national one;
    among several, the most recent ``valid_from``."""
    rules = (
        SupportRule.objects.filter(fund_source=fund_source, activity_type_id=activity_type_id, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .filter(Q(province_id=province_id) | Q(province__isnull=True))
        .order_by("-valid_from")
    )
    best = None
    for rule in rules:
        if best is None:
            best = rule
            continue
        # Prefer the province's rule; then the newest.
        if (rule.province_id is not None, rule.valid_from) > (best.province_id is not None, best.valid_from):
            best = rule
    return best
