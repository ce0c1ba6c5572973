"""The officer workspace: tasks, establishments, applications (dossier, attachments,
actions), the council member's scoring page, the records after the decision and the
budget page, one module per sub-domain. Views parse input and call the services; every
read goes through ``visible_to``."""

from .appraisal import ScoringView
from .budget import BudgetView
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
from .implementation import ChangeDecisionView, RecordView
from .tasks import TaskListView
from .transitions import TransitionView

__all__ = [
    "ApplicationCreateView", "ApplicationDetailView", "ApplicationListView", "ApplicationUpdateView",
    "AttachmentDownloadView", "AttachmentRemoveView", "AttachmentUploadView", "BudgetView", "ChangeDecisionView",
    "EstablishmentCreateView", "EstablishmentDetailView", "EstablishmentDistinctView", "EstablishmentListView", "EstablishmentSuccessorsView", "EstablishmentUpdateView",
    "RecordView", "ScoringView", "TaskListView", "TransitionView",
]
