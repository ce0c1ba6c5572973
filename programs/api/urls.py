"""API routes of the programs app."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()
urlpatterns = router.urls
