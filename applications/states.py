"""The facts of each status of an application (đề án): is the dossier editable, is its
money committed, which appraisal level applies, which records may be added. Part of the
workflow (``applications.workflow`` re-exports it and is where callers ask); a module of
its own, importing only the choices, so that the models and the ledger, which the
workflow's guards read, can read it too without an import cycle."""

from dataclasses import dataclass

from .choices import CouncilLevel, Status


class Record:
    """What may be added to a scheme after the decision (the per-state ``records``).
    ``advance`` and ``payment`` are the disbursement kinds of the same names."""

    CONTRACT = "contract"
    ADVANCE = "advance"
    PAYMENT = "payment"
    PROGRESS_REPORT = "progress_report"
    INSPECTION = "inspection"
    CHANGE_REQUEST = "change_request"
    # Records of implementation filed in the dossier (contract, vouchers, reports,
    # minutes, settlement papers): the post-decision attachment kinds.
    DOCUMENT = "document"
    # Made by the step that needs them (the transition's ``record_first``).
    COMPLETION_REPORT = "completion_report"
    ACCEPTANCE = "acceptance"
    SETTLEMENT = "settlement"


@dataclass(frozen=True)
class State:
    """The facts of one status."""

    editable: bool = False  # the dossier (fields, cost lines, files) may change
    committed: bool = False  # approved: its money counts against the allocation
    appraisal_level: str | None = None  # the council that appraises it now
    records: frozenset = frozenset()  # what may be added (besides what a step records first)
    terminal: bool = False
    # Counted as received (tiếp nhận) in official totals: submitted and every later state.
    # Drafts were never received; a cancelled scheme may have been cancelled as a draft,
    # so official reports show cancelled schemes apart instead of among the received.
    received: bool = True


_IMPLEMENTING = frozenset({Record.CHANGE_REQUEST, Record.DOCUMENT})
STATES = {
    Status.DRAFT: State(editable=True, received=False),
    Status.SUBMITTED: State(),
    Status.RETURNED: State(editable=True),
    Status.UNDER_APPRAISAL: State(appraisal_level=CouncilLevel.PROVINCIAL),
    Status.ENDORSED: State(),
    Status.UNDER_NATIONAL_APPRAISAL: State(appraisal_level=CouncilLevel.NATIONAL),
    Status.APPROVED: State(committed=True, records=_IMPLEMENTING | {Record.CONTRACT}),
    Status.REJECTED: State(terminal=True),
    Status.IN_PROGRESS: State(committed=True, records=_IMPLEMENTING | {
        Record.CONTRACT, Record.ADVANCE, Record.PAYMENT, Record.PROGRESS_REPORT, Record.INSPECTION}),
    Status.SUSPENDED: State(committed=True, records=_IMPLEMENTING | {Record.PROGRESS_REPORT, Record.INSPECTION}),
    Status.COMPLETED: State(committed=True, records=frozenset({Record.DOCUMENT, Record.PAYMENT, Record.INSPECTION})),
    Status.ACCEPTED: State(committed=True, records=frozenset({Record.DOCUMENT, Record.PAYMENT})),
    Status.SETTLED: State(committed=True, terminal=True),
    Status.CANCELLED: State(terminal=True, received=False),
}


def states_where(predicate) -> frozenset:
    """The statuses whose ``State`` satisfies ``predicate`` (for queryset filters)."""
    return frozenset(status for status, state in STATES.items() if predicate(state))


EDITABLE_STATES = states_where(lambda s: s.editable)
COMMITTED_STATES = states_where(lambda s: s.committed)
APPRAISAL_STATES = states_where(lambda s: s.appraisal_level is not None)
TERMINAL_STATES = states_where(lambda s: s.terminal)
RECEIVED_STATES = states_where(lambda s: s.received)


def may_record(status: str, record: str) -> bool:
    """Whether ``record`` may be added to a scheme in ``status``."""
    return record in STATES[status].records


def states_for(record: str) -> frozenset:
    return states_where(lambda s: record in s.records)
