"""The figures at the end: the report, its table, server logs, report runs, connections."""

import re
import statistics
import time

import psycopg

from .measure import percentile

# --- Report -------------------------------------------------------------------------------------


def mib(kib):
    return f"{kib / 1024:.1f}"


def build_report(args, shared, elapsed, memory, timeline, runs, logs, connections, counts) -> dict:
    stats = shared.stats
    kinds = sorted(stats.latencies)
    all_latencies = [x for k in kinds for x in stats.latencies[k]]
    total = len(all_latencies)
    errors = sum(stats.errors.values())
    per_kind = {}
    for kind in kinds + ["TOTAL"]:
        values = all_latencies if kind == "TOTAL" else stats.latencies[kind]
        per_kind[kind] = {
            "count": len(values), "errors": errors if kind == "TOTAL" else stats.errors.get(kind, 0),
            "rps": len(values) / elapsed if elapsed else 0,
            "p50_ms": percentile(values, 50) * 1000, "p95_ms": percentile(values, 95) * 1000,
            "p99_ms": percentile(values, 99) * 1000, "max_ms": (max(values) if values else 0) * 1000,
            "statuses": {} if kind == "TOTAL" else {str(k): v for k, v in stats.statuses[kind].items()},
        }
    # Errors found by checks on kinds that made no request of their own (e.g. a crashed op).
    for kind, count in stats.errors.items():
        if kind not in per_kind:
            per_kind[kind] = {"count": 0, "errors": count, "rps": 0, "p50_ms": 0, "p95_ms": 0, "p99_ms": 0,
                              "max_ms": 0, "statuses": {}}
    return {
        "config": {"clients": args.clients, "duration_s": args.duration, "think_s": args.think,
                   "gunicorn_workers": args.workers, "gunicorn_threads": args.threads,
                   "celery_concurrency": args.celery_concurrency, "database": args.database_url,
                   "web_role": args.web_role, "redis": args.redis_url},
        "data_before": {"establishments": counts[0], "applications": counts[1], "report_runs": counts[2]},
        "elapsed_s": elapsed, "requests": total, "rps": total / elapsed if elapsed else 0, "errors": errors,
        "per_kind": per_kind,
        "error_samples": [{"kind": k, "status": s, "count": c, "message": m}
                          for (k, s, _), (c, m) in sorted(stats.samples.items(), key=lambda i: -i[1][0])],
        "tenancy": {"rows_checked": stats.tenancy_rows, "breaches": stats.tenancy_breaches,
                    "foreign_probes": stats.probes},
        "report_runs": runs, "memory_kib": memory, "memory_timeline": timeline, "db_connections": connections,
        "server_logs": logs,
    }


