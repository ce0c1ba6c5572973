"""Serializers of the establishments and applications resources, one module per
sub-domain. They check the shape of the input; every rule of the domain is checked by the
services they hand over to."""

from .appraisal import (
    ConflictDeclarationResultSerializer,
    LedgerSerializer,
    ScoreSheetSerializer,
    ScoresResultSerializer,
)
from .base import ProvinceRecordField, ScopedPrimaryKeyRelatedField
from .closing import (
    AcceptanceInputSerializer,
    AcceptanceSerializer,
    CompletionSerializer,
    SettlementInputSerializer,
    SettlementSerializer,
)
from .dossier import (
    ApplicationEventSerializer,
    ApplicationSerializer,
    ApplicationWriteSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    ConflictDeclarationSerializer,
    CostLineSerializer,
    DuplicateSerializer,
    ScoreSheetQuerySerializer,
    ScoresSerializer,
    TransitionSerializer,
)
from .establishments import EstablishmentSerializer
from .implementation import (
    ChangeDecisionSerializer,
    ChangeRequestInputSerializer,
    ChangeRequestSerializer,
    ContractInputSerializer,
    ContractSerializer,
    DisbursementInputSerializer,
    DisbursementSerializer,
    DocumentIdsMixin,
    DocumentsField,
    ImplementationStartSerializer,
    InspectionInputSerializer,
    InspectionSerializer,
    ProgressReportInputSerializer,
    ProgressReportSerializer,
)

__all__ = [
    "AcceptanceInputSerializer", "AcceptanceSerializer", "ApplicationEventSerializer", "ApplicationSerializer",
    "ApplicationWriteSerializer", "AttachmentSerializer", "AttachmentUploadSerializer", "ChangeDecisionSerializer",
    "ChangeRequestInputSerializer", "ChangeRequestSerializer", "CompletionSerializer",
    "ConflictDeclarationSerializer", "ContractInputSerializer", "ContractSerializer", "CostLineSerializer",
    "DisbursementInputSerializer", "DisbursementSerializer", "DocumentIdsMixin", "DocumentsField",
    "DuplicateSerializer", "EstablishmentSerializer", "ImplementationStartSerializer", "InspectionInputSerializer",
    "InspectionSerializer", "ProgressReportInputSerializer", "ProgressReportSerializer", "ProvinceRecordField",
    "ScopedPrimaryKeyRelatedField", "ScoreSheetQuerySerializer", "ScoresSerializer", "SettlementInputSerializer",
    "SettlementSerializer", "TransitionSerializer", "ConflictDeclarationResultSerializer", "LedgerSerializer",
    "ScoreSheetSerializer", "ScoresResultSerializer",
]
