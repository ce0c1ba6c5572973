"""API routes of the notifications app."""

from rest_framework.routers import DefaultRouter

from .viewsets import NotificationViewSet, WatchViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("notifications", NotificationViewSet, basename="notification")
router.register("watches", WatchViewSet, basename="watch")
urlpatterns = router.urls
