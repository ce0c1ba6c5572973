"""Operations: the health probes, structured logs with request, user, scope and task ids
(the request id carried into the tasks it queues), a worker's heartbeat, and the quick
start's own settings file."""

import io
import json
import logging
import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from khuyencong import health
from khuyencong.celery import app as celery_app

pytestmark = pytest.mark.django_db

CLOSED_PORT_URL = "redis://127.0.0.1:1/0"


# --- /healthz and /readyz ---------------------------------------------------------------------

def test_healthz_answers_without_touching_anything():
    response = Client().get("/healthz", HTTP_HOST="10.0.0.5")  # a probe by address: not in ALLOWED_HOSTS
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_readyz_is_ready_with_database_migrations_redis_and_a_worker_heartbeat():
    health.write_worker_heartbeat("worker@test")
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "redis": "ok",
                                                           "worker": "ok"}}


def test_readyz_is_not_ready_without_a_recent_worker_heartbeat():
    cache.delete(health.HEARTBEAT_KEY)
    response = Client().get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["worker"] == "failed"
    cache.set(health.HEARTBEAT_KEY, {"host": "old", "at": time.time() - health.heartbeat_max_age() - 1})
    assert Client().get("/readyz").status_code == 503


def test_readyz_without_redis_and_with_fewer_required_checks():
    health.write_worker_heartbeat("worker@test")
    with override_settings(CELERY_BROKER_URL=CLOSED_PORT_URL):
        response = Client().get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "failed",
                                             "worker": "failed"}
        with override_settings(KC_READYZ_REQUIRED=["database", "migrations"]):
            assert Client().get("/readyz").status_code == 200


def test_probes_are_not_redirected_to_https():
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert Client().get("/healthz").status_code == 200
        assert Client().get("/dang-nhap/").status_code == 301


# --- Structured logs ------------------------------------------------------------------------------

@pytest.fixture
def json_log():
    """The configured JSON formatter and context filter, on a handler of the test's own."""
    from django.utils.module_loading import import_string

    spec = dict(settings.LOGGING["formatters"]["json"])
    formatter = import_string(spec.pop("()"))(**spec)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(import_string(settings.LOGGING["filters"]["context"]["()"])())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        root.removeHandler(handler)


def test_request_logs_carry_request_id_user_and_province_scope(client, tn_officer, json_log):
    client.force_login(tn_officer)
    response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    records = [r for r in json_log() if r["logger"] == "django.request"]
    assert records, json_log()
    record = records[-1]
    assert record["request_id"] == response["X-Request-ID"]
    assert record["user"] == "tn_officer" and record["scope"] == "80" and record["task_id"] == ""
    assert record["level"] == "WARNING" and record["message"].startswith("Not Found")


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_heartbeats_and_logs_the_request_id_of_what_it_runs(tmp_path):
    """A real worker: /readyz sees its heartbeat; a task queued inside a request (here an
    audit context with a known request id) logs, in JSON, its task id and that request id."""
    from khuyencong.audit import audit_context
    from khuyencong.tasks import ping_task

    broker = settings.CACHES["default"]["LOCATION"]  # the tests' own Redis database
    queue = f"kc-ops-{uuid.uuid4().hex[:10]}"
    cache.delete(health.HEARTBEAT_KEY)
    db = settings.DATABASES["default"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "CELERY_BROKER_URL": broker,
           "REDIS_URL": broker, "CELERY_TASK_ALWAYS_EAGER": "0", "KC_ALLOW_DEV_KEY": "1",
           "KC_WORKER_HEARTBEAT_SECONDS": "1", "KC_TEST_CACHE_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
           "KC_LOG_FORMAT": "json",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log_file:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "khuyencong", "worker", "-Q", queue, "--pool=solo",
             "--without-gossip", "--without-mingle", "-l", "INFO", "-n", f"{queue}@%h"],
            cwd=settings.BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not health.check_worker():
                assert worker.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, "no heartbeat from the worker"
                time.sleep(0.2)
            with override_settings(CELERY_BROKER_URL=broker):
                assert Client().get("/readyz").json()["checks"]["worker"] == "ok"
            with audit_context(actor="test", request_id="req-ops-123"), \
                    celery_app.connection_for_write(broker) as conn:
                result = ping_task.apply_async(queue=queue, connection=conn)

            def ping_record():
                for line in log_path.read_text().splitlines():
                    if line.startswith("{"):
                        record = json.loads(line)
                        if record.get("message") == "ping":
                            return record
                return None

            while (record := ping_record()) is None:
                assert worker.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.2)
            assert record["task_id"] == result.id and record["request_id"] == "req-ops-123"
            assert record["scope"] == "all"
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, 9)
            worker.wait(timeout=10)


def test_workers_are_recycled():
    assert celery_app.conf.worker_max_tasks_per_child == settings.CELERY_WORKER_MAX_TASKS_PER_CHILD > 0


