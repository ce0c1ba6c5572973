"""Probes for load balancers and container health checks.

``/healthz``: the process is up and answers (no backing service is touched).
``/readyz``: the portal can serve: the database answers, every migration is applied,
Redis (the task queue and the shared cache) answers, and a Celery worker has sent a
heartbeat recently. 200 when every check in ``KC_READYZ_REQUIRED`` passes, else 503; the
JSON body lists each check as ``ok``, ``failed`` or ``skipped`` (nothing more: no error
text, no versions).

Both are answered by a middleware at the very top of the chain, before sessions, the
host check and the row-level-security middleware, so a probe works with the database
down and from an address that is not in ALLOWED_HOSTS."""

import logging
import time

from django.conf import settings
from django.http import JsonResponse

log = logging.getLogger(__name__)

HEARTBEAT_KEY = "worker-heartbeat"
_migrations_applied = False  # once true, true for this process (migrations are not unapplied)


def write_worker_heartbeat(hostname: str) -> None:
    """Called by every worker every ``KC_WORKER_HEARTBEAT_SECONDS`` (khuyencong.celery)."""
    from django.core.cache import cache

    cache.set(HEARTBEAT_KEY, {"host": hostname, "at": time.time()}, timeout=heartbeat_max_age() * 2)


def heartbeat_max_age() -> int:
    return 3 * settings.KC_WORKER_HEARTBEAT_SECONDS


def check_database() -> bool:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001
        log.warning("readiness: database check failed", exc_info=True)
        connection.close_if_unusable_or_obsolete()
        return False


def check_migrations() -> bool:
    global _migrations_applied
    if _migrations_applied:
        return True
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:  # noqa: BLE001
        log.warning("readiness: migration check failed", exc_info=True)
        return False
    _migrations_applied = not pending
    if pending:
        log.warning("readiness: %s migrations not applied", len(pending))
    return _migrations_applied


def check_redis() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001
        log.warning("readiness: Redis check failed", exc_info=True)
        return False


def check_worker() -> bool:
    from django.core.cache import cache

    beat = cache.get(HEARTBEAT_KEY)
    return bool(beat) and time.time() - beat.get("at", 0) <= heartbeat_max_age()


def readiness() -> dict[str, str]:
    results = {"database": "ok" if check_database() else "failed"}
    results["migrations"] = ("ok" if check_migrations() else "failed") if results["database"] == "ok" else "failed"
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Tasks run in-process (the quick start without Redis): no queue, no worker to wait for.
        results["redis"] = results["worker"] = "skipped"
    else:
        results["redis"] = "ok" if check_redis() else "failed"
        results["worker"] = ("ok" if check_worker() else "failed") if results["redis"] == "ok" else "failed"
    return results


class HealthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return self._answer({"status": "ok"}, 200)
        if request.path == "/readyz":
            checks = readiness()
            ready = all(checks.get(name) in ("ok", "skipped") for name in settings.KC_READYZ_REQUIRED)
            return self._answer({"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503)
        return self.get_response(request)

    @staticmethod
    def _answer(body, status):
        response = JsonResponse(body, status=status)
        response["Cache-Control"] = "no-store"
        return response
