"""The portal on the production topology, for real: a PostgreSQL primary, a streaming
replica and PgBouncer in transaction pooling (tests/pgcluster.py), gunicorn connecting
through PgBouncer as a login role under row-level security, with the replica configured.

Proves: the tenancy matrix holds through the pooler and the replica (the scope is set per
transaction, so no pooled server connection hands one province's scope to another);
replica-safe reads are served by the replica; a writer reads their own write at once
(sticky to the primary); a replica that lags or is down sends reads back to the primary."""

import csv
import io
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import requests
from django.conf import settings

from .livegunicorn import gunicorn, production_env
from .pgcluster import Topology, missing_tools, wait_until

pytestmark = pytest.mark.replica

PASSWORD = "KhuyenCong@2026"  # the demo accounts' password (seed_demo)
USERS = ("tayninh_canbo", "tayninh_lanhdao", "hcm_canbo", "cuc_chuyenvien")


def _manage(env, *args) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _base_env(topology: Topology) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "KC_DB_SCOPE"))}
    env.update({"DJANGO_SETTINGS_MODULE": "khuyencong.settings", "KC_ALLOW_DEV_KEY": "1",
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "VAR_DIR": str(topology.root / "var"), "CELERY_TASK_ALWAYS_EAGER": "1"})
    return env


@pytest.fixture(scope="module")
def topology():
    reason = missing_tools()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the replica tests: {reason}")
        pytest.skip(reason)
    topo = Topology()
    try:
        topo.start_primary()
        env = {**_base_env(topo), "DATABASE_URL": topo.owner_url()}
        (topo.root / "var").mkdir()
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "load_admin_units")
        _manage(env, "seed_demo")
        with topo.connect(topo.primary_port) as conn:
            conn.execute("CREATE ROLE kc_web LOGIN IN ROLE kc_app")
        topo.tokens = {user: _manage(env, "create_api_token", user).strip() for user in USERS}
        topo.start_replica()
        topo.start_pgbouncer(pool_size=2)
        yield topo
    finally:
        topo.close()


class Server:
    """A gunicorn (1 worker × 4 threads, production settings) through PgBouncer as kc_web,
    with the replica configured, and the demo accounts' tokens."""

    def __init__(self, base: str, tokens: dict):
        self.base, self.tokens = base, tokens

    def api(self, user, path, method="GET", **kwargs):
        headers = {"Authorization": f"Token {self.tokens[user]}"}
        return requests.request(method, f"{self.base}/api/v1/{path}", headers=headers, timeout=30, **kwargs)

    def login(self, user) -> requests.Session:
        session = requests.Session()
        page = session.get(f"{self.base}/dang-nhap/", timeout=30)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = session.post(f"{self.base}/dang-nhap/", timeout=30, headers={"Referer": f"{self.base}/dang-nhap/"},
                                data={"username": user, "password": PASSWORD, "csrfmiddlewaretoken": csrf})
        assert response.status_code == 200 and "dang-xuat" in response.text, response.status_code
        return session


@contextmanager
def serving(topology: Topology, **settings_env):
    env = production_env(DATABASE_URL=topology.url("kc"), DATABASE_REPLICA_URLS=topology.url("kc_replica"),
                         DATABASE_ROLE="", DATABASE_DISABLE_SERVER_SIDE_CURSORS="1", KC_REPLICA_CHECK_SECONDS="0",
                         **settings_env)
    with gunicorn(env, threads=4) as base:
        yield Server(base, topology.tokens)


@pytest.fixture(scope="module")
def server(topology):
    # A replica is trusted however far behind it is: reads that reach it are visibly its own.
    with serving(topology, KC_REPLICA_MAX_LAG_SECONDS="100000", KC_REPLICA_STICKY_SECONDS="120") as running:
        yield running


def _owner_count(topology, sql, *params) -> int:
    with topology.connect(topology.primary_port) as conn:
        return conn.execute(sql, params).fetchone()[0]


MATRIX = [
    (
        "applications/",
        "SELECT count(*) FROM applications_application WHERE %s::int IS NULL OR province_id = %s::int",
        "SELECT id FROM applications_application WHERE province_id = 79 LIMIT 1",
    ),
    (
        "establishments/",
        "SELECT count(*) FROM applications_establishment WHERE %s::int IS NULL OR province_id = %s::int",
        "SELECT id FROM applications_establishment WHERE province_id = 79 LIMIT 1",
    ),
    (
        "disbursements/",
        "SELECT count(*) FROM applications_disbursement d JOIN applications_application a "
        "ON a.id = d.application_id WHERE %s::int IS NULL OR a.province_id = %s::int",
        None,
    ),
]


