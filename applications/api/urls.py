"""API routes of the applications app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .viewsets import (
    AcceptanceViewSet,
    ApplicationDisbursementViewSet,
    ApplicationStepViewSet,
    ApplicationViewSet,
    BudgetAllocationViewSet,
    ChangeRequestViewSet,
    ContractViewSet,
    CouncilViewSet,
    DisbursementViewSet,
    EstablishmentViewSet,
    InspectionViewSet,
    ProgressReportViewSet,
    SettlementViewSet,
)

router = SimpleRouter()
router.register("establishments", EstablishmentViewSet, basename="establishment")
router.register("applications", ApplicationViewSet, basename="application")
router.register("disbursements", DisbursementViewSet, basename="disbursement")
router.register("councils", CouncilViewSet, basename="council")
# Allocations are programmes' data, served here because they carry the ledger's numbers.
router.register("budget-allocations", BudgetAllocationViewSet, basename="budget-allocation")
# Records of one application: /applications/{application_pk}/<records>/
NESTED = r"applications/(?P<application_pk>\d+)"
router.register(f"{NESTED}/contracts", ContractViewSet, basename="application-contract")
router.register(f"{NESTED}/disbursements", ApplicationDisbursementViewSet, basename="application-disbursement")
router.register(f"{NESTED}/progress-reports", ProgressReportViewSet, basename="application-progress-report")
router.register(f"{NESTED}/inspections", InspectionViewSet, basename="application-inspection")
router.register(f"{NESTED}/change-requests", ChangeRequestViewSet, basename="application-change-request")
router.register(NESTED, ApplicationStepViewSet, basename="application-step")

single = {"get": "retrieve", "post": "create"}
urlpatterns = router.urls + [
    path("applications/<int:application_pk>/acceptance/", AcceptanceViewSet.as_view(single),
         name="application-acceptance"),
    path("applications/<int:application_pk>/settlement/", SettlementViewSet.as_view(single),
         name="application-settlement"),
]
