"""Bounded soak of the production-like setup on one machine: gunicorn and a Celery worker under
row-level security, driven by N concurrent clients for D seconds; prints figures and stops.

    .venv/bin/python bench/soak.py                                # 50 clients, 600 s
    .venv/bin/python bench/soak.py --clients 10 --duration 60     # a short try
    .venv/bin/python bench/soak.py --reuse --json var/soak/last.json
    .venv/bin/python bench/soak.py --database-url postgres://postgres@127.0.0.1:5432/kc_soak2

What it does
- Database (DATABASE_URL of the tables' owner; default postgres://postgres@127.0.0.1:5432/kc_soak):
  without ``--reuse`` it (re)creates the database — only one whose name contains "soak", so a
  mistyped URL never drops real data — then, as the owner, ``migrate``, ``load_admin_units``,
  ``seed_demo`` and ``add_member`` for two more provinces. With ``--reuse`` it keeps the data and
  only runs ``migrate`` (idempotent; it also reinstalls the policies). Either way it creates (once)
  a login role (``--web-role``, default kc_soak_web) that is a member of ``kc_app`` and owns
  nothing, checks that row-level security is in force for it, and creates API tokens with
  ``create_api_token``.
- Starts gunicorn (gthread) and a Celery worker connecting as that role, both on a Redis database
  of their own (``--redis-url``, default redis://127.0.0.1:6379/9, flushed at start; db 0 is
  refused), logs in files under ``--workdir`` (default var/soak/). Stops them at the end, always.
- Drives ``--clients`` clients on 127.0.0.1 for ``--duration`` seconds, as four provinces' officers
  (Tây Ninh, TP HCM, Hà Nội, Đà Nẵng), a commune officer and the Agency: API lists with filters
  and ``q``, details, dashboards and list pages with a session, CSV exports, and writes
  (establishments created and patched through the API, report runs requested through the API for
  the worker, submit/return transitions). Every client checks tenancy on what it reads: a
  province never sees another province's rows, the commune officer never another commune's
  establishment; deliberate probes of foreign ids must answer 404.

What it reports
- Requests per second; p50/p95/p99/max latency overall and per kind of request.
- Errors: any status other than the expected ones (2xx/3xx, or 404 for a deliberate probe), a
  redirect of a signed-in page to the login page, any tenancy breach, any exception. Goal: 0.
- Report runs requested, finished, failed, still queued; time from request to finished.
- RSS (from /proc) of the gunicorn master + workers and of the Celery worker + pool children when
  idle, after the warm-up and at the end, with a timeline, so one sees whether memory is flat;
  database connections of the web role; tracebacks found in the server logs.

Not part of the test suite: performance is never asserted there. The clients run in this process
on the same machine, so they take some CPU from the servers; compare runs made the same way.
"""

import argparse
import json
import os
import signal
import sys
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

import redis
from soaking.clients import Client, Shared
from soaking.config import DEFAULT_DATABASE_URL, ROOT, VENV_BIN
from soaking.http import Http
from soaking.measure import PERSONAS
from soaking.processes import Service, wait_for
from soaking.report import build_report, db_connections, print_report, report_runs, scan_logs
from soaking.setup import base_env, say, setup_database

