"""The API under concurrent clients: gunicorn (gthread) in front of the benchmark database,
as the non-owner role or as the owner, N client threads each with a keep-alive connection
and a token, with or without a pause between requests."""

import os
import random
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from soaking.http import Http  # noqa: E402
from soaking.processes import Service, wait_for  # noqa: E402


def server_env(database_url: str, role: str | None, redis_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "KC_DB_SCOPE"))}
    env.update({
        "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "khuyencong.settings", "KC_ALLOW_DEV_KEY": "1",
        "DEBUG": "0", "KC_SIMPLE_STATIC": "1", "KC_ENFORCE_2FA": "0", "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url,
        "CONN_MAX_AGE": "60", "LOG_LEVEL": "WARNING", "KC_LOCAL_SETTINGS": "0",
        # The benchmark measures the servers, not the abuse limits.
        "KC_API_RATE_TOKEN": "1000000/minute", "KC_API_RATE_USER": "1000000/minute",
    })
    if role:
        env["DATABASE_ROLE"] = role
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env, workers, threads, log_path):
        self.port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "khuyencong.wsgi:application", "--bind",
                f"127.0.0.1:{self.port}", "--workers", str(workers), "--worker-class", "gthread",
                "--threads", str(threads), "--timeout", "60", "--no-control-socket"]
        self.service = Service("gunicorn", argv, env, log_path)

    def __enter__(self):
        def up():
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True

        wait_for("gunicorn", up, 60, self.service)
        return self

    def __exit__(self, *exc):
        self.service.stop(timeout=20)


def run_clients(port, personas, clients, duration, pause, timeout=120.0):
    """``clients`` threads for ``duration`` seconds; each picks a persona's request in turn.
    Returns {kind: [seconds, ...]}, errors, requests."""
    latencies: dict = {}
    errors: list = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def client(number):
        rng = random.Random(number)
        http = Http(port, timeout)
        try:
            while time.monotonic() < stop_at:
                kind, path, token = rng.choice(personas)
                started = time.perf_counter()
                try:
                    response = http.request("GET", path, headers={"Authorization": f"Token {token}",
                                                                  "Host": "127.0.0.1"})
                    ok = response.status == 200
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    ok, response = False, exc
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.setdefault(kind, []).append(elapsed)
                    if not ok:
                        errors.append((kind, getattr(response, "status", repr(response))))
                if pause:
                    time.sleep(pause)
        finally:
            http.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + timeout + 10)
    wall = time.monotonic() - started
    return latencies, errors, wall


def p95(values):
    if not values:
        return float("nan")
    if len(values) < 20:
        return max(values)
    return statistics.quantiles(values, n=20)[-1]
