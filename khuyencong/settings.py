"""Settings, read from environment variables with safe defaults.

Without DATABASE_URL the portal runs on the embedded SQLite database under var/
(the quick start); production, CI and tests use PostgreSQL through DATABASE_URL.
"""

import os
from datetime import timedelta as _dt_timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The development key only works with DEBUG on; a production start without
# SECRET_KEY fails loudly instead of running with a guessable key.
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "dev-insecure-key-only-for-local-use" if DEBUG or os.environ.get("KC_ALLOW_DEV_KEY") else ""
)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "khuyencong",
    "provinces",
    "programs",
    "applications",
    "reports",
]

MIDDLEWARE = [
    # /healthz and /readyz answer before anything else (no session, host check or database scope).
    "khuyencong.health.HealthMiddleware",
    # Before SecurityMiddleware, which reads X-Forwarded-Proto for the HTTPS redirect.
    "khuyencong.middleware.TrustedProxyMiddleware",
    "khuyencong.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "khuyencong.middleware.PrivateCacheMiddleware",
    "khuyencong.audit.AuditContextMiddleware",
    "khuyencong.rls.RowLevelSecurityMiddleware",
    "khuyencong.db.router.ReplicaReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "khuyencong.security.SessionLifetimeMiddleware",
    "khuyencong.security.TwoFactorMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "khuyencong.urls"
WSGI_APPLICATION = "khuyencong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "khuyencong.context_processors.portal",
            ],
            "builtins": ["khuyencong.templatetags.kc"],
        },
    }
]

# --- Database -----------------------------------------------------------------
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'khuyencong.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Embedded quick start: WAL and immediate transactions let the web server and a
    # worker write side by side without "database is locked" on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend plus the row-level-security scope set into every transaction.
    DATABASES["default"]["ENGINE"] = "khuyencong.db.postgresql"
if DATABASES["default"]["ENGINE"] == "khuyencong.db.postgresql" and os.environ.get("DATABASE_ROLE"):
    # Row-level security: act as the non-owner role (kc_app) the policies apply to.
    # Leave DATABASE_ROLE unset for `migrate`, which runs as the tables' owner.
    DATABASES["default"].setdefault("OPTIONS", {})["assume_role"] = os.environ["DATABASE_ROLE"]