# --- Main ---------------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
                        help="the tables' owner (default $DATABASE_URL or %(default)s)")
    parser.add_argument("--reuse", action="store_true", help="keep the database and its data (migrate only)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=600, help="seconds of load")
    parser.add_argument("--think", type=float, default=0.25, help="mean pause between a client's requests (s)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds before the 'warm' memory sample (default: a fifth of the duration, ≤ 60)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="gunicorn port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9", help="a Redis database of its own")
    parser.add_argument("--web-role", default="kc_soak_web", help="login role of gunicorn and the worker")
    parser.add_argument("--web-password", default=None, help="its password (none with trust authentication)")
    parser.add_argument("--report-every", type=float, default=10, help="seconds between report requests (all clients)")
    parser.add_argument("--drain", type=float, default=90, help="seconds to wait for report runs after the load")
    parser.add_argument("--request-timeout", type=float, default=60)
    parser.add_argument("--sample-every", type=float, default=30, help="seconds between memory samples")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "soak")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    # Bounded by construction: a soak that never ends is a mistake, not a longer soak.
    if not 1 <= args.clients <= 500:
        parser.error("--clients must be between 1 and 500")
    if not 1 <= args.duration <= 6 * 3600:
        parser.error("--duration must be between 1 s and 6 h")
    if urllib.parse.urlsplit(args.redis_url).path.strip("/") in ("", "0"):
        parser.error("--redis-url must name a Redis database of its own (not 0, the portal's default): it is flushed")
    args.workdir = args.workdir.resolve()
    if args.warmup is None:
        args.warmup = min(60.0, args.duration / 5)
    return args


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    args = parse_args()
    # SIGTERM (e.g. from a CI timeout) stops like Ctrl-C: the finally below stops the servers.
    signal.signal(signal.SIGTERM, _interrupt)
    args.workdir.mkdir(parents=True, exist_ok=True)
    (args.workdir / "var").mkdir(exist_ok=True)
    env = base_env(args)
    with open(args.workdir / "setup.log", "a") as log:
        setup = setup_database(args, env, log)
    redis.Redis.from_url(args.redis_url).flushdb()  # stale tasks of an earlier run would reference other rows

    port = args.port or free_port()
    server_env = {**env, "DATABASE_URL": setup["web_url"]}
    for name in ("gunicorn.log", "celery.log"):
        (args.workdir / name).unlink(missing_ok=True)
    services = []
    interrupted = False
    try:
        gunicorn = Service("gunicorn", [str(VENV_BIN / "gunicorn"), "khuyencong.wsgi", "-b", f"127.0.0.1:{port}",
                                        "-w", str(args.workers), "-k", "gthread", "--threads", str(args.threads),
                                        "--timeout", "60", "--no-control-socket"],
                           server_env, args.workdir / "gunicorn.log")
        services.append(gunicorn)
        celery = Service("celery", [sys.executable, "-m", "celery", "-A", "khuyencong", "worker", "--loglevel=INFO",
                                    f"--concurrency={args.celery_concurrency}", "--hostname", f"soak-{port}@%h"],
                         server_env, args.workdir / "celery.log")
        services.append(celery)
        probe = Http(port, 10)
        wait_for("gunicorn", lambda: probe.request("GET", "/dang-nhap/").status == 200, 90, gunicorn)
        wait_for("the Celery worker", lambda: " ready." in celery.log_path.read_text(errors="replace"), 90, celery)
        probe.close()
        # Every worker answers once before the idle sample (gunicorn boots them in parallel).
        time.sleep(2)
        say(f"gunicorn on http://127.0.0.1:{port} (pid {gunicorn.process.pid}), Celery (pid {celery.process.pid}); "
            f"logs in {args.workdir}")

        shared = Shared(args, port, setup["tokens"], setup["reference"])
        memory = {"gunicorn": {"main_pid": str(gunicorn.process.pid)}, "celery": {"main_pid": str(celery.process.pid)}}
        cpu = {"gunicorn": {}, "celery": {}}

        def sample(label):
            for group, service in (("gunicorn", gunicorn), ("celery", celery)):
                memory[group][label] = {str(pid): kib for pid, kib in service.memory().items()}
                cpu[group][label] = {str(pid): seconds for pid, seconds in service.cpu().items()}

        sample("idle")
        timeline = []
        groups = defaultdict(list)
        for i in range(args.clients):
            groups[PERSONAS[i % len(PERSONAS)].username].append(i)
        clients = []
        for i in range(args.clients):
            persona = PERSONAS[i % len(PERSONAS)]
            members = groups[persona.username]
            clients.append(Client(shared, persona, members.index(i), len(members), args.seed * 1000 + i))
        say(f"Driving {args.clients} clients for {args.duration:.0f} s …")
        started = time.monotonic()
        shared.deadline = started + args.duration
        for client in clients:
            client.start()
        warm_taken = False
        next_sample = started
        try:
            while time.monotonic() < shared.deadline and any(c.is_alive() for c in clients):
                now = time.monotonic()
                if now >= next_sample:
                    timeline.append(
                        {
                            "t": now - started,
                            "gunicorn": sum(gunicorn.memory().values()),
                            "celery": sum(celery.memory().values()),
                            "db_connections": db_connections(args.database_url, args.web_role),
                        }
                    )
                    next_sample += args.sample_every
                if not warm_taken and now - started >= args.warmup:
                    sample("warm")
                    warm_taken = True
                if gunicorn.process.poll() is not None or celery.process.poll() is not None:
                    say("a server process exited during the soak!")
                    break
                time.sleep(0.5)
        except KeyboardInterrupt:
            interrupted = True
            say("Interrupted: stopping the clients and reporting what ran.")
        shared.stop.set()
        for client in clients:
            client.join(timeout=args.request_timeout + 5)
        elapsed = time.monotonic() - started
        if not warm_taken:
            sample("warm")
        sample("end")
        timeline.append({"t": elapsed, "gunicorn": sum(gunicorn.memory().values()),
                         "celery": sum(celery.memory().values()),
                         "db_connections": db_connections(args.database_url, args.web_role)})
        drain = 0 if interrupted else args.drain
        say(f"Load finished; waiting up to {drain:.0f} s for {len(shared.report_ids)} report runs …")
        runs = report_runs(args.database_url, shared.report_ids, drain)
        for message in runs["failures"]:  # a report the worker failed to make is an error too
            shared.stats.error("worker.report_run", f"report run failed: {message}")
        report = build_report(args, shared, elapsed, memory, timeline, runs, scan_logs(services),
                              timeline[-1]["db_connections"], setup["reference"]["counts"])
        report["interrupted"] = interrupted
        report["cpu_seconds"] = cpu
        report["memory_after_drain_kib"] = {"gunicorn": sum(gunicorn.memory().values()),
                                            "celery": sum(celery.memory().values())}
    finally:
        for service in reversed(services):
            service.stop(timeout=60)
    report["server_logs"] = scan_logs(services)  # again, with the shutdown in the logs
    print_report(report)
    if runs["failures"]:
        print("Failed report runs:", *runs["failures"], sep="\n  ")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        print(f"Figures written to {args.json}")
    return 1 if report["errors"] or report["tenancy"]["breaches"] else 0


if __name__ == "__main__":
    sys.exit(main())
