"""A real gunicorn serving the portal with production settings, for tests that need the
whole stack (middleware order, error handlers, DEBUG off) in front of a real database."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

from django.conf import settings

from .pgcluster import free_port

SECRET = "test-secret-key-" + "x" * 40


def production_env(**extra) -> dict:
    """The environment of a production web process (DEBUG off, no development key)."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"KC_ALLOW_DEV_KEY", "DJANGO_SETTINGS_MODULE", "KC_DB_SCOPE", "DEBUG"}}
    env.update({"DJANGO_SETTINGS_MODULE": "khuyencong.settings", "SECRET_KEY": SECRET, "DEBUG": "0",
                "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
                "KC_SIMPLE_STATIC": "1", "KC_ENFORCE_2FA": "0", "ALLOWED_HOSTS": "127.0.0.1",
                "STATIC_ROOT": str(settings.STATIC_ROOT), "MEDIA_ROOT": str(settings.MEDIA_ROOT),
                "KC_LOCAL_SETTINGS": "0"})
    env.update({key: str(value) for key, value in extra.items()})
    return env


def live_database_url(**query) -> str:
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


@contextmanager
def gunicorn(env: dict, workers: int = 1, threads: int = 1):
    """Start gunicorn on a free port; yields its base URL; stops it afterwards. Its output
    goes to a file (a pipe nobody reads would stop the server once full) and is shown if it
    fails to start."""
    port = free_port()
    log = tempfile.TemporaryFile()
    worker_class = ["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "khuyencong.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), *worker_class, "--timeout", "30", "--no-control-socket"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise AssertionError(log.read().decode()[-3000:]) from None
                time.sleep(0.2)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def fetch(url: str, headers: dict | None = None, data: bytes | None = None, method: str | None = None):
    """(status, headers, body) without raising on 4xx/5xx."""
    request = urllib.request.Request(url, headers=headers or {}, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
