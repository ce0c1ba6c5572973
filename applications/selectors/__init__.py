"""Reads of the applications app that are more than a filter, one module per sub-domain:
eligibility and duplicates of the dossier, the council and score sheet, the first-advance
limit. The task list (``selectors.tasks``) reads the workflow, whose guards read these: it
is imported on its own, not from here."""

from .appraisal import (
    MemberSheet,
    ScoreSheet,
    blind_events,
    council_for,
    council_seat,
    councils_for,
    score_sheet,
    weighted_total,
)
from .dossier import (
    DUPLICATE_WINDOW_DAYS,
    ELIGIBLE_LEGAL_FORMS,
    duplicate_counts,
    duplicates_for,
    eligibility_problems,
    establishment_history,
    location_problem,
    money_problems,
)
from .implementation import (
    Payable,
    first_advance_limit,
    instalment_amount,
    instalment_due,
    instalment_label,
    payable_now,
)

__all__ = [
    "DUPLICATE_WINDOW_DAYS", "ELIGIBLE_LEGAL_FORMS", "MemberSheet", "Payable", "ScoreSheet", "blind_events",
    "council_for", "council_seat", "councils_for", "duplicate_counts", "duplicates_for", "eligibility_problems",
    "establishment_history", "first_advance_limit", "instalment_amount", "instalment_due", "instalment_label",
    "location_problem", "money_problems", "payable_now", "score_sheet",
    "weighted_total",
]
