"""Reads on PostgreSQL read replicas, writes on the primary.

Only reads that are marked as replica-safe go to a replica: dashboards, report
aggregation, list exports and the API's safe methods (``replica_reads``); every other read,
every write and every read inside a transaction on the primary stays on the primary.

- Read your own writes: a request that wrote a domain record makes its user's reads go to
  the primary for ``KC_REPLICA_STICKY_SECONDS`` (``ReplicaReadsMiddleware`` keeps the
  deadline in the session, and for token clients in the shared cache).
- Lag and failure: a replica is used only while its replay lag is within
  ``KC_REPLICA_MAX_LAG_SECONDS`` and it answers; it is checked at most every
  ``KC_REPLICA_CHECK_SECONDS`` per process (a probe that takes longer than
  ``KC_REPLICA_PROBE_TIMEOUT`` counts as down), and a replica that is behind or down
  sends the reads back to the primary until a later check finds it well again.

Row-level security holds on a replica exactly as on the primary: the policies are
replicated, and ``khuyencong.db.postgresql`` sets the scope into every transaction.
"""

import logging
import random
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from contextvars import ContextVar

import psycopg
from django.conf import settings
from django.db import DatabaseError, connections

log = logging.getLogger(__name__)

PRIMARY = "default"
# Writes to these apps make the writer's next reads go to the primary. Bookkeeping writes
# (sessions, sign-in attempts, token last-use) do not: they are not what the user reads.
STICKY_APPS = {"auth", "provinces", "programs", "applications", "reports"}

_replica_reads: ContextVar[bool] = ContextVar("kc_replica_reads", default=False)
_wrote: ContextVar[bool] = ContextVar("kc_wrote", default=False)
_health: dict[str, tuple[float, bool]] = {}


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


@contextmanager
def replica_reads(enabled: bool = True):
    """Within the block, replica-safe reads may go to a healthy replica."""
    token = _replica_reads.set(enabled)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_reads_enabled() -> bool:
    return _replica_reads.get()


def _primary_lsn() -> str:
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def _replica_lag(alias: str, primary_lsn: str) -> float:
    """Seconds the replica's data may be behind the primary: 0 when it has replayed
    everything the primary had written when asked; else the age of its last replayed
    transaction (an upper bound). On a connection of its own, so that a probe that hangs
    (a pooler waiting for a dead server) can be abandoned."""
    wrapper = connections[alias]
    conn = wrapper.get_new_connection(wrapper.get_connection_params())
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false), "
                "extract(epoch FROM now() - pg_last_xact_replay_timestamp())", [primary_lsn])
            in_recovery, caught_up, age = cursor.fetchone()
    finally:
        conn.close()
    if not in_recovery or caught_up:
        return 0.0
    return float("inf") if age is None else float(age)


_probes = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kc-replica-probe")
_running: dict[str, Future] = {}


def is_healthy(alias: str) -> bool:
    now = time.monotonic()
    checked = _health.get(alias)
    if checked and now - checked[0] < settings.KC_REPLICA_CHECK_SECONDS:
        return checked[1]
    previous = _running.get(alias)
    if previous is not None and not previous.done():
        healthy = False  # the last probe still hangs: the replica is not answering
    else:
        try:
            probe = _running[alias] = _probes.submit(_replica_lag, alias, _primary_lsn())
            lag = probe.result(timeout=settings.KC_REPLICA_PROBE_TIMEOUT)
            healthy = lag <= settings.KC_REPLICA_MAX_LAG_SECONDS
            if not healthy:
                log.warning("replica %s is %.1f s behind: reads go to the primary", alias, lag)
        except (DatabaseError, psycopg.Error, FutureTimeout) as exc:
            log.warning("replica %s does not answer (%s): reads go to the primary", alias, type(exc).__name__)
            healthy = False
    _health[alias] = (now, healthy)
    return healthy


def read_alias() -> str:
    """Where a replica-safe read goes now."""
    if not _replica_reads.get() or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    candidates = [alias for alias in replica_aliases() if is_healthy(alias)]
    return random.choice(candidates) if candidates else PRIMARY


class PrimaryReplicaRouter:
    """Installed when ``DATABASE_REPLICA_URLS`` names at least one replica."""

    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        if model._meta.app_label in STICKY_APPS:
            _wrote.set(True)
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on every alias

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


# --- Per request ------------------------------------------------------------------------------

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SESSION_KEY = "kc_primary_until"


def _cache_key(user_id) -> str:
    return f"kc:primary-until:{user_id}"


def reads_pinned_to_primary(request) -> bool:
    """Whether this user wrote recently enough that they must read from the primary."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    deadline = 0.0
    session = getattr(request, "session", None)
    if session is not None:
        deadline = session.get(SESSION_KEY, 0.0)
    if not deadline:
        from django.core.cache import cache

        deadline = cache.get(_cache_key(user.pk), 0.0)
    return time.time() < deadline


def pin_reads_to_primary(request) -> None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    seconds = settings.KC_REPLICA_STICKY_SECONDS
    deadline = time.time() + seconds
    if request.META.get("HTTP_AUTHORIZATION", "").startswith("Token "):
        from django.core.cache import cache

        cache.set(_cache_key(user.pk), deadline, timeout=int(seconds) + 1)
    elif getattr(request, "session", None) is not None:
        request.session[SESSION_KEY] = deadline


def allow_replica_reads(request) -> None:
    """Called where a view knows it only reads (a safe method on a replica-safe view):
    from here to the end of the request, its reads may go to a replica."""
    if request.method in SAFE_METHODS and replica_aliases() and not reads_pinned_to_primary(request):
        _replica_reads.set(True)


class ReplicaReadsMiddleware:
    """Replica-safe views (``replica_reads = True`` on the view class, or the API's safe
    methods through its base viewset) read from a replica; a request that wrote pins its
    user's reads to the primary for a short while. Does nothing without replicas."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_aliases():
            return self.get_response(request)
        token = _replica_reads.set(False)
        _wrote.set(False)
        try:
            response = self.get_response(request)
            if _wrote.get():
                pin_reads_to_primary(request)
            return response
        finally:
            _replica_reads.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The API decides in its base viewset, once the token is authenticated.
        if getattr(getattr(view_func, "view_class", None), "replica_reads", False):
            allow_replica_reads(request)
        return None
