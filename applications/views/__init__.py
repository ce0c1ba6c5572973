"""The officer workspace: tasks, establishments, applications (dossier, attachments,
actions), the council member's scoring page, the records after the decision and the
budget page, one module per sub-domain. Views parse input and call the services; every
read goes through ``visible_to``."""

from .appraisal import ScoringView
from .budget import AllocationCreateView, AllocationDetailView, BudgetView
from .councils import CallCouncilsView
from .detail import ApplicationDetailView
from .dossier import (
    ApplicationCreateView,
    ApplicationListView,
    ApplicationUpdateView,
    AttachmentDownloadView,
    AttachmentRemoveView,
    AttachmentUploadView,
)
from .establishments import (
    EstablishmentCreateView,
    EstablishmentDetailView,
    EstablishmentDistinctView,
    EstablishmentListView,
    EstablishmentSuccessorsView,
    EstablishmentUpdateView,
)
from .guidance import ApplicationGuidanceView
from .implementation import ChangeDecisionView, RecordView
from .tasks import TaskListView
from .transitions import TransitionView

__all__ = [
    "AllocationCreateView", "AllocationDetailView",
    "ApplicationCreateView", "ApplicationDetailView", "ApplicationGuidanceView", "ApplicationListView",
    "ApplicationUpdateView", "AttachmentDownloadView", "AttachmentRemoveView", "AttachmentUploadView", "BudgetView",
    "CallCouncilsView", "ChangeDecisionView", "EstablishmentCreateView", "EstablishmentDetailView",
    "EstablishmentDistinctView", "EstablishmentListView", "EstablishmentSuccessorsView", "EstablishmentUpdateView",
    "RecordView", "ScoringView", "TaskListView", "TransitionView",
]