# Behind PgBouncer in transaction pooling a cursor held across transactions is lost:
# turn server-side cursors off there (exports read in keyset chunks either way).
if env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", False):
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# Read replicas (PostgreSQL streaming replicas): dashboards, report aggregation, exports
# and safe API reads go there; writes and everything else to the primary
# (khuyencong.db.router). Comma-separated URLs, same credentials rules as DATABASE_URL.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS", "")
for _number, _url in enumerate(DATABASE_REPLICA_URLS, start=1):
    _replica = dj_database_url.parse(_url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"])
    _replica["ENGINE"] = "khuyencong.db.postgresql"
    _replica["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    _replica["DISABLE_SERVER_SIDE_CURSORS"] = DATABASES["default"].get("DISABLE_SERVER_SIDE_CURSORS", False)
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{_number}"] = _replica
DATABASE_ROUTERS = ["khuyencong.db.router.PrimaryReplicaRouter"] if DATABASE_REPLICA_URLS else []
KC_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("KC_REPLICA_MAX_LAG_SECONDS", "10"))
KC_REPLICA_STICKY_SECONDS = float(os.environ.get("KC_REPLICA_STICKY_SECONDS", "15"))
KC_REPLICA_CHECK_SECONDS = float(os.environ.get("KC_REPLICA_CHECK_SECONDS", "5"))
KC_REPLICA_PROBE_TIMEOUT = float(os.environ.get("KC_REPLICA_PROBE_TIMEOUT", "2"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache / Celery -------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# One cache shared by every web process and worker (dashboards, API throttles, password
# reset limits). When Redis is down the cache degrades to no cache: reads miss, writes are
# dropped (django-redis' IGNORE_EXCEPTIONS), pages and the API keep working, only slower
# and unthrottled; the short timeouts keep a dead Redis from stalling requests.
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ.get("KC_CACHE_URL", REDIS_URL),
        "KEY_PREFIX": os.environ.get("KC_CACHE_PREFIX", "kc"),
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": float(os.environ.get("KC_CACHE_CONNECT_TIMEOUT", 0.5)),
            "SOCKET_TIMEOUT": float(os.environ.get("KC_CACHE_TIMEOUT", 0.5)),
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "khuyencong.cache"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# WeasyPrint's and fontconfig's memory grows with every PDF: a worker process is replaced
# after this many tasks, so a long-running worker stays flat.
CELERY_WORKER_MAX_TASKS_PER_CHILD = int(os.environ.get("CELERY_WORKER_MAX_TASKS_PER_CHILD", 50))
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An unacknowledged message (its worker died) is delivered again after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("KC_BROKER_VISIBILITY_TIMEOUT", 3600)),
                                   "max_retries": 1}
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"

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
AXES_COOLOFF_TIME = _dt_timedelta(minutes=int(os.environ.get("KC_LOGIN_COOLOFF_MINUTES", 15)))
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

# --- REST framework ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "khuyencong.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["khuyencong.permissions.PortalPermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "khuyencong.pagination.PortalPagination",
    "DEFAULT_PARSER_CLASSES": [
        "khuyencong.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "khuyencong.exceptions.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": False,
    "DEFAULT_THROTTLE_CLASSES": [
        "khuyencong.throttles.TokenRateThrottle",
        "khuyencong.throttles.UserRateThrottle",
        "khuyencong.throttles.AnonRateThrottle",
    ],
}
# Requests per token, per user (all their tokens and session together) and per anonymous
# address, counted in the shared cache (khuyencong/throttles.py): 429 with Retry-After.
KC_API_THROTTLE_RATES = {
    "token": os.environ.get("KC_API_RATE_TOKEN", "600/minute"),
    "user": os.environ.get("KC_API_RATE_USER", "1200/minute"),
    "anon": os.environ.get("KC_API_RATE_ANON", "60/minute"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Khuyến công API",
    "DESCRIPTION": "API của Cổng quản lý chương trình khuyến công (industrial-extension programmes).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # The schema and the documentation pages are for signed-in users and token holders:
    # they list every operation and field, which an anonymous visitor does not need.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "khuyencong.schema.add_error_responses"],
}

# Logs: one JSON object per line (python-json-logger) with the request id, user, province
# scope and Celery task id of the record (khuyencong.logs); plain text for the quick start.
KC_LOG_FORMAT = os.environ.get("KC_LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "khuyencong.logs.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user)s %(scope)s %(task_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s user=%(user)s "
                           "scope=%(scope)s task=%(task_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"],
                             "formatter": "json" if KC_LOG_FORMAT == "json" else "text"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# Celery workers log through the configuration above instead of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Health probes (khuyencong/health.py) -----------------------------------------------------
# Every worker writes a heartbeat into the shared cache this often; /readyz wants one
# younger than three intervals.
KC_WORKER_HEARTBEAT_SECONDS = int(os.environ.get("KC_WORKER_HEARTBEAT_SECONDS", 30))
# The checks that must pass for /readyz to answer 200 (all are reported). A load balancer
# in front of web nodes may drop "redis" and "worker": pages and the API work without them.
KC_READYZ_REQUIRED = env_list("KC_READYZ_REQUIRED", "database,migrations,redis,worker")

# Target days an application may stay in a state before it is flagged overdue.
KC_STATE_TARGET_DAYS = {
    "submitted": 10,
    "returned": 15,
    "under_appraisal": 20,
    "endorsed": 10,
    "under_national_appraisal": 30,
    "approved": 30,
}
PORTAL_NAME = "Cổng Khuyến công"
# The AGPL's source offer (khuyencong/source.py): the source of the version this server runs.
# Default: the tar.gz of the running source tree that the portal serves itself.
KC_SOURCE_URL = os.environ.get("KC_SOURCE_URL", "/ma-nguon/")

# Decree 235/2025/NĐ-CP took effect on this date: location eligibility changes then.
import datetime as _dt  # noqa: E402

KC_DECREE_235_EFFECTIVE = _dt.date(2025, 10, 15)
# A decision on a scheme of plan year Y may be dated from this many months before Y starts
# (when the year's plan is prepared) to 31 December of Y.
KC_DECISION_WINDOW_MONTHS_BEFORE = int(os.environ.get("KC_DECISION_WINDOW_MONTHS_BEFORE", 6))

# --- Reports (Celery beat) -----------------------------------------------------------
from celery.schedules import crontab  # noqa: E402

# A "running" report whose heartbeat is older than this is taken to have lost its worker.
KC_REPORT_STALE_SECONDS = int(os.environ.get("KC_REPORT_STALE_SECONDS", 600))
# Report runs a user may create per hour (an identical run already under way is reused
# and does not count).
KC_REPORT_REQUESTS_PER_HOUR = int(os.environ.get("KC_REPORT_REQUESTS_PER_HOUR", 30))
CELERY_BEAT_SCHEDULE = {
    # 06:00 on the first day of each quarter: the national regional summary of the quarter just ended.
    "reports-quarterly-regional-summaries": {
        "task": "reports.tasks.quarterly_summaries_task",
        "schedule": crontab(minute=0, hour=6, day_of_month=1, month_of_year="1,4,7,10"),
    },
    # Runs whose worker died (or whose message was lost) are queued again.
    "reports-requeue-stale-runs": {"task": "reports.tasks.requeue_stale_runs_task", "schedule": 300.0},
}
# Names of the reports' choice sets in the OpenAPI schema ("status" and "kind" exist elsewhere too).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({
    "ReportRunStatusEnum": "reports.choices.RunStatus",
    "ReportKindEnum": "reports.choices.ReportKind",
    "ReportScopeEnum": "reports.choices.ReportScope",
    "ReportFormatEnum": "reports.choices.ReportFormat",
    # Keeps the applications' state enum under the name it had before report runs had a status.
    "StatusEnum": "applications.choices.Status",
})
