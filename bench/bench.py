"""Benchmark at national scale: every figure of issue 13's table, measured under row-level
security (the non-owner role ``kc_app``, as production runs) and as the tables' owner, side
by side with their ratios, and the pages beside their SQL floor.

    DATABASE_URL=postgres://…/kc_bench python manage.py generate_load_data      # 300,000 applications
    DATABASE_URL=postgres://…/kc_bench python bench/bench.py [--year 2026] [--runs 5]
        [--modes rls,owner] [--clients 10,50] [--duration 30] [--no-load]

Figures: the national and province (Tây Ninh) dashboards computed on each request, with
the SQL floor of their aggregate queries (the same statements on a bare cursor, under the
same role and scope); single API requests (lists, search, deep page by number and by
cursor, detail); the CSV of every application streamed (time, bytes, peak Python memory);
the national regional summary through the Celery task's body (aggregation, PDF, XLSX, CSV);
then the API under 10 and 50 concurrent clients through gunicorn (3 gthread workers), with a
1 s pause between a client's requests (a busy office) and without (throughput and p95).
Not part of the test suite.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khuyencong.settings")
os.environ.setdefault("KC_ALLOW_DEV_KEY", "1")
os.environ.setdefault("KC_SIMPLE_STATIC", "1")  # the page is timed, not its assets
os.environ.setdefault("KC_ENFORCE_2FA", "0")  # the second factor is not what is measured
os.environ.setdefault("KC_DB_SCOPE", "all")  # like manage.py; requests set their user's scope
os.environ.setdefault("KC_API_RATE_TOKEN", "1000000/minute")
os.environ.setdefault("KC_API_RATE_USER", "1000000/minute")

import django  # noqa: E402

django.setup()

from benching import figures as fig  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from applications.models import Application, ApplicationEvent, Disbursement, Establishment  # noqa: E402
from khuyencong import rls  # noqa: E402
from khuyencong.services import api_token_create  # noqa: E402
from provinces.choices import Role  # noqa: E402
from provinces.models import Province  # noqa: E402
from provinces.services import agency_get_or_create, member_add, province_department_get_or_create  # noqa: E402
from reports import documents  # noqa: E402
from reports.choices import ReportKind, ReportScope  # noqa: E402
from reports.models import ReportRun  # noqa: E402
from reports.renderers import render_csv, render_pdf, render_xlsx  # noqa: E402

MODES = {"rls": rls.APP_ROLE, "owner": None}


def ms(seconds):
    return f"{seconds * 1000:,.0f} ms"


def regional_summary(user, year, runs):
    """The national regional summary as its Celery task does it (aggregation, then the
    three files), in-process; and the aggregation's SQL floor."""
    from django.test.utils import CaptureQueriesContext

    run = ReportRun.objects.create(kind=ReportKind.REGIONAL_SUMMARY, scope=ReportScope.NATIONAL, year=year,
                                   formats=["pdf", "xlsx", "csv"], requested_by=user, status="succeeded")
    try:
        aggregation, document = fig.timed(lambda: documents.build(run), max(1, runs // 2))
        with CaptureQueriesContext(connection) as captured:
            documents.build(run)
        sqls = [q["sql"] for q in captured.captured_queries if any(t in q["sql"] for t in fig.AGGREGATE_TABLES)]
        floor = fig.floor(sqls, max(1, runs // 2))
        pdf, _ = fig.timed(lambda: render_pdf(document), 1)
        xlsx, _ = fig.timed(lambda: render_xlsx(document), 1)
        csv, _ = fig.timed(lambda: render_csv(document), 1)
    finally:
        ReportRun.objects.filter(pk=run.pk).delete()
    return {"Regional summary, national: aggregation": aggregation,
            "Regional summary: aggregation SQL floor": floor,
            "Regional summary: aggregation + PDF + XLSX + CSV": aggregation + pdf + xlsx + csv}


def measure(mode, users, args):
    role = MODES[mode]
    fig.use_role(role)
    print(f"\n== {mode}: connected as {fig.current_user()} ==", flush=True)
    agency, officer = users
    results = {}
    national = reverse("reports:national") + f"?year={args.year}"
    page, floor = fig.page_figure(fig.Pages(agency), national, args.runs, scope="all")
    results["National dashboard, computed"] = page
    results["National dashboard: SQL floor"] = floor
    province = reverse("reports:province", args=[80]) + f"?year={args.year}"
    page, floor = fig.page_figure(fig.Pages(officer), province, args.runs, scope="80")
    results["Province dashboard (Tây Ninh, its officer), computed"] = page
    results["Province dashboard: SQL floor"] = floor
    for key in list(results):
        print(f"  {key}: {ms(results[key])}", flush=True)
    api, count_kind = fig.api_figures(agency, officer, args.runs, args.year)
    for key, value in api.items():
        print(f"  {key}: {ms(value)}", flush=True)
    results.update(api)
    results["(count of the Agency list)"] = count_kind
    if not args.no_csv:
        seconds, size, rows, peak = fig.csv_figure(agency)
        results[f"CSV of all applications, streamed ({rows:,} rows, {size / 2**20:.0f} MiB)"] = seconds
        results["CSV: peak Python memory (MiB)"] = peak
        print(f"  CSV: {seconds:.1f} s, {rows:,} rows, {size / 2**20:.0f} MiB, peak {peak:.1f} MiB", flush=True)
    for key, value in regional_summary(agency, args.year, args.runs).items():
        results[key] = value
        print(f"  {key}: {ms(value)}", flush=True)
    return results


def load(mode, tokens, args):
    from benching import load as lo

    base = "/api/v1/applications/"
    agency, province = tokens
    pk = Application.objects.filter(province_id=80).order_by("-pk").values_list("pk", flat=True).first()
    personas = [("list Agency", base, agency), ("list Tây Ninh", base, province),
                ("list Agency status", base + "?status=in_progress", agency),
                ("search", base + "?q=may+ep", agency), ("search", base + "?q=co+khi", province),
                ("deep page=500", base + "?page=500", agency), ("detail", f"{base}{pk}/", province)]
    env = lo.server_env(os.environ["DATABASE_URL"], MODES[mode], args.redis_url)
    out = {}
    log = Path(args.workdir) / f"gunicorn-{mode}.log"
    with lo.Server(env, workers=args.workers, threads=args.threads, log_path=log) as server:
        lo.run_clients(server.port, personas, 4, 5, 0)  # warm-up: connections, imports
        for clients in args.clients:
            for pause in (1.0, 0.0):
                latencies, errors, wall = lo.run_clients(server.port, personas, clients, args.duration, pause)
                total = sum(len(v) for v in latencies.values())
                label = f"{clients} clients, {'1 s pause' if pause else 'no pause'}"
                row = {kind: lo.p95(values) for kind, values in sorted(latencies.items())}
                row["throughput (req/s)"] = total / wall
                row["errors"] = len(errors)
                out[label] = row
                print(f"  [{mode}] {label}: {total / wall:.1f} req/s, errors {len(errors)}; p95 "
                      + ", ".join(f"{k} {ms(v)}" for k, v in row.items() if k not in ("throughput (req/s)", "errors")),
                      flush=True)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=timezone.localdate().year)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--modes", default="rls,owner")
    parser.add_argument("--clients", default="10,50")
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-load", action="store_true", help="skip the concurrent API load")
    parser.add_argument("--no-csv", action="store_true")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--workdir", default="/tmp")
    args = parser.parse_args()
    args.clients = [int(c) for c in args.clients.split(",") if c]
    modes = [m for m in args.modes.split(",") if m]

    print(f"Database: {Application.objects.count():,} applications · {Establishment.objects.count():,} "
          f"establishments · {ApplicationEvent.objects.count():,} events · {Disbursement.objects.count():,} "
          f"payments · {Application.objects.filter(year=args.year).count():,} applications in {args.year}")
    print(f"JIT in the portal's transactions: {'on' if settings.KC_DB_JIT else 'off'}")
    agency, *_ = member_add(username="bench_agency", role=Role.AGENCY_OFFICER, organisation=agency_get_or_create())
    tay_ninh = Province.objects.get(code=80)
    officer, *_ = member_add(username="bench_tayninh", role=Role.PROVINCE_OFFICER,
                             organisation=province_department_get_or_create(province=tay_ninh))
    tokens = (api_token_create(user=agency)[1], api_token_create(user=officer)[1])

    results = {mode: measure(mode, (agency, officer), args) for mode in modes}
    loads = {}
    if not args.no_load:
        for mode in modes:
            loads[mode] = load(mode, tokens, args)
    fig.use_role(None)

    # --- The table -------------------------------------------------------------------------------
    print("\n" + "=" * 100)
    print(f"{'figure':62} " + " ".join(f"{m:>11}" for m in modes) + ("   RLS/owner" if len(modes) == 2 else ""))
    for key in results[modes[0]]:
        values = [results[m].get(key) for m in modes]
        cells = []
        for v in values:
            if isinstance(v, str):
                cells.append(f"{v:>11}")
            elif "MiB" in key and "peak" in key:
                cells.append(f"{v:>8.1f} MiB")
            else:
                cells.append(f"{ms(v):>11}")
        ratio = ""
        if len(values) == 2 and all(isinstance(v, float) for v in values) and values[1]:
            ratio = f"{values[0] / values[1]:>9.2f}×"
        print(f"{key:62} " + " ".join(cells) + "   " + ratio)
    for m in modes:
        r = results[m]
        print(
            f"[{m}] national dashboard / SQL floor: "
            f"{r['National dashboard, computed'] / r['National dashboard: SQL floor']:.2f}× · province: "
            f"{r['Province dashboard (Tây Ninh, its officer), computed'] / r['Province dashboard: SQL floor']:.2f}× · "
            f"regional summary aggregation: "
            f"{r['Regional summary, national: aggregation'] / r['Regional summary: aggregation SQL floor']:.2f}×"
        )
    for m, rows in loads.items():
        print(f"\nAPI load through gunicorn ({args.workers} workers × {args.threads} threads), {m}, "
              f"p95 per request kind:")
        for label, row in rows.items():
            print(f"  {label:26} {row['throughput (req/s)']:6.1f} req/s, errors {row['errors']}: "
                  + ", ".join(f"{k} {ms(v)}" for k, v in row.items() if k not in ("throughput (req/s)", "errors")))


if __name__ == "__main__":
    main()
