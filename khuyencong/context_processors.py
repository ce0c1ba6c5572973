"""Template context shared by every page."""

from django.conf import settings

from .scoping import scope_for


def portal(request):
    user = getattr(request, "user", None)
    return {"PORTAL_NAME": settings.PORTAL_NAME, "user_scope": scope_for(user) if user else None}
