"""Settings, part 3: sign-in and sessions, languages, static and uploaded files, e-mail, HTTP security."""

import os
from datetime import timedelta
from pathlib import Path

from django.utils.csp import CSP

from .data import *  # everything the earlier parts defined

# --- Auth -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes checks lockouts before the model backend; it never authenticates by itself.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Sessions: an idle timeout (SESSION_COOKIE_AGE after the last activity, which renews the
# session at most every KC_SESSION_TOUCH_SECONDS) and an absolute limit after sign-in
# (khuyencong.security.SessionLifetimeMiddleware); closing the browser ends the session too.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
KC_SESSION_TOUCH_SECONDS = 300
KC_SESSION_ABSOLUTE_SECONDS = int(os.environ.get("KC_SESSION_ABSOLUTE_SECONDS", 12 * 3600))
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", 2 * 3600))
# Password reset requests per address and hour (then 429), and reset mails per account and
# hour (further requests send nothing and say the same), counted in the shared cache.
KC_PASSWORD_RESET_PER_ADDRESS = int(os.environ.get("KC_PASSWORD_RESET_PER_ADDRESS", 10))
KC_PASSWORD_RESET_PER_ACCOUNT = int(os.environ.get("KC_PASSWORD_RESET_PER_ACCOUNT", 3))

# Lockout (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one user name from
# one address (the pair), that pair is refused for the cool-off time; the same user from
# another address, and other users from that address, are not. A failure during the
# lockout does not restart the cool-off. Wrong current passwords on the password-change
# form count as failed sign-ins (khuyencong.forms.PasswordChangeForm). API tokens never
# pass through django.contrib.auth.authenticate, so lockouts do not touch them.
AXES_FAILURE_LIMIT = int(os.environ.get("KC_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("KC_LOGIN_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# Per address, slow down instead of locking (an office shares one address): once an
# address has KC_LOGIN_SLOWDOWN_AFTER failures within the cool-off time, its next attempt
# must wait BASE·2^(failures − AFTER) seconds after the last failure, at most MAX
# (khuyencong.security.address_slowdown).
KC_LOGIN_SLOWDOWN_AFTER = int(os.environ.get("KC_LOGIN_SLOWDOWN_AFTER", 10))
KC_LOGIN_SLOWDOWN_BASE_SECONDS = int(os.environ.get("KC_LOGIN_SLOWDOWN_BASE_SECONDS", 5))
KC_LOGIN_SLOWDOWN_MAX_SECONDS = int(os.environ.get("KC_LOGIN_SLOWDOWN_MAX_SECONDS", 60))
AXES_LOCKOUT_CALLABLE = "khuyencong.security.lockout_response"
# Behind a reverse proxy (docker compose, gunicorn behind nginx) REMOTE_ADDR is the
# proxy: KC_TRUSTED_PROXY_COUNT tells how many X-Forwarded-For hops to trust.
AXES_CLIENT_IP_CALLABLE = "khuyencong.security.client_ip"
KC_TRUSTED_PROXY_COUNT = int(os.environ.get("KC_TRUSTED_PROXY_COUNT", 0))

# Two-factor authentication (TOTP, django-otp): required for approvers and Agency
# staff when on. Off by default only with DEBUG (the quick start's demo accounts).
KC_ENFORCE_2FA = env_bool("KC_ENFORCE_2FA", not DEBUG)
OTP_TOTP_ISSUER = "Cổng Khuyến công"

# --- I18N -----------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
# Uploads are private: never under STATIC_ROOT, never served by URL; scoped views
# stream them.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Never served by URL: attachments stream through scoped views. (A URL prefix is still
# set because Django tooling such as the live test server parses it.)
MEDIA_URL = "/_private-media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not env_bool("KC_SIMPLE_STATIC", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Several hosts: uploads and report files in an S3-compatible bucket (django-storages) instead of
# MEDIA_ROOT. The bucket stays private: files are read by the scoped views, never by URL.
if os.environ.get("KC_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["KC_S3_BUCKET"],
            "endpoint_url": os.environ.get("KC_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("KC_S3_REGION") or None,
            "access_key": os.environ.get("KC_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("KC_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("KC_S3_PREFIX", ""),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
KC_ATTACHMENT_MAX_BYTES = int(os.environ.get("KC_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024))
# Refused from the Content-Length header before the body is read (khuyencong.middleware):
# uploads get the attachment limit plus room for the form's other fields; JSON and forms less.
KC_MAX_UPLOAD_BYTES = int(os.environ.get("KC_MAX_UPLOAD_BYTES", KC_ATTACHMENT_MAX_BYTES + 1024 * 1024))
KC_MAX_BODY_BYTES = int(os.environ.get("KC_MAX_BODY_BYTES", 2 * 1024 * 1024))

# --- Email (Django 6.1 MAILERS) ---------------------------------------------------------
_EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
_EMAIL_OPTIONS = {}
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    _EMAIL_OPTIONS = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": 10,
    }
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": _EMAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "khuyencong@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security (production defaults; DEBUG relaxes the transport ones) -------------
# X-Forwarded-Proto (and -For) count only from KC_TRUSTED_PROXIES (addresses or networks of
# our reverse proxies, comma-separated): khuyencong.middleware.TrustedProxyMiddleware drops
# them from anyone else, so a client cannot claim HTTPS or choose its address.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
KC_TRUSTED_PROXIES = env_list("KC_TRUSTED_PROXIES", "")
# Probes of a load balancer or the container runtime speak plain HTTP on the inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (Django's own middleware). Inline <script>/<style> run only
# with the per-request nonce ({{ csp_nonce }}); no inline event handlers and no style=""
# attributes anywhere (tests/test_security_headers.py checks the templates).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}
