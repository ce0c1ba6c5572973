"""Writes of the applications app, one module per sub-domain. Every function takes keyword
arguments, checks scope and input, saves with ``full_clean`` and records an
``ApplicationEvent`` for every change to an application. No request, no messages: views,
the API, commands and tasks all call these.

The public services are re-exported here, so callers write ``services.application_transition``
whatever module holds it."""

from ..ledger import disbursed_total
from .appraisal import conflict_declare, council_create, council_recompose, scores_submit
from .budget import budget_allocation_move, budget_allocation_set, require_allocate
from .changes import change_request_create, change_request_decide
from .closing import acceptance_record, application_complete, application_settle
from .dossier import (
    application_create,
    application_update,
    attachment_add,
    attachment_remove,
    sniff_content_type,
)
from .establishments import establishment_create, establishment_update
from .implementation import (
    contract_add,
    disbursement_add,
    implementation_start,
    inspection_add,
    progress_report_add,
)
from .transitions import application_transition

__all__ = [
    "acceptance_record",
    "application_complete",
    "application_create",
    "application_settle",
    "application_transition",
    "application_update",
    "attachment_add",
    "attachment_remove",
    "budget_allocation_move",
    "budget_allocation_set",
    "require_allocate",
    "change_request_create",
    "change_request_decide",
    "conflict_declare",
    "contract_add",
    "council_create",
    "council_recompose",
    "disbursed_total",
    "disbursement_add",
    "establishment_create",
    "establishment_update",
    "implementation_start",
    "inspection_add",
    "progress_report_add",
    "scores_submit",
    "sniff_content_type",
]
