"""Sign-in hardening: client address for lockouts, session lifetime, two-factor enforcement."""

import math
import time
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .scoping import scope_for

# Session keys.
# The password of the demo accounts (``make run``); ``check_exposure`` refuses to let an
# exposed deployment keep an active account that still has it.
DEMO_PASSWORD = "KhuyenCong@2026"

AUTH_AT = "kc_auth_at"
SEEN_AT = "kc_seen_at"
TWO_FACTOR_REQUIRED = "kc_2fa_required"

# Pages a signed-in user may open before passing the second factor.
TWO_FACTOR_OPEN_URL_NAMES = ("two_factor", "two_factor_setup", "logout", "set_language")


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For hop added by the trusted proxies.

    Only the last KC_TRUSTED_PROXY_COUNT hops are written by our own proxies; anything to
    their left comes from the client and could be forged to dodge the address lockout.
    """
    count = settings.KC_TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")


def two_factor_required_for(user) -> bool:
    """Whether ``user`` must pass a one-time code after the password.

    Approvers, Agency staff (memberships in an organisation without a province) and
    superusers must when KC_ENFORCE_2FA is on; anyone who enrolled a device must always.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return True
    if not settings.KC_ENFORCE_2FA:
        return False
    if user.is_superuser:
        return True
    scope = scope_for(user)
    # Agency memberships are held "for every province" (``None`` in roles_by_province).
    return bool(scope.approver_province_ids or scope.agency_approver or None in scope.roles_by_province)


@receiver(user_logged_in, dispatch_uid="kc_security_logged_in")
def _on_logged_in(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    request.session[AUTH_AT] = int(time.time())
    # Decided once per sign-in; a role granted later applies from the next sign-in.
    request.session.pop(TWO_FACTOR_REQUIRED, None)


class SessionLifetimeMiddleware:
    """Idle and absolute session lifetime.

    Idle: the session expires SESSION_COOKIE_AGE after it was last saved, and activity
    saves it again at most every KC_SESSION_TOUCH_SECONDS (SESSION_SAVE_EVERY_REQUEST would
    write on every request, including the report page's one-second polling).
    Absolute: the session ends KC_SESSION_ABSOLUTE_SECONDS after sign-in, however active.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            signed_in_at = request.session.setdefault(AUTH_AT, now)
            if now - signed_in_at > settings.KC_SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(request, _("Phiên làm việc đã hết hạn. Xin đăng nhập lại."))
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": _("Phiên làm việc đã hết hạn.")}, status=401)
                return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
            if now - request.session.get(SEEN_AT, 0) >= settings.KC_SESSION_TOUCH_SECONDS:
                request.session[SEEN_AT] = now  # modified: saved, so the idle expiry moves on
        return self.get_response(request)


class TwoFactorMiddleware:
    """Sends a signed-in user who must use two-factor authentication to enrol or verify first.

    Runs after django-otp's OTPMiddleware (``request.user.is_verified()``). API calls with
    a token are left alone: the middleware only sees session users, and tokens are issued
    by operators.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths = None

    def open_paths(self) -> set[str]:
        if self._open_paths is None:
            self._open_paths = {reverse(name) for name in TWO_FACTOR_OPEN_URL_NAMES}
        return self._open_paths

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and request.path not in self.open_paths():
            required = request.session.get(TWO_FACTOR_REQUIRED)
            if required is None:
                required = request.session[TWO_FACTOR_REQUIRED] = two_factor_required_for(user)
            if required:
                return self.refuse(request)
        return self.get_response(request)

    def refuse(self, request):
        if request.path.startswith("/api/"):
            if request.headers.get("Authorization", "").startswith("Token "):
                return self.get_response(request)
            return JsonResponse({"detail": _("Cần xác thực hai lớp trước khi dùng phiên đăng nhập này.")}, status=403)
        url = f"{reverse('two_factor')}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            # htmx would swap the whole verification page into a fragment: make it navigate.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: the Vietnamese lockout page, 429."""
    from django.shortcuts import render

    cooloff = settings.AXES_COOLOFF_TIME
    response = render(request, "registration/lockout.html", {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": max(1, int(cooloff.total_seconds() // 60)) if cooloff else None,
    }, status=429)
    if cooloff:
        response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response


def address_slowdown(request) -> int:
    """Seconds the client's address must still wait before its next sign-in attempt (0: none).

    Counted from django-axes' records of failed attempts (one row per user name, address
    and browser) within the cool-off time, so it needs no other store and works on the
    quick start's SQLite too. Attempts refused here are not authenticated, so they are
    not counted and do not lengthen the wait.
    """
    from axes.models import AccessAttempt
    from django.db.models import Max, Sum

    after = settings.KC_LOGIN_SLOWDOWN_AFTER
    address = client_ip(request)
    if after <= 0 or not address:
        return 0
    now = timezone.now()
    recent = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=now - settings.AXES_COOLOFF_TIME)
    totals = recent.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    failures = totals["failures"] or 0
    if failures < after:
        return 0
    delay = min(settings.KC_LOGIN_SLOWDOWN_BASE_SECONDS * 2 ** min(failures - after, 16),
                settings.KC_LOGIN_SLOWDOWN_MAX_SECONDS)
    wait = (totals["last"] + timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(wait))


def slow_down_response(request, wait_seconds: int):
    from django.shortcuts import render

    response = render(request, "registration/slow_down.html", {"wait_seconds": wait_seconds}, status=429)
    response["Retry-After"] = str(wait_seconds)
    return response


def slowed_down(view):
    """Wraps a sign-in view: a POST from an address that must still wait is refused (429)
    before any password is checked."""
    from functools import wraps

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            wait = address_slowdown(request)
            if wait > 0:
                return slow_down_response(request, wait)
        return view(request, *args, **kwargs)

    return wrapper


# --- Counters in the shared cache ----------------------------------------------------------------


def count_hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit on ``key`` in a fixed window; True when this hit is over ``limit``.
    With the cache down (Redis unreachable) nothing is counted and nothing is refused."""
    from django.core.cache import cache

    if limit <= 0:
        return False
    cache.add(key, 0, window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, window_seconds)
        count = 1
    return count is not None and count > limit
