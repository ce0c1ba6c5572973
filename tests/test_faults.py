"""Faults: Redis down (pages and API keep working, report requests say the queue is
unavailable), the database connection dropped in the middle of a write (a clean 503 or
500 and nothing half-written), and a Celery worker killed in the middle of a task (the
task runs again on another worker and finishes once)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.urls import reverse

from applications.models import Application, ApplicationEvent, CostLine
from applications.services import base as services_base
from khuyencong.celery import app as celery_app
from khuyencong.models import AuditEntry
from tests.conftest import TAY_NINH
from tests.factories import build_world, make_application

CLOSED_PORT_URL = "redis://127.0.0.1:1/0"
CLOSED_CACHE_URL = "redis://127.0.0.1:2/0"  # its own port, to tell cache attempts from broker ones


# --- Redis down ----------------------------------------------------------------------------


@pytest.fixture
def redis_down(monkeypatch):
    """Point every Redis setting at a closed port and refuse (and record) any attempt to
    open a socket to a Redis port, so a page or API path that touched Redis would show."""
    attempts = []
    real_connect = socket.socket.connect

    def guarded(sock, address):
        if isinstance(address, tuple) and len(address) >= 2 and address[1] in (1, 2, 6379):
            attempts.append(address)
            raise ConnectionRefusedError(f"Redis is down (test): {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setitem(celery_app.conf, "broker_url", CLOSED_PORT_URL)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    caches = {"default": {**settings.CACHES["default"], "LOCATION": CLOSED_CACHE_URL}}
    with override_settings(REDIS_URL=CLOSED_PORT_URL, CELERY_BROKER_URL=CLOSED_PORT_URL,
                           CELERY_TASK_ALWAYS_EAGER=False, CACHES=caches):
        yield attempts


@pytest.fixture
def world(db):
    return build_world(province_codes=(TAY_NINH,))


def test_pages_and_api_work_without_redis(world, redis_down, client, api_client_for):
    setup = world.provinces[TAY_NINH]
    application = make_application(setup)
    client.force_login(setup.officer)
    for url in ("/", reverse("applications:application_list"), reverse("applications:tasks"),
                reverse("applications:application_detail", args=[application.pk])):
        assert client.get(url).status_code == 200, url
    api = api_client_for(setup.officer)
    listing = api.get("/api/v1/applications/")
    assert listing.status_code == 200 and listing.json()["count"] == 1
    response = api.post(f"/api/v1/applications/{application.pk}/transitions/", {"action": "submit"}, format="json")
    assert response.status_code == 200, response.content
    assert Application.objects.get(pk=application.pk).status == "submitted"
    # The HTML form of an action works too.
    response = client.post(reverse("applications:transition", args=[application.pk, "start_appraisal"]))
    assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).status == "under_appraisal"
    # Nothing on these paths tried the broker; only the shared cache (API throttles), which
    # degrades to no cache.
    assert {port for _host, port, *_ in redis_down} <= {2}


@pytest.mark.skipif(not Path(settings.BASE_DIR, "reports").is_dir(), reason="no reports app")
def test_report_request_says_the_queue_is_unavailable(world, redis_down, api_client_for):
    from reports.models import ReportRun

    api = api_client_for(world.agency_officer)
    response = api.post("/api/v1/reports/", {"kind": "regional_summary", "scope": "national", "year": 2026},
                        format="json")
    assert response.status_code == 503
    assert "Redis" in response.json()["detail"]
    assert not ReportRun.objects.exists()


# --- The database connection dropped mid-request ----------------------------------------------


def _drop_connection_after_first_write(monkeypatch):
    """The application row is saved, then the connection dies before the event is written."""

    def dropped(*args, **kwargs):
        connection.close()  # inside the service's atomic block: the server rolls back
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services_base, "record_event", dropped)


@pytest.mark.django_db(transaction=True)
def test_dropped_connection_is_a_clean_error_and_writes_nothing(units, monkeypatch, api_client_for):
    """A real drop: the connection is closed inside the service's atomic block, after the
    application row was saved. The API answers a JSON 503, a page the 500 page; the
    database has neither the row's change, nor its new cost lines, event or audit entry."""
    setup = build_world(province_codes=(TAY_NINH,)).provinces[TAY_NINH]
    application = make_application(setup)
    api = api_client_for(setup.officer)
    browser = Client(raise_request_exception=False)
    browser.force_login(setup.officer)

    def state():
        return (Application.objects.values("title", "version", "total_cost", "status").get(pk=application.pk),
                list(CostLine.objects.filter(application=application).values_list("item", "unit_cost")),
                ApplicationEvent.objects.count(), AuditEntry.objects.count())

    before = state()
    _drop_connection_after_first_write(monkeypatch)
    response = api.patch(f"/api/v1/applications/{application.pk}/",
                         {"title": "Tên mới", "cost_lines": [{"item": "Máy sấy lớn", "quantity": "1", "unit": "bộ",
                                                              "unit_cost": 600_000_000}],
                          "counterpart_funds": 400_000_000}, format="json")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == 503 and body["code"] == "service_unavailable" and body["detail"]
    assert response["Retry-After"] == "30"
    assert state() == before

    response = browser.post(reverse("applications:transition", args=[application.pk, "submit"]))
    assert response.status_code == 500
    assert "không có dữ liệu nào bị thay đổi" in response.content.decode()
    assert state() == before


