"""Models of the applications app, one module per sub-domain: establishments, the dossier
(application, cost lines, attachments, events), the appraisal, implementation and closing.
Every model is importable from ``applications.models`` (migrations name
``applications.models.attachment_path`` and ``validate_tax_code``)."""

from .appraisal import (
    AppraisalCouncil,
    ConflictDeclaration,
    CouncilMember,
    CouncilQuerySet,
    CouncilSeat,
    Score,
)
from .closing import Acceptance, Settlement
from .dossier import (
    Application,
    ApplicationCodeSequence,
    ApplicationEvent,
    ApplicationQuerySet,
    Attachment,
    CostLine,
    attachment_path,
)
from .duplicates import DistinctEstablishmentPair
from .establishments import TAX_CODE_RE, Establishment, EstablishmentQuerySet, validate_tax_code
from .implementation import ChangeRequest, Contract, Disbursement, Inspection, ProgressReport
from .imports import ImportJob, ImportKind, ImportRow, ImportStatus, RowOutcome

__all__ = [
    "TAX_CODE_RE", "Acceptance", "Application", "ApplicationCodeSequence", "ApplicationEvent",
    "ApplicationQuerySet", "AppraisalCouncil", "Attachment", "ChangeRequest", "ConflictDeclaration", "Contract",
    "CostLine", "CouncilMember", "CouncilQuerySet", "CouncilSeat", "Disbursement", "DistinctEstablishmentPair",
    "Establishment", "EstablishmentQuerySet", "ImportJob", "ImportKind", "ImportRow", "ImportStatus", "Inspection",
    "ProgressReport", "RowOutcome", "Score", "Settlement", "attachment_path", "validate_tax_code",
]
