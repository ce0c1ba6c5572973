"""Template context shared by every page."""

from django.conf import settings

from .audit import can_browse
from .scoping import scope_for


def portal(request):
    user = getattr(request, "user", None)

    signed_in = user is not None and user.is_authenticated
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "SOURCE_URL": settings.KC_SOURCE_URL,
        "user_scope": scope_for(user) if user else None,
        "can_browse_audit": signed_in and can_browse(user),
    }
