"""Settings, part 2: databases (primary, replicas, router), cache and Celery."""

import os
from pathlib import Path

import dj_database_url

from .base import *  # everything the earlier parts defined

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
# PostgreSQL's just-in-time compilation, off in every transaction of the portal (set with
# the row-level-security scope): on its short aggregate queries compiling cost more than
# the query. KC_DB_JIT=1 leaves the server's setting on.
KC_DB_JIT = env_bool("KC_DB_JIT", False)
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
