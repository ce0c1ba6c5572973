"""API routes of the reports app."""

from rest_framework.routers import SimpleRouter

from reports.documents.api import DocumentRegisterViewSet, OfficialDocumentViewSet, SignerViewSet

from .viewsets import ReportRunViewSet

router = SimpleRouter()
router.register("reports", ReportRunViewSet, basename="report-run")
router.register("documents", OfficialDocumentViewSet, basename="official-document")
router.register("document-registers", DocumentRegisterViewSet, basename="document-register")
router.register("signers", SignerViewSet, basename="signer")
urlpatterns = router.urls