def print_report(report):
    c = report["config"]
    print()
    print("=" * 100)
    print(f"Kết quả chạy thử tải / Soak results — {c['clients']} clients, {report['elapsed_s']:.0f} s "
          f"(think {c['think_s']} s), gunicorn {c['gunicorn_workers']}×{c['gunicorn_threads']} gthread, "
          f"Celery concurrency {c['celery_concurrency']}")
    d = report["data_before"]
    print(f"Data at start: {d['establishments']:,} establishments, {d['applications']:,} applications, "
          f"{d['report_runs']:,} report runs · DB {c['database']} as {c['web_role']} (row-level security)")
    print(f"Requests: {report['requests']:,} · {report['rps']:.1f} req/s · errors: {report['errors']}")
    print()
    header = (f"{'Kind / Loại yêu cầu':<30}{'count':>8}{'err':>6}{'req/s':>8}"
              f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  statuses")
    print(header)
    print("-" * len(header))
    for kind, row in report["per_kind"].items():
        if kind == "TOTAL":
            continue
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(row["statuses"].items()))
        print(f"{kind:<30}{row['count']:>8}{row['errors']:>6}{row['rps']:>8.2f}{row['p50_ms']:>9.0f}"
              f"{row['p95_ms']:>9.0f}{row['p99_ms']:>9.0f}{row['max_ms']:>9.0f}  {statuses}")
    row = report["per_kind"]["TOTAL"]
    print("-" * len(header))
    print(f"{'TOTAL':<30}{row['count']:>8}{row['errors']:>6}{row['rps']:>8.2f}{row['p50_ms']:>9.0f}"
          f"{row['p95_ms']:>9.0f}{row['p99_ms']:>9.0f}{row['max_ms']:>9.0f}")
    print()
    t = report["tenancy"]
    print(f"Tenancy / Phân quyền: {t['rows_checked']:,} rows checked, {t['breaches']} breaches; "
          f"{t['foreign_probes']:,} probes of foreign rows (404 expected)")
    if report["error_samples"]:
        print("Errors / Lỗi (first message of each kind):")
        for sample in report["error_samples"][:25]:
            print(f"  {sample['count']:>5} × {sample['kind']} [{sample['status']}] {sample['message'][:220]}")
    r = report["report_runs"]
    print(f"Report runs / Báo cáo: {r['requested']} requested · {r['by_status']} · request→finished "
          f"p50 {r['p50_s']:.1f} s, max {r['max_s']:.1f} s · still unfinished after the drain: {r['unfinished']}")
    print()
    print(f"{'Memory RSS (MiB) / Bộ nhớ':<34}{'idle':>9}{'warm':>9}{'end':>9}{'end−warm':>10}{'CPU s':>8}")
    for group in ("gunicorn", "celery"):
        rows = report["memory_kib"][group]
        cpu = report["cpu_seconds"][group]
        pids = sorted(set().union(*(set(rows[s]) for s in ("idle", "warm", "end"))), key=int)
        for pid in pids:
            values = [rows[s].get(pid) for s in ("idle", "warm", "end")]
            role = "master" if pid == rows["main_pid"] else "child"
            cells = "".join(f"{mib(v) if v is not None else '—':>9}" for v in values)
            delta = f"{(values[2] - values[1]) / 1024:+.1f}" if None not in values[1:] else "—"
            # CPU time used during the load (idle sample to end sample).
            used = cpu["end"].get(pid, 0) - cpu["idle"].get(pid, 0)
            print(f"  {group} {role} pid {pid:<14}{cells}{delta:>10}{used:>8.1f}")
        totals = [sum(rows[s].values()) for s in ("idle", "warm", "end")]
        cells = "".join(f"{mib(v):>9}" for v in totals)
        print(f"  {group + ' total':<32}{cells}{(totals[2] - totals[1]) / 1024:>+10.1f}")
    print("Timeline (s: gunicorn MiB / celery MiB / DB connections of the web role):")
    print("  " + " · ".join(f"{p['t']:.0f}: {mib(p['gunicorn'])}/{mib(p['celery'])}/{p['db_connections']}"
                            for p in report["memory_timeline"]))
    print(f"Server logs: {report['server_logs']}")
    print("=" * 100)


def scan_logs(services) -> dict:
    found = {}
    for service in services:
        try:
            text = service.log_path.read_text(errors="replace")
        except OSError:
            continue
        found[service.name] = {"tracebacks": text.count("Traceback (most recent call last)"),
                               "worker_timeouts": text.count("WORKER TIMEOUT"),
                               "errors": len(re.findall(r"\] ERROR|ERROR/|\bERROR:", text)),
                               "log": str(service.log_path)}
    return found


def report_runs(url, ids, drain_seconds) -> dict:
    """Waits up to ``drain_seconds`` for the runs requested during the soak, then sums them up."""
    deadline = time.monotonic() + drain_seconds
    with psycopg.connect(url, autocommit=True) as conn:
        while ids:
            pending = conn.execute("SELECT count(*) FROM reports_reportrun WHERE id = ANY(%s) AND status IN "
                                   "('queued', 'running')", [ids]).fetchone()[0]
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(2)
        by_status = dict(conn.execute("SELECT status, count(*) FROM reports_reportrun WHERE id = ANY(%s) "
                                      "GROUP BY status", [ids]).fetchall()) if ids else {}
        durations = [r[0] for r in conn.execute(
            "SELECT extract(epoch FROM finished_at - created_at) FROM reports_reportrun WHERE id = ANY(%s) "
            "AND finished_at IS NOT NULL", [ids])] if ids else []
        failures = (
            [
                r[0]
                for r in conn.execute(
                    "SELECT left(error, 300) FROM reports_reportrun WHERE id = ANY(%s) AND status = 'failed'", [ids]
                )
            ]
            if ids
            else []
        )
    durations = [float(d) for d in durations]
    return {"requested": len(ids), "by_status": by_status, "p50_s": statistics.median(durations) if durations else 0.0,
            "max_s": max(durations) if durations else 0.0,
            "unfinished": by_status.get("queued", 0) + by_status.get("running", 0), "failures": failures[:5]}


def db_connections(url, role) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", [role]).fetchone()[0]