# --- A worker killed mid-task ---------------------------------------------------------------------

WORKER_REDIS_DB = 13  # its own Redis database: restoring unacked messages touches no one else's


def _redis_up(url) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


def _restorable(broker, task_id, visibility_timeout) -> bool:
    """Whether kombu's Redis transport would now restore the unacknowledged message of ``task_id``."""
    import redis

    client = redis.Redis.from_url(broker)
    try:
        for tag, payload in client.hscan_iter("unacked"):
            if task_id.encode() in payload:
                score = client.zscore("unacked_index", tag)
                return score is not None and score < time.time() - visibility_timeout
        return False
    finally:
        client.close()


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _worker(queue, broker, env):
    cmd = [sys.executable, "-m", "celery", "-A", "khuyencong", "worker", "-Q", queue, "--pool=solo",
           "--concurrency=1", "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "WARNING",
           "-n", f"{queue}-{uuid.uuid4().hex[:6]}@%h"]
    return subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def _stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not Path(settings.BASE_DIR, "reports", "tasks.py").exists(), reason="no reports tasks")
def test_worker_killed_mid_task_runs_again_and_finishes_once(units, django_db_blocker):
    from reports.choices import ReportFormat, ReportKind, ReportScope, RunStatus
    from reports.models import ReportFile, ReportRun
    from reports.tasks import report_run_task

    base = os.environ.get("REDIS_URL", settings.REDIS_URL).rsplit("/", 1)[0]
    broker = f"{base}/{WORKER_REDIS_DB}"
    if not _redis_up(broker):
        pytest.skip(f"Redis is not reachable at {broker}: the real-worker test needs it")
    world = build_world(province_codes=(TAY_NINH,))
    make_application(world.provinces[TAY_NINH])
    run = ReportRun.objects.create(kind=ReportKind.REGIONAL_SUMMARY, scope=ReportScope.NATIONAL, year=2026,
                                   formats=[ReportFormat.CSV], requested_by=world.agency_officer)
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "CELERY_BROKER_URL": broker,
           "REDIS_URL": broker, "CELERY_TASK_ALWAYS_EAGER": "0", "KC_ALLOW_DEV_KEY": "1",
           # A redelivered message becomes visible again after this many seconds (production: an hour).
           "KC_BROKER_VISIBILITY_TIMEOUT": "2",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}
    env.pop("DATABASE_ROLE", None)
    queue = f"kc-test-{uuid.uuid4().hex[:10]}"
    dsn = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname={db['NAME']}"
    # A lock on the run's row holds the first worker inside the task (its claim waits for the row).
    holder = psycopg.connect(dsn)
    holder.execute("SELECT id FROM reports_reportrun WHERE id = %s FOR UPDATE", [run.pk])
    # pg_stat_activity is a snapshot per transaction: watch from a connection of its own.
    watcher = psycopg.connect(dsn, autocommit=True)
    first = second = None
    try:
        with celery_app.connection_for_write(broker) as conn:
            message = report_run_task.apply_async(args=[run.pk], queue=queue, connection=conn)
        first = _worker(queue, broker, env)

        def first_is_waiting():
            row = watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND wait_event_type = 'Lock' AND query ILIKE '%%reports_reportrun%%'").fetchone()
            assert first.poll() is None, first.stderr.read().decode()[-2000:]
            return row[0] > 0

        try:
            _wait(first_is_waiting, 60, "the first worker to start the task")
        except AssertionError:
            os.killpg(first.pid, signal.SIGKILL)
            raise AssertionError(first.stderr.read().decode()[-3000:]) from None
        os.killpg(first.pid, signal.SIGKILL)  # kill -9: no acknowledgement, no graceful requeue
        first.wait(timeout=10)
        watcher.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'")
        holder.rollback()
        assert ReportRun.objects.get(pk=run.pk).status == RunStatus.QUEUED
        # A worker looks for unacknowledged messages to restore when it starts and then only
        # every ~100 s: start the second one once the message has outlived the visibility
        # timeout, or a fast start finds nothing to restore yet and the test waits for the next look.
        _wait(lambda: _restorable(broker, message.id, visibility_timeout=2), 30,
              "the unacknowledged message to outlive the visibility timeout")
        second = _worker(queue, broker, env)
        _wait(lambda: ReportRun.objects.get(pk=run.pk).status == RunStatus.SUCCEEDED, 90,
              "the second worker to finish the redelivered task")
        run.refresh_from_db()
        assert run.attempts == 1  # the dead worker never got past its claim; the second ran it once
        assert ReportFile.objects.filter(run=run).count() == 1
    finally:
        holder.close()
        watcher.close()
        for proc in (first, second):
            if proc is not None:
                _stop(proc)