def test_tenancy_matrix_through_pgbouncer_and_the_replica(topology, server):
    for path, count_sql, other_sql in MATRIX:
        own = server.api("tayninh_canbo", path, params={"page_size": 500})
        assert own.status_code == 200, own.text
        assert own.json()["count"] == _owner_count(topology, count_sql, 80, 80) > 0, path
        everything = server.api("cuc_chuyenvien", path, params={"page_size": 500})
        assert everything.json()["count"] == _owner_count(topology, count_sql, None, None), path
        if other_sql:
            other_id = _owner_count(topology, other_sql)
            assert server.api("tayninh_canbo", f"{path}{other_id}/").status_code == 404
            assert server.api("hcm_canbo", f"{path}{other_id}/").status_code == 200
    # A streamed export (read from the replica, after the middleware is done) has every row.
    session = server.login("tayninh_canbo")
    export = session.get(f"{server.base}/bao-cao/xuat/de-an/csv/", timeout=30)
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))[1:]
    assert len(rows) == _owner_count(topology, MATRIX[0][1], 80, 80)
    assert {int(row[3]) for row in rows} == {80}


def test_no_scope_leaks_between_provinces_on_pooled_connections(topology, server):
    """Two server connections serve many clients' transactions, alternating provinces."""

    def fetch(i):
        user, code = (("tayninh_canbo", 80), ("hcm_canbo", 79), ("tayninh_lanhdao", 80))[i % 3]
        response = server.api(user, "applications/", params={"page_size": 100})
        assert response.status_code == 200, response.text
        return code, {row["province"] for row in response.json()["results"]}

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(fetch, range(90)))
    assert all(seen == {code} for code, seen in results)
    # A transaction of a client that sets no scope, on the same pooled server connections,
    # sees nothing: no scope was left on the server sessions.
    for _ in range(6):
        with topology.connect(topology.bouncer_port, user="kc_web") as conn:
            scope, visible = conn.execute("SELECT coalesce(current_setting('kc.scope', true), ''), "
                                          "(SELECT count(*) FROM applications_application)").fetchone()
            assert (scope, visible) == ("", 0)


def test_replica_serves_reads_writers_read_their_own_and_lag_or_failure_falls_back(topology, server):
    with topology.connect(topology.replica_port, "kc") as replica:
        replica.execute("SELECT pg_wal_replay_pause()")
    name = "Hợp tác xã thử bản sao đọc"
    created = server.api("tayninh_canbo", "establishments/", method="POST", json={
        "name": name, "legal_form": "cooperative", "tax_code": "3909876543", "representative": "Lê Văn Tám",
        "commune": 25459, "address": "Khu phố 7", "industry": "Cơ khí"})
    assert created.status_code == 201, created.text
    search = {"q": "thu ban sao doc"}
    # The writer reads their own write at once: their reads stay on the primary a while.
    assert server.api("tayninh_canbo", "establishments/", params=search).json()["count"] == 1
    # Another officer's list is served by the paused replica: the row is not there yet.
    assert server.api("tayninh_lanhdao", "establishments/", params=search).json()["count"] == 0
    # A server that allows no lag sends that read to the primary.
    with serving(topology, KC_REPLICA_MAX_LAG_SECONDS="0") as strict:
        assert strict.api("tayninh_lanhdao", "establishments/", params=search).json()["count"] == 1
    with topology.connect(topology.replica_port, "kc") as replica:
        replica.execute("SELECT pg_wal_replay_resume()")
        wait_until(lambda: replica.execute("SELECT count(*) FROM applications_establishment WHERE tax_code = "
                                           "'3909876543'").fetchone()[0] == 1, 30, "the replica to catch up")
    assert server.api("tayninh_lanhdao", "establishments/", params=search).json()["count"] == 1
    # The replica goes down: reads go back to the primary, without an error.
    topology.stop_replica()
    for user in ("tayninh_lanhdao", "hcm_canbo", "cuc_chuyenvien"):
        response = server.api(user, "establishments/", params=search)
        assert response.status_code == 200, response.text
        assert response.json()["count"] == (0 if user == "hcm_canbo" else 1)
    session = server.login("tayninh_lanhdao")
    export = session.get(f"{server.base}/bao-cao/xuat/co-so/csv/", timeout=30)
    assert export.status_code == 200 and name in export.content.decode("utf-8-sig")
