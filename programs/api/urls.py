"""API routes of the programs app."""

from rest_framework.routers import SimpleRouter

from .viewsets import (
    ActivityTypeViewSet,
    CallViewSet,
    ProgrammeViewSet,
    SupportRuleViewSet,
)

router = SimpleRouter()
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("activity-types", ActivityTypeViewSet, basename="activity-type")
router.register("support-rules", SupportRuleViewSet, basename="support-rule")
router.register("calls", CallViewSet, basename="call")
urlpatterns = router.urls