# --- The database unreachable or dropped, from the first request (gunicorn, DEBUG off) --------


def _assert_api_503(status, headers, body):
    import json

    assert status == 503, body[:500]
    assert headers["Retry-After"] == "30"
    assert headers["Content-Type"].startswith("application/json")
    data = json.loads(body)
    assert data["status"] == 503 and data["code"] == "service_unavailable" and data["detail"]


def _assert_static_500(status, body):
    assert status == 500, body[:500]
    assert "không có dữ liệu nào bị thay đổi" in body.decode()


def test_unreachable_database_is_a_json_503_from_the_first_request(db):
    """Nothing listens where the database should be: the very first API request (whose
    row-level-security scope query is the first to fail) is the documented JSON 503, a
    page the static 500 page."""
    from tests.livegunicorn import fetch, gunicorn, production_env

    env = production_env(DATABASE_URL="postgres://kc_web@127.0.0.1:1/khuyencong", DATABASE_ROLE="kc_app")
    with gunicorn(env) as base:
        _assert_api_503(*fetch(f"{base}/api/v1/applications/", {"Authorization": "Token abc"}))
        _assert_api_503(*fetch(f"{base}/api/v1/", {"Authorization": "Token abc"}))
        _assert_api_503(*fetch(f"{base}/api/v1/establishments/", {"Content-Type": "application/json",
                                                                  "Authorization": "Token abc"},
                               data=b"{}", method="POST"))
        # An anonymous call needs no database to be told to sign in.
        status, _headers, body = fetch(f"{base}/api/v1/")
        assert status == 401 and json.loads(body)["code"] == "not_authenticated"
        # A page whose session must be read from the database.
        status, _headers, body = fetch(f"{base}/de-an/", {"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz123456"})
        _assert_static_500(status, body)
        # The probes: the process is up, but not ready.
        assert fetch(f"{base}/healthz")[0] == 200
        status, _headers, body = fetch(f"{base}/readyz")
        assert status == 503 and b'"database": "failed"' in body


def test_dropped_database_connection_is_a_json_503_on_the_next_request(db):
    """A persistent connection killed by the server (restart, failover): the next request's
    first query fails; the API answers the JSON 503, not a 500."""
    from tests.livegunicorn import fetch, gunicorn, live_database_url, production_env

    name = f"kc-drop-{uuid.uuid4().hex[:8]}"
    env = production_env(DATABASE_URL=live_database_url(application_name=name), DATABASE_ROLE="kc_app",
                         CONN_MAX_AGE="600")
    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname={db['NAME']}"
    with gunicorn(env) as base, psycopg.connect(dsn, autocommit=True) as admin:
        # A token is looked up in the database: the process now holds a persistent connection.
        status, _headers, _body = fetch(f"{base}/api/v1/", {"Authorization": "Token abc"})
        assert status in (200, 401, 403)
        killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE application_name = %s", [name]).fetchone()[0]
        assert killed == 1
        _assert_api_503(*fetch(f"{base}/api/v1/applications/", {"Authorization": "Token abc"}))
        # The connection is replaced on the request after: the service recovers by itself.
        status, _headers, _body = fetch(f"{base}/api/v1/", {"Authorization": "Token abc"})
        assert status in (200, 401, 403)
