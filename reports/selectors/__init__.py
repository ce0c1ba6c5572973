"""Aggregates behind the dashboards and the reports, one module per use: the scoped rows
and measures (``base``), the dashboard, the generated reports. Every figure is a GROUP BY
in the database; Python only rolls the grouped rows (a few thousand at most: provinces ×
activity types × fund sources × states) up into the views a page needs, so the dashboard
and the PDF of the same period always show the same numbers."""

from applications.workflow import COMMITTED_STATES

from .base import STAGES, ZERO, Filters, Measures, applications, disbursements, rollup, settlements
from .dashboard import (
    FACT_KEYS,
    PRIORITY_FLAGS,
    Dashboard,
    Line,
    _province_sort,
    activity_labels,
    cached_dashboard,
    commune_lines,
    commune_measures,
    dashboard,
    dashboard_cache_seconds,
    first_commune_subquery,
    green_share,
    priority_shares,
    province_names,
    region_members,
    stage_medians,
)
from .reports import budget_ledger, province_annual, regional_summary, scheme_rows

__all__ = [
    "COMMITTED_STATES", "FACT_KEYS", "PRIORITY_FLAGS", "STAGES", "ZERO", "Dashboard", "Filters", "Line", "Measures",
    "_province_sort", "activity_labels", "applications", "budget_ledger", "cached_dashboard", "commune_lines",
    "commune_measures", "dashboard", "dashboard_cache_seconds", "disbursements", "first_commune_subquery",
    "green_share", "priority_shares", "province_annual", "province_names", "regional_summary", "region_members",
    "rollup", "scheme_rows", "settlements", "stage_medians",
]
