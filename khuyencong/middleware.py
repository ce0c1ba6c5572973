"""HTTP hardening middleware: proxy headers only from trusted proxies, request size
refused from the headers, and no caching of anything personal."""

import ipaddress
import logging
from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

# Headers only a reverse proxy of ours may set: from anyone else they are dropped, so a
# client cannot pretend to speak HTTPS (SECURE_PROXY_SSL_HEADER) or choose its address.
PROXY_HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
                 "HTTP_X_REAL_IP", "HTTP_FORWARDED")


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]):
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def is_trusted_proxy(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.KC_TRUSTED_PROXIES)))


class TrustedProxyMiddleware:
    """First in the chain: drops the forwarding headers unless the peer (REMOTE_ADDR) is one
    of ``KC_TRUSTED_PROXIES``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for header in PROXY_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuses (413) a request whose declared Content-Length is too big, before anything
    reads its body: uploads (multipart) up to ``KC_MAX_UPLOAD_BYTES``, anything else up to
    ``KC_MAX_BODY_BYTES``. (A body without Content-Length — chunked — is not read by
    Django's WSGI handler at all.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > 0:
            multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
            limit = settings.KC_MAX_UPLOAD_BYTES if multipart else settings.KC_MAX_BODY_BYTES
            if declared > limit:
                log.warning("request body of %s bytes refused (limit %s) on %s", declared, limit, request.path)
                return self.refuse(request, limit)
        return self.get_response(request)

    @staticmethod
    def refuse(request, limit: int):
        megabytes = max(1, limit // (1024 * 1024))
        detail = _("Yêu cầu quá lớn (tối đa %(mb)s MB). / Request too large (at most %(mb)s MB).") % {"mb": megabytes}
        if request.path.startswith("/api/"):
            response = JsonResponse({"status": 413, "code": "request_too_large", "detail": detail}, status=413)
        else:
            response = HttpResponse(loader.get_template("413.html").render({"detail": detail}), status=413)
        # The body is never read: the connection cannot be reused for another request.
        response["Connection"] = "close"
        return response


class PrivateCacheMiddleware:
    """``Cache-Control: private, no-store`` on every API response and on every response to
    a signed-in user (pages, attachments, exports): nothing personal stays in a shared
    proxy or in the browser's cache after sign-out. Static files (WhiteNoise, earlier in
    the chain) keep their long caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)  # DRF puts a token's user here too
        try:
            signed_in = user is not None and user.is_authenticated
        except Exception:  # noqa: BLE001 - the session store may be down: cannot tell, do not cache
            signed_in = True
        if request.path.startswith("/api/") or signed_in:
            patch_cache_control(response, private=True, no_store=True)
        return response
