"""API viewsets of establishments and applications, one module per sub-domain. Thin: input
is shaped by the serializers, every write goes through ``applications.services``, every
read is scoped."""

from .budget import BudgetAllocationViewSet
from .closing import AcceptanceViewSet, ApplicationStepViewSet, SettlementViewSet
from .councils import CouncilViewSet
from .dossier import ApplicationViewSet
from .establishments import EstablishmentViewSet
from .implementation import (
    ApplicationDisbursementViewSet,
    ChangeRequestViewSet,
    ContractViewSet,
    DisbursementViewSet,
    InspectionViewSet,
    ProgressReportViewSet,
)

__all__ = [
    "AcceptanceViewSet",
    "ApplicationDisbursementViewSet",
    "BudgetAllocationViewSet",
    "ApplicationStepViewSet",
    "ApplicationViewSet",
    "ChangeRequestViewSet",
    "CouncilViewSet",
    "ContractViewSet",
    "DisbursementViewSet",
    "EstablishmentViewSet",
    "InspectionViewSet",
    "ProgressReportViewSet",
    "SettlementViewSet",
]
