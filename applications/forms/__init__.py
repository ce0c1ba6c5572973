"""Forms of the officer workspace, one module per sub-domain. They only parse and check
input; the services write."""

from .appraisal import ConflictForm, ScoreForm
from .base import BootstrapMixin, DateInput, add_service_errors, posted_version
from .budget import AllocationForm, AllocationMoveForm, BudgetFilterForm
from .councils import CouncilForm
from .dossier import (
    ApplicationForm,
    AttachmentForm,
    BaseCostLineFormSet,
    CostLineForm,
    CostLineFormSet,
    TransitionForm,
)
from .establishments import EstablishmentForm
from .implementation import (
    AcceptanceForm,
    ChangeDecisionForm,
    ChangeRequestForm,
    CompletionForm,
    ContractForm,
    DisbursementForm,
    InspectionForm,
    ProgressReportForm,
    RecordForm,
    SettlementForm,
    StartImplementationForm,
)

__all__ = [
    "AcceptanceForm",
    "AllocationForm",
    "AllocationMoveForm",
    "ApplicationForm",
    "AttachmentForm",
    "BaseCostLineFormSet",
    "BootstrapMixin",
    "BudgetFilterForm",
    "ChangeDecisionForm",
    "CouncilForm",
    "ChangeRequestForm",
    "CompletionForm",
    "ConflictForm",
    "ContractForm",
    "CostLineForm",
    "CostLineFormSet",
    "DateInput",
    "DisbursementForm",
    "EstablishmentForm",
    "InspectionForm",
    "ProgressReportForm",
    "RecordForm",
    "ScoreForm",
    "SettlementForm",
    "StartImplementationForm",
    "TransitionForm",
    "add_service_errors",
    "posted_version",
]