# --- The quick start's own settings ------------------------------------------------------------------

def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "SECRET_KEY", "KC_ALLOW_DEV_KEY", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    return {**env, **extra}


def test_manage_py_reads_the_quick_start_settings_and_production_never_does(tmp_path):
    quickstart = tmp_path / "quickstart.env"
    quickstart.write_text("# written by make run\nDEBUG=1\nSECRET_KEY=generated-on-this-machine-0123456789\n")
    env = _clean_env(KC_QUICKSTART_ENV=str(quickstart), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    show = "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)"
    # A command as the README writes it, without DEBUG=1: works.
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", show], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["True", "generated-on-this-machine-0123456789"]
    # The environment wins over the file.
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", show], cwd=settings.BASE_DIR,
                            env={**env, "DEBUG": "0"}, capture_output=True, text=True, timeout=60)
    assert result.stdout.split()[-2:] == ["False", "generated-on-this-machine-0123456789"]
    # The web server (and Celery) never read it: without SECRET_KEY they refuse to start.
    result = subprocess.run([sys.executable, "-c", "import khuyencong.wsgi"], cwd=settings.BASE_DIR,
                            env={**env, "DJANGO_SETTINGS_MODULE": "khuyencong.settings"}, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_the_quick_start_settings_file_is_not_in_git_nor_in_the_image():
    root = settings.BASE_DIR
    assert "var/" in (root / ".gitignore").read_text().split()
    assert "var" in (root / ".dockerignore").read_text().split()


# --- The AGPL's source offer ----------------------------------------------------------------------------

def test_source_offer_in_the_footer_the_api_root_and_the_schema(client, tn_officer, api_client_for):
    page = client.get("/dang-nhap/").content.decode()
    assert 'id="source-code"' in page and 'href="/ma-nguon/"' in page
    api = api_client_for(tn_officer)
    assert api.get("/api/v1/").json()["source_code"] == "http://testserver/ma-nguon/"
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    assert schema["info"]["license"]["name"] == "AGPL-3.0-or-later"
    assert schema["externalDocs"]["url"] == "http://testserver/ma-nguon/"
    with override_settings(KC_SOURCE_URL="https://git.example.gov.vn/khuyencong/portal/-/tree/v1.2"):
        assert api.get("/api/v1/").json()["source_code"] == "https://git.example.gov.vn/khuyencong/portal/-/tree/v1.2"
        assert "https://git.example.gov.vn/khuyencong/portal/-/tree/v1.2" in client.get("/dang-nhap/").content.decode()


def test_the_portal_serves_its_own_source_without_local_files_or_secrets(client):
    import tarfile

    response = client.get("/ma-nguon/")
    assert response.status_code == 200 and response["Content-Type"] == "application/gzip"
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
        names = set(archive.getnames())
    assert {"khuyencong/manage.py", "khuyencong/LICENSE", "khuyencong/khuyencong/settings/__init__.py"} <= names
    assert not [n for n in names if n.split("/")[1] in {"var", ".venv", ".git", ".env"} or n.endswith(".pyc")]


# --- Deployment files (no Docker engine on these machines: their content is checked) ----------------------

def test_compose_uses_open_source_valkey_probes_and_a_scheduled_backup():
    import yaml

    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["redis"]["image"].startswith("valkey/valkey:")
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    backup = " ".join(services["backup"]["command"])
    assert "manage.py backup --keep" in backup and "sleep" in backup
    assert services["backup"]["environment"]["DATABASE_ROLE"] == ""  # pg_dump as the owner
    dockerfile = (settings.BASE_DIR / "Dockerfile").read_text()
    runtime = dockerfile.split("FROM python:3.13-slim\n", 1)[1]
    assert "postgresql-client" in runtime


def test_lock_files_pin_what_pyproject_pins():
    """The Makefile, CI and the Docker image install from the lock files only: a dependency
    added to pyproject.toml without `make lock` would be missing there."""
    import re
    import tomllib

    project = tomllib.loads((settings.BASE_DIR / "pyproject.toml").read_text())["project"]

    def pins(name):
        text = (settings.BASE_DIR / name).read_text()
        assert "--hash=sha256:" in text
        return {m.group(1).lower().replace("_", "-"): m.group(2)
                for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.M)}

    def wanted(requirements):
        return {req.split("==")[0].split("[")[0].lower().replace("_", "-"): req.split("==")[1]
                for req in requirements}

    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    for name, version in wanted(project["dependencies"]).items():
        assert runtime.get(name) == version and dev.get(name) == version, name
    for name, version in wanted(project["optional-dependencies"]["dev"]).items():
        assert dev.get(name) == version and name not in runtime, name
    # The same version of everything they share.
    assert {name: version for name, version in dev.items() if name in runtime} == runtime
