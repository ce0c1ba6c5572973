"""API routes of the geography and tenancy app."""

from rest_framework.routers import SimpleRouter

from .viewsets import (
    CommuneViewSet,
    LegacyCommuneViewSet,
    OrganisationViewSet,
    ProvinceViewSet,
    RegionViewSet,
)

router = SimpleRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("provinces", ProvinceViewSet, basename="province")
router.register("communes", CommuneViewSet, basename="commune")
router.register("legacy-communes", LegacyCommuneViewSet, basename="legacy-commune")
router.register("organisations", OrganisationViewSet, basename="organisation")
urlpatterns = router.urls
