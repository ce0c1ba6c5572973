"""API routes of the reports app."""

from rest_framework.routers import SimpleRouter

from .viewsets import ReportRunViewSet

router = SimpleRouter()
router.register("reports", ReportRunViewSet, basename="report-run")
urlpatterns = router.urls
