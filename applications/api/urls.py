"""API routes of the applications app."""

from rest_framework.routers import SimpleRouter

from .viewsets import ApplicationViewSet, EstablishmentViewSet

router = SimpleRouter()
router.register("establishments", EstablishmentViewSet, basename="establishment")
router.register("applications", ApplicationViewSet, basename="application")
urlpatterns = router.urls
