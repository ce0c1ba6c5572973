"""Settings, part 4: the REST API, health probes, logs and the portal's own rules (workflow targets, reports, beat)."""

import os

from .web import *  # everything the earlier parts defined

# --- REST framework ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "khuyencong.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["khuyencong.permissions.PortalPermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend",
                                "khuyencong.filters.PortalOrderingFilter", "khuyencong.filters.UpdatedSinceFilter"],
    "DEFAULT_PAGINATION_CLASS": "khuyencong.pagination.PortalPagination",
    # JSON bodies only; an upload endpoint declares ``parser_classes=UPLOAD_PARSERS`` itself
    # (one request body type per operation, so generated clients send what the server reads).
    "DEFAULT_PARSER_CLASSES": ["khuyencong.parsers.SafeJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "khuyencong.schema.PortalAutoSchema",
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
# API lists: above this many rows (the planner's estimate, PostgreSQL) a list's ``count`` is
# that estimate rather than an exact COUNT(*) on every page (``count_kind`` says which).
KC_EXACT_COUNT_LIMIT = int(os.environ.get("KC_EXACT_COUNT_LIMIT", "10000"))
# A count at or above that limit that had to be made exactly is kept this long (``cached``).
KC_COUNT_CACHE_SECONDS = int(os.environ.get("KC_COUNT_CACHE_SECONDS", "300"))
KC_API_THROTTLE_RATES = {
    "token": os.environ.get("KC_API_RATE_TOKEN", "600/minute"),
    "user": os.environ.get("KC_API_RATE_USER", "1200/minute"),
    "anon": os.environ.get("KC_API_RATE_ANON", "60/minute"),
}
SPECTACULAR_SETTINGS = {
    # ASCII: generators make package names from the title ("Khuyen cong API" → khuyen_cong_api_client).
    "TITLE": "Khuyen cong API",
    "DESCRIPTION": "API của Cổng quản lý chương trình khuyến công (Khuyến công API; industrial-extension "
                   "programmes). Authorization: Token <key> or Bearer <key>. Detail responses carry an ETag; "
                   "send it back as If-Match on writes (412 when stale). Lists take ordering and updated_since "
                   "and, where a spreadsheet export exists, answer CSV/XLSX by Accept or ?format=csv|xlsx.",
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
                             "khuyencong.schema.name_parameter_enums",
                             "khuyencong.schema.add_error_responses"],
    # Choice sets get one ASCII name each, reused by bodies, responses and filters.
    "ENUM_NAME_OVERRIDES": {
        "FundSourceEnum": "programs.choices.FundSource",
        "ProvinceKindEnum": "provinces.choices.ProvinceKind",
        "CommuneKindEnum": "provinces.choices.CommuneKind",
        "LegacyUnitKindEnum": "provinces.choices.LegacyUnitKind",
        "RegionGroupingEnum": "provinces.choices.RegionGrouping",
        "OrganisationKindEnum": "provinces.choices.OrganisationKind",
        "RoleEnum": "provinces.choices.Role",
        "LegalFormEnum": "applications.choices.LegalForm",
        "AttachmentKindEnum": "applications.choices.AttachmentKind",
        "CouncilLevelEnum": "applications.choices.CouncilLevel",
        "CouncilRoleEnum": "applications.choices.CouncilRole",
        "DisbursementKindEnum": "applications.choices.DisbursementKind",
        "MilestoneEnum": "applications.choices.Milestone",
        "ChangeKindEnum": "applications.choices.ChangeKind",
        "ChangeStatusEnum": "applications.choices.ChangeStatus",
        "AcceptanceResultEnum": "applications.choices.AcceptanceResult",
        "WorkflowActionEnum": "applications.workflow.ACTIONS",
        "EventActionEnum": "applications.workflow.EVENT_ACTIONS",
        "AuditActionEnum": "khuyencong.models.AuditAction",
        "ListFormatEnum": "khuyencong.api.LIST_FORMATS",
    },
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
# National defaults of the dates that matter after the decision (a province may set its
# own: provinces.ProvincePolicy): a progress report every N months of implementation, the
# completion report within N days of the end date, the settlement within N days of the
# acceptance, and what is late by more than N days is escalated to the approver.
KC_DEADLINE_DEFAULTS = {
    "progress_report_months": int(os.environ.get("KC_PROGRESS_REPORT_MONTHS", 3)),
    "completion_grace_days": int(os.environ.get("KC_COMPLETION_GRACE_DAYS", 30)),
    "settlement_days": int(os.environ.get("KC_SETTLEMENT_DAYS", 90)),
    "escalation_days": int(os.environ.get("KC_ESCALATION_DAYS", 15)),
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

# --- Notifications (notifications/) ---------------------------------------------------------
# The address of the portal as users reach it: links in e-mails are built from it.
KC_SITE_URL = os.environ.get("KC_SITE_URL", "http://127.0.0.1:8000")
# E-mail delivery retries: wait base, 2×base, 4×base … seconds (capped) while the mail
# server is down; after KC_NOTIFICATION_MAX_RETRIES a notice stays pending and the sweep
# (every KC_NOTIFICATION_SWEEP_MINUTES) queues it again, so none is lost.
KC_NOTIFICATION_RETRY_BASE_SECONDS = int(os.environ.get("KC_NOTIFICATION_RETRY_BASE_SECONDS", 30))
KC_NOTIFICATION_RETRY_MAX_SECONDS = int(os.environ.get("KC_NOTIFICATION_RETRY_MAX_SECONDS", 3600))
KC_NOTIFICATION_MAX_RETRIES = int(os.environ.get("KC_NOTIFICATION_MAX_RETRIES", 10))
KC_NOTIFICATION_SWEEP_MINUTES = int(os.environ.get("KC_NOTIFICATION_SWEEP_MINUTES", 10))
# How often the bell in the navigation asks for the unread count (seconds).
KC_NOTIFICATION_POLL_SECONDS = int(os.environ.get("KC_NOTIFICATION_POLL_SECONDS", 30))
CELERY_BEAT_SCHEDULE.update({
    # 07:00 Asia/Ho_Chi_Minh (CELERY_TIMEZONE): the daily digests of those who chose them.
    "notifications-daily-digests": {"task": "notifications.tasks.notification_digests_task",
                                    "schedule": crontab(minute=0, hour=7)},
    # 07:30 local: each person's reminder of what waits on them and what is late.
    "notifications-daily-reminders": {"task": "notifications.tasks.reminders_daily_task",
                                      "schedule": crontab(minute=30, hour=7)},
    "notifications-email-sweep": {"task": "notifications.tasks.notification_email_sweep_task",
                                  "schedule": 60.0 * KC_NOTIFICATION_SWEEP_MINUTES},
})

# --- The commune officer's desk (fieldwork/) --------------------------------------------------
# Photos of a field visit: each at most this many bytes, at most this many per visit.
KC_FIELD_PHOTO_MAX_BYTES = int(os.environ.get("KC_FIELD_PHOTO_MAX_BYTES", 8 * 1024 * 1024))
KC_FIELD_PHOTOS_PER_VISIT = int(os.environ.get("KC_FIELD_PHOTOS_PER_VISIT", 10))

# --- Issued documents (reports.documents) ----------------------------------------------------
# The public address printed (and encoded in the QR code) on every issued document, where a
# recipient checks it with its verification code.
KC_PUBLIC_BASE_URL = os.environ.get("KC_PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# --- Imports from spreadsheets -----------------------------------------------------------------
# An uploaded file larger than this, with more data rows, or inflating beyond this (a zip
# bomb) is refused with a message before anything is read.
KC_IMPORT_MAX_BYTES = int(os.environ.get("KC_IMPORT_MAX_BYTES", 50 * 1024 * 1024))
KC_IMPORT_MAX_ROWS = int(os.environ.get("KC_IMPORT_MAX_ROWS", 200_000))
KC_IMPORT_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("KC_IMPORT_MAX_UNCOMPRESSED_BYTES", 600 * 1024 * 1024))
KC_IMPORT_MAX_COMPRESSION_RATIO = int(os.environ.get("KC_IMPORT_MAX_COMPRESSION_RATIO", 200))
