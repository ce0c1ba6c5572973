"""API throttles (DRF), counted in the shared cache (Redis) so every web process and every
machine sees the same counts: per token, per user across all their tokens and their
session, and per address for anonymous calls. Rates come from ``KC_API_THROTTLE_RATES``
at request time (DRF's own classes read their rates once at import)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken
from .security import client_ip


class _PortalThrottle(SimpleRateThrottle):
    def get_rate(self):
        return settings.KC_API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        # The rate is read per request so that settings changes (and tests) apply.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_ident(self, request):
        return client_ip(request) or "unknown"


class TokenRateThrottle(_PortalThrottle):
    """Each API token on its own."""

    scope = "token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return None


class UserRateThrottle(_PortalThrottle):
    """Each user, whatever token or session they call with."""

    scope = "user"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
        return None


class AnonRateThrottle(_PortalThrottle):
    """Anonymous callers, per address (as the trusted proxies report it)."""

    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
