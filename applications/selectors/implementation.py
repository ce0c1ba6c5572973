"""Reads of the implementation of a scheme."""

from ..choices import DisbursementKind


def first_advance_limit(application, disbursements=None) -> int | None:
    """The most the first advance may be (the activity type's share of the approved amount),
    or None once an advance has been paid: the share limits only the first advance.
    ``disbursements``: the application's disbursements when already loaded."""
    if disbursements is None:
        has_advance = application.disbursements.filter(kind=DisbursementKind.ADVANCE).exists()
    else:
        has_advance = any(d.kind == DisbursementKind.ADVANCE for d in disbursements)
    if has_advance:
        return None
    return (application.approved_amount or 0) * application.activity_type.first_advance_percent // 100
